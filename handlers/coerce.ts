/**
 * Validation and coercion of raw records against a dataset definition. Pure module: the processor,
 * the benchmark and the tests run the same code.
 *
 * A record is coerced column by column into a positional array (the order of `dataset.columns`), so
 * that the Parquet buffers can append values without building an object per row. Fields that are not
 * columns of the dataset are ignored; a missing or empty optional field becomes null.
 *
 * Nothing a record holds can make validation throw: nested values are rejected without being walked
 * (a map's entries must be scalars) and described without `JSON.stringify` (which overflows the stack
 * on deep values), so a hostile record costs its own line only.
 */
import type { ColumnDefinition, ColumnType, DatasetDefinition } from "./datasets";
import { daysFromCivil, isCalendarDay, utcDayStart } from "./civil-time";
import { duplicateKey as findDuplicateKey, memberText, minimumNumberTextLength } from "./json-text";

/** Why a record was rejected; the values are written to `rejected/` and counted in logs. */
export type RejectionReason =
  /** The JSON Lines line is not valid JSON. */
  | "malformed_json"
  /** The line is valid JSON but not an object (array, string, number…). */
  | "not_an_object"
  /** The CSV row cannot be read (unbalanced quotes, a different number of fields than the header). */
  | "malformed_csv"
  /** A required column has no value. */
  | "missing_required"
  /** A value cannot be coerced to its column's type. */
  | "invalid_value"
  /** The line (or CSV record, or element of a JSON array) is longer than the configured maximum. */
  | "record_too_large"
  /** The bytes are not UTF-8, or a JSON string holds a lone surrogate, which UTF-8 cannot encode. */
  | "invalid_utf8"
  /** A key is written twice (JSON), or the CSV header names a column twice: which value holds is ambiguous. */
  | "duplicate_key"
  /** The partition column's year is outside the Athena partition projection: the row would be invisible. */
  | "out_of_range"
  /** Validating the record threw (a defect of the processor): the record is kept here instead of failing the file. */
  | "validation_error";

export interface Rejection {
  readonly reason: RejectionReason;
  readonly detail: string;
  /** The column at fault, for `missing_required`, `invalid_value`, `invalid_utf8`, `duplicate_key` and `out_of_range`. */
  readonly column?: string;
}

/** A coerced value as the Parquet writer takes it: timestamps as epoch milliseconds, dates as epoch days. */
export type CoercedValue = string | number | bigint | boolean | Record<string, string | null> | null;

/**
 * A record's JSON text, read only when needed: its length on every record (see `duplicateSuspected`),
 * its characters only on the slow path (a number read into a text column, a suspected repeated key).
 */
export interface JsonText {
  /** Length of the text, in UTF-16 code units. */
  readonly length: number;
  /** Whether the text may hold a `\u` escape: only then can a string hold a lone surrogate. */
  readonly escapes: boolean;
  text(): string;
}

/** A JSON text held as a string. */
export function jsonText(text: string): JsonText {
  return { length: text.length, escapes: text.includes("\\u"), text: () => text };
}

const INVALID = Symbol("invalid");
/** A string that UTF-8 cannot encode (a lone surrogate): Parquet's writer would replace it silently. */
const UNENCODABLE = Symbol("unencodable");
/** A map written as JSON text (CSV) with a key written twice. */
const REPEATED_KEY = Symbol("repeated key");
type Failure = typeof INVALID | typeof UNENCODABLE | typeof REPEATED_KEY;

/**
 * Whether a coercer's result is a failure, by identity. Not `typeof … === "symbol"`: Pulumi's closure
 * serializer recreates module-level symbols as plain objects in the uploaded code (checked: the
 * processor's upload failed every file with "Symbol.prototype [@@toPrimitive] requires that 'this'
 * be a Symbol"), so only identity comparisons hold in Lambda.
 */
function isFailure(value: unknown): value is Failure {
  return value === INVALID || value === UNENCODABLE || value === REPEATED_KEY;
}

/**
 * What a field coercer may read besides the value: the record's source text, and the running lower
 * bound of the record's text length (see `duplicateSuspected`).
 */
