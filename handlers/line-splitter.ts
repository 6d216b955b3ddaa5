/**
 * Splits a byte stream into lines, in linear time and bounded memory, for the JSON Lines and CSV
 * readers. Lines end at LF, CRLF or a lone CR (classic Mac endings), mixed freely.
 *
 * Why bytes rather than text: a line is checked as UTF-8 before it is decoded, so invalid bytes
 * reject that line (`invalid_utf8`) instead of being replaced with U+FFFD silently; and a line longer
 * than `maxLineBytes` is rejected (`record_too_large`) while it streams by, keeping only its first
 * kilobyte, so a 100 MB line costs constant memory. Incomplete lines are kept as a list of chunks
 * and joined once, when their end arrives: never `carry + chunk` per chunk, which is quadratic.
 *
 * Clean input stays on a fast path: each chunk is cut after its last line ending, checked with
 * `buffer.isUtf8` and decoded in one call; the readers split the decoded text themselves.
 */
import { isUtf8 } from "node:buffer";
import type { Rejection } from "./coerce";

const LF = 10;
const CR = 13;
/** What a line rejected for its length keeps of itself in `rejected/`. */
export const TOO_LARGE_PREFIX_BYTES = 1024;

/**
 * The wording of the splitter's rejections, as functions of what they name (exported for the Glue
 * job's contract, handlers/glue-contract.ts).
 */
export const LINE_WORDING = {
  tooLarge: (bytes: number | string, limit: number | string, kept: number | string) =>
    `line of ${bytes} bytes is longer than the limit of ${limit} bytes (processorMaxRecordKb); record holds its first ${kept} bytes`,
  /** `shown`: up to four bytes from the first invalid one, in hex, space-separated. */
  notUtf8: (at: number | string, shown: string) => `byte ${at} of the line is not UTF-8 (${shown}); record shows invalid bytes as U+FFFD`,
} as const;

/** Complete lines as text, each with its ending (the stream's last line may have none); or one rejected line. */
export type LinePiece =
  | {
      readonly kind: "lines";
      readonly text: string;
      /** False when the text holds no CR (every line ends at LF): readers skip their own search. */
      readonly crs?: boolean;
    }
  | { readonly kind: "rejected"; readonly rejection: Rejection; readonly raw: string };

export interface LineSplitterOptions {
  /** Longest line read, in bytes, its ending excluded; a longer one is rejected as `record_too_large`. */
  readonly maxLineBytes: number;
}

/** The byte offset of the first byte that does not belong to a UTF-8 sequence (overlongs and surrogates included). */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  for (let at = 0; at < bytes.length; ) {
    const lead = bytes[at]!;
    if (lead < 0x80) {
      at += 1;
      continue;
    }
    const length = lead >= 0xc2 && lead <= 0xdf ? 2 : lead >= 0xe0 && lead <= 0xef ? 3 : lead >= 0xf0 && lead <= 0xf4 ? 4 : 0;
    if (length === 0 || at + length > bytes.length) return at;
    const second = bytes[at + 1]!;
    const low = lead === 0xe0 ? 0xa0 : lead === 0xf0 ? 0x90 : 0x80;
    const high = lead === 0xed ? 0x9f : lead === 0xf4 ? 0x8f : 0xbf;
    if (second < low || second > high) return at;
    for (let next = 2; next < length; next++) if ((bytes[at + next]! & 0xc0) !== 0x80) return at;
    at += length;
  }
  return -1;
}

/** The first `limit` bytes as text, cut at a character boundary (lossy: it is only shown). */
export function prefixText(bytes: Uint8Array, limit: number): string {
  let end = Math.min(limit, bytes.length);
  if (end < bytes.length) while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end -= 1;
  return Buffer.from(bytes.buffer, bytes.byteOffset, end).toString("utf8");
}

function tooLarge(prefix: Uint8Array, bytes: number, maxLineBytes: number): LinePiece {
  return {
    kind: "rejected",
    rejection: {
      reason: "record_too_large",
      detail: LINE_WORDING.tooLarge(bytes, maxLineBytes, Math.min(bytes, TOO_LARGE_PREFIX_BYTES)),
    },
    raw: prefixText(prefix, TOO_LARGE_PREFIX_BYTES),
  };
}

function notUtf8(line: Uint8Array): LinePiece {
  const at = firstInvalidUtf8(line);
  const shown = Array.from(line.subarray(at, at + 4), (byte) => byte.toString(16).padStart(2, "0")).join(" ");
  return {
    kind: "rejected",
    rejection: { reason: "invalid_utf8", detail: LINE_WORDING.notUtf8(at, shown) },
    raw: Buffer.from(line.buffer, line.byteOffset, line.byteLength).toString("utf8"),
  };
}

/** The end of the line starting at `from` (its first LF or CR), or -1. */
function lineEnd(bytes: Uint8Array, from: number, to: number): number {
  const lf = bytes.indexOf(LF, from);
  const searchTo = lf === -1 || lf >= to ? to : lf;
  const cr = bytes.subarray(from, searchTo).indexOf(CR);
  if (cr !== -1) return from + cr;
  return lf !== -1 && lf < to ? lf : -1;
}

