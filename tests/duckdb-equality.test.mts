// The processor's Parquet against DuckDB's on the benchmark's inputs (issue 20): the same rows and
// types, partitioned the same way, with the statistics Athena and DuckDB prune row groups with.
// Small slices of the inputs bench/processor.ts generates; the sizes and speeds are the benchmark's.
import { mkdirSync, writeFileSync, readdirSync } from "node:fs";
import { createReadStream } from "node:fs";
import { dirname, join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { convertRecords } from "../handlers/convert.js";
import { EVENTS } from "../handlers/datasets.js";
import { loadParquetCodec } from "../handlers/parquet.js";
import { benchEvents, mixedEvents, writeGenerated } from "../bench/inputs.js";
import { duckDbConversion } from "../bench/duckdb.js";
import { memoryStore } from "./harness/sinks.js";
import { removeScratch, scratchFolder } from "./harness/scratch.js";

const INPUT_BYTES = 3 * 1024 * 1024;
const codec = await loadParquetCodec();

let connection: DuckDBConnection;
let instance: DuckDBInstance;
const folders: string[] = [];
beforeAll(async () => {
  instance = await DuckDBInstance.create(":memory:", { threads: "1" });
  connection = await instance.connect();
});
afterAll(() => {
  connection.closeSync();
  instance.closeSync();
  for (const folder of folders) removeScratch(folder);
});

const rows = async (sql: string) => (await connection.runAndReadAll(sql)).getRowObjectsJson();

function parquetFiles(root: string): string[] {
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(".parquet"))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

/** Both conversions of a generated input: the processor's files under `ours`, DuckDB's under `theirs`. */
async function convertBoth(generator: typeof benchEvents): Promise<{ ours: string; theirs: string }> {
  const root = scratchFolder("duckdb-equality");
  folders.push(root);
  const input = join(root, "input.jsonl");
  await writeGenerated(input, generator(), INPUT_BYTES);
  const store = memoryStore();
  const result = await convertRecords(createReadStream(input, { highWaterMark: 64 * 1024 }), {
    dataset: EVENTS,
    encoding: { format: "jsonl", gzip: false },
    name: "bench",
    sourceKey: "raw/events/input.jsonl",
    landedAt: new Date("2026-11-01T00:00:00Z"),
    openSink: store.openSink,
    codec,
  });
  expect(result.rowsRejected).toBe(0);
  const ours = join(root, "ours");
  for (const [key, bytes] of store.objects) {
    const path = join(ours, key.replace(/^processed\/events\//, ""));
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, bytes);
  }
  const theirs = join(root, "theirs");
  await connection.run(duckDbConversion(EVENTS, input, theirs, false));
  return { ours, theirs };
}

describe.each([
  ["the bench's own events (3 days)", benchEvents],
  ["mixed-cardinality events over 30 days", mixedEvents],
])("on %s, the processor's Parquet and DuckDB's", (_name, generator) => {
  let ours: string;
  let theirs: string;
  const source = (root: string) => `read_parquet('${root}/**/*.parquet', hive_partitioning = false)`;
  // Maps compare as text: both keep each record's key order.
  const comparable = "event_id, user_id, event_timestamp, event_type, CAST(properties AS VARCHAR) AS properties";
  beforeAll(async () => {
    ({ ours, theirs } = await convertBoth(generator));
  });

  test("hold the same rows, in the same day partitions", async () => {
    // Prepare / Act: both converted in beforeAll
    // DuckDB writes month=1, the lake month=01 (storage/zones.ts): compared as numbers.
    const partitionsOf = (root: string) => [...new Set(parquetFiles(root).map((file) => dirname(relative(root, file)).replace(/=0+(\d)/g, "=$1")))].sort();
    // Assess
    expect(partitionsOf(ours)).toEqual(partitionsOf(theirs));
    const [counts] = await rows(`SELECT (SELECT count(*) FROM ${source(ours)}) AS ours, (SELECT count(*) FROM ${source(theirs)}) AS theirs`);
    expect(Number(counts!.ours)).toBeGreaterThan(5000);
    expect(counts!.ours).toBe(counts!.theirs);
    for (const [left, right] of [
      [ours, theirs],
      [theirs, ours],
    ] as const) {
      expect(await rows(`SELECT ${comparable} FROM ${source(left)} EXCEPT ALL SELECT ${comparable} FROM ${source(right)}`)).toEqual([]);
    }
  });

  test("have the same column types", async () => {
    const describe = (root: string) => rows(`SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM ${source(root)})`);
    expect(await describe(ours)).toEqual(await describe(theirs));
    expect(await describe(ours)).toEqual([
      { column_name: "event_id", column_type: "VARCHAR" },
      { column_name: "user_id", column_type: "INTEGER" },
      { column_name: "event_timestamp", column_type: "TIMESTAMP WITH TIME ZONE" },
      { column_name: "event_type", column_type: "VARCHAR" },
      { column_name: "properties", column_type: "MAP(VARCHAR, VARCHAR)" },
    ]);
  });

  test("carry min, max and null count for every flat column of every row group, equal to the data's", async () => {
    const metadata = await rows(
      `SELECT path_in_schema AS column, count(*) AS chunks, count(stats_min_value) AS with_min, count(stats_max_value) AS with_max, count(stats_null_count) AS with_nulls
       FROM parquet_metadata('${ours}/**/*.parquet') WHERE path_in_schema NOT LIKE 'properties%' GROUP BY ALL ORDER BY ALL`,
    );
    expect(metadata.map((row) => row.column)).toEqual(["event_id", "event_timestamp", "event_type", "user_id"]);
    for (const row of metadata) expect([row.with_min, row.with_max, row.with_nulls]).toEqual([row.chunks, row.chunks, row.chunks]);
    // The file-level bounds DuckDB reads from the statistics match the data.
    const [bounds] = await rows(
      `SELECT (SELECT min(CAST(stats_min AS INTEGER)) FROM parquet_metadata('${ours}/**/*.parquet') WHERE path_in_schema = 'user_id') AS stats_min, (SELECT min(user_id) FROM ${source(ours)}) AS data_min`,
    );
    expect(String(bounds!.stats_min)).toBe(String(bounds!.data_min));
  });
});
