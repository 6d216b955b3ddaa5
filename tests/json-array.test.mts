/**
 * The JSON array reader (handlers/json-array.ts): what `rejected/` keeps of an element over the
 * limit, and of text after the closing bracket, is its first KiB cut at a character boundary, as the
 * line splitter cuts a long line's (no U+FFFD from a split character), whatever the chunking.
 */
import { expect, test } from "vitest";
import fc from "fast-check";
import { readJsonArray } from "../handlers/json-array.js";

type Item = { readonly line: number; readonly record: Readonly<Record<string, unknown>> } | { readonly line: number; readonly reason: string; readonly raw: string };

/** Reads `bytes` cut into chunks of the given sizes. */
async function itemsOf(bytes: Buffer, chunkSizes: readonly number[], maxRecordBytes: number): Promise<Item[]> {
  const chunks: Buffer[] = [];
  for (let at = 0, index = 0; at < bytes.length; index++) {
    const size = Math.max(1, chunkSizes[index % chunkSizes.length]!);
    chunks.push(bytes.subarray(at, at + size));
    at += size;
  }
  async function* stream(): AsyncGenerator<Buffer> {
    yield* chunks;
  }
  const items: Item[] = [];
  await readJsonArray(stream(), { maxRecordBytes }, {
    record: (record, line) => void items.push({ line, record }),
    unreadable: (line, rejection, raw) => void items.push({ line, reason: rejection.reason, raw }),
  });
  return items;
}

test("an element over the limit, and text after the array, keep their first KiB cut at a character boundary whatever the chunking", async () => {
  // Prepare: the element's 1,024th byte is inside "é" (2 bytes: its 1,024th and 1,025th), the
  // trailing text's inside "😀" (4 bytes: its 1,023rd to 1,026th)
  const elementHead = `{"a":"${"x".repeat(1017)}`;
  const trailingHead = "t".repeat(1022);
  const bytes = Buffer.from(`[${elementHead}é${"y".repeat(3000)}"},\n{"b":1}\n] ${trailingHead}😀${"z".repeat(3000)}`);
  expect(Buffer.byteLength(elementHead)).toBe(1023);
  const expected: Item[] = [
    { line: 1, reason: "record_too_large", raw: elementHead },
    { line: 2, record: { b: 1 } },
    { line: 3, reason: "malformed_json", raw: trailingHead },
  ];
  // Act & Assess: whole, or cut anywhere
  expect(await itemsOf(bytes, [bytes.length], 2048)).toEqual(expected);
  await fc.assert(
    fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 1500 }), { minLength: 1, maxLength: 4 }), async (sizes) => {
      const items = await itemsOf(bytes, sizes, 2048);
      expect(items).toEqual(expected);
      for (const item of items) if ("raw" in item) expect(item.raw).not.toContain("\uFFFD");
    }),
  );
});

test("a kept KiB that ends exactly at a character's end keeps that character", async () => {
  // Prepare: "€" (3 bytes) is the element's 1,022nd to 1,024th bytes
  const elementHead = `{"a":"${"x".repeat(1015)}€`;
  const bytes = Buffer.from(`[${elementHead}${"y".repeat(3000)}"}]`);
  expect(Buffer.byteLength(elementHead)).toBe(1024);
  // Act & Assess
  expect(await itemsOf(bytes, [700], 2048)).toEqual([{ line: 1, reason: "record_too_large", raw: elementHead }]);
});