interface FieldState {
  column: string;
  /** The record's JSON text (a JSON Lines line, an element of a JSON array); CSV records have none. */
  source: JsonText | undefined;
  /**
   * Whether strings may hold lone surrogates. Valid UTF-8 cannot encode one, so only a JSON `\u`
   * escape can make one: a line without `\u` skips the check on every value.
   */
  escapes: boolean;
  /** Shortest text the values coerced so far could have been written as (keys included). */
  textBound: number;
}

/** Coerces one field; returns a failure symbol when the value does not fit. */
type FieldCoercer = (value: unknown, state: FieldState) => CoercedValue | Failure;

export const INT32_MIN = -2147483648;
export const INT32_MAX = 2147483647;
/** The range of Parquet INT64 (Athena bigint). */
export const INT64_MIN = -(2n ** 63n);
export const INT64_MAX = 2n ** 63n - 1n;
export const INTEGER_TEXT = /^[+-]?\d+$/;
export const JSON_INTEGER_TEXT = /^-?\d+$/;
// ISO 8601 date, optionally with a time and a zone; a time without a zone is read as UTC.
export const TIMESTAMP_TEXT = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;
export const DATE_TEXT = /^(\d{4})-(\d{2})-(\d{2})$/;
/** The smallest text a key written twice adds: `,"":0`. */
const REPEATED_MEMBER_CHARS = 5;

/** `String.prototype.isWellFormed` (ES2024; Node 20+), typed here because the project compiles against ES2022. */
function isWellFormed(text: string): boolean {
  return (text as string & { isWellFormed(): boolean }).isWellFormed();
}

/** The exact text of the JSON number at `path` in `source`, or undefined when it is not there. */
function numberText(source: string, path: readonly string[]): string | undefined {
  const text = memberText(source, path);
  return text !== undefined && text.length > 0 && text.charCodeAt(0) !== 34 /* " */ ? text : undefined;
}

/** The exact text of a JSON number read into a text target, or undefined when the source does not hold it. */
function numberLexeme(state: FieldState, key?: string): string | undefined {
  return state.source === undefined ? undefined : numberText(state.source.text(), key === undefined ? [state.column] : [state.column, key]);
}

function coerceString(value: unknown, state: FieldState): CoercedValue | Failure {
  if (typeof value === "string") {
    if (state.escapes && !isWellFormed(value)) return UNENCODABLE;
    state.textBound += value.length + 2;
    return value;
  }
  if (typeof value === "number") {
    // The number as written (`1.50` stays "1.50"); without a source (a caller holding only values),
    // its shortest form.
    const text = state.source === undefined ? String(value) : numberLexeme(state);
    if (text === undefined) return INVALID;
    state.textBound += text.length;
    return text;
  }
  if (typeof value === "boolean") {
    state.textBound += value ? 4 : 5;
    return String(value);
  }
  return INVALID;
}

function coerceInt(value: unknown, state: FieldState): CoercedValue | Failure {
  let number: number;
  if (typeof value === "number") {
    number = value;
    state.textBound += minimumNumberTextLength(value);
  } else if (typeof value === "string" && INTEGER_TEXT.test(value.trim())) {
    number = Number(value);
    state.textBound += value.length + 2;
  } else return INVALID;
  return Number.isInteger(number) && number >= INT32_MIN && number <= INT32_MAX ? number : INVALID;
}

function bigintInRange(parsed: bigint): CoercedValue | Failure {
  return parsed >= INT64_MIN && parsed <= INT64_MAX ? parsed : INVALID;
}

function coerceBigint(value: unknown, state: FieldState): CoercedValue | Failure {
  if (typeof value === "number") {
    state.textBound += minimumNumberTextLength(value);
    if (Number.isSafeInteger(value)) return BigInt(value);
    // Beyond 2^53 the parsed number is rounded: read the integer as written.
    const text = numberLexeme(state);
    return text !== undefined && JSON_INTEGER_TEXT.test(text) ? bigintInRange(BigInt(text)) : INVALID;
  }
  if (typeof value === "string" && INTEGER_TEXT.test(value.trim())) {
    state.textBound += value.length + 2;
    return bigintInRange(BigInt(value.trim()));
  }
  return INVALID;
}

