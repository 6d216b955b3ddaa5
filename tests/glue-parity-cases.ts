/**
 * The parity cases of the Glue conversion against the processor, in one place: each names the rule
 * it covers and builds its raw object. tests/glue-parity.test.mts converts every case with both
 * engines and compares what they wrote with DuckDB. After a change to the processor's reading or
 * coercion rules, re-run `npx vitest run tests/glue-parity.test.mts`: a case that fails names the
 * rule where the Python (glue/datalake_glue) must follow.
 */
import { gzipSync } from "node:zlib";
import { EVENTS, USERS, type DatasetDefinition } from "../handlers/datasets.js";

/** A dataset with one column of every type, so that every coercer is compared. */
export const ALL_TYPES: DatasetDefinition = {
  name: "all_types",
  description: "Parity test dataset: one column of each type.",
  columns: [
    { name: "s", type: "string", required: true, description: "" },
    { name: "i", type: "int", required: false, description: "" },
    { name: "b", type: "bigint", required: false, description: "" },
    { name: "d", type: "double", required: false, description: "" },
    { name: "f", type: "boolean", required: false, description: "" },
    { name: "t", type: "timestamp", required: true, description: "" },
    { name: "day", type: "date", required: false, description: "" },
    { name: "m", type: "map<string,string>", required: false, description: "" },
  ],
  partitionColumn: "t",
  formats: ["jsonl", "csv"],
};

/** Datasets the cases use: the contract handed to the job is generated from these. */
export const PARITY_DATASETS: readonly DatasetDefinition[] = [EVENTS, USERS, ALL_TYPES];

export interface ParityCase {
  /** Unique, also the raw file's stem. */
  readonly id: string;
  /** The rule (or rules) the case covers. */
  readonly covers: string;
  readonly dataset: DatasetDefinition;
  /** Raw key; its extension decides the format and gzip, as for a landed object. */
  readonly key: string;
  readonly body: Buffer;
}

/**
 * Rejection reasons whose `detail` is the parser's own message (V8's JSON.parse vs Python's json):
 * their reason, line, column and record are compared, the wording is not.
 */
export const ENGINE_WORDED_REASONS: readonly string[] = ["malformed_json"];

const lines = (...entries: readonly (string | Record<string, unknown>)[]): string =>
  entries.map((entry) => (typeof entry === "string" ? entry : JSON.stringify(entry))).join("\n");

/** An events record; fields can be overridden or removed (`undefined`). */
export function eventRecord(index: number, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const base: Record<string, unknown> = {
    event_id: `e-${index}`,
    user_id: (index % 97) + 1,
    event_timestamp: new Date(Date.UTC(2026, 10, 20) + index * 7_919_000).toISOString(),
    event_type: ["page_view", "click", "purchase"][index % 3],
    properties: { page: `/p/${index % 5}`, ...(index % 4 === 0 ? { amount: index * 1.5 } : {}) },
  };
  const record = { ...base, ...overrides };
  for (const [key, value] of Object.entries(record)) if (value === undefined) delete record[key];
  return record;
}

