/**
 * Deterministic sample records of the registry's datasets, their raw encodings (JSON Lines, CSV,
 * gzip), and the answers the seed's queries must give over them. Used by the integration tests and
 * by `npm run demo`.
 *
 * `sampleRows` generates rows for any dataset from its column definitions, so a dataset added to the
 * registry has sample data without an edit here; `sampleEvents` and `SAMPLE_USERS` are hand-written
 * for the seed's named queries (event types to count, users to join).
 */
import { gzipSync } from "node:zlib";
import type { ColumnDefinition, ColumnType, DatasetDefinition, RawFormat } from "../../handlers/datasets";

/**
 * A dataset name that no one would register: the tests' and the demo's example of an object landing
 * in an unknown dataset folder. Never use a plausible name (`orders`) for this: registering it would
 * break the example.
 */
export const UNREGISTERED_DATASET = "zz_never_registered_example";

/** A dataset with one column of every type, to test coercion and the Parquet mapping of each. */
export const ALL_TYPES: DatasetDefinition = {
  name: "all_types",
  description: "Test dataset: one column of each type.",
  columns: [
    { name: "s", type: "string", required: true, description: "" },
    { name: "i", type: "int", required: false, description: "" },
    { name: "b", type: "bigint", required: false, description: "" },
    { name: "d", type: "double", required: false, description: "" },
    { name: "f", type: "boolean", required: false, description: "" },
    { name: "t", type: "timestamp", required: false, description: "" },
    { name: "day", type: "date", required: false, description: "" },
    { name: "m", type: "map<string,string>", required: false, description: "" },
  ],
  formats: ["jsonl", "csv"],
};

export interface SampleEvent {
  readonly event_id: string;
  readonly user_id: number;
  readonly event_timestamp: string;
  readonly event_type: string;
  readonly properties: Readonly<Record<string, string>>;
}

export interface SampleUser {
  readonly user_id: number;
  readonly email: string;
  readonly name: string;
  readonly country: string;
  readonly signup_timestamp: string;
}

const EVENT_TYPES = ["page_view", "add_to_cart", "purchase", "page_view", "search"] as const;

export const SAMPLE_USERS: readonly SampleUser[] = [
  { user_id: 1, email: "ada@example.com", name: "Ada", country: "GB", signup_timestamp: "2026-01-10T09:00:00Z" },
  { user_id: 2, email: "lin@example.com", name: "Lin", country: "SG", signup_timestamp: "2026-02-11T10:30:00Z" },
  { user_id: 3, email: "sam@example.com", name: "Sam, Jr.", country: "US", signup_timestamp: "2026-03-12T12:45:00Z" },
];

/**
 * `count` events on a UTC day, spread over its hours, cycling through types and users.
 *
 * @example sampleEvents("2026-11-01", 5, "a") // 5 events on 2026-11-01 with ids a-0 … a-4
 */
export function sampleEvents(day: string, count: number, idPrefix: string): SampleEvent[] {
  return Array.from({ length: count }, (_, index) => ({
    event_id: `${idPrefix}-${index}`,
    user_id: SAMPLE_USERS[index % SAMPLE_USERS.length]!.user_id,
    event_timestamp: `${day}T${String((index * 5) % 24).padStart(2, "0")}:${String((index * 7) % 60).padStart(2, "0")}:00Z`,
    event_type: EVENT_TYPES[index % EVENT_TYPES.length]!,
    properties: { page: `/p/${index % 4}`, source: index % 2 === 0 ? "web" : "app" },
  }));
}

export function jsonLines(records: readonly object[]): string {
  return records.map((record) => JSON.stringify(record)).join("\n") + "\n";
}

