/**
 * Validation and coercion of raw records against a dataset definition. Pure module: the processor,
 * the benchmark and the tests run the same code.
 *
 * A record is coerced column by column into a positional array (the order of `dataset.columns`), so
 * that the Parquet buffers can append values without building an object per row. Fields that are not
 * columns of the dataset are ignored; a missing or empty optional field becomes null.
 */
import type { ColumnDefinition, ColumnType, DatasetDefinition } from "./datasets";

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
  | "invalid_value";

export interface Rejection {
  readonly reason: RejectionReason;
  readonly detail: string;
  /** The column at fault, for `missing_required` and `invalid_value`. */
  readonly column?: string;
}

/** A coerced value as the Parquet writer takes it: timestamps as epoch milliseconds, dates as epoch days. */
export type CoercedValue = string | number | bigint | boolean | Record<string, string | null> | null;

/** Coerces one field; returns `INVALID` (with the reason in `detail`) when the value does not fit. */
type FieldCoercer = (value: unknown) => CoercedValue | typeof INVALID;

const INVALID = Symbol("invalid");

export const INT32_MIN = -2147483648;
export const INT32_MAX = 2147483647;
export const INTEGER_TEXT = /^[+-]?\d+$/;
// ISO 8601 date, optionally with a time and a zone; a time without a zone is read as UTC.
export const TIMESTAMP_TEXT = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;
export const DATE_TEXT = /^(\d{4})-(\d{2})-(\d{2})$/;
const MILLIS_PER_DAY = 86_400_000;

function coerceString(value: unknown): CoercedValue | typeof INVALID {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return INVALID;
}

function coerceInt(value: unknown): CoercedValue | typeof INVALID {
  const number = typeof value === "number" ? value : typeof value === "string" && INTEGER_TEXT.test(value.trim()) ? Number(value) : NaN;
  return Number.isInteger(number) && number >= INT32_MIN && number <= INT32_MAX ? number : INVALID;
}

function coerceBigint(value: unknown): CoercedValue | typeof INVALID {
  if (typeof value === "number") return Number.isSafeInteger(value) ? BigInt(value) : INVALID;
  if (typeof value === "string" && INTEGER_TEXT.test(value.trim())) {
    const parsed = BigInt(value.trim());
    return parsed >= -(2n ** 63n) && parsed < 2n ** 63n ? parsed : INVALID;
  }
  return INVALID;
}

function coerceDouble(value: unknown): CoercedValue | typeof INVALID {
  const number = typeof value === "number" ? value : typeof value === "string" && value.trim() !== "" ? Number(value) : NaN;
  return Number.isFinite(number) ? number : INVALID;
}

function coerceBoolean(value: unknown): CoercedValue | typeof INVALID {
  if (typeof value === "boolean") return value;
  if (typeof value === "string") {
    const text = value.trim().toLowerCase();
    if (text === "true") return true;
    if (text === "false") return false;
  }
  return INVALID;
}

/** Checks the calendar fields too: `Date` silently rolls 2026-02-30 over to March. */
function validCalendarDay(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  return day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
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
    dayStart = validCalendarDay(year, month, day) ? Date.UTC(year, month - 1, day) : INVALID;
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
  return (value) => {
    if (typeof value !== "string") return INVALID;
    return canonicalUtcTimestamp(value, dayStarts) ?? coerceTimestamp(value);
  };
}

function coerceTimestamp(value: unknown): CoercedValue | typeof INVALID {
  if (typeof value !== "string") return INVALID;
  const match = TIMESTAMP_TEXT.exec(value.trim());
  if (match === null) return INVALID;
  const [, year, month, day, hour = "00", minute = "00", second = "00", fraction = "", zone] = match;
  if (!validCalendarDay(Number(year), Number(month), Number(day))) return INVALID;
  if (Number(hour) > 23 || Number(minute) > 59 || Number(second) > 59) return INVALID;
  const offset = zone === undefined || zone.toUpperCase() === "Z" ? "Z" : zone.length === 3 ? `${zone}:00` : zone.includes(":") ? zone : `${zone.slice(0, 3)}:${zone.slice(3)}`;
  // Parquet TIMESTAMP_MILLIS: sub-millisecond digits are truncated.
  const millis = fraction === "" ? "" : fraction.slice(0, 4).padEnd(4, "0");
  const instant = Date.parse(`${year}-${month}-${day}T${hour}:${minute}:${second}${millis}${offset}`);
  return Number.isNaN(instant) ? INVALID : instant;
}

function coerceDate(value: unknown): CoercedValue | typeof INVALID {
  if (typeof value !== "string") return INVALID;
  const match = DATE_TEXT.exec(value.trim());
  if (match === null || !validCalendarDay(Number(match[1]), Number(match[2]), Number(match[3]))) return INVALID;
  return Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])) / MILLIS_PER_DAY;
}

/** A map<string,string> comes as a JSON object (a JSON text in CSV); scalar values become strings. */
function coerceStringMap(value: unknown): CoercedValue | typeof INVALID {
  let candidate = value;
  if (typeof candidate === "string") {
    try {
      candidate = JSON.parse(candidate);
    } catch {
      return INVALID;
    }
  }
  if (typeof candidate !== "object" || candidate === null || Array.isArray(candidate)) return INVALID;
  const entries = candidate as Record<string, unknown>;
  let converted: Record<string, string | null> | undefined;
  for (const key in entries) {
    const entry = entries[key];
    if (typeof entry === "string" || entry === null) continue;
    if (typeof entry !== "number" && typeof entry !== "boolean") return INVALID;
    // Copy only when a value needs converting: most maps are already string-valued.
    converted ??= { ...(entries as Record<string, string | null>) };
    converted[key] = String(entry);
  }
  return converted ?? (entries as Record<string, string | null>);
}

const COERCERS: Readonly<Record<ColumnType, FieldCoercer>> = {
  string: coerceString,
  int: coerceInt,
  bigint: coerceBigint,
  double: coerceDouble,
  boolean: coerceBoolean,
  timestamp: coerceTimestamp,
  date: coerceDate,
  "map<string,string>": coerceStringMap,
};

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

function describe(value: unknown): string {
  const text = typeof value === "string" ? JSON.stringify(value) : typeof value === "object" ? JSON.stringify(value) : String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/**
 * Coerces a parsed record into `out` (one slot per column, in the dataset's column order).
 *
 * @returns undefined when the record is valid, otherwise why it is rejected.
 */
export type RecordCoercer = (record: Readonly<Record<string, unknown>>, out: CoercedValue[]) => Rejection | undefined;

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
  return (record, out) => {
    for (let index = 0; index < columns.length; index++) {
      const column = columns[index]!;
      const raw = record[column.name];
      if (raw === undefined || raw === null || raw === "") {
        if (column.required) return { reason: "missing_required", column: column.name, detail: `${column.name} is required` };
        out[index] = null;
        continue;
      }
      const value = coercers[index]!(raw);
      if (value === INVALID) {
        return { reason: "invalid_value", column: column.name, detail: `${column.name} must be ${EXPECTED[column.type]}, got ${describe(raw)}` };
      }
      out[index] = value;
    }
    return undefined;
  };
}
