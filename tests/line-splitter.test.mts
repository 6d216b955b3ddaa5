/**
 * The line splitter and the gzip member reader (issue 16, classes 4 and 6): line endings, long lines,
 * bad UTF-8 and BOMs, whatever the chunking; gzip recognised by its bytes, trailing bytes ignored.
 */
import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import { describe, expect, test } from "vitest";
import fc from "fast-check";
import { lineCursor, splitLines } from "../handlers/line-splitter.js";
import { decodedBytes } from "../handlers/gzip-members.js";

type Line = { readonly text: string } | { readonly reason: string; readonly raw: string };

/** Splits `bytes` cut into chunks of the given sizes, and flattens the pieces into lines. */
async function linesOf(bytes: Buffer, chunkSizes: readonly number[] = [bytes.length || 1], maxLineBytes = 1 << 20): Promise<Line[]> {
  const chunks: Buffer[] = [];
  for (let at = 0, index = 0; at < bytes.length; index++) {
    const size = Math.max(1, chunkSizes[index % chunkSizes.length]!);
    chunks.push(bytes.subarray(at, at + size));
    at += size;
  }
  const lines: Line[] = [];
  for await (const piece of splitLines(chunks, { maxLineBytes })) {
    if (piece.kind === "rejected") {
      lines.push({ reason: piece.rejection.reason, raw: piece.raw });
      continue;
    }
    const cursor = lineCursor(piece.text);
    while (cursor.advance()) lines.push({ text: piece.text.slice(cursor.start, cursor.end) });
  }
  return lines;
}

async function collect(stream: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(part);
  return Buffer.concat(parts);
}

describe("splitLines", () => {
  test("ends lines at LF, CRLF and lone CR, mixed, whatever the chunking", async () => {
    // Prepare: every ending, and a CRLF and a CR at chunk boundaries
    const bytes = Buffer.from("a\r\nb\nc\rd\r\r\ne\r");
    const expected = ["a", "b", "c", "d", "", "e"].map((text) => ({ text }));
    // Act & Assess
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 8 }), async (sizes) => {
        expect(await linesOf(bytes, sizes)).toEqual(expected);
      }),
    );
  });

  test("rejects a line over the limit, keeping its first kilobyte, and reads the lines around it", async () => {
    const long = "x".repeat(50_000);
    const lines = await linesOf(Buffer.from(`first\n${long}\r\nlast`), [4096], 10_000);
    expect(lines).toEqual([{ text: "first" }, { reason: "record_too_large", raw: "x".repeat(1024) }, { text: "last" }]);
  });

  test("rejects a long line at the end of the stream, and one that ends with a CR split from its LF", async () => {
    expect(await linesOf(Buffer.from(`ok\n${"y".repeat(3000)}`), [100], 1000)).toEqual([{ text: "ok" }, { reason: "record_too_large", raw: "y".repeat(1000 + 24).slice(0, 1024) }]);
    const lines = await linesOf(Buffer.from(`${"z".repeat(3000)}\r\nnext\n`), [3001, 10], 1000);
    expect(lines).toEqual([{ reason: "record_too_large", raw: "z".repeat(1024) }, { text: "next" }]);
  });

  test("a long line's kept kilobyte is cut at a character boundary whatever the chunking", async () => {
    // Prepare: "é" (2 bytes) straddles the 1,024th byte
    const bytes = Buffer.from(`${"x".repeat(1023)}é${"y".repeat(3000)}`);
    const expected = [{ reason: "record_too_large", raw: "x".repeat(1023) }];
    // Act & Assess: whole (the line arrives in one block) or cut anywhere (the line is held as it grows)
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 1500 }), { minLength: 1, maxLength: 4 }), async (sizes) => {
        expect(await linesOf(bytes, sizes, 2000)).toEqual(expected);
      }),
    );
    expect(await linesOf(Buffer.concat([bytes, Buffer.from("\n")]), undefined, 2000)).toEqual(expected);
  });

  test("rejects a line that is not UTF-8 as invalid_utf8 and keeps the others exactly", async () => {
    const bytes = Buffer.concat([Buffer.from("café\n"), Buffer.from([0x61, 0xff, 0x62, 0x0a]), Buffer.from("😀\n"), Buffer.from([0xed, 0xa0, 0x80, 0x0a])]);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 5 }), async (sizes) => {
        expect(await linesOf(bytes, sizes)).toEqual([{ text: "café" }, { reason: "invalid_utf8", raw: "a\uFFFDb" }, { text: "😀" }, { reason: "invalid_utf8", raw: "\uFFFD\uFFFD\uFFFD" }]);
      }),
    );
  });

  test("drops a BOM at the start of the stream only, even when it is split across chunks", async () => {
    const bytes = Buffer.from("\uFEFF{\"a\":1}\n\uFEFFx\n");
    expect(await linesOf(bytes, [1, 1, 1, 100])).toEqual([{ text: '{"a":1}' }, { text: "\uFEFFx" }]);
    expect(await linesOf(Buffer.from([0xef, 0xbb]), [1])).toEqual([{ reason: "invalid_utf8", raw: "\uFFFD" }]);
  });

  test("any chunking gives the same lines as one chunk", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(fc.string({ unit: "grapheme", maxLength: 30 }), fc.constantFrom("\n", "\r\n", "\r", "\uFEFF", "x".repeat(70))), { maxLength: 30 }),
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 6 }),
        async (parts, sizes) => {
          const bytes = Buffer.from(parts.join(""));
          expect(await linesOf(bytes, sizes, 64)).toEqual(await linesOf(bytes, [bytes.length || 1], 64));
        },
      ),
    );
  });
});

