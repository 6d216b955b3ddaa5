/**
 * A `.json` object holding one JSON array of records (`[{…},{…}]`, on one line or pretty-printed),
 * read element by element in bounded memory: each element is cut out of the byte stream at its
 * top-level comma, checked as UTF-8 and against `maxRecordBytes`, and parsed alone. Before this, such
 * a file gave one `malformed_json` per line, and an 86 MB one-line array took 1.34 GB and 159 s.
 *
 * Line numbers count LF bytes: an element's is the line where its first character is.
 */
import { isUtf8 } from "node:buffer";
import { TOO_LARGE_PREFIX_BYTES, prefixText } from "./line-splitter";
import { visitJsonText } from "./json-lines";
import type { Rejection } from "./coerce";
import type { RecordVisitor } from "./record-readers";

/**
 * The wording of the reader's rejections (exported for the Glue job's contract,
 * handlers/glue-contract.ts).
 */
export const JSON_ARRAY_WORDING = {
  emptyElement: "an empty element between commas of the array",
  tooLarge: (bytes: number | string, limit: number | string, kept: number | string) =>
    `array element of ${bytes} bytes is longer than the limit of ${limit} bytes (processorMaxRecordKb); record holds its first ${kept} bytes`,
  notUtf8: "the element is not UTF-8; record shows invalid bytes as U+FFFD",
  afterClose: "text after the array's closing bracket",
} as const;

const LF = 10;
const QUOTE = 34;
const BACKSLASH = 92;
const COMMA = 44;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;

function isWhitespace(byte: number): boolean {
  return byte === 32 || byte === 10 || byte === 13 || byte === 9;
}

/** The element being cut out: its bytes (or, past the limit, its first KiB and its length). */
interface Element {
  parts: Buffer[];
  bytes: number;
  line: number;
}

/**
 * Reads the records of a JSON array document from its bytes (the first non-whitespace byte is `[`).
 *
 * @example
 * ```ts
 * await readJsonArray(bytes, { maxRecordBytes: 1 << 20 }, visitor);
 * ```
 */
export async function readJsonArray(chunks: AsyncIterable<Buffer>, options: { readonly maxRecordBytes: number }, visitor: RecordVisitor): Promise<void> {
  const { maxRecordBytes } = options;
  let line = 1;
  let opened = false;
  let closed = false;
  let depth = 0;
  let inString = false;
  let escaped = false;
  let separators = 0;
  let element: Element | undefined;
  let trailing: Element | undefined;

  const grow = (target: Element, bytes: Buffer): void => {
    if (bytes.length === 0) return;
    if (target.bytes <= maxRecordBytes) target.parts.push(bytes);
    target.bytes += bytes.length;
  };

  const emit = (done: Element | undefined, endsWithSeparator: boolean): void | Promise<void> => {
    if (done === undefined) {
      if (!endsWithSeparator && separators === 0) return undefined;
      return visitor.unreadable(line, { reason: "malformed_json", detail: JSON_ARRAY_WORDING.emptyElement }, "");
    }
    const bytes = Buffer.concat(done.parts);
    if (done.bytes > maxRecordBytes) {
      const rejection: Rejection = {
        reason: "record_too_large",
        detail: JSON_ARRAY_WORDING.tooLarge(done.bytes, maxRecordBytes, TOO_LARGE_PREFIX_BYTES),
      };
      return visitor.unreadable(done.line, rejection, prefixText(bytes, TOO_LARGE_PREFIX_BYTES));
    }
    if (!isUtf8(bytes)) return visitor.unreadable(done.line, { reason: "invalid_utf8", detail: JSON_ARRAY_WORDING.notUtf8 }, bytes.toString("utf8").trim());
    return visitJsonText(bytes.toString("utf8").trim(), done.line, visitor);
  };

  for await (const chunk of chunks) {
    let segment = 0;
    for (let at = 0; at < chunk.length; at++) {
      const byte = chunk[at]!;
      if (byte === LF) line += 1;
      if (closed) {
        if (trailing === undefined && !isWhitespace(byte)) {
          trailing = { parts: [], bytes: 0, line };
          segment = at;
        }
        continue;
      }
      if (inString) {
        if (escaped) escaped = false;
        else if (byte === BACKSLASH) escaped = true;
        else if (byte === QUOTE) inString = false;
        continue;
      }
      if (!opened) {
        if (byte === OPEN_BRACKET) {
          opened = true;
          segment = at + 1;
        }
        continue;
      }
      if (depth === 0 && (byte === COMMA || byte === CLOSE_BRACKET)) {
        if (element !== undefined) grow(element, chunk.subarray(segment, at));
        const outcome = emit(element, byte === COMMA);
        if (outcome) await outcome;
        element = undefined;
        if (byte === COMMA) separators += 1;
        else closed = true;
        segment = at + 1;
        continue;
      }
      if (element === undefined && !isWhitespace(byte)) {
        element = { parts: [], bytes: 0, line };
        segment = at;
      }
      if (byte === QUOTE) inString = true;
      else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) depth += 1;
      else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) depth -= 1;
    }
    if (element !== undefined) grow(element, chunk.subarray(segment));
    if (trailing !== undefined) grow(trailing, chunk.subarray(segment));
    segment = 0;
  }
  if (element !== undefined) {
    const outcome = emit(element, false);
    if (outcome) await outcome;
  }
  if (trailing !== undefined) {
    const text = prefixText(Buffer.concat(trailing.parts), TOO_LARGE_PREFIX_BYTES).trim();
    await visitor.unreadable(trailing.line, { reason: "malformed_json", detail: JSON_ARRAY_WORDING.afterClose }, text);
  }
}