function csvField(value: unknown): string {
  if (value === undefined || value === null) return "";
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** CSV with a header row; nested values (the properties map) as JSON text, missing values as empty fields. */
export function csv(records: readonly object[], columns: readonly string[]): string {
  const rows = records.map((record) => columns.map((column) => csvField((record as Record<string, unknown>)[column])).join(","));
  return [columns.join(","), ...rows].join("\n") + "\n";
}

export const EVENT_COLUMNS = ["event_id", "user_id", "event_timestamp", "event_type", "properties"] as const;
export const USER_COLUMNS = ["user_id", "email", "name", "country", "signup_timestamp"] as const;

export function gzip(text: string): Buffer {
  return gzipSync(Buffer.from(text, "utf8"));
}

/** The seed's "events per type for one day" over sample events: `[{ event_type, events }]`, most first. */
export function expectedEventsPerType(events: readonly SampleEvent[], day: string): Array<{ event_type: string; events: number }> {
  const counts = new Map<string, number>();
  for (const event of events.filter((candidate) => candidate.event_timestamp.startsWith(day))) {
    counts.set(event.event_type, (counts.get(event.event_type) ?? 0) + 1);
  }
  return [...counts]
    .map(([event_type, events]) => ({ event_type, events }))
    .sort((left, right) => right.events - left.events || left.event_type.localeCompare(right.event_type));
}

/** The seed's "events per user joined with users" for one day: `[{ user_id, email, country, events }]`. */
export function expectedEventsPerUser(events: readonly SampleEvent[], users: readonly SampleUser[], day: string): Array<{ user_id: number; email: string; country: string; events: number }> {
  const counts = new Map<number, number>();
  for (const event of events.filter((candidate) => candidate.event_timestamp.startsWith(day))) {
    counts.set(event.user_id, (counts.get(event.user_id) ?? 0) + 1);
  }
  return users
    .filter((user) => counts.has(user.user_id))
    .map((user) => ({ user_id: user.user_id, email: user.email, country: user.country, events: counts.get(user.user_id)! }))
    .sort((left, right) => right.events - left.events || left.user_id - right.user_id);
}

export interface SampleRowsOptions {
  /** How many rows. */
  readonly count: number;
  /** The UTC day (YYYY-MM-DD) timestamps and dates fall on; default 2026-11-01. */
  readonly day?: string;
  /** Prefix of string values, so that two batches never share a value; default the dataset's name. */
  readonly idPrefix?: string;
}

/** A value of each column type for row `index`: valid for the processor, distinct per row where the type allows. */
const SAMPLE_VALUES: Readonly<Record<ColumnType, (column: ColumnDefinition, index: number, day: string, prefix: string) => unknown>> = {
  string: (column, index, _day, prefix) => `${prefix}-${column.name}-${index}`,
  int: (_column, index) => index + 1,
  bigint: (_column, index) => 10_000_000_000 + index,
  double: (_column, index) => index + 0.25,
  boolean: (_column, index) => index % 2 === 0,
  timestamp: (_column, index, day) => `${day}T${String((index * 5) % 24).padStart(2, "0")}:${String((index * 7) % 60).padStart(2, "0")}:00Z`,
  date: (_column, _index, day) => day,
  "map<string,string>": (_column, index) => ({ sample: String(index), parity: index % 2 === 0 ? "even" : "odd" }),
};

/**
 * `count` valid rows of any dataset, generated from its column definitions: every required column
 * has a value; optional columns are left out of every fourth row (read back as NULL). Timestamps fall
 * on `day`, so a partitioned dataset lands in that day's partition.
 *
 * @example
 * ```ts
 * sampleRows(USERS, { count: 2, idPrefix: "a" });
 * // [{ user_id: 1, email: "a-email-0", name: "a-name-0", country: "a-country-0", signup_timestamp: "2026-11-01T00:00:00Z" }, …]
 * ```
 */
export function sampleRows(dataset: DatasetDefinition, options: SampleRowsOptions): Record<string, unknown>[] {
  const day = options.day ?? "2026-11-01";
  const prefix = options.idPrefix ?? dataset.name;
  return Array.from({ length: options.count }, (_, index) =>
    Object.fromEntries(
      dataset.columns
        .filter((column) => column.required || index % 4 !== 3)
        .map((column) => [column.name, SAMPLE_VALUES[column.type](column, index, day, prefix)]),
    ),
  );
}

/**
 * Rows encoded as a dataset accepts them in `format`: JSON Lines, or CSV with a header row of every
 * column (maps as JSON text, missing values as empty fields).
 *
 * @example encodeRows(USERS, sampleRows(USERS, { count: 3 }), "csv").split("\n")[0]; // "user_id,email,name,country,signup_timestamp"
 */
export function encodeRows(dataset: DatasetDefinition, rows: readonly Record<string, unknown>[], format: RawFormat): string {
  return format === "jsonl" ? jsonLines(rows) : csv(rows, dataset.columns.map((column) => column.name));
}

/** The file extension of a raw format, as producers name their files. */
export const FORMAT_EXTENSIONS: Readonly<Record<RawFormat, string>> = { jsonl: "jsonl", csv: "csv" };
