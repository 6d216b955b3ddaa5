import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import { describe, expect, test } from "vitest";
import { recordCoercer, type CoercedValue } from "../handlers/coerce.js";
import { convertRecords } from "../handlers/convert.js";
import { EVENTS, USERS, DATASETS, type DatasetDefinition } from "../handlers/datasets.js";
import { PermanentError, permanentCause } from "../handlers/errors.js";
import { outputName, processedKey, rawEncoding, rejectedRecordsKey } from "../handlers/outputs.js";
import { loadParquetCodec, parquetSchema } from "../handlers/parquet.js";

const SOURCE_KEY = "raw/events/n.jsonl";
const LANDED_AT = new Date("2026-11-20T10:00:00Z");
const codec = await loadParquetCodec();
import { memoryStore, parquetScratchFile, readParquetWithDuckDb } from "./harness/sinks.js";
import { ALL_TYPES } from "./harness/sample-data.js";


function event(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { event_id: "e1", user_id: 7, event_timestamp: "2026-11-20T10:00:00Z", event_type: "click", properties: { page: "/home" }, ...overrides };
}

function jsonLines(records: readonly unknown[]): string {
  return records.map((record) => (typeof record === "string" ? record : JSON.stringify(record))).join("\n");
}

describe("recordCoercer", () => {
  const coerce = recordCoercer(ALL_TYPES);

  test("coerces text and numbers to each column type", () => {
    // Prepare
    const out: CoercedValue[] = [];
    // Act
    const rejection = coerce(
      { s: 42, i: "-12", b: "9007199254740993", d: "2.5", f: "TRUE", t: "2026-11-20 11:30:00.1234+01:00", day: "2026-02-28", m: { a: "x", n: 1, yes: true, none: null }, extra: "ignored" },
      out,
    );
    // Assess
    expect(rejection).toBeUndefined();
    expect(out).toEqual(["42", -12, 9007199254740993n, 2.5, true, Date.UTC(2026, 10, 20, 10, 30, 0, 123), Date.UTC(2026, 1, 28) / 86_400_000, { a: "x", n: "1", yes: "true", none: null }]);
  });

  test("reads a timestamp without zone as UTC, and a map given as JSON text (CSV)", () => {
    const out: CoercedValue[] = [];
    expect(coerce({ s: "x", t: "2026-11-20T10:00", m: '{"k":"v"}' }, out)).toBeUndefined();
    expect(out[5]).toBe(Date.UTC(2026, 10, 20, 10, 0));
    expect(out[7]).toEqual({ k: "v" });
  });

  test.each([
    ["2026-11-20T10:11:12Z", Date.UTC(2026, 10, 20, 10, 11, 12)],
    ["2026-11-20T10:11:12.345Z", Date.UTC(2026, 10, 20, 10, 11, 12, 345)],
    ["2028-02-29T23:59:59.999Z", Date.UTC(2028, 1, 29, 23, 59, 59, 999)],
    ["2026-11-20T10:11:12.3Z", Date.UTC(2026, 10, 20, 10, 11, 12, 300)],
    ["2026-11-20T10:11:12+0530", Date.UTC(2026, 10, 20, 4, 41, 12)],
    ["2026-11-20", Date.UTC(2026, 10, 20)],
  ])("reads the timestamp %s", (text, expected) => {
    const out: CoercedValue[] = [];
    expect(coerce({ s: "x", t: text }, out)).toBeUndefined();
    expect(out[5]).toBe(expected);
  });

  test("turns missing and empty optional values into null", () => {
    const out: CoercedValue[] = [];
    expect(coerce({ s: "x", i: "", d: null }, out)).toBeUndefined();
    expect(out.slice(1)).toEqual([null, null, null, null, null, null, null]);
  });

  test("rejects a record without a required value", () => {
    expect(coerce({ i: 1 }, [])).toEqual({ reason: "missing_required", column: "s", detail: "s is required" });
    expect(coerce({ s: "" }, [])).toMatchObject({ reason: "missing_required", column: "s" });
  });

  test.each([
    ["i", 1.5],
    ["i", "12abc"],
    ["i", 2 ** 31],
    ["b", "1e3"],
    ["b", "9223372036854775808"],
    ["d", "NaN"],
    ["d", "abc"],
    ["f", "yes"],
    ["t", "yesterday"],
    ["t", "2026-02-30T10:00:00Z"],
    ["t", "2026-11-20T25:00:00Z"],
    ["t", 1763632800000],
    ["t", "2026-11-31T10:00:00Z"],
    ["t", "2026-13-01T10:00:00Z"],
    ["t", "2026-1a-01T10:00:00Z"],
    ["t", "2026-11-20T10:0a:00Z"],
    ["t", "2026-11-20T10:00:00.1x5Z"],
    ["t", "2026-11-20T10:00:60Z"],
    ["day", "2026-13-01"],
    ["m", ["a"]],
    ["m", { nested: { a: 1 } }],
    ["m", "{not json"],
    ["s", { an: "object" }],
  ])("rejects %s = %j as invalid_value naming the column", (column, value) => {
    const rejection = coerce({ s: "x", [column]: value }, []);
    expect(rejection).toMatchObject({ reason: "invalid_value", column });
    expect(rejection?.detail).toMatch(new RegExp(`^${column} must be `));
  });
});