function coerceDouble(value: unknown, state: FieldState): CoercedValue | Failure {
  let number: number;
  if (typeof value === "number") {
    number = value;
    state.textBound += minimumNumberTextLength(value);
  } else if (typeof value === "string" && value.trim() !== "") {
    number = Number(value);
    state.textBound += value.length + 2;
  } else return INVALID;
  return Number.isFinite(number) ? number : INVALID;
}

function coerceBoolean(value: unknown, state: FieldState): CoercedValue | Failure {
  if (typeof value === "boolean") {
    state.textBound += value ? 4 : 5;
    return value;
  }
  if (typeof value === "string") {
    state.textBound += value.length + 2;
    const text = value.trim().toLowerCase();
    if (text === "true") return true;
    if (text === "false") return false;
  }
  return INVALID;
}

/** Start of each calendar day seen (YYYYMMDD → epoch ms, or INVALID): a file holds few distinct days. */
type DayStarts = Map<number, number | typeof INVALID>;
const DAY_CACHE_LIMIT = 4096;

function digit(text: string, at: number): number {
  const code = text.charCodeAt(at) - 48;
  return code >= 0 && code <= 9 ? code : NaN;
}

function twoDigits(text: string, at: number): number {
  return digit(text, at) * 10 + digit(text, at + 1);
}

/**
 * The canonical UTC form `YYYY-MM-DDTHH:MM:SS[.sss]Z` (what `toISOString` writes, and most producers)
 * without regex or `Date.parse`: this is the hot path of every events row (bench/processor.ts
 * measured timestamp parsing at 12 % of the conversion before it existed). Returns undefined when
 * the text is in another form, which the general parser then handles.
 */
function canonicalUtcTimestamp(text: string, dayStarts: DayStarts): number | typeof INVALID | undefined {
  const length = text.length;
  if ((length !== 20 && length !== 24) || text.charCodeAt(length - 1) !== 90 /* Z */) return undefined;
  if (text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45 || text.charCodeAt(10) !== 84 || text.charCodeAt(13) !== 58 || text.charCodeAt(16) !== 58) return undefined;
  if (length === 24 && text.charCodeAt(19) !== 46) return undefined;
  const year = twoDigits(text, 0) * 100 + twoDigits(text, 2);
  const month = twoDigits(text, 5);
  const day = twoDigits(text, 8);
  if (Number.isNaN(year + month + day)) return INVALID;
  // A number key rather than the `YYYY-MM-DD` slice: no string to allocate and hash per value.
  const dayKey = year * 10_000 + month * 100 + day;
  let dayStart = dayStarts.get(dayKey);
  if (dayStart === undefined) {
    dayStart = isCalendarDay(year, month, day) ? utcDayStart(year, month, day) : INVALID;
    if (dayStarts.size >= DAY_CACHE_LIMIT) dayStarts.clear();
    dayStarts.set(dayKey, dayStart);
  }
  if (dayStart === INVALID) return INVALID;
  const hour = twoDigits(text, 11);
  const minute = twoDigits(text, 14);
  const second = twoDigits(text, 17);
  const millis = length === 24 ? digit(text, 20) * 100 + twoDigits(text, 21) : 0;
  if (!(hour <= 23 && minute <= 59 && second <= 59 && millis >= 0)) return INVALID;
  return dayStart + hour * 3_600_000 + minute * 60_000 + second * 1000 + millis;
}

/** One day cache per coercer (not at module level, which Pulumi's closure serializer would capture). */
function timestampCoercer(): FieldCoercer {
  const dayStarts: DayStarts = new Map();
  return (value, state) => {
    if (typeof value !== "string") return INVALID;
    state.textBound += value.length + 2;
    return canonicalUtcTimestamp(value, dayStarts) ?? generalTimestamp(value);
  };
}