/** The index after the ending that starts at `end` (CRLF is one ending). */
function afterEnding(bytes: Uint8Array, end: number): number {
  return bytes[end] === CR && bytes[end + 1] === LF ? end + 2 : end + 1;
}

/**
 * Splits a block of complete lines into pieces: runs of good lines as text, and each line that is
 * too long or not UTF-8 on its own. Only runs when the block as a whole fails a check.
 */
function* checkedLines(block: Buffer, maxLineBytes: number, utf8: boolean): Generator<LinePiece> {
  let runStart = 0;
  let at = 0;
  // Next LF and CR at or after `at`, searched again only once passed: linear in the block.
  let nextLf = block.indexOf(LF);
  let nextCr = block.indexOf(CR);
  while (at < block.length) {
    if (nextLf !== -1 && nextLf < at) nextLf = block.indexOf(LF, at);
    if (nextCr !== -1 && nextCr < at) nextCr = block.indexOf(CR, at);
    const end = nextCr !== -1 && (nextLf === -1 || nextCr < nextLf) ? nextCr : nextLf;
    const contentEnd = end === -1 ? block.length : end;
    const next = end === -1 ? block.length : afterEnding(block, end);
    const length = contentEnd - at;
    if (length > maxLineBytes || (!utf8 && !isUtf8(block.subarray(at, contentEnd)))) {
      if (at > runStart) yield { kind: "lines", text: block.toString("utf8", runStart, at) };
      const line = block.subarray(at, contentEnd);
      yield length > maxLineBytes ? tooLarge(line, length, maxLineBytes) : notUtf8(line);
      runStart = next;
    }
    at = next;
  }
  if (block.length > runStart) yield { kind: "lines", text: block.toString("utf8", runStart, block.length) };
}

function* emitBlock(block: Buffer, maxLineBytes: number, crs = true): Generator<LinePiece> {
  if (block.length === 0) return;
  const utf8 = isUtf8(block);
  // A block longer than the limit may hold a long line; one that fails UTF-8 holds a bad line.
  if (utf8 && block.length <= maxLineBytes) yield { kind: "lines", text: block.toString("utf8"), crs };
  else yield* checkedLines(block, maxLineBytes, utf8);
}

