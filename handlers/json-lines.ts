/**
 * JSON Lines: one JSON object per line, from the line splitter's pieces. Blank lines are skipped and
 * not counted as records; lines end at LF, CRLF or CR.
 *
 * Lines are parsed in groups as one JSON array: one `JSON.parse` call over many lines is markedly
 * faster than one per line (bench/processor.ts: per-line parsing cost ~5 % of the conversion's CPU).
 * A plain `[l1,l2,…]` could accept lines that are each invalid (`{"a":1},{"b":1}` followed by
 * `{"c":[[{}` and `{}]]}` parse as three objects for three lines), so separator elements no line can
 * forge sit between lines: `[l1,a,b,l2,a,b,…]` with `a` and `b` two random 30-bit integers drawn per
 * object (small integers: JSON.parse allocates nothing for them, where a string nonce per line cost
 * measurable GC). A group parses only if every separator is where it was put, which pins each value
 * to its own line; any other group (a bad line, a blank line) is read again line by line.
 */
import { randomInt } from "node:crypto";
import { jsonText } from "./coerce";
import { lineCursor, type LinePiece } from "./line-splitter";
import type { RecordSource, RecordVisitor } from "./record-readers";

const BOM = 0xfeff;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The wording of a `not_an_object` rejection (exported for the Glue job's contract, handlers/glue-contract.ts). */
export const JSON_LINES_WORDING = {
  /** `kind`: "an array", "null", or the value's `typeof`. */
  notAnObject: (kind: string) => `expected a JSON object, got ${kind}`,
} as const;

function describeJson(value: unknown): string {
  return Array.isArray(value) ? "an array" : value === null ? "null" : typeof value;
}

/**
 * Reads one JSON text (a line, or an element of a JSON array) and hands it to the visitor: a record
 * with its text, or a rejection (`malformed_json`, `not_an_object`).
 */
export function visitJsonText(text: string, line: number, visitor: RecordVisitor): void | Promise<void> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    // RFC 8259 §8.1: a parser may ignore a byte order mark (files concatenated after the first).
    if (text.charCodeAt(0) === BOM) return visitJsonText(text.slice(1), line, visitor);
    return visitor.unreadable(line, { reason: "malformed_json", detail: (error as Error).message }, text);
  }
  if (!isRecord(parsed)) return visitor.unreadable(line, { reason: "not_an_object", detail: JSON_LINES_WORDING.notAnObject(describeJson(parsed)) }, text);
  return visitor.record(parsed, line, { ...jsonText(text), json: true });
}

/** Lines per `JSON.parse` call when the whole group is valid (64 to 1024 measured the same as 256). */
const JSON_LINES_PER_PARSE = 256;

function isBlank(text: string, start: number, end: number): boolean {
  for (let at = start; at < end; at++) {
    const code = text.charCodeAt(at);
    if (code !== 32 && code !== 9) return false;
  }
  return true;
}

/** Whether every CR in `text` starts a CRLF: lines then end at LF and the CR is JSON whitespace. */
function onlyCrlf(text: string): boolean {
  return !/\r(?!\n)/.test(text);
}

/**
 * Reads JSON Lines from line pieces, awaiting the visitor only when it returns a promise (its way of
 * applying backpressure while a row group is encoded and uploaded).
 *
 * @example
 * ```ts
 * await readJsonLines(splitLines(bytes, { maxLineBytes }), visitor);
 * ```
 */
export async function readJsonLines(pieces: AsyncIterable<LinePiece>, visitor: RecordVisitor): Promise<void> {
  let line = 0;
  const nonceA = randomInt(1, 2 ** 30);
  const nonceB = randomInt(1, 2 ** 30);
  const separator = `,${nonceA},${nonceB},`;
  const starts = new Int32Array(JSON_LINES_PER_PARSE + 1);

  /** The content of line `index` of a group (its CR stripped). */
  const lineText = (text: string, index: number): string => {
    const end = starts[index + 1]! - 1;
    return text.slice(starts[index]!, end > starts[index]! && text.charCodeAt(end - 1) === 13 ? end - 1 : end);
  };

  // One source object for the records of a group, pointed at each in turn: no string or object per
  // row. (Declared after `lineText`: Pulumi's closure serializer rejects a reference to a later const.)
  let groupText = "";
  let groupIndex = 0;
  const source: { length: number; escapes: boolean; json: boolean; text(): string } = { length: 0, escapes: false, json: true, text: () => lineText(groupText, groupIndex) };

  /** Reads `count` lines of `text` starting at `starts[0]`, as one array when they all parse as objects. */
  const readGroup = async (text: string, count: number, firstLine: number): Promise<void> => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(`[${text.slice(starts[0]!, starts[count]! - 1).replaceAll("\n", separator)}]`);
    } catch {
      parsed = undefined;
    }
    let aligned = Array.isArray(parsed) && parsed.length === 3 * count - 2;
    for (let index = 1; aligned && index < 3 * count - 2; index += 3) aligned = (parsed as unknown[])[index] === nonceA && (parsed as unknown[])[index + 1] === nonceB;
    groupText = text;
    source.escapes = text.includes("\\u");
    for (let index = 0; index < count; index++) {
      const value: unknown = aligned ? (parsed as unknown[])[3 * index] : undefined;
      let outcome: void | Promise<void>;
      if (aligned && typeof value === "object" && value !== null && !Array.isArray(value)) {
        groupIndex = index;
        const end = starts[index + 1]! - 1;
        source.length = end - starts[index]! - (end > starts[index]! && text.charCodeAt(end - 1) === 13 ? 1 : 0);
        outcome = visitor.record(value as Record<string, unknown>, firstLine + index, source satisfies RecordSource);
      } else {
        const content = lineText(text, index);
        outcome = isBlank(content, 0, content.length) ? undefined : visitJsonText(content, firstLine + index, visitor);
      }
      if (outcome) await outcome;
    }
  };
  for await (const piece of pieces) {
    if (piece.kind === "rejected") {
      line += 1;
      const outcome = visitor.unreadable(line, piece.rejection, piece.raw);
      if (outcome) await outcome;
      continue;
    }
    const { text } = piece;
    if (piece.crs === false || text.indexOf("\r") === -1 || onlyCrlf(text)) {
      // The common case: lines end at LF (a CR before it is stripped), read in groups.
      let start = 0;
      while (start < text.length) {
        let count = 0;
        starts[0] = start;
        while (count < JSON_LINES_PER_PARSE && start < text.length) {
          const newline = text.indexOf("\n", start);
          // The last line of the object may have no ending: it is read as if it had one.
          start = newline === -1 ? text.length + 1 : newline + 1;
          starts[++count] = start;
        }
        await readGroup(text, count, line + 1);
        line += count;
      }
      continue;
    }
    // Lone CRs end lines too (classic Mac endings, or endings mixed in one file).
    const cursor = lineCursor(text);
    while (cursor.advance()) {
      line += 1;
      if (isBlank(text, cursor.start, cursor.end)) continue;
      const outcome = visitJsonText(text.slice(cursor.start, cursor.end), line, visitor);
      if (outcome) await outcome;
    }
  }
}
