/**
 * The parity cases of the Glue conversion against the processor, in one place: each names the rule
 * it covers and builds its raw object. tests/glue-parity.test.mts converts every case with both
 * engines and compares what they wrote with DuckDB. After a change to the processor's reading or
 * coercion rules, re-run `npx vitest run tests/glue-parity.test.mts`: a case that fails names the
 * rule where the Python (glue/datalake_glue) must follow.
 *
 * Both engines run with `PARITY_LIMITS` (the property test's: 2 KiB records, projection years
 * 1–2999), so that long records stay small and years 0000 and 3000+ are out of range while 0001–0099
 * are stored as written. Beyond the hand-written cases, a few hostile files of the property test's
 * generator (tests/hostile-files.ts) are converted too, from a fixed seed.
 */
import { gzipSync } from "node:zlib";
import fc from "fast-check";
import { EVENTS, USERS, type DatasetDefinition } from "../handlers/datasets.js";
import type { ConversionLimits } from "../handlers/glue-contract.js";
import { HOSTILE_LIMITS, hostileFile } from "./hostile-files.js";
import { ALL_TYPES as ALL_TYPES_UNPARTITIONED } from "./harness/sample-data.js";

/**
 * The tests' dataset with one column of every type, so that every coercer is compared, partitioned
 * by its (then required) timestamp so that partitions are compared too.
 */
export const ALL_TYPES: DatasetDefinition = {
  ...ALL_TYPES_UNPARTITIONED,
  columns: ALL_TYPES_UNPARTITIONED.columns.map((column) => (column.name === "t" ? { ...column, required: true } : column)),
  partitionColumn: "t",
};

/** Datasets the cases use: the contract handed to the job is generated from these. */
export const PARITY_DATASETS: readonly DatasetDefinition[] = [EVENTS, USERS, ALL_TYPES];

/** The limits both engines convert every case with (the processor's options, the job's contract). */
export const PARITY_LIMITS: ConversionLimits = {
  maxRecordBytes: HOSTILE_LIMITS.maxRecordBytes,
  partitionYears: { first: HOSTILE_LIMITS.firstYear, last: HOSTILE_LIMITS.lastYear },
};

