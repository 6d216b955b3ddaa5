/**
 * Incremental readers of raw objects: which reader an object's bytes go to, and the visitor they
 * call per record. Every reader reads a byte stream chunk by chunk and calls the visitor once per
 * physical record (a record read or one rejected with its raw text), awaiting it only when it returns
 * a promise (the visitor's way of applying backpressure while a row group is encoded and uploaded),
 * so memory is bounded by one chunk, one record of at most `maxRecordBytes` and the visitor's buffers.
 *
 * - JSON Lines (`handlers/json-lines.ts`) and CSV (`handlers/csv-records.ts`) read the lines of the
 *   line splitter (`handlers/line-splitter.ts`: endings, long lines, UTF-8, BOM).
 * - A `.json` object whose first character is `[` is one JSON array of records
 *   (`handlers/json-array.ts`).
 */
import type { JsonText, Rejection } from "./coerce";
import type { ColumnDefinition, RawFormat } from "./datasets";
import { splitLines, withoutBom } from "./line-splitter";
import { readJsonLines } from "./json-lines";
import { readCsv } from "./csv-records";
import { readJsonArray } from "./json-array";

/**
 * A record's text as read, for the coercer and for `rejected/`. Readers may reuse one object for every
 * record (no allocation per row): use it within the call only.
 */
export interface RecordSource extends JsonText {
  /** The text is the record's JSON, which the coercer reads again for the exact text of numbers and for keys written twice (false for CSV). */
  readonly json: boolean;
}

export interface RecordVisitor {
  /** A parsed record. `line` is the 1-based line where it starts in the decompressed object. */
  record(record: Readonly<Record<string, unknown>>, line: number, source: RecordSource): void | Promise<void>;
  /** A record that could not be read, with its raw text (a long line's first KiB). */
  unreadable(line: number, rejection: Rejection, raw: string): void | Promise<void>;
}

export interface ReaderOptions {
  readonly format: RawFormat;
  /** The object is a `.json` document: a top-level array is read element by element. */
  readonly jsonDocument?: boolean;
  /** Longest record (line, CSV record, array element) read, in bytes. */
  readonly maxRecordBytes: number;
  /** The dataset's columns (CSV maps its header to them). */
  readonly columns: readonly ColumnDefinition[];
}

/** Default `maxRecordBytes`: `processorMaxRecordKb`'s default, 1 MiB. */
export const DEFAULT_MAX_RECORD_BYTES = 1024 * 1024;

/** The stream again, after reading ahead to its first non-whitespace byte (undefined when there is none). */
async function firstByte(chunks: AsyncIterable<Buffer>): Promise<{ byte: number | undefined; chunks: AsyncIterable<Buffer> }> {
  const iterator = chunks[Symbol.asyncIterator]();
  const seen: Buffer[] = [];
  let byte: number | undefined;
  while (byte === undefined) {
    const next = await iterator.next();
    if (next.done) break;
    seen.push(next.value);
    byte = next.value.find((value) => value !== 32 && value !== 9 && value !== 10 && value !== 13);
  }
  const replay = async function* (): AsyncGenerator<Buffer> {
    yield* seen;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
  };
  return { byte, chunks: replay() };
}

/**
 * Reads an object's (decompressed) bytes and calls the visitor once per physical record.
 *
 * @example
 * ```ts
 * await readRecords(decodedBytes(body, { declaredGzip }), { format: "csv", maxRecordBytes, columns: USERS.columns }, visitor);
 * ```
 */
export async function readRecords(bytes: AsyncIterable<Buffer>, options: ReaderOptions, visitor: RecordVisitor): Promise<void> {
  const { maxRecordBytes } = options;
  if (options.format === "csv") return readCsv(splitLines(bytes, { maxLineBytes: maxRecordBytes }), { columns: options.columns, maxRecordBytes }, visitor);
  if (options.jsonDocument) {
    const peeked = await firstByte(withoutBom(bytes));
    if (peeked.byte === 0x5b /* [ */) return readJsonArray(peeked.chunks, { maxRecordBytes }, visitor);
    return readJsonLines(splitLines(peeked.chunks, { maxLineBytes: maxRecordBytes }), visitor);
  }
  return readJsonLines(splitLines(bytes, { maxLineBytes: maxRecordBytes }), visitor);
}
