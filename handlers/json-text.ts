/**
 * Reading a JSON text that `JSON.parse` has already accepted, for what `JSON.parse` throws away: the
 * exact text of a number (`9007199254740993`, `1e400` and `1.50` come back as `…992`, `Infinity`
 * and `1.5`) and keys written twice (the last value wins, silently). Pure module, iterative (no
 * recursion, so no depth can overflow the stack), and used only on the slow path: the record
 * coercer asks for it when a string column receives a number, or when a record's text is longer
 * than its parsed values account for (see `handlers/coerce.ts`).
 */

const QUOTE = 34;
const BACKSLASH = 92;

function isWhitespace(code: number): boolean {
  return code === 32 || code === 10 || code === 13 || code === 9;
}

function skipWhitespace(text: string, at: number): number {
  while (at < text.length && isWhitespace(text.charCodeAt(at))) at += 1;
  return at;
}

/** The index just after the string that starts (with its quote) at `at`, or -1 when unterminated. */
function stringEnd(text: string, at: number): number {
  let end = text.indexOf('"', at + 1);
  while (end !== -1) {
    let backslashes = 0;
    while (text.charCodeAt(end - 1 - backslashes) === BACKSLASH) backslashes += 1;
    if (backslashes % 2 === 0) return end + 1;
    end = text.indexOf('"', end + 1);
  }
  return -1;
}

/** The index just after the value that starts at `at` (a container is skipped to its matching end). */
function valueEnd(text: string, at: number): number {
  const first = text.charCodeAt(at);
  if (first === QUOTE) return stringEnd(text, at);
  if (first !== 123 /* { */ && first !== 91 /* [ */) {
    let end = at;
    while (end < text.length) {
      const code = text.charCodeAt(end);
      if (code === 44 /* , */ || code === 125 /* } */ || code === 93 /* ] */ || isWhitespace(code)) break;
      end += 1;
    }
    return end;
  }
  let depth = 0;
  for (let index = at; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code === QUOTE) {
      index = stringEnd(text, index) - 1;
      if (index < 0) return -1;
    } else if (code === 123 || code === 91) depth += 1;
    else if (code === 125 || code === 93) {
      depth -= 1;
      if (depth === 0) return index + 1;
    }
  }
  return -1;
}

/** One `"key": value` of an object: the decoded key and where its value's text lies. */
export interface JsonMember {
  readonly key: string;
  readonly valueStart: number;
  readonly valueEnd: number;
}

function decodeKey(raw: string): string {
  return raw.includes("\\") ? (JSON.parse(raw) as string) : raw.slice(1, -1);
}

/**
 * The members of the object whose `{` is at `at`, in text order (repeated keys included).
 *
 * @example [...objectMembers('{"a":1,"a":2}', 0)].map((m) => m.key) // ["a", "a"]
 */
export function* objectMembers(text: string, at: number): Generator<JsonMember> {
  if (text.charCodeAt(at) !== 123) return;
  let cursor = skipWhitespace(text, at + 1);
  if (text.charCodeAt(cursor) === 125) return;
  while (cursor < text.length && text.charCodeAt(cursor) === QUOTE) {
    const keyEnd = stringEnd(text, cursor);
    if (keyEnd < 0) return;
    const key = decodeKey(text.slice(cursor, keyEnd));
    const colon = skipWhitespace(text, keyEnd);
    if (text.charCodeAt(colon) !== 58 /* : */) return;
    const valueStart = skipWhitespace(text, colon + 1);
    const end = valueEnd(text, valueStart);
    if (end < 0) return;
    yield { key, valueStart, valueEnd: end };
    cursor = skipWhitespace(text, end);
    if (text.charCodeAt(cursor) !== 44) return;
    cursor = skipWhitespace(text, cursor + 1);
  }
}

/**
 * The exact text of the value at a path of object keys, as written (the last one when a key repeats,
 * as `JSON.parse` keeps the last), or undefined when there is none.
 *
 * @example memberText('{"id":9007199254740993,"m":{"n":1.50}}', ["m", "n"]) // "1.50"
 */
export function memberText(text: string, path: readonly string[]): string | undefined {
  let at = skipWhitespace(text, 0);
  let found: JsonMember | undefined;
  for (const key of path) {
    found = undefined;
    for (const member of objectMembers(text, at)) if (member.key === key) found = member;
    if (found === undefined) return undefined;
    at = found.valueStart;
  }
  return found === undefined ? undefined : text.slice(found.valueStart, found.valueEnd);
}

/**
 * The first key written twice in the top-level object, or inside the object value of one of the
 * `nested` top-level keys (reported as `parent.key`); undefined when every key is written once.
 * Repeats elsewhere (inside fields that are not read) are not reported: nothing of them is kept.
 *
 * @example duplicateKey('{"a":1,"m":{"k":"x","k":"y"}}', new Set(["m"])) // "m.k"
 */
export function duplicateKey(text: string, nested?: ReadonlySet<string>): string | undefined {
  const top = new Set<string>();
  for (const member of objectMembers(text, skipWhitespace(text, 0))) {
    if (top.has(member.key)) return member.key;
    top.add(member.key);
    if (nested === undefined || !nested.has(member.key)) continue;
    const inner = new Set<string>();
    for (const child of objectMembers(text, member.valueStart)) {
      if (inner.has(child.key)) return `${member.key}.${child.key}`;
      inner.add(child.key);
    }
  }
  return undefined;
}

/**
 * The fewest characters any JSON text of the number `value` takes (`100000` can be written `1e5`),
 * a lower bound used to tell whether a record's text holds more than its parsed values.
 *
 * @example minimumNumberTextLength(100000) === 3; minimumNumberTextLength(-12.5) === 3
 */
export function minimumNumberTextLength(value: number): number {
  if (!Number.isFinite(value)) return 1;
  const sign = value < 0 ? 1 : 0;
  const magnitude = Math.abs(value);
  if (Number.isInteger(magnitude) && magnitude < 1e21) {
    let digits = 1;
    for (let limit = 10; magnitude >= limit && digits < 21; limit *= 10) digits += 1;
    let zeros = 0;
    for (let rest = magnitude; rest >= 10 && rest % 10 === 0; rest /= 10) zeros += 1;
    // `123000` may be written `123e3`: significant digits, "e", the exponent's digits.
    return sign + (zeros > 0 ? Math.min(digits, digits - zeros + 1 + String(zeros).length) : digits);
  }
  // Any other number needs at least its significant digits.
  const significant = String(magnitude).replace(/e.*$/i, "").replace(".", "").replace(/^0+/, "").length;
  return sign + Math.max(1, significant);
}
