/**
 * Incremental readers of raw objects: JSON Lines and CSV with a header row. Both read a byte stream
 * chunk by chunk and call the visitor per record, awaiting it only when it returns a promise (the
 * visitor's way of applying backpressure while a row group is encoded and uploaded), so memory is
 * bounded by one chunk plus the visitor's buffers.
 */
import type { Readable } from "node:stream";
import { parse as parseCsv, type CsvError, type Info } from "csv-parse";
import type { Rejection } from "./coerce";

export interface RecordVisitor {
  /** A parsed record; `line` is the 1-based line where it starts in the decompressed object. */
  record(record: Readonly<Record<string, unknown>>, line: number, raw: () => unknown): void | Promise<void>;
  /** A record that could not even be parsed. */
  unreadable(line: number, rejection: Rejection, raw: unknown): void | Promise<void>;
}

/** Records are handed over in this many lines per `JSON.parse` call when the whole chunk is valid. */
const JSON_LINES_PER_PARSE = 256;

/**
 * Reads JSON Lines. Blank lines are skipped and not counted as records; a `\r\n` ending is accepted.
 *
 * Lines are parsed in groups as one JSON array (`[l1,l2,…]`): a single `JSON.parse` call over many
 * lines is markedly faster than one call per line (bench/processor.ts). A group that fails to parse
 * as a whole is re-parsed line by line, so a bad line costs only its own group the fast path and is
 * reported with its own line number.
 */
export async function readJsonLines(input: Readable, visitor: RecordVisitor): Promise<void> {
  input.setEncoding("utf8");
  let carry = "";
  let lineNumber = 0;
  const pendingLines: string[] = [];
  const pendingNumbers: number[] = [];

  const parseOne = async (text: string, line: number): Promise<void> => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      await visitor.unreadable(line, { reason: "malformed_json", detail: (error as Error).message }, text);
      return;
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      await visitor.unreadable(line, { reason: "not_an_object", detail: `expected a JSON object, got ${Array.isArray(parsed) ? "an array" : typeof parsed}` }, text);
      return;
    }
    const outcome = visitor.record(parsed as Record<string, unknown>, line, () => text);
    if (outcome) await outcome;
  };

  const drainPending = async (): Promise<void> => {
    if (pendingLines.length === 0) return;
    let parsed: unknown[] | undefined;
    try {
      parsed = JSON.parse(`[${pendingLines.join(",")}]`) as unknown[];
      // A line holding two values (`{} {}` is invalid anyway, but `1,2` is not) would shift the rest.
      if (parsed.length !== pendingLines.length) parsed = undefined;
    } catch {
      parsed = undefined;
    }
    if (parsed === undefined) {
      for (let index = 0; index < pendingLines.length; index++) await parseOne(pendingLines[index]!, pendingNumbers[index]!);
    } else {
      for (let index = 0; index < parsed.length; index++) {
        const value = parsed[index];
        const line = pendingNumbers[index]!;
        if (typeof value !== "object" || value === null || Array.isArray(value)) {
          await parseOne(pendingLines[index]!, line);
          continue;
        }
        const text = pendingLines[index]!;
        const outcome = visitor.record(value as Record<string, unknown>, line, () => text);
        if (outcome) await outcome;
      }
    }
    pendingLines.length = 0;
    pendingNumbers.length = 0;
  };

  const takeLine = async (text: string): Promise<void> => {
    lineNumber += 1;
    const line = text.endsWith("\r") ? text.slice(0, -1) : text;
    if (line.trim() === "") return;
    pendingLines.push(line);
    pendingNumbers.push(lineNumber);
    if (pendingLines.length >= JSON_LINES_PER_PARSE) await drainPending();
  };

  for await (const chunk of input) {
    const text = carry + (chunk as string);
    let start = 0;
    let newline = text.indexOf("\n", start);
    while (newline !== -1) {
      await takeLine(text.slice(start, newline));
      start = newline + 1;
      newline = text.indexOf("\n", start);
    }
    carry = text.slice(start);
  }
  if (carry !== "") await takeLine(carry);
  await drainPending();
}

/**
 * Reads CSV with a header row (RFC 4180 quoting, quoted fields may span lines) with csv-parse, the
 * well-kept streaming parser (no dependencies). Empty cells are missing values. A row whose field
 * count differs from the header's, or whose quoting is broken, is reported as `malformed_csv`.
 */
export async function readCsv(input: Readable, visitor: RecordVisitor): Promise<void> {
  const parser = parseCsv({ bom: true, info: true, relax_column_count: true, skip_records_with_error: true, skip_empty_lines: true });
  const skipped: { line: number; rejection: Rejection; raw: unknown }[] = [];
  parser.on("skip", (error: CsvError & { lines?: number; record?: unknown }) => {
    skipped.push({ line: error.lines ?? 0, rejection: { reason: "malformed_csv", detail: error.message }, raw: error.record ?? null });
  });
  input.on("error", (error) => parser.destroy(error));
  input.pipe(parser);
  let header: string[] | undefined;
  for await (const entry of parser as AsyncIterable<{ record: string[]; info: Info }>) {
    for (const skip of skipped.splice(0)) await visitor.unreadable(skip.line, skip.rejection, skip.raw);
    const { record: fields, info } = entry;
    if (header === undefined) {
      header = fields.map((name) => name.trim());
      continue;
    }
    const line = info.lines - countLineBreaks(fields);
    if (fields.length !== header.length) {
      await visitor.unreadable(line, { reason: "malformed_csv", detail: `expected ${header.length} fields as in the header, got ${fields.length}` }, fields);
      continue;
    }
    const record: Record<string, string> = {};
    for (let index = 0; index < header.length; index++) record[header[index]!] = fields[index]!;
    const outcome = visitor.record(record, line, () => record);
    if (outcome) await outcome;
  }
  for (const skip of skipped.splice(0)) await visitor.unreadable(skip.line, skip.rejection, skip.raw);
}

/** csv-parse reports the line where a record ends; quoted fields with line breaks move the start up. */
function countLineBreaks(fields: readonly string[]): number {
  let breaks = 0;
  for (const field of fields) {
    for (let at = field.indexOf("\n"); at !== -1; at = field.indexOf("\n", at + 1)) breaks += 1;
  }
  return breaks;
}