function generalTimestamp(value: string): CoercedValue | Failure {
  const match = TIMESTAMP_TEXT.exec(value.trim());
  if (match === null) return INVALID;
  const [, year, month, day, hour = "00", minute = "00", second = "00", fraction = "", zone] = match;
  if (!isCalendarDay(Number(year), Number(month), Number(day))) return INVALID;
  if (Number(hour) > 23 || Number(minute) > 59 || Number(second) > 59) return INVALID;
  // Parquet TIMESTAMP_MILLIS: sub-millisecond digits are truncated.
  const millis = fraction === "" ? 0 : Number(fraction.slice(1, 4).padEnd(3, "0"));
  const offsetMinutes = zone === undefined || zone.toUpperCase() === "Z" ? 0 : zoneOffsetMinutes(zone);
  const instant = utcDayStart(Number(year), Number(month), Number(day)) + ((Number(hour) * 60 + Number(minute) - offsetMinutes) * 60 + Number(second)) * 1000 + millis;
  return Number.isFinite(instant) ? instant : INVALID;
}

/** `+05:30`, `+0530` or `+05` → 330 minutes east of UTC; NaN for an offset beyond 23:59. */
function zoneOffsetMinutes(zone: string): number {
  const sign = zone.startsWith("-") ? -1 : 1;
  const digits = zone.slice(1).replace(":", "");
  const hours = Number(digits.slice(0, 2));
  const minutes = Number(digits.slice(2, 4) || "0");
  return hours <= 23 && minutes <= 59 ? sign * (hours * 60 + minutes) : NaN;
}

function coerceDate(value: unknown, state: FieldState): CoercedValue | Failure {
  if (typeof value !== "string") return INVALID;
  state.textBound += value.length + 2;
  const match = DATE_TEXT.exec(value.trim());
  if (match === null || !isCalendarDay(Number(match[1]), Number(match[2]), Number(match[3]))) return INVALID;
  return daysFromCivil(Number(match[1]), Number(match[2]), Number(match[3]));
}

/** A map's converted entries and the shortest text they could be written as. */
type MapEntries = { readonly map: Record<string, string | null>; readonly textBound: number };

/**
 * Reads a parsed object as map entries: scalar values become text, a number as it is written (read
 * from `mapText`, the map's own JSON text, else from the record's source under `state.column`; its
 * shortest form when there is neither). Nested values are rejected without being walked.
 */
function mapEntries(value: unknown, state: FieldState, mapText: string | undefined): MapEntries | Failure {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return INVALID;
  const entries = value as Record<string, unknown>;
  let textBound = 1;
  let converted: Record<string, string | null> | undefined;
  for (const key in entries) {
    const entry = entries[key];
    if (state.escapes && !isWellFormed(key)) return UNENCODABLE;
    textBound += key.length + 4;
    if (typeof entry === "string") {
      if (state.escapes && !isWellFormed(entry)) return UNENCODABLE;
      textBound += entry.length + 2;
      continue;
    }
    if (entry === null) {
      textBound += 4;
      continue;
    }
    const text =
      typeof entry === "boolean"
        ? String(entry)
        : typeof entry !== "number"
          ? undefined
          : mapText !== undefined
            ? numberText(mapText, [key])
            : state.source === undefined
              ? String(entry)
              : numberLexeme(state, key);
    if (text === undefined) return INVALID;
    textBound += text.length;
    // Copy only when a value needs converting: most maps are already string-valued.
    converted ??= { ...(entries as Record<string, string | null>) };
    converted[key] = text;
  }
  return { map: converted ?? (entries as Record<string, string | null>), textBound };
}

/** A map<string,string> comes as a JSON object, or as a JSON text in CSV. */
function coerceStringMap(value: unknown, state: FieldState): CoercedValue | Failure {
  if (typeof value === "string") return stringMapFromText(value, state);
  const read = mapEntries(value, state, undefined);
  if (isFailure(read)) return read;
  state.textBound += read.textBound;
  return read.map;
}

/** A map written as JSON text (a CSV field): numbers and repeated keys are read from that text itself. */
function stringMapFromText(text: string, state: FieldState): CoercedValue | Failure {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return INVALID;
  }
  const escapes = state.escapes;
  state.escapes = text.includes("\\u");
  const read = mapEntries(parsed, state, text);
  state.escapes = escapes;
  if (isFailure(read)) return read;
  if (duplicateSuspected(text.length, read.textBound) && findDuplicateKey(text) !== undefined) return REPEATED_KEY;
  state.textBound += text.length + 2;
  return read.map;
}

