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

/**
 * Lines per `JSON.parse` call when the whole group is valid. 64 and 1024 measured the same as 256
 * within noise (4.3–4.7 CPU seconds per 200 MB of events, bench/processor.ts).
 */
const JSON_LINES_PER_PARSE = 256;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Reads JSON Lines. Blank lines are skipped and not counted as records; a `\r\n` ending is accepted.
 *
 * Lines are parsed in groups as one JSON array (`[l1,l2,…]`, the group's newlines turned into
 * commas): one `JSON.parse` call over many lines is markedly faster than one call per line
 * (bench/processor.ts). A group that does not parse as exactly one object per line (a bad line, a
 * blank line) is re-read line by line, so a bad line costs only its own group the fast path and is
 * reported with its own line number.
 */
export async function readJsonLines(input: Readable, visitor: RecordVisitor): Promise<void> {
  input.setEncoding("utf8");
  let carry = "";
  let linesBefore = 0;

  const parseOne = async (text: string, line: number): Promise<void> => {
    const trimmed = text.endsWith("\r") ? text.slice(0, -1) : text;
    if (trimmed.trim() === "") return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch (error) {
      await visitor.unreadable(line, { reason: "malformed_json", detail: (error as Error).message }, trimmed);
      return;
    }
    if (!isRecord(parsed)) {
      await visitor.unreadable(line, { reason: "not_an_object", detail: `expected a JSON object, got ${Array.isArray(parsed) ? "an array" : parsed === null ? "null" : typeof parsed}` }, trimmed);
      return;
    }
    const outcome = visitor.record(parsed, line, () => trimmed);
    if (outcome) await outcome;
  };

  /** `group` holds `count` lines separated by `\n`, the first being line `firstLine`. */
  const parseGroup = async (group: string, firstLine: number, count: number): Promise<void> => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(`[${group.replaceAll("\n", ",")}]`);
    } catch {
      parsed = undefined;
    }
    if (!Array.isArray(parsed) || parsed.length !== count) {
      const lines = group.split("\n");
      for (let index = 0; index < lines.length; index++) await parseOne(lines[index]!, firstLine + index);
      return;
    }
    let lines: string[] | undefined;
    for (let index = 0; index < count; index++) {
      const value: unknown = parsed[index];
      if (!isRecord(value)) {
        lines ??= group.split("\n");
        await parseOne(lines[index]!, firstLine + index);
        continue;
      }
      // The raw line is only needed for a rejected record: split the group once, on demand.
      const outcome = visitor.record(value, firstLine + index, () => {
        lines ??= group.split("\n");
        const line = lines[index]!;
        return line.endsWith("\r") ? line.slice(0, -1) : line;
      });
      if (outcome) await outcome;
    }
  };

  for await (const chunk of input) {
    const text = carry + (chunk as string);
    let start = 0;
    for (;;) {
      let count = 0;
      let end = -1;
      let newline = text.indexOf("\n", start);
      while (newline !== -1 && count < JSON_LINES_PER_PARSE) {
        count += 1;
        end = newline;
        newline = text.indexOf("\n", newline + 1);
      }
      if (count === 0) break;
      await parseGroup(text.slice(start, end), linesBefore + 1, count);
      linesBefore += count;
      start = end + 1;
    }
    carry = text.slice(start);
  }
  if (carry !== "") await parseGroup(carry, linesBefore + 1, 1);
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