describe("the dataset registry", () => {
  test("partitions only by a required timestamp column of the dataset, and names are unique", () => {
    for (const dataset of DATASETS) {
      if (dataset.partitionColumn === undefined) continue;
      const column = dataset.columns.find((candidate) => candidate.name === dataset.partitionColumn);
      expect(column).toMatchObject({ type: "timestamp", required: true });
    }
    expect(new Set(DATASETS.map((dataset) => dataset.name)).size).toBe(DATASETS.length);
  });

  test("maps every column to one top-level Parquet field", () => {
    const schema = parquetSchema(EVENTS);
    expect(schema[0]).toEqual({ name: "schema", num_children: EVENTS.columns.length });
    expect(schema.filter((element) => element.name === "properties")[0]).toMatchObject({ converted_type: "MAP", repetition_type: "OPTIONAL" });
  });
});

describe("outputName (idempotent outputs)", () => {
  const source = { bucket: "lake", key: "raw/events/2026/day one.jsonl.gz", etag: "abc", versionId: "v1" };

  test("is the same for the same object version, so a redelivery overwrites", () => {
    expect(outputName({ ...source })).toBe(outputName(source));
    expect(outputName({ ...source, etag: "other" })).toBe(outputName(source));
    expect(outputName({ bucket: "lake", key: "raw/events/a.csv", etag: '"abc"' })).toBe(outputName({ bucket: "lake", key: "raw/events/a.csv", etag: "abc" }));
  });

  test("differs by bucket, key, version, or ETag when unversioned", () => {
    const names = [
      outputName(source),
      outputName({ ...source, bucket: "other" }),
      outputName({ ...source, key: "raw/events/2026/day two.jsonl.gz" }),
      outputName({ ...source, versionId: "v2" }),
      outputName({ bucket: "lake", key: source.key, etag: "abc" }),
      outputName({ bucket: "lake", key: source.key, etag: "abd" }),
    ];
    expect(new Set(names).size).toBe(names.length);
  });

  test.each([
    ["raw/events/day one.jsonl", /^day_one-[0-9a-f]{16}$/],
    ["raw/events/a+b.csv", /^a_b-[0-9a-f]{16}$/],
    ["raw/events/café ✓ 日本.jsonl.gz", /^cafe-[0-9a-f]{16}$/],
    ["raw/events/日本.jsonl", /^object-[0-9a-f]{16}$/],
  ])("keeps a safe, readable stem of %s", (key, expected) => {
    expect(outputName({ bucket: "lake", key, etag: "e" })).toMatch(expected);
  });

  test("places outputs under processed/ and rejected/ of the dataset", () => {
    expect(processedKey("events", "year=2026/month=11/day=20/", "n")).toBe("processed/events/year=2026/month=11/day=20/n.parquet");
    expect(processedKey("users", "", "n")).toBe("processed/users/n.parquet");
    expect(rejectedRecordsKey("events", "n", new Date("2026-01-05T23:59:59Z"))).toBe("rejected/events/year=2026/month=01/day=05/n.jsonl");
  });
});

describe("rawEncoding", () => {
  test.each([
    ["raw/events/a.jsonl", undefined, undefined, { format: "jsonl", gzip: false }],
    ["raw/events/a.ndjson.gz", undefined, undefined, { format: "jsonl", gzip: true }],
    ["raw/events/a.CSV", undefined, undefined, { format: "csv", gzip: false }],
    ["raw/events/a.csv", "gzip", undefined, { format: "csv", gzip: true }],
    ["raw/events/export", undefined, "text/csv; charset=utf-8", { format: "csv", gzip: false }],
    ["raw/events/a.parquet", undefined, "application/octet-stream", undefined],
  ])("%s (%s, %s)", (key, contentEncoding, contentType, expected) => {
    expect(rawEncoding(key, contentEncoding, contentType)).toEqual(expected);
  });
});