export interface ParityCase {
  /** Unique, also the raw file's stem. */
  readonly id: string;
  /** The rule (or rules) the case covers. */
  readonly covers: string;
  readonly dataset: DatasetDefinition;
  /** Raw key; its extension decides the format and gzip, as for a landed object. */
  readonly key: string;
  readonly body: Buffer;
  /**
   * The file spans more days than the processor keeps files open (32), out of order: the processor
   * closes partitions and continues them in `<name>-2.parquet`…, the job writes one file per
   * (object, day). Such a case is compared on rows per partition, not on the set of files.
   */
  readonly rollsPartitions?: true;
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

/**
 * A file of a few thousand lines, so Spark splits it across tasks (line numbers cross task boundaries).
 * Records are spread over many days, or, `oneDay`, all on one (fewer partitions to stage).
 */
function manyEventLines(count: number, oneDay = false): string {
  const out: string[] = [];
  const at = (index: number) => (oneDay ? { event_timestamp: new Date(Date.UTC(2026, 10, 20) + index * 1000).toISOString() } : {});
  for (let index = 0; index < count; index++) {
    if (index % 211 === 17) out.push(`{"event_id": "broken-${index}"`);
    else if (index % 307 === 5) out.push("");
    else if (index % 401 === 9) out.push(JSON.stringify(eventRecord(index, { user_id: "not a number", ...at(index) })));
    else out.push(JSON.stringify(eventRecord(index, at(index))));
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
  ...issue16Cases(),
  ...hostileCases(),
];

/** An events record as JSON text with its fields written as given (numbers as lexemes, keys repeated…). */
function eventText(fields: string): string {
  return `{"event_id":"e","user_id":1,"event_timestamp":"2026-11-20T10:00:00Z","event_type":"a"${fields}}`;
}

/** A file of `count` events spread over `days` UTC days, `rounds` times over: each round revisits every day. */
function manyDayLines(days: number, rounds: number): string {
  const out: string[] = [];
  for (let round = 0; round < rounds; round++) {
    for (let day = 0; day < days; day++) out.push(JSON.stringify(eventRecord(round * days + day, { event_timestamp: new Date(Date.UTC(2026, 0, 1) + day * 86_400_000 + round * 3_600_000).toISOString() })));
  }
  return out.join("\n");
}

/** The rules of issue 16 (bad input) the job must follow as the processor does. */
function issue16Cases(): ParityCase[] {
  const limit = PARITY_LIMITS.maxRecordBytes;
  const userHeader = "user_id,email,name,country,signup_timestamp";
  const gzipMember = (text: string): Buffer => gzipSync(Buffer.from(text));
  return [
    {
      id: "events-jsonl-duplicate-keys",
      covers:
        "duplicate_key: a top-level key written twice, a key twice inside a map column (object and JSON text), twice in an ignored nested field (valid), and after an invalid column (that column decides)",
      dataset: EVENTS,
      key: "raw/events/duplicates.jsonl",
      body: Buffer.from(
        lines(
          eventText(',"event_type":"b"'),
          eventText(',"properties":{"k":"1","j":"2","k":"3"}'),
          eventText(',"properties":"{\\"k\\":\\"1\\",\\"k\\":\\"2\\"}"'),
          eventText(',"extra":{"n":1,"n":2}'),
          '{"event_id":"e","user_id":"x","user_id":"y","event_timestamp":"2026-11-20T10:00:00Z","event_type":"a"}',
          eventText(',"properties":{"\\u006b":"1","k":"2"}'),
          eventText(""),
        ),
      ),
    },
    {
      id: "users-csv-duplicate-header",
      covers: "duplicate_key: a CSV header naming a column twice rejects every row",
      dataset: USERS,
      key: "raw/users/duplicate-header.csv",
      body: Buffer.from("user_id,email,email,name\n1,a@x,b@x,A\n2,c@x,d@x,C\n"),
    },
    {
      id: "events-csv-map-text-duplicate",
      covers: "duplicate_key: a map column's JSON text writing a key twice (CSV); numbers in the map text kept as written",
      dataset: EVENTS,
      key: "raw/events/map-text.csv",
      body: Buffer.from(
        "event_id,user_id,event_timestamp,event_type,properties\n" +
          'a,1,2026-11-20T10:00:00Z,click,"{""k"":""1"",""k"":""2""}"\n' +
          'b,2,2026-11-20T10:00:00Z,click,"{""n"":1.50,""big"":1e400,""z"":-0}"\n',
      ),
    },
    {
      id: "events-jsonl-invalid-utf8",
      covers:
        "invalid_utf8: bytes that are not UTF-8 (a lone 0xFF, an overlong, an encoded surrogate, a cut sequence, beyond U+10FFFF), lone surrogate escapes in a column, a map key and a map value; a valid pair is kept",
      dataset: EVENTS,
      key: "raw/events/utf8.jsonl",
      body: Buffer.concat([
        Buffer.from(`${eventText("")}\n`),
        ...[[0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xf4, 0x90, 0x80, 0x80]].map((bad) =>
          Buffer.concat([Buffer.from('{"event_id":"a'), Buffer.from(bad), Buffer.from('b","user_id":1,"event_timestamp":"2026-11-20T10:00:00Z","event_type":"a"}\n')]),
        ),
        Buffer.from(`${eventText(',"event_type":"\\ud800"').replace('"event_type":"a",', "")}\n`),
        Buffer.from(`${eventText(',"properties":{"\\udc00":"v"}')}\n`),
        Buffer.from(`${eventText(',"properties":{"k":"x\\ud83d"}')}\n`),
        Buffer.from(`${eventText(',"properties":{"k":"\\ud83d\\ude00"}')}\n`),
      ]),
    },
    {
      id: "events-jsonl-too-large",
      covers:
        "record_too_large: lines over processorMaxRecordKb (its first KiB cut at a character boundary; one ending in CR, one at the end without ending); a line just at the limit is read",
      dataset: EVENTS,
      key: "raw/events/long.jsonl",
      body: Buffer.from(
        [
          eventText(""),
          `{"event_id":"${"x".repeat(1010)}é${"y".repeat(limit)}"}`,
          eventText(`,"pad":"${"p".repeat(limit - eventText(',"pad":""').length)}"`),
          `{"event_id":"${"z".repeat(limit)}"}\r${eventText("")}`,
          `{"event_id":"${"w".repeat(limit * 3)}"}`,
        ].join("\n"),
      ),
    },
    {
      id: "users-csv-too-large-and-open",
      covers:
        "CSV: a line over the limit, a quoted field spanning lines beyond the limit (its first line rejected, reading resumes), a quote never closed before the end",
      dataset: USERS,
      key: "raw/users/long.csv",
      body: Buffer.from(
        [userHeader, `1,${"l".repeat(limit + 5)},A,FR,`, `2,"${`${"m".repeat(99)}\n`.repeat(Math.ceil(limit / 100) + 1)}",B,FR,`, "3,c@x,C,FR,", '4,"never closed,D,FR,', "5,e@x,E,FR,"].join("\n") + "\n",
      ),
    },
    {
      id: "events-jsonl-out-of-range",
      covers: "out_of_range: partition years outside the projection (year 0000, 3000, an offset moving 0001 back to year 0); years 0001–0099 stored as written",
      dataset: EVENTS,
      key: "raw/events/years.jsonl",
      body: Buffer.from(
        lines(
          eventRecord(1, { event_timestamp: "0000-06-01T00:00:00Z" }),
          eventRecord(2, { event_timestamp: "3000-01-01T00:00:00Z" }),
          eventRecord(3, { event_timestamp: "0001-01-01T00:30:00+01:00" }),
          eventRecord(4, { event_timestamp: "0001-01-01T00:00:00Z" }),
          eventRecord(5, { event_timestamp: "0099-12-31T23:59:59.999Z" }),
          eventRecord(6, { event_timestamp: "2999-12-31 23:59" }),
        ),
      ),
    },
    {
      id: "events-jsonl-bom-and-cr",
      covers: "a UTF-8 BOM before the first line (read), a BOM opening a later line (read again without it), CR-only and mixed CRLF/LF/CR line endings, blank lines",
      dataset: EVENTS,
      key: "raw/events/bom-cr.jsonl",
      body: Buffer.from(`\uFEFF${JSON.stringify(eventRecord(1))}\r${JSON.stringify(eventRecord(2))}\r\n\r\uFEFF${JSON.stringify(eventRecord(3))}\n \t\r\uFEFF{oops\r${JSON.stringify(eventRecord(4))}\r`),
    },
    {
      id: "events-jsonl-cr-split",
      covers: "CR-only endings in a file read in byte ranges by several tasks: line numbers across range boundaries",
      dataset: EVENTS,
      key: "raw/events/cr-split.jsonl",
      body: Buffer.from(manyEventLines(1500, true).replace(/\n/g, "\r")),
    },
    {
      id: "events-jsonl-crlf-split",
      covers: "CRLF endings in a file read in byte ranges by several tasks",
      dataset: EVENTS,
      key: "raw/events/crlf-split.jsonl",
      body: Buffer.from(manyEventLines(1500, true).replace(/\n/g, "\r\n")),
    },
    {
      id: "users-csv-headerless",
      covers: "a CSV without a header read in the dataset's column order; mixed endings; a quoted field spanning a CR",
      dataset: USERS,
      key: "raw/users/headerless.csv",
      body: Buffer.from('1,a@x,A,FR,2026-01-01T00:00:00Z\r2,b@x,"B\rtwo",GB,\r\n3,c@x,C,,2026-02-01\n4,d@x\n'),
    },
    {
      id: "users-csv-no-header",
      covers: "a CSV whose first row names no column and has another number of fields: every row rejected (no header row)",
      dataset: USERS,
      key: "raw/users/no-header.csv",
      body: Buffer.from("a,b\n1,2\n"),
    },
    {
      id: "events-json-array",
      covers: "a pretty-printed .json array: element lines, an element that is not an object, an empty element, an element over the limit, an element not UTF-8, text after the closing bracket",
      dataset: EVENTS,
      key: "raw/events/export.json",
      body: Buffer.concat([
        Buffer.from(`\uFEFF${JSON.stringify([eventRecord(1), [1], eventRecord(2)], null, 2).slice(0, -2)},,\n  {"event_id":"${"x".repeat(limit)}"},\n  {"event_id":"`),
        Buffer.from([0xff]),
        Buffer.from(`"},\n  ${JSON.stringify(eventRecord(3))}\n] trailing text`),
      ]),
    },
    {
      id: "events-json-lines-document",
      covers: "a .json object that is not an array is read as JSON Lines (two BOMs dropped, as the processor's document reader drops them)",
      dataset: EVENTS,
      key: "raw/events/lines.json",
      body: Buffer.from(`\uFEFF\uFEFF${lines(eventRecord(1), eventRecord(2))}\n`),
    },
    {
      id: "events-json-array-gzip",
      covers: "a gzip .json.gz one-line array, read element by element",
      dataset: EVENTS,
      key: "raw/events/export.json.gz",
      body: gzipSync(Buffer.from(JSON.stringify(Array.from({ length: 50 }, (_, index) => eventRecord(index))))),
    },
    {
      id: "events-gzip-by-bytes",
      covers: "gzip recognised by its magic bytes under a .jsonl name",
      dataset: EVENTS,
      key: "raw/events/secretly-gzip.jsonl",
      body: gzipMember(lines(eventRecord(1), eventRecord(2), "{bad")),
    },
    {
      id: "events-gzip-members-trailing",
      covers: "gzip of several members (concatenated), then bytes after the last member: ignored, as gzip -d does",
      dataset: EVENTS,
      key: "raw/events/members.jsonl.gz",
      body: Buffer.concat([gzipMember(`${lines(eventRecord(1), eventRecord(2))}\n`), gzipMember(lines(eventRecord(3), "[1]")), Buffer.from("trailing garbage\n")]),
    },
    {
      id: "users-gzip-zero-padding",
      covers: "gzip CSV followed by zero padding (ignored silently)",
      dataset: USERS,
      key: "raw/users/padded.csv.gz",
      body: Buffer.concat([gzipMember(`${userHeader}\n1,a@x,A,FR,\n`), Buffer.alloc(64)]),
    },
    {
      id: "events-gzip-cut",
      covers: "a gzip member cut short: the object is rejected whole (unreadable_object)",
      dataset: EVENTS,
      key: "raw/events/cut.jsonl.gz",
      body: gzipMember(manyEventLines(400, true)).subarray(0, 2000),
    },
    {
      id: "events-jsonl-numbers-as-text",
      covers: "numbers read into text columns and map values keep their text (9007199254740993, 1e400, 1.50, -0, 1E+2); a bigint beyond 2^53 is read as written",
      dataset: EVENTS,
      key: "raw/events/numbers.jsonl",
      body: Buffer.from(
        lines(
          '{"event_id":9007199254740993,"user_id":1,"event_timestamp":"2026-11-20T10:00:00Z","event_type":1.50,"properties":{"big":1e400,"n":-0,"e":1E+2,"f":0.1e-5}}',
          '{"event_id": -0 ,"user_id":2,"event_timestamp":"2026-11-20T10:00:00Z","event_type" : 1e400}',
        ),
      ),
    },
    {
      id: "all-types-bigint-lexemes",
      covers: "bigint columns: beyond 2^53 as written, beyond 2^63 invalid, an exponent form beyond 2^53 invalid; strings of numbers in text columns",
      dataset: ALL_TYPES,
      key: "raw/all_types/bigints.jsonl",
      body: Buffer.from(
        lines(
          '{"s":"a","b":9007199254740993,"t":"2026-11-20T10:00:00Z"}',
          '{"s":"b","b":-9223372036854775808,"t":"2026-11-20T10:00:00Z"}',
          '{"s":"c","b":9223372036854775808,"t":"2026-11-20T10:00:00Z"}',
          '{"s":"d","b":1e20,"t":"2026-11-20T10:00:00Z"}',
          '{"s":"e","b":12345678901234567890123,"t":"2026-11-20T10:00:00Z"}',
          '{"s":123456789012345678901234567890,"b":-0,"t":"2026-11-20T10:00:00Z","m":{"x":5e-324}}',
        ),
      ),
    },
    {
      id: "events-jsonl-deep",
      covers: "values nested about 1,000 deep (as deep as 2 KiB lines allow): invalid in a column, ignored in another field (JSON.parse reads any depth; Python's decoder recurses)",
      dataset: EVENTS,
      key: "raw/events/deep.jsonl",
      body: Buffer.from(lines(eventText(`,"extra":${"[".repeat(970)}${"]".repeat(970)}`), `{"event_id":${"[".repeat(1010)}${"]".repeat(1010)}}`, eventText(""))),
    },
    {
      id: "events-jsonl-many-days",
      covers: "a file over 40 days, twice over: the processor keeps 32 files open and continues reopened days in <name>-2.parquet; rows per partition compared",
      dataset: EVENTS,
      key: "raw/events/many-days.jsonl",
      body: Buffer.from(manyDayLines(40, 2)),
      rollsPartitions: true,
    },
  ];
}

/** Hostile files of the property test's generator, from a fixed seed, one key each. */
function hostileCases(): ParityCase[] {
  return (["jsonl", "csv"] as const).flatMap((format) =>
    fc.sample(hostileFile(format), { seed: 1616, numRuns: 4 }).map((file, index) => ({
      id: `hostile-${format}-${index}`,
      covers: `a generated hostile file: ${file.description}`,
      dataset: EVENTS,
      key: file.key.replace("hostile.", `hostile-${index}.`),
      body: file.body,
    })),
  );
}
