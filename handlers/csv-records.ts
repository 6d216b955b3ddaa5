/**
 * CSV (RFC 4180: comma-separated, `"` quoting with `""` escapes, quoted fields may span lines) from
 * the line splitter's pieces, where a malformed line costs that line only.
 *
 * Why not csv-parse: with `skip_records_with_error`, "the parser has no indication to know if a record
 * delimiter is one or if it is inside a quoted field" (csv.js.org, option skip_records_with_error), so
 * one stray quote swallowed every following line as one field (1.3 M rows lost to one rejection), and
 * it detects one record delimiter per file, so mixed CRLF/LF endings did the same. Here a record that
 * cannot be read as a whole (a quote never closed within `maxRecordBytes` or before the end, a
 * character after a closing quote, a multi-line record with the wrong number of fields) rejects its
 * first line alone, with its text, and reading starts again at the next line.
 *
 * The first row names the columns when any of its fields is a column of the dataset; otherwise the
 * file has no header and its fields are read in the dataset's column order (when their number
 * matches; else every row is rejected, never silently dropped). A header that names a column twice
 * rejects every row as `duplicate_key`: which value holds would be a guess.
 */
import type { ColumnDefinition } from "./datasets";
import type { Rejection } from "./coerce";
import type { LinePiece } from "./line-splitter";
import type { RecordSource, RecordVisitor } from "./record-readers";

/**
 * The wording of the reader's rejections, as functions of what they name (exported for the Glue job's
 * contract, handlers/glue-contract.ts).
 */
export const CSV_WORDING = {
  /** `quotedCharacter`: the character as `JSON.stringify` quotes it. */
  afterClosingQuote: (quotedCharacter: string) => `unexpected ${quotedCharacter} after a closing quote (RFC 4180: a quoted field ends at a comma or the line's end)`,
  quoteInsideField: 'a quote (") inside a field that does not start with one; quote the whole field and double its quotes',
  notClosedAtEnd: "a quoted field opened on this line is not closed before the end of the object",
  notClosedWithin: (limit: number | string) => `a quoted field opened on this line is not closed within ${limit} bytes (processorMaxRecordKb)`,
  spansIntoFields: (fields: number | string, expected: number | string) => `a quoted field opened on this line spans lines into a record of ${fields} fields, not ${expected}`,
  fieldCount: (expected: number | string, fields: number | string) => `expected ${expected} fields as in the first row, got ${fields}`,
  headerRepeats: (column: string) => `the header names ${column} twice; which field holds its value is ambiguous`,
  /** `columns`: the dataset's column names joined by ", ". */
  noHeader: (columns: string, fields: number | string, expected: number | string) =>
    `no header row: the first row names none of the columns (${columns}) and has ${fields} fields, not ${expected} to read in that order`,
} as const;

export interface CsvOptions {
  readonly columns: readonly ColumnDefinition[];
  /** A record spanning lines may not grow beyond this many characters. */
  readonly maxRecordBytes: number;
}

/** How rows map to columns, known once the first row is read. */
type Layout =
  | { readonly kind: "fields"; readonly fieldCount: number; readonly indexes: readonly number[]; readonly repeated?: string }
  | { readonly kind: "unreadable"; readonly detail: string };

type Parsed =
  | { readonly kind: "record"; readonly fields: string[]; readonly end: number; readonly next: number; readonly multiline: boolean }
  | { readonly kind: "open" }
  | { readonly kind: "malformed"; readonly detail: string };

const QUOTE = 34;
const COMMA = 44;
const LF = 10;
const CR = 13;

function afterEnding(text: string, end: number): number {
  if (end >= text.length) return end;
  return text.charCodeAt(end) === CR && text.charCodeAt(end + 1) === LF ? end + 2 : end + 1;
}

/** Line endings (LF, CRLF, CR) in text[start, end). */
function lineBreaks(text: string, start: number, end: number): number {
  let breaks = 0;
  for (let at = start; at < end; at++) {
    const code = text.charCodeAt(at);
    if (code === LF || (code === CR && text.charCodeAt(at + 1) !== LF)) breaks += 1;
  }
  return breaks;
}