describe("permanentCause (error classification)", () => {
  const named = (name: string, status?: number): Error => Object.assign(new Error(name), { name, ...(status ? { $metadata: { httpStatusCode: status } } : {}) });

  test.each([
    [named("NoSuchKey", 404), "object_not_found"],
    [named("NoSuchVersion"), "object_not_found"],
    [named("Unknown", 404), "object_not_found"],
    [named("PreconditionFailed", 412), "object_replaced"],
    [named("InvalidObjectState", 403), "object_archived"],
    [Object.assign(new Error("incorrect header check"), { code: "Z_DATA_ERROR" }), "unreadable_object"],
    [new PermanentError("x", "unknown_dataset"), "unknown_dataset"],
  ])("%s is permanent (%s)", (error, reason) => {
    expect(permanentCause(error)?.reason).toBe(reason);
  });

  test.each([
    [named("ThrottlingException", 400)],
    [named("SlowDown", 503)],
    [named("InternalError", 500)],
    [named("TimeoutError")],
    [named("AccessDenied", 403)],
    [Object.assign(new Error("socket hang up"), { code: "ECONNRESET" })],
    ["not an error"],
  ])("%s is transient", (error) => {
    expect(permanentCause(error)).toBeUndefined();
  });
});

describe("convertRecords", () => {
  test("splits a file spanning several days into one Parquet file per day, read back by DuckDB", async () => {
    // Prepare: 30 events over three UTC days, the last one across midnight
    const records = Array.from({ length: 30 }, (_, index) =>
      event({ event_id: `e${index}`, user_id: index, event_timestamp: new Date(Date.UTC(2026, 10, 20 + (index % 3), 23, 59, 59, 999)).toISOString() }),
    );
    const store = memoryStore();
    // Act
    const result = await convertRecords(Readable.from([jsonLines(records)]), { dataset: EVENTS, encoding: { format: "jsonl", gzip: false }, name: "n", sourceKey: SOURCE_KEY, landedAt: LANDED_AT, openSink: store.openSink, codec });
    // Assess
    expect(result).toMatchObject({ rowsRead: 30, rowsWritten: 30, rowsRejected: 0 });
    expect(result.partitions).toEqual(
      [20, 21, 22].map((day) => ({ partition: `year=2026/month=11/day=${day}/`, key: `processed/events/year=2026/month=11/day=${day}/n.parquet`, rows: 10 })),
    );
    expect([...store.objects.keys()].sort()).toEqual(result.partitions.map((output) => output.key));
    const day21 = await readParquetWithDuckDb(store.objects.get("processed/events/year=2026/month=11/day=21/n.parquet")!);
    expect(day21.columns).toEqual([
      { name: "event_id", type: "VARCHAR" },
      { name: "user_id", type: "INTEGER" },
      { name: "event_timestamp", type: "TIMESTAMP WITH TIME ZONE" },
      { name: "event_type", type: "VARCHAR" },
      { name: "properties", type: "MAP(VARCHAR, VARCHAR)" },
    ]);
    expect(day21.rows).toHaveLength(10);
    expect(day21.rows.map((row) => row.user_id).sort((a, b) => Number(a) - Number(b))).toEqual([1, 4, 7, 10, 13, 16, 19, 22, 25, 28]);
  });

  test("writes every column type so that DuckDB reads the values back", async () => {
    const store = memoryStore();
    const lines = jsonLines([
      { s: "a", i: 1, b: "9007199254740993", d: 0.5, f: false, t: "2026-11-20T10:00:00.250Z", day: "2026-11-20", m: { k: "v" } },
      { s: "b" },
    ]);
    await convertRecords(Readable.from([lines]), { dataset: ALL_TYPES, encoding: { format: "jsonl", gzip: false }, name: "n", sourceKey: SOURCE_KEY, landedAt: LANDED_AT, openSink: store.openSink, codec });
    const { columns, rows } = await readParquetWithDuckDb(store.objects.get("processed/all_types/n.parquet")!);
    expect(columns.map((column) => column.type)).toEqual(["VARCHAR", "INTEGER", "BIGINT", "DOUBLE", "BOOLEAN", "TIMESTAMP WITH TIME ZONE", "DATE", "MAP(VARCHAR, VARCHAR)"]);
    expect(rows[0]).toMatchObject({ s: "a", i: 1, b: "9007199254740993", d: 0.5, f: false, day: "2026-11-20" });
    expect(String(rows[0]!.t)).toMatch(/^2026-11-20 10:00:00\.25/);
    expect(rows[1]).toEqual({ s: "b", i: null, b: null, d: null, f: null, t: null, day: null, m: null });
  });

  test("writes required timestamps and integers exactly, with the row group's min and max as statistics", async () => {
    // Prepare: instants on both sides of 1970 and far from it (both 32-bit halves of the INT64 in use), int32 extremes
    const TIMES: DatasetDefinition = {
      name: "times",
      description: "Test dataset",
      columns: [
        { name: "t", type: "timestamp", required: true, description: "" },
        { name: "n", type: "int", required: true, description: "" },
      ],
      formats: ["jsonl"],
    };
    const instants = ["1969-12-31T23:59:59.999Z", "1900-01-01T00:00:00.001Z", "9999-12-31T23:59:59.999Z", "2026-11-20T10:00:00.250Z", "1970-01-01T00:00:00Z"];
    const numbers = [-1, -2147483648, 2147483647, 0, 42];
    const lines = jsonLines(instants.map((t, index) => ({ t, n: numbers[index] })));
    const store = memoryStore();
    // Act
    await convertRecords(Readable.from([lines]), { dataset: TIMES, encoding: { format: "jsonl", gzip: false }, name: "n", sourceKey: SOURCE_KEY, landedAt: LANDED_AT, openSink: store.openSink, codec });
    // Assess: values and statistics as DuckDB reads them
    const { DuckDBInstance } = await import("@duckdb/node-api");
    const path = parquetScratchFile(store.objects.get("processed/times/n.parquet")!);
    const connection = await (await DuckDBInstance.create()).connect();
    const rows = await (await connection.run(`SELECT epoch_ms(t) AS ms, n FROM read_parquet('${path}')`)).getRowObjectsJson();
    expect(rows.map((row) => [Number(row.ms), Number(row.n)])).toEqual(instants.map((instant, index) => [Date.parse(instant), numbers[index]]));
    const statistics = await (await connection.run(`SELECT path_in_schema AS column, stats_min_value AS min, stats_max_value AS max FROM parquet_metadata('${path}') ORDER BY column_id`)).getRowObjectsJson();
    expect(statistics.map((row) => [row.column, row.min, row.max])).toEqual([
      ["t", "1900-01-01 00:00:00.001+00", "9999-12-31 23:59:59.999+00"],
      ["n", "-2147483648", "2147483647"],
    ]);
  });

  test("each row group keeps its own values and statistics, though the column buffers reuse their arrays for the next one", async () => {
    // Prepare: three row groups of 3 rows, each group's numbers, timestamps and ids above the previous group's
    const GROUPS: DatasetDefinition = {
      name: "groups",
      description: "Test dataset",
      columns: [
        { name: "n", type: "int", required: true, description: "" },
        { name: "t", type: "timestamp", required: true, description: "" },
        { name: "id", type: "string", required: true, description: "" },
      ],
      formats: ["jsonl"],
    };
    const records = Array.from({ length: 9 }, (_, index) => ({ n: 100 * Math.floor(index / 3) + (index % 3), t: new Date(Date.UTC(2026, 10, 20, index)).toISOString(), id: `id-${index}` }));
    const store = memoryStore();
    // Act
    await convertRecords(Readable.from([jsonLines(records)]), { dataset: GROUPS, encoding: { format: "jsonl", gzip: false }, name: "g", sourceKey: SOURCE_KEY, landedAt: LANDED_AT, openSink: store.openSink, codec, rowGroupRows: 3 });
    // Assess
    const { DuckDBInstance } = await import("@duckdb/node-api");
    const path = parquetScratchFile(store.objects.get("processed/groups/g.parquet")!);
    const connection = await (await DuckDBInstance.create()).connect();
    const rows = await (await connection.run(`SELECT n, id FROM read_parquet('${path}')`)).getRowObjectsJson();
    expect(rows.map((row) => [Number(row.n), row.id])).toEqual(records.map((record) => [record.n, record.id]));
    const statistics = await (await connection.run(`SELECT row_group_id AS rowGroup, path_in_schema AS column, stats_min_value AS min, stats_max_value AS max FROM parquet_metadata('${path}') ORDER BY row_group_id, column_id`)).getRowObjectsJson();
    expect(statistics.filter((row) => row.column === "n").map((row) => [Number(row.rowGroup), row.min, row.max])).toEqual([
      [0, "0", "2"],
      [1, "100", "102"],
      [2, "200", "202"],
    ]);
    expect(statistics.filter((row) => row.column === "id").map((row) => [row.min, row.max])).toEqual([
      ["id-0", "id-2"],
      ["id-3", "id-5"],
      ["id-6", "id-8"],
    ]);
    expect(statistics.filter((row) => row.column === "t").map((row) => row.min)).toEqual(["2026-11-20 00:00:00+00", "2026-11-20 03:00:00+00", "2026-11-20 06:00:00+00"]);
  });

  test("writes timestamps exactly whether they repeat (dictionary) or turn unique midway through a row group (plain)", async () => {
    // Prepare: one file of repeated instants (seconds precision, 3 distinct), one that turns unique after 1 500 rows
    const TIMES: DatasetDefinition = { name: "times", description: "Test dataset", columns: [{ name: "t", type: "timestamp", required: true, description: "" }], formats: ["jsonl"] };
    const base = Date.UTC(2026, 10, 20, 10);
    const repeated = Array.from({ length: 3000 }, (_, index) => base + (index % 3) * 1000);
    const turningUnique = Array.from({ length: 3000 }, (_, index) => (index < 1500 ? base - (index % 3) * 2 ** 33 : base + index * 7));
    for (const [name, instants] of [["repeated", repeated], ["unique", turningUnique]] as const) {
      const store = memoryStore();
      // Act
      await convertRecords(Readable.from([jsonLines(instants.map((t) => ({ t: new Date(t).toISOString() })))]), { dataset: TIMES, encoding: { format: "jsonl", gzip: false }, name, sourceKey: SOURCE_KEY, landedAt: LANDED_AT, openSink: store.openSink, codec, rowGroupRows: 5000 });
      // Assess
      const { rows } = await readParquetWithDuckDb(store.objects.get(`processed/times/${name}.parquet`)!);
      expect(rows.map((row) => Date.parse(String(row.t).replace(" ", "T").replace(/\+00$/, "Z")))).toEqual(instants);
    }
  });

  test("writes a row group of distinct integers larger than one page as several plain pages", async () => {
    // Prepare: 270 000 distinct ints (1 MiB of INT32 is 262 144 values) in one row group
    const INTS: DatasetDefinition = { name: "ints", description: "Test dataset", columns: [{ name: "n", type: "int", required: true, description: "" }], formats: ["jsonl"] };
    const numbers = Array.from({ length: 270_000 }, (_, index) => (index * 7919) % 1_000_003 - 500_000);
    const store = memoryStore();
    // Act
    await convertRecords(Readable.from([numbers.map((n) => `{"n":${n}}`).join("\n")]), { dataset: INTS, encoding: { format: "jsonl", gzip: false }, name: "n", sourceKey: SOURCE_KEY, landedAt: LANDED_AT, openSink: store.openSink, codec, rowGroupRows: 300_000, maxBufferedRows: 300_000 });
    // Assess
    const { rows } = await readParquetWithDuckDb(store.objects.get("processed/ints/n.parquet")!);
    expect(rows.map((row) => Number(row.n))).toEqual(numbers);
  });

  test("keeps non-ASCII text intact, in unique (plain-encoded) and repeated (dictionary) columns", async () => {
    const store = memoryStore();
    const ids = ["é-1", "日本-2", "emoji 😀-3", "plain-4"];
    const lines = jsonLines(ids.map((id) => event({ event_id: id, event_type: "vue_été", properties: { clé: "valeur ✓" } })));
    const result = await convertRecords(Readable.from([lines]), { dataset: EVENTS, encoding: { format: "jsonl", gzip: false }, name: "n", sourceKey: SOURCE_KEY, landedAt: LANDED_AT, openSink: store.openSink, codec });
    const { rows } = await readParquetWithDuckDb(store.objects.get(result.partitions[0]!.key)!);
    expect(rows.map((row) => row.event_id)).toEqual(ids);
    expect(new Set(rows.map((row) => row.event_type))).toEqual(new Set(["vue_été"]));
    expect(rows[0]!.properties).toEqual([{ key: "clé", value: "valeur ✓" }]);
  });

  test("writes strings dictionary-encoded while repeated and plain once mostly distinct, within one row group, with byte-order statistics", async () => {
    // Prepare: `s` repeats three values for 1 500 rows, then turns unique (its dictionary is given up
    // midway); `c` stays low-cardinality with non-ASCII values ("é" sorts after "z" in UTF-8 byte order);
    // the map has null, empty and null-valued entries, a repeated key and value, and a unique value
    const STRINGS: DatasetDefinition = {
      name: "strings",
      description: "Test dataset",
      columns: [
        { name: "s", type: "string", required: true, description: "" },
        { name: "c", type: "string", required: true, description: "" },
        { name: "m", type: "map<string,string>", required: false, description: "" },
      ],
      formats: ["jsonl"],
    };
    const categories = ["z", "é", "a", "日本"];
    const records = Array.from({ length: 4000 }, (_, index) => ({
      s: index < 1500 ? ["x", "y", "w"][index % 3] : `unique-${index}`,
      c: categories[index % categories.length],
      m: index % 7 === 0 ? null : index % 7 === 1 ? {} : { page: "/home", clé: index % 5 === 0 ? null : "valeur ✓", id: `v${index}` },
    }));
    const store = memoryStore();
    // Act
    await convertRecords(Readable.from([jsonLines(records)]), { dataset: STRINGS, encoding: { format: "jsonl", gzip: false }, name: "n", sourceKey: SOURCE_KEY, landedAt: LANDED_AT, openSink: store.openSink, codec, rowGroupRows: 5000 });
    // Assess: every value as DuckDB reads it, and the statistics of the flat columns
    const { rows } = await readParquetWithDuckDb(store.objects.get("processed/strings/n.parquet")!);
    expect(rows.map((row) => [row.s, row.c])).toEqual(records.map((record) => [record.s, record.c]));
    expect(rows.map((row) => row.m)).toEqual(
      records.map((record) => (record.m === null ? null : Object.entries(record.m).map(([key, value]) => ({ key, value })))),
    );
    const { DuckDBInstance } = await import("@duckdb/node-api");
    const path = parquetScratchFile(store.objects.get("processed/strings/n.parquet")!);
    const connection = await (await DuckDBInstance.create()).connect();
    const metadata = await (
      await connection.run(`SELECT path_in_schema AS column, stats_min_value AS min, stats_max_value AS max, encodings FROM parquet_metadata('${path}') ORDER BY column_id`)
    ).getRowObjectsJson();
    expect(metadata.slice(0, 2).map((row) => [row.column, row.min, row.max])).toEqual([
      ["s", "unique-1500", "y"],
      ["c", "a", "日本"],
    ]);
    expect(String(metadata[1]!.encodings)).toContain("RLE_DICTIONARY");
  });

  test("writes a row group whose maps are all null or empty", async () => {
    const store = memoryStore();
    await convertRecords(Readable.from([jsonLines([{ s: "a", m: null }, { s: "b", m: {} }, { s: "c" }])]), { dataset: ALL_TYPES, encoding: { format: "jsonl", gzip: false }, name: "n", sourceKey: SOURCE_KEY, landedAt: LANDED_AT, openSink: store.openSink, codec });
    const { rows } = await readParquetWithDuckDb(store.objects.get("processed/all_types/n.parquet")!);
    expect(rows.map((row) => [row.s, row.m])).toEqual([["a", null], ["b", []], ["c", null]]);
  });

  test("writes unique strings over several plain pages, with min and max in UTF-8 byte order", async () => {
    // Prepare: 3 000 unique ids of ~500 characters (more than one page), with non-ASCII ones where
    // UTF-16 order and UTF-8 byte order disagree ("\uFF01" sorts before "😀" in bytes, after it in UTF-16)
    const UNIQUE: DatasetDefinition = { name: "unique", description: "Test dataset", columns: [{ name: "id", type: "string", required: true, description: "" }], formats: ["jsonl"] };
    const ids = Array.from({ length: 3000 }, (_, index) => `id-${String(index).padStart(4, "0")}-${"x".repeat(500)}`);
    ids[10] = "\uFF01 second";
    ids[100] = "😀 top";
    ids[101] = "é ✓";
    // Pages after the first non-BMP value are compared as bytes too: an all-ASCII page sets the minimum
    ids[2999] = "a-lowest";
    const store = memoryStore();
    // Act
    await convertRecords(Readable.from([jsonLines(ids.map((id) => ({ id })))]), { dataset: UNIQUE, encoding: { format: "jsonl", gzip: false }, name: "n", sourceKey: SOURCE_KEY, landedAt: LANDED_AT, openSink: store.openSink, codec, rowGroupRows: 5000 });
    // Assess
    const { rows } = await readParquetWithDuckDb(store.objects.get("processed/unique/n.parquet")!);
    expect(rows.map((row) => row.id)).toEqual(ids);
    const { DuckDBInstance } = await import("@duckdb/node-api");
    const path = parquetScratchFile(store.objects.get("processed/unique/n.parquet")!);
    const connection = await (await DuckDBInstance.create()).connect();
    const [statistics] = await (await connection.run(`SELECT stats_min_value AS min, stats_max_value AS max, encodings FROM parquet_metadata('${path}')`)).getRowObjectsJson();
    expect(statistics!.min).toBe("a-lowest");
    expect(statistics!.max).toBe("😀 top");
    expect(String(statistics!.encodings)).toBe("PLAIN");
  });

  test("rejects invalid records to one JSON Lines file with line number and reason; counts reconcile", async () => {
    // Prepare: CRLF endings, a blank line (not a record), and one record per rejection reason
    const lines = [
      JSON.stringify(event({ event_id: "ok1" })),
      "",
      "{not json",
      "[1,2]",
      JSON.stringify(event({ user_id: undefined })),
      JSON.stringify(event({ event_timestamp: "2026-02-30T00:00:00Z" })),
      JSON.stringify(event({ event_id: "ok2" })),
    ].join("\r\n");
    const store = memoryStore();
    // Act
    const result = await convertRecords(Readable.from([lines]), { dataset: EVENTS, encoding: { format: "jsonl", gzip: false }, name: "n", sourceKey: SOURCE_KEY, landedAt: LANDED_AT, openSink: store.openSink, codec });
    // Assess
    expect(result).toMatchObject({ rowsRead: 6, rowsWritten: 2, rowsRejected: 4, rejectedKey: "rejected/events/year=2026/month=11/day=20/n.jsonl" });
    expect(result.rejectedByReason).toEqual({ malformed_json: 1, not_an_object: 1, missing_required: 1, invalid_value: 1 });
    const rejected = store.objects.get("rejected/events/year=2026/month=11/day=20/n.jsonl")!.toString().trim().split("\n").map((line) => JSON.parse(line));
    expect(rejected.map(({ line_number, reason, column }) => ({ line_number, reason, column }))).toEqual([
      { line_number: 3, reason: "malformed_json", column: undefined },
      { line_number: 4, reason: "not_an_object", column: undefined },
      { line_number: 5, reason: "missing_required", column: "user_id" },
      { line_number: 6, reason: "invalid_value", column: "event_timestamp" },
    ]);
    expect(rejected[0].record).toBe("{not json");
    expect(rejected[2].record).toBe(JSON.stringify(event({ user_id: undefined })));
    expect(new Set(rejected.map((line) => line.source_key))).toEqual(new Set([SOURCE_KEY]));
    expect((await readParquetWithDuckDb(store.objects.get(result.partitions[0]!.key)!)).rows.map((row) => row.event_id)).toEqual(["ok1", "ok2"]);
  });

  test("reads CSV with a header, quoted fields and line breaks inside quotes, across chunk boundaries", async () => {
    // Prepare
    const csv = [
      "user_id,email,name,country,signup_timestamp",
      '1,a@example.com,"Doe, Jane",FR,2026-01-01T00:00:00Z',
      '2,b@example.com,"Line one',
      'line two ""quoted""",,',
      "x3,c@example.com,,,",
      "4,d@example.com",
      '5,e@example.com,"unterminated,DE,',
    ].join("\n");
    const chunks = csv.match(/[\s\S]{1,7}/g)!;
    const store = memoryStore();
    // Act
    const result = await convertRecords(Readable.from(chunks), { dataset: USERS, encoding: { format: "csv", gzip: false }, name: "n", sourceKey: SOURCE_KEY, landedAt: LANDED_AT, openSink: store.openSink, codec });
    // Assess
    expect(result).toMatchObject({ rowsRead: 5, rowsWritten: 2, rowsRejected: 3 });
    const { rows } = await readParquetWithDuckDb(store.objects.get("processed/users/n.parquet")!);
    expect(rows).toEqual([
      { user_id: 1, email: "a@example.com", name: "Doe, Jane", country: "FR", signup_timestamp: "2026-01-01 00:00:00+00" },
      { user_id: 2, email: "b@example.com", name: 'Line one\nline two "quoted"', country: null, signup_timestamp: null },
    ]);
    const rejected = store.objects.get("rejected/users/year=2026/month=11/day=20/n.jsonl")!.toString().trim().split("\n").map((line) => JSON.parse(line));
    // compare in line order
    const byLine = rejected.map(({ line_number, reason, column }) => ({ line_number, reason, column })).sort((left, right) => left.line_number - right.line_number);
    expect(byLine).toEqual([
      { line_number: 5, reason: "invalid_value", column: "user_id" },
      { line_number: 6, reason: "malformed_csv", column: undefined },
      { line_number: 7, reason: "malformed_csv", column: undefined },
    ]);
  });

  test("decompresses gzip", async () => {
    const store = memoryStore();
    const body = gzipSync(jsonLines([event(), event({ event_id: "e2" })]));
    const result = await convertRecords(Readable.from([body.subarray(0, 10), body.subarray(10)]), { dataset: EVENTS, encoding: { format: "jsonl", gzip: true }, name: "n", sourceKey: SOURCE_KEY, landedAt: LANDED_AT, openSink: store.openSink, codec });
    expect(result).toMatchObject({ rowsRead: 2, rowsWritten: 2 });
  });

  test("fails permanently on data that is not gzip, leaving no output", async () => {
    const store = memoryStore();
    const outcome = convertRecords(Readable.from([Buffer.from("plain text, not gzip")]), { dataset: EVENTS, encoding: { format: "jsonl", gzip: true }, name: "n", sourceKey: SOURCE_KEY, landedAt: LANDED_AT, openSink: store.openSink, codec });
    await expect(outcome).rejects.toMatchObject({ name: "PermanentError", reason: "unreadable_object" });
    expect(store.objects.size).toBe(0);
  });

  test("aborts every open output when the input fails midway", async () => {
    const store = memoryStore();
    async function* failing(): AsyncGenerator<string> {
      // more lines than one JSON.parse group, so that both partitions are open when the input fails
      const records = Array.from({ length: 600 }, (_, index) => event({ event_timestamp: `2026-11-2${index % 2}T00:00:00Z` }));
      yield `${jsonLines(records)}\n`;
      throw Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
    }
    await expect(
      convertRecords(Readable.from(failing()), { dataset: EVENTS, encoding: { format: "jsonl", gzip: false }, name: "n", sourceKey: SOURCE_KEY, landedAt: LANDED_AT, openSink: store.openSink, codec, rowGroupRows: 1 }),
    ).rejects.toThrow("socket hang up");
    expect(store.objects.size).toBe(0);
    expect(store.aborted.sort()).toEqual(["processed/events/year=2026/month=11/day=20/n.parquet", "processed/events/year=2026/month=11/day=21/n.parquet"]);
  });

  test("flushes row groups as they fill, and the fullest partition when the buffer budget is reached", async () => {
    // Prepare: 1000 rows alternating over two days; groups of 300 rows, at most 200 rows buffered in all
    const records = Array.from({ length: 1000 }, (_, index) => event({ event_id: `e${index}`, event_timestamp: `2026-11-2${index % 2}T10:00:00Z` }));
    const store = memoryStore();
    // Act
    const result = await convertRecords(Readable.from([jsonLines(records)]), {
      dataset: EVENTS,
      encoding: { format: "jsonl", gzip: false },
      name: "n",
      sourceKey: SOURCE_KEY,
      landedAt: LANDED_AT,
      openSink: store.openSink, codec,
      rowGroupRows: 300,
      maxBufferedRows: 200,
    });
    // Assess
    expect(result.partitions.map((output) => output.rows)).toEqual([500, 500]);
    const { DuckDBInstance } = await import("@duckdb/node-api");
    const path = parquetScratchFile(store.objects.get(result.partitions[0]!.key)!);
    const connection = await (await DuckDBInstance.create()).connect();
    const groups = await (await connection.run(`SELECT row_group_id, max(row_group_num_rows) AS num_rows FROM parquet_metadata('${path}') GROUP BY 1 ORDER BY 1`)).getRowObjectsJson();
    expect(groups.length).toBeGreaterThan(1);
    expect(groups.every((group) => Number(group.num_rows) <= 200)).toBe(true);
    expect(groups.reduce((sum, group) => sum + Number(group.num_rows), 0)).toBe(500);
  });

  test("an empty object converts to nothing", async () => {
    const store = memoryStore();
    const result = await convertRecords(Readable.from([]), { dataset: EVENTS, encoding: { format: "jsonl", gzip: false }, name: "n", sourceKey: SOURCE_KEY, landedAt: LANDED_AT, openSink: store.openSink, codec });
    expect(result).toEqual({ rowsRead: 0, rowsWritten: 0, rowsRejected: 0, partitions: [], rejectedByReason: {} });
    expect(store.objects.size).toBe(0);
  });
});