/** A chunk as a Buffer: a string encoded as UTF-8, bytes viewed without a copy. */
export function asBuffer(chunk: Uint8Array | string): Buffer {
  if (typeof chunk === "string") return Buffer.from(chunk, "utf8");
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

const UTF8_BOM = [0xef, 0xbb, 0xbf];

/** Drops a UTF-8 byte order mark at the start of the stream (JSON Lines would reject the first record). */
export async function* withoutBom(chunks: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>): AsyncGenerator<Buffer> {
  let head: Buffer | undefined = Buffer.alloc(0);
  for await (const chunk of chunks) {
    const bytes = asBuffer(chunk);
    if (head === undefined) {
      yield bytes;
      continue;
    }
    head = Buffer.concat([head, bytes]);
    if (head.length < UTF8_BOM.length && UTF8_BOM.slice(0, head.length).every((byte, index) => head![index] === byte)) continue;
    const bom = head.length >= UTF8_BOM.length && UTF8_BOM.every((byte, index) => head![index] === byte);
    yield bom ? head.subarray(UTF8_BOM.length) : head;
    head = undefined;
  }
  if (head !== undefined && head.length > 0) yield head;
}

/**
 * Splits a byte stream into line pieces (see `LinePiece`), in order: a reader counts one line per
 * rejected piece and one per line ending in a text piece.
 *
 * @example
 * ```ts
 * for await (const piece of splitLines(stream, { maxLineBytes: 1 << 20 })) {
 *   if (piece.kind === "lines") parse(piece.text); else reject(piece.rejection, piece.raw);
 * }
 * ```
 */
export async function* splitLines(chunks: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>, options: LineSplitterOptions): AsyncGenerator<LinePiece> {
  const { maxLineBytes } = options;
  /** The line in progress: chunks joined once, when its end arrives. */
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  /** A line already over the limit: only its first bytes and its length are kept. */
  let oversize: { prefix: Buffer; bytes: number } | undefined;
  /** The previous chunk ended with CR: a LF at the start of this one belongs to the same ending. */
  let heldCr = false;

  const takePending = (extra?: Buffer): Buffer => {
    const parts = extra === undefined ? pending : [...pending, extra];
    const block = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    pending = [];
    pendingBytes = 0;
    return block;
  };
  /**
   * Counts bytes of the long line, keeping them only until its prefix is full: one byte more than
   * `rejected/` shows, so that `prefixText` can tell a character cut at the limit, as it does for a
   * line that arrived whole (the record is then the same whatever the chunking).
   */
  const keptBytes = TOO_LARGE_PREFIX_BYTES + 1;
  const growOversize = (line: { prefix: Buffer; bytes: number }, bytes: Buffer): void => {
    line.bytes += bytes.length;
    if (line.prefix.length < keptBytes) line.prefix = Buffer.concat([line.prefix, bytes.subarray(0, keptBytes - line.prefix.length)]);
  };
  const startOversize = (): void => {
    const head = takePending();
    oversize = { prefix: Buffer.from(head.subarray(0, keptBytes)), bytes: head.length };
  };

  for await (const chunk of withoutBom(chunks)) {
    let start = 0;
    if (heldCr) {
      heldCr = false;
      const crlf = chunk[0] === LF;
      if (oversize !== undefined) {
        yield tooLarge(oversize.prefix, oversize.bytes, maxLineBytes);
        oversize = undefined;
      } else {
        yield* emitBlock(takePending(crlf ? Buffer.from([CR, LF]) : Buffer.from([CR])), maxLineBytes);
      }
      start = crlf ? 1 : 0;
    }
    // A CR at the very end may be the first half of CRLF: hold it until the next chunk.
    let end = chunk.length;
    const endsWithCr = end > start && chunk[end - 1] === CR;
    if (endsWithCr) end -= 1;
    if (oversize !== undefined) {
      const lineStop = lineEnd(chunk, start, end);
      if (lineStop === -1) {
        growOversize(oversize, chunk.subarray(start, end));
        heldCr = endsWithCr;
        continue;
      }
      growOversize(oversize, chunk.subarray(start, lineStop));
      yield tooLarge(oversize.prefix, oversize.bytes, maxLineBytes);
      oversize = undefined;
      start = afterEnding(chunk, lineStop);
      if (start > end) start = end;
    }
    // One forward search says whether the chunk has CRs at all (a backward one over a chunk without
    // any measured 4x slower); lastIndexOf counts a negative offset from the end: never pass one.
    const crs = chunk.indexOf(CR, start) !== -1;
    const last = end === 0 ? -1 : Math.max(chunk.lastIndexOf(LF, end - 1), crs ? chunk.lastIndexOf(CR, end - 1) : -1);
    if (last < start) {
      if (end > start) {
        pending.push(chunk.subarray(start, end));
        pendingBytes += end - start;
      }
    } else {
      if (pending.length === 0) yield* emitBlock(chunk.subarray(start, last + 1), maxLineBytes, crs);
      else {
        // Only the line in progress is joined with its end: copying whole 64 KiB chunks with
        // Buffer.concat measured 79 µs each, more than decoding them.
        const headEnd = afterEnding(chunk, lineEnd(chunk, start, last + 1));
        yield* emitBlock(takePending(chunk.subarray(start, headEnd)), maxLineBytes, crs);
        if (headEnd <= last) yield* emitBlock(chunk.subarray(headEnd, last + 1), maxLineBytes, crs);
      }
      if (end > last + 1) {
        pending.push(chunk.subarray(last + 1, end));
        pendingBytes += end - last - 1;
      }
    }
    if (pendingBytes > maxLineBytes) startOversize();
    heldCr = endsWithCr;
  }
  if (oversize !== undefined) yield tooLarge(oversize.prefix, oversize.bytes, maxLineBytes);
  else if (heldCr) yield* emitBlock(takePending(Buffer.from([CR])), maxLineBytes);
  else if (pendingBytes > 0) yield* emitBlock(takePending(), maxLineBytes);
}

/**
 * Walks the lines of decoded text: `start`/`end` delimit each line's content (its ending excluded),
 * `next` is where the following line starts. A closure, not a class (Pulumi's closure serializer
 * drops class field initializers).
 *
 * @example
 * ```ts
 * const cursor = lineCursor("a\r\nb\rc");
 * while (cursor.advance()) console.log(text.slice(cursor.start, cursor.end)); // a, b, c
 * ```
 */
export function lineCursor(text: string): { readonly start: number; readonly end: number; readonly next: number; advance(): boolean } {
  let start = 0;
  let end = 0;
  let next = 0;
  let nextLf = text.indexOf("\n");
  let nextCr = text.indexOf("\r");
  return {
    get start() {
      return start;
    },
    get end() {
      return end;
    },
    get next() {
      return next;
    },
    advance() {
      if (next >= text.length) return false;
      start = next;
      if (nextLf !== -1 && nextLf < start) nextLf = text.indexOf("\n", start);
      if (nextCr !== -1 && nextCr < start) nextCr = text.indexOf("\r", start);
      if (nextCr !== -1 && (nextLf === -1 || nextCr < nextLf)) {
        end = nextCr;
        next = text.charCodeAt(nextCr + 1) === LF ? nextCr + 2 : nextCr + 1;
      } else if (nextLf !== -1) {
        end = nextLf;
        next = nextLf + 1;
      } else {
        end = text.length;
        next = text.length;
      }
      return true;
    },
  };
}