/** CSV text with a header, fields quoted only when needed (RFC 4180). */
export function csvText(header: readonly string[], rows: readonly (readonly string[])[], lineEnd = "\n"): string {
  const quote = (field: string) => (/[",\r\n]/.test(field) ? `"${field.replace(/"/g, '""')}"` : field);
  return [header, ...rows].map((row) => row.map(quote).join(",")).join(lineEnd) + lineEnd;
}

const LONG_TEXT = `${"é".repeat(40)}😀${"x".repeat(60)}`;

/** A file of a few thousand lines, so Spark splits it across tasks (line numbers cross task boundaries). */
function manyEventLines(count: number): string {
  const out: string[] = [];
  for (let index = 0; index < count; index++) {
    if (index % 211 === 17) out.push(`{"event_id": "broken-${index}"`);
    else if (index % 307 === 5) out.push("");
    else if (index % 401 === 9) out.push(JSON.stringify(eventRecord(index, { user_id: "not a number" })));
    else out.push(JSON.stringify(eventRecord(index)));
  }
  return out.join("\n") + "\n";
}

export const PARITY_CASES: readonly ParityCase[] = [
  {
    id: "events-jsonl-clean",
    covers: "JSON Lines, valid records, one output file per day",
    dataset: EVENTS,
    key: "raw/events/clean.jsonl",
    body: Buffer.from(lines(...Array.from({ length: 12 }, (_, index) => eventRecord(index))) + "\n"),
  },
  {
    id: "events-jsonl-days",
    covers: "a file spanning several days: one partition per UTC day, offsets moved to UTC",
    dataset: EVENTS,
    key: "raw/events/days.jsonl",
    body: Buffer.from(
      lines(
        eventRecord(1, { event_timestamp: "2026-11-19T23:59:59.999Z" }),
        eventRecord(2, { event_timestamp: "2026-11-20T01:30:00+02:00" }),
        eventRecord(3, { event_timestamp: "2026-11-21 00:00" }),
        eventRecord(4, { event_timestamp: "2026-11-22t10:00:00.123456z" }),
        eventRecord(5, { event_timestamp: "2026-11-22" }),
        eventRecord(6, { event_timestamp: "2026-11-23T05:00:00-0530" }),
      ),
    ),
  },
  {
    id: "events-jsonl-bad",
    covers:
      "malformed JSON, not an object (array, string, number, null), blank and whitespace lines, CRLF, missing required, invalid int and timestamp, invalid map, values quoted in details (UTF-16 cut at 80)",
    dataset: EVENTS,
    key: "raw/events/bad.jsonl",
    body: Buffer.from(
      [
        JSON.stringify(eventRecord(1)),
        '{"event_id": "x", oops}',
        "[1,2,3]",
        '"just a string"',
        "42",
        "null",
        "",
        "   \t",
        JSON.stringify(eventRecord(2)) + "\r",
        JSON.stringify(eventRecord(3, { event_id: undefined })),
        JSON.stringify(eventRecord(4, { event_id: "" })),
        JSON.stringify(eventRecord(5, { user_id: 2147483648 })),
        JSON.stringify(eventRecord(6, { user_id: "12.5" })),
        JSON.stringify(eventRecord(7, { event_timestamp: "2026-02-30T00:00:00Z" })),
        JSON.stringify(eventRecord(8, { event_timestamp: LONG_TEXT })),
        JSON.stringify(eventRecord(9, { properties: { nested: { deep: 1 } } })),
        JSON.stringify(eventRecord(10, { properties: [1, 2] })),
        JSON.stringify(eventRecord(11, { event_type: 7, user_id: 1.0, properties: { n: 1e21, f: 0.1, t: true, z: null, "10": "ten", "2": "two" } })),
        JSON.stringify(eventRecord(12, { event_type: { a: 1 } })),
        JSON.stringify(eventRecord(13, { event_timestamp: "2026-11-20T24:00:00Z" })),
        '{"event_id":"dup","event_id":"dup2","user_id":3,"event_timestamp":"2026-11-20T10:00:00Z","event_type":"a"}',
        JSON.stringify(eventRecord(14)),
      ].join("\n"),
    ),
  },
  {
    id: "events-jsonl-split",
    covers: "a file Spark splits across tasks: line numbers of rejected records across task boundaries",
    dataset: EVENTS,
    key: "raw/events/split.jsonl",
    body: Buffer.from(manyEventLines(3000)),
  },
  {
    id: "events-jsonl-gzip",
    covers: "gzip JSON Lines (by the .gz extension)",
    dataset: EVENTS,
    key: "raw/events/zipped.jsonl.gz",
    body: gzipSync(Buffer.from(lines(eventRecord(1), "not json", eventRecord(2, { event_timestamp: "2026-11-24T00:00:00Z" })))),
  },
  {
    id: "events-gzip-unreadable",
    covers: "an object named .gz that is not gzip: rejected whole as unreadable_object",
    dataset: EVENTS,
    key: "raw/events/not-really.jsonl.gz",
    body: Buffer.from(lines(eventRecord(1))),
  },
  {
    id: "users-csv-clean",
    covers: "CSV with a header, quoted fields with commas, quotes and line breaks, empty optional cells, an unpartitioned dataset",
    dataset: USERS,
    key: "raw/users/clean.csv",
    body: Buffer.from(
      csvText(
        ["user_id", "email", "name", "country", "signup_timestamp"],
        [
          ["1", "ada@example.com", "Ada", "GB", "2026-01-10T09:00:00Z"],
          ["2", "lin@example.com", 'Lin "the" Great', "", ""],
          ["3", "sam@example.com", "Sam, Jr.", "US", "2026-03-12T12:45:00+01:00"],
          ["4", "bo@example.com", "Bo\non two lines", "SE", "2026-03-12"],
        ],
      ),
    ),
  },
  {
    id: "users-csv-bad",
    covers:
      "CSV: BOM, CRLF, header names trimmed, blank lines, field count mismatch, invalid opening quote, invalid closing quote, missing required, invalid value",
    dataset: USERS,
    key: "raw/users/bad.csv",
    body: Buffer.from(
      "\ufeff user_id , email ,name,country,signup_timestamp\r\n" +
        "1,a@example.com,A,GB,2026-01-01T00:00:00Z\r\n" +
        "\r\n" +
        "2,b@example.com,B\r\n" +
        '3,c@ex"ample.com,C,GB,\r\n' +
        '4,"d@example.com"x,D,GB,\r\n' +
        "5,e@example.com,E,FR,2026-01-01T00:00:00Z\r\n" +
        ",f@example.com,F,FR,\r\n" +
        "seven,g@example.com,G,FR,\r\n" +
        '8,"h@example.com","H ""quoted""",NL,2026-05-05T05:05:05.5Z\r\n',
    ),
  },
  {
    id: "events-csv-unclosed",
    covers: "CSV: a quote never closed swallows the rest of the object (Quote Not Closed), a map column given as JSON text",
    dataset: EVENTS,
    key: "raw/events/unclosed.csv",
    body: Buffer.from(
      "event_id,user_id,event_timestamp,event_type,properties\n" +
        'a,1,2026-11-20T10:00:00Z,click,"{""page"":""/x"",""n"":""1""}"\n' +
        "b,2,2026-11-20T11:00:00Z,click,not-json\n" +
        'c,3,2026-11-20T12:00:00Z,"open,\n' +
        "d,4,2026-11-20T13:00:00Z,click,\n",
    ),
  },
  {
    id: "users-csv-gzip",
    covers: "gzip CSV",
    dataset: USERS,
    key: "raw/users/zipped.csv.gz",
    body: gzipSync(Buffer.from(csvText(["user_id", "email"], [["1", "z@example.com"], ["x", "y@example.com"]]))),
  },
  {
    id: "all-types-jsonl",
    covers:
      "every column type from JSON: int bounds, bigint safe/unsafe numbers and 64-bit texts, double texts (hex, exponent, spaces, Infinity, underscores), booleans, dates (valid, 02-30, years 0–99 as Date.UTC reads them), maps of numbers, booleans and nulls, number-to-string",
    dataset: ALL_TYPES,
    key: "raw/all_types/types.jsonl",
    body: Buffer.from(
      lines(
        { s: 1.5, i: "-2147483648", b: "9223372036854775807", d: "0x1F", f: " TRUE ", t: "2026-11-20T10:00:00Z", day: "2024-02-29", m: { a: 1, b: false, c: null } },
        { s: true, i: 2147483647, b: 9007199254740991, d: " 1e5 ", f: false, t: "2026-11-20T10:00:00Z", day: " 2026-01-01 " },
        { s: 1e21, i: "+7", b: "-9223372036854775808", d: "-.5", t: "0050-06-01T00:00:00Z" },
        { s: 1e-7, b: "9223372036854775808", t: "2026-11-20T10:00:00Z" },
        { s: "x", b: 9007199254740993, t: "2026-11-20T10:00:00Z" },
        { s: "x", d: "Infinity", t: "2026-11-20T10:00:00Z" },
        { s: "x", d: "1_000", t: "2026-11-20T10:00:00Z" },
        { s: "x", d: "0b101", f: "yes", t: "2026-11-20T10:00:00Z" },
        { s: "x", day: "2026-02-30", t: "2026-11-20T10:00:00Z" },
        { s: "x", day: "0000-02-29", t: "2026-11-20T10:00:00Z" },
        { s: "x", i: "٣", t: "2026-11-20T10:00:00Z" },
        { s: "x", i: " 42 ", d: 3, t: "0099-12-31T23:59:59Z" },
        { s: "x", t: "0050-06-01 00:00:00Z" },
        { s: "x", t: "2026-11-20T10:00:00+24:00" },
        { s: "x", m: '{"as":"text"}', t: "2026-11-20T10:00:00Z" },
        { s: [1], t: "2026-11-20T10:00:00Z" },
      ),
    ),
  },
  {
    id: "all-types-csv",
    covers: "every column type from CSV text, a map as JSON text, an integer-like header key",
    dataset: ALL_TYPES,
    key: "raw/all_types/types.csv",
    body: Buffer.from(
      csvText(
        ["s", "i", "b", "d", "f", "t", "day", "m"],
        [
          ["a", "1", "2", "3.25", "false", "2026-11-20T10:00:00Z", "2026-11-20", '{"k":"v","2":"two","1":"one"}'],
          ["b", "", "", "", "", "2026-11-21T10:00:00Z", "", ""],
          ["c", "1.0", "x", "NaN", "maybe", "2026-11-21T10:00:00Z", "2026-13-01", "[]"],
          ["", "1", "2", "3", "true", "2026-11-21T10:00:00Z", "2026-01-01", "{}"],
        ],
      ),
    ),
  },
];