/** Parses the record that starts at `at` with quotes in it (the slow path), possibly over several lines. */
function parseQuoted(text: string, at: number): Parsed {
  const fields: string[] = [];
  let cursor = at;
  for (;;) {
    if (text.charCodeAt(cursor) === QUOTE) {
      let value = "";
      cursor += 1;
      for (;;) {
        const quote = text.indexOf('"', cursor);
        if (quote === -1) return { kind: "open" };
        value += text.slice(cursor, quote);
        if (text.charCodeAt(quote + 1) === QUOTE) {
          value += '"';
          cursor = quote + 2;
          continue;
        }
        cursor = quote + 1;
        break;
      }
      fields.push(value);
      const code = text.charCodeAt(cursor);
      if (code === COMMA) {
        cursor += 1;
        continue;
      }
      if (cursor < text.length && code !== LF && code !== CR) {
        return { kind: "malformed", detail: CSV_WORDING.afterClosingQuote(JSON.stringify(text[cursor])) };
      }
    } else {
      let end = cursor;
      while (end < text.length) {
        const code = text.charCodeAt(end);
        if (code === COMMA || code === LF || code === CR) break;
        if (code === QUOTE) return { kind: "malformed", detail: CSV_WORDING.quoteInsideField };
        end += 1;
      }
      fields.push(text.slice(cursor, end));
      cursor = end;
      if (text.charCodeAt(cursor) === COMMA) {
        cursor += 1;
        continue;
      }
    }
    return { kind: "record", fields, end: cursor, next: afterEnding(text, cursor), multiline: lineBreaks(text, at, cursor) > 0 };
  }
}

/**
 * The row layout from the first row: a header when it names any column (`undefined` is returned, the
 * row being no record), else the dataset's column order for rows of as many fields.
 */
function layoutOf(fields: readonly string[], columns: readonly ColumnDefinition[]): { layout: Layout; isHeader: boolean } {
  const names = fields.map((field) => field.trim());
  if (columns.some((column) => names.includes(column.name))) {
    const repeated = columns.find((column) => names.indexOf(column.name) !== names.lastIndexOf(column.name))?.name;
    return {
      isHeader: true,
      layout: { kind: "fields", fieldCount: names.length, indexes: columns.map((column) => names.indexOf(column.name)), ...(repeated ? { repeated } : {}) },
    };
  }
  if (fields.length === columns.length) return { isHeader: false, layout: { kind: "fields", fieldCount: columns.length, indexes: columns.map((_, index) => index) } };
  return {
    isHeader: false,
    layout: {
      kind: "unreadable",
      detail: CSV_WORDING.noHeader(columns.map((column) => column.name).join(", "), fields.length, columns.length),
    },
  };
}

/**
 * Reads CSV from line pieces, awaiting the visitor only when it returns a promise.
 *
 * @example
 * ```ts
 * await readCsv(splitLines(bytes, { maxLineBytes }), { columns: USERS.columns, maxRecordBytes }, visitor);
 * ```
 */