/**
 * Whether a JSON text of `length` characters may hold a key written twice, given `bound`, the
 * shortest text its parsed values could be written as: a repeated key adds at least `,"":0` that the
 * parsed values do not account for, and whitespace, escapes and long number forms add slack too.
 * False means certainly no repeat (compact producers never pay for the exact scan); true means scan.
 */
function duplicateSuspected(length: number, bound: number): boolean {
  const slack = length - bound;
  return slack < 0 || slack >= REPEATED_MEMBER_CHARS;
}

/** Stateless coercers by column type; a timestamp column gets its own (`timestampCoercer`: a day cache). */
const COERCERS: Readonly<Record<Exclude<ColumnType, "timestamp">, FieldCoercer>> = {
  string: coerceString,
  int: coerceInt,
  bigint: coerceBigint,
  double: coerceDouble,
  boolean: coerceBoolean,
  date: coerceDate,
  "map<string,string>": coerceStringMap,
};

/**
 * The wording of the coercer's rejections, as functions of what they name: the coercer builds its
 * details with them, and the Glue job's contract (handlers/glue-contract.ts) carries them as templates.
 */
export const COERCION_WORDING = {
  missingRequired: (column: string) => `${column} is required`,
  invalidValue: (column: string, expected: string, value: string) => `${column} must be ${expected}, got ${value}`,
  loneSurrogate: (column: string) => `${column} holds a lone UTF-16 surrogate (a \\uD800–\\uDFFF escape without its pair), which UTF-8 cannot encode`,
  /** A map written as JSON text (a CSV field) with a key written twice. */
  mapKeyRepeated: (column: string) => `${column} writes a key twice; which value holds is ambiguous`,
  /** A record's key (or `map.key`) written twice; the key comes quoted as `JSON.stringify` quotes it. */
  keyRepeated: (quotedKey: string) => `key ${quotedKey} is written twice; which value holds is ambiguous`,
} as const;

export const EXPECTED: Readonly<Record<ColumnType, string>> = {
  string: "a string",
  int: "a 32-bit integer",
  bigint: "a 64-bit integer",
  double: "a finite number",
  boolean: "true or false",
  timestamp: "an ISO 8601 timestamp, e.g. 2026-11-20T10:00:00Z",
  date: "an ISO 8601 date, e.g. 2026-11-20",
  "map<string,string>": "an object of string values",
};

/**
 * How `describe` words a rejected value: its limits (in UTF-16 code units) and phrases. Exported for
 * the Glue job's contract (handlers/glue-contract.ts), which carries them as data.
 */
export const DESCRIBE_WORDING = {
  /** A quoted string longer than this is cut to `maxChars - ellipsis.length` units plus the ellipsis. */
  maxChars: 80,
  ellipsis: "...",
  array: (count: number | string, plural: boolean) => `an array of ${count} item${plural ? "s" : ""}`,
  object: (shownKeys: string, more: string) => `an object with keys ${shownKeys}${more}`,
  /** Keys named, each cut to `keyChars` units plus `keyEllipsis`, joined by `keySeparator`. */
  shownKeys: 3,
  keyChars: 20,
  keyEllipsis: "…",
  keySeparator: ", ",
  moreKeys: (count: number | string) => `, … (${count} keys)`,
} as const;

/**
 * A short description of a rejected value that can never throw: strings are cut before quoting,
 * containers are named rather than serialized (`JSON.stringify` overflows the stack at depth ~10 000).
 *
 * @example describe([[[1]]]) // "an array of 1 item"; describe("x".repeat(500)) // "\"xxx…\"..."
 */
