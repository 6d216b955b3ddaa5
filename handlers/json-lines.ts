/**
 * JSON Lines: one JSON object per line, from the line splitter's pieces. Blank lines are skipped and
 * not counted as records; lines end at LF, CRLF or CR.
 *
 * Each line is parsed on its own. Parsing groups of lines as one array (`[l1,l2,…]`) measured the
 * same within noise here, and could accept lines that are each invalid: `{"a":1},{"b":1}` followed
 * by `{"c":[[{}` and `{}]]}` parse as three objects for three lines. One parse per line cannot.
 */
import { lineCursor, type LinePiece } from "./line-splitter";
import type { RecordVisitor } from "./record-readers";

const BOM = 0xfeff;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

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
  if (!isRecord(parsed)) return visitor.unreadable(line, { reason: "not_an_object", detail: `expected a JSON object, got ${describeJson(parsed)}` }, text);
  return visitor.record(parsed, line, text, true);
}

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
  for await (const piece of pieces) {
    if (piece.kind === "rejected") {
      line += 1;
      const outcome = visitor.unreadable(line, piece.rejection, piece.raw);
      if (outcome) await outcome;
      continue;
    }
    const { text } = piece;
    if (piece.crs === false || text.indexOf("\r") === -1 || onlyCrlf(text)) {
      // The common case: lines end at LF (a CR before it is stripped).
      let start = 0;
      while (start < text.length) {
        const newline = text.indexOf("\n", start);
        const next = newline === -1 ? text.length : newline + 1;
        let end = newline === -1 ? text.length : newline;
        if (end > start && text.charCodeAt(end - 1) === 13) end -= 1;
        line += 1;
        if (!isBlank(text, start, end)) {
          const outcome = visitJsonText(text.slice(start, end), line, visitor);
          if (outcome) await outcome;
        }
        start = next;
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