describe("decodedBytes (gzip)", () => {
  const text = Array.from({ length: 30_000 }, (_, index) => `{"i":${index},"r":"${(index * 7919) % 1000}"}`).join("\n");

  test("reads gzip by its magic bytes, whatever it is declared as", async () => {
    expect((await collect(decodedBytes(Readable.from([gzipSync(text)]), { declaredGzip: false }))).toString()).toBe(text);
  });

  test("reads concatenated members, and ignores and reports bytes after the last one, as gzip -d does", async () => {
    // Prepare: two members, then garbage, cut into chunks that split the trailer and the garbage
    const body = Buffer.concat([gzipSync(text), gzipSync("tail\n"), Buffer.from("garbage!!")]);
    const trailing: number[] = [];
    const chunks = body.toString("base64").match(/.{1,1000}/g)!.map((part) => Buffer.from(part, "base64"));
    // Act
    const output = await collect(decodedBytes(Readable.from(chunks), { declaredGzip: true, onTrailingBytes: (bytes) => trailing.push(bytes) }));
    // Assess
    expect(output.toString()).toBe(`${text}tail\n`);
    expect(trailing).toEqual([9]);
  });

  test("ignores zero padding silently", async () => {
    const trailing: number[] = [];
    const output = await collect(decodedBytes(Readable.from([Buffer.concat([gzipSync("a\n"), Buffer.alloc(512)])]), { declaredGzip: true, onTrailingBytes: (bytes) => trailing.push(bytes) }));
    expect(output.toString()).toBe("a\n");
    expect(trailing).toEqual([]);
  });

  test.each([
    ["declared gzip that is not", Buffer.from("plain text"), true],
    ["a member cut short", gzipSync(text).subarray(0, 2000), false],
    ["a corrupt checksum", Buffer.concat([gzipSync("abc").subarray(0, -8), Buffer.from([0, 0, 0, 0, 3, 0, 0, 0])]), false],
  ])("fails permanently on %s", async (_name, body, declaredGzip) => {
    await expect(collect(decodedBytes(Readable.from([body]), { declaredGzip }))).rejects.toMatchObject({ name: "PermanentError", reason: "unreadable_object" });
  });

  test("passes plain bytes through", async () => {
    expect((await collect(decodedBytes(Readable.from([Buffer.from("a"), Buffer.from("b\n")]), { declaredGzip: false }))).toString()).toBe("ab\n");
  });
});