export function describe(value: unknown): string {
  const wording = DESCRIBE_WORDING;
  if (typeof value === "string") {
    const text = JSON.stringify(value.length > wording.maxChars ? value.slice(0, wording.maxChars) : value);
    return text.length > wording.maxChars ? `${text.slice(0, wording.maxChars - wording.ellipsis.length)}${wording.ellipsis}` : text;
  }
  if (Array.isArray(value)) return wording.array(value.length, value.length !== 1);
  if (typeof value === "object" && value !== null) {
    const keys = Object.keys(value);
    const shown = keys.slice(0, wording.shownKeys).map((key) => JSON.stringify(key.length > wording.keyChars ? `${key.slice(0, wording.keyChars)}${wording.keyEllipsis}` : key));
    return wording.object(shown.join(wording.keySeparator), keys.length > wording.shownKeys ? wording.moreKeys(keys.length) : "");
  }
  return String(value);
}

/**
 * Coerces a parsed record into `out` (one slot per column, in the dataset's column order). `json` is
 * the record's JSON text, when it has one (JSON Lines): numbers read into text columns keep their
 * exact text, and a record whose text has a key written twice is rejected.
 *
 * @returns undefined when the record is valid, otherwise why it is rejected.
 */
export type RecordCoercer = (record: Readonly<Record<string, unknown>>, out: CoercedValue[], json?: JsonText | string) => Rejection | undefined;

/**
 * Builds the coercer of a dataset once, so that the per-record work is a loop over prepared functions.
 *
 * @example
 * ```ts
 * const coerce = recordCoercer(EVENTS);
 * const values: CoercedValue[] = [];
 * const rejection = coerce({ event_id: "e1", user_id: "7", event_timestamp: "2026-11-20T10:00:00Z", event_type: "click" }, values);
 * // rejection === undefined; values === ["e1", 7, 1763632800000, "click", null]
 * ```
 */
export function recordCoercer(dataset: DatasetDefinition): RecordCoercer {
  const columns: readonly ColumnDefinition[] = dataset.columns;
  const coercers = columns.map((column) => (column.type === "timestamp" ? timestampCoercer() : COERCERS[column.type]));
  const mapColumns: ReadonlySet<string> = new Set(columns.filter((column) => column.type === "map<string,string>").map((column) => column.name));
  const state: FieldState = { column: "", source: undefined, escapes: true, textBound: 0 };
  return (record, out, json) => {
    const source = typeof json === "string" ? jsonText(json) : json;
    state.source = source;
    // Values without a JSON text (CSV fields, or a caller's own objects) are checked one by one.
    state.escapes = source === undefined || source.escapes;
    // `{}` less the comma after the last member; each member adds `"name":` and a comma.
    state.textBound = 1;
    for (let index = 0; index < columns.length; index++) {
      const column = columns[index]!;
      const raw = record[column.name];
      if (raw === undefined) {
        if (column.required) return { reason: "missing_required", column: column.name, detail: COERCION_WORDING.missingRequired(column.name) };
        out[index] = null;
        continue;
      }
      state.textBound += column.name.length + 4;
      if (raw === null || raw === "") {
        if (column.required) return { reason: "missing_required", column: column.name, detail: COERCION_WORDING.missingRequired(column.name) };
        state.textBound += raw === null ? 4 : 2;
        out[index] = null;
        continue;
      }
      state.column = column.name;
      const value = coercers[index]!(raw, state);
      if (isFailure(value)) return fieldRejection(value, column, raw);
      out[index] = value;
    }
    if (source !== undefined && duplicateSuspected(source.length, state.textBound)) {
      const repeated = findDuplicateKey(source.text(), mapColumns);
      if (repeated !== undefined) {
        return { reason: "duplicate_key", column: repeated.split(".")[0]!, detail: COERCION_WORDING.keyRepeated(JSON.stringify(repeated)) };
      }
    }
    return undefined;
  };
}

function fieldRejection(failure: Failure, column: ColumnDefinition, raw: unknown): Rejection {
  if (failure === UNENCODABLE) {
    return { reason: "invalid_utf8", column: column.name, detail: COERCION_WORDING.loneSurrogate(column.name) };
  }
  if (failure === REPEATED_KEY) {
    return { reason: "duplicate_key", column: column.name, detail: COERCION_WORDING.mapKeyRepeated(column.name) };
  }
  return { reason: "invalid_value", column: column.name, detail: COERCION_WORDING.invalidValue(column.name, EXPECTED[column.type], describe(raw)) };
}