export async function readCsv(pieces: AsyncIterable<LinePiece>, options: CsvOptions, visitor: RecordVisitor): Promise<void> {
  const { columns, maxRecordBytes } = options;
  let layout: Layout | undefined;
  /** Text not read yet; it starts at a record boundary, on line `line`. */
  let buffer = "";
  let line = 1;
  // One source object for every row (no allocation per row); CSV fields are text, not JSON.
  let rowText = "";
  const source: { length: number; escapes: boolean; json: boolean; text(): string } = { length: 0, escapes: true, json: false, text: () => rowText };

  const reject = (at: number, rejection: Rejection, raw: string): void | Promise<void> => visitor.unreadable(at, rejection, raw);

  const row = (fields: string[], at: number, raw: string): void | Promise<void> => {
    if (layout === undefined) {
      const first = layoutOf(fields, columns);
      layout = first.layout;
      if (first.isHeader) return undefined;
    }
    if (layout.kind === "unreadable") return reject(at, { reason: "malformed_csv", detail: layout.detail }, raw);
    if (fields.length !== layout.fieldCount) {
      return reject(at, { reason: "malformed_csv", detail: CSV_WORDING.fieldCount(layout.fieldCount, fields.length) }, raw);
    }
    if (layout.repeated !== undefined) {
      return reject(at, { reason: "duplicate_key", column: layout.repeated, detail: CSV_WORDING.headerRepeats(layout.repeated) }, raw);
    }
    const record: Record<string, string> = {};
    for (let index = 0; index < columns.length; index++) {
      const field = layout.indexes[index]!;
      if (field >= 0) record[columns[index]!.name] = fields[field]!;
    }
    rowText = raw;
    source.length = raw.length;
    return visitor.record(record, at, source satisfies RecordSource);
  };

  /** Reads the records in `buffer`; keeps a record still open at its end, unless `final`. */
  const drain = async (final: boolean): Promise<void> => {
    const text = buffer;
    let at = 0;
    let nextLf = text.indexOf("\n");
    let nextCr = text.indexOf("\r");
    let nextQuote = text.indexOf('"');
    while (at < text.length) {
      if (nextLf !== -1 && nextLf < at) nextLf = text.indexOf("\n", at);
      if (nextCr !== -1 && nextCr < at) nextCr = text.indexOf("\r", at);
      if (nextQuote !== -1 && nextQuote < at) nextQuote = text.indexOf('"', at);
      const lineEnd = nextCr !== -1 && (nextLf === -1 || nextCr < nextLf) ? nextCr : nextLf === -1 ? text.length : nextLf;
      const lineNext = afterEnding(text, lineEnd);
      let blank = true;
      for (let index = at; index < lineEnd && blank; index++) blank = text.charCodeAt(index) === 32 || text.charCodeAt(index) === 9;
      if (blank) {
        line += 1;
        at = lineNext;
        continue;
      }
      let parsed: Parsed =
        nextQuote === -1 || nextQuote >= lineEnd
          ? { kind: "record", fields: text.slice(at, lineEnd).split(","), end: lineEnd, next: lineNext, multiline: false }
          : parseQuoted(text, at);
      if (parsed.kind === "open") {
        if (!final && text.length - at <= maxRecordBytes) break;
        parsed = { kind: "malformed", detail: final ? CSV_WORDING.notClosedAtEnd : CSV_WORDING.notClosedWithin(maxRecordBytes) };
      }
      // A record spanning lines is held whole: beyond the limit it is rejected as one still open would
      // be. Without this, whether such a record was read depended on where the stream's chunks ended
      // (one still open past the limit at the end of a chunk was rejected, one closed within it read).
      if (parsed.kind === "record" && parsed.multiline && parsed.end - at > maxRecordBytes) {
        parsed = { kind: "malformed", detail: CSV_WORDING.notClosedWithin(maxRecordBytes) };
      }
      if (parsed.kind === "record" && parsed.multiline && layout?.kind === "fields" && parsed.fields.length !== layout.fieldCount) {
        parsed = { kind: "malformed", detail: CSV_WORDING.spansIntoFields(parsed.fields.length, layout.fieldCount) };
      }
      if (parsed.kind === "malformed") {
        // Resynchronise: this line alone is rejected; reading starts again on the next one.
        const outcome = reject(line, { reason: "malformed_csv", detail: parsed.detail }, text.slice(at, lineEnd));
        if (outcome) await outcome;
        line += 1;
        at = lineNext;
        continue;
      }
      const outcome = row(parsed.fields, line, text.slice(at, parsed.end));
      if (outcome) await outcome;
      line += parsed.multiline ? lineBreaks(text, at, parsed.end) + 1 : 1;
      at = parsed.next;
    }
    buffer = text.slice(at);
  };

  for await (const piece of pieces) {
    if (piece.kind === "lines") {
      buffer = buffer.length === 0 ? piece.text : buffer + piece.text;
      await drain(false);
      continue;
    }
    // A line the splitter rejected ends any record still open before it.
    await drain(true);
    const outcome = reject(line, piece.rejection, piece.raw);
    if (outcome) await outcome;
    line += 1;
  }
  await drain(true);
}
