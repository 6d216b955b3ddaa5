/**
 * Issue 16's property: whatever a file holds, every valid record is written with its exact value,
 * every other record is rejected once with its line number, reason and raw text, and rows read =
 * written + rejected. Checked on the processor's real upload (the `__index.js` Pulumi serializes plus
 * its packed packages, run by the harness as Lambda runs it) against S3 served by moto, with files
 * from `hostile-files.ts`; the Parquet is read back with DuckDB.
 *
 * `npm test` runs a few cases per format (FUZZ_RUNS, default 8); `npm run fuzz` runs hundreds.
 * A failure prints fast-check's seed and the failing file's description; FUZZ_SEED=<seed> replays it,
 * and FUZZ_SHRINK=1 shrinks it to a smallest failing file (slow: each case is a real invocation).
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { CreateBucketCommand, DeleteObjectsCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { CreateTopicCommand, SNSClient } from "@aws-sdk/client-sns";
import { DuckDBInstance } from "@duckdb/node-api";
import { runProgram } from "./harness/program.js";
import { startFunction } from "./harness/lambda.js";
import type { LocalFunction } from "./harness/local-function.js";
import { clientConfig, startEndpoint, type AwsEndpoint } from "./harness/emulator.js";
import { sqsEvent } from "./events.js";
import { HOSTILE_LIMITS, assertOnHostileFiles, type ExpectedRejection, type ExpectedRow, type HostileFile } from "./hostile-files.js";

const BUCKET = "lake";
const RUNS = Number(process.env.FUZZ_RUNS ?? 8);

interface Counts {
  readonly rowsRead: number;
  readonly rowsWritten: number;
  readonly rowsRejected: number;
}

let endpoint: AwsEndpoint;
let s3: S3Client;
let processor: LocalFunction;
let cases = 0;

beforeAll(async () => {
  endpoint = await startEndpoint();
  s3 = new S3Client(clientConfig(endpoint));
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET, CreateBucketConfiguration: { LocationConstraint: endpoint.region as never } }));
  // The processor announces each applied version on the pipeline-events topic: a real one, so publishing is exercised.
  const events = await new SNSClient(clientConfig(endpoint)).send(new CreateTopicCommand({ Name: "pipeline-events" }));
  const dev = await runProgram("dev");
  // As declared (runtime, memory, timeout, NODE_OPTIONS), with the local endpoint and the hostile limits.
  processor = await startFunction(dev.one("aws:lambda/function:Function", "datalake-processor"), {
    ...endpoint.environment,
    LAKE_BUCKET: BUCKET,
    S3_FORCE_PATH_STYLE: "true",
    PROCESSOR_MAX_RECORD_BYTES: String(HOSTILE_LIMITS.maxRecordBytes),
    PARTITION_FIRST_YEAR: String(HOSTILE_LIMITS.firstYear),
    PARTITION_LAST_YEAR: String(HOSTILE_LIMITS.lastYear),
    PIPELINE_EVENTS_TOPIC_ARN: events.TopicArn!,
  });
}, 180_000);

afterAll(async () => {
  await processor?.stop();
  await endpoint?.stop();
});

async function keysUnder(prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) }));
    keys.push(...(listed.Contents ?? []).map((object) => object.Key!));
    token = listed.NextContinuationToken;
  } while (token);
  return keys;
}

async function objectBytes(key: string): Promise<Buffer> {
  const response = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return Buffer.from(await response.Body!.transformToByteArray());
}

/** Every row of the Parquet files, as DuckDB reads them. */
async function rowsOf(keys: readonly string[]): Promise<ExpectedRow[]> {
  if (keys.length === 0) return [];
  const dir = mkdtempSync(join(tmpdir(), "hostile-"));
  const paths = await Promise.all(keys.map(async (key, index) => {
    const path = join(dir, `${index}.parquet`);
    writeFileSync(path, await objectBytes(key));
    return path;
  }));
  const instance = await DuckDBInstance.create(":memory:", { threads: "1" });
  const connection = await instance.connect();
  try {
    const list = paths.map((path) => `'${path}'`).join(",");
    const result = await connection.run(
      `SELECT event_id, user_id, epoch_ms(event_timestamp) AS ms, event_type, CASE WHEN properties IS NULL THEN NULL ELSE to_json(map_entries(properties)) END AS properties FROM read_parquet([${list}], hive_partitioning = false)`,
    );
    const rows = await result.getRowObjectsJson();
    return rows.map((row) => ({
      event_id: String(row.event_id),
      user_id: Number(row.user_id),
      ms: Number(row.ms),
      event_type: String(row.event_type),
      properties: row.properties === null ? null : sortEntries((JSON.parse(String(row.properties)) as { key: string; value: string | null }[]).map(({ key, value }) => [key, value] as const)),
    }));
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** The counts the processor logged for `key` (the last conversion of it). */
function loggedCounts(key: string): Counts {
  const lines = processor.logs.split("\n").filter((line) => line.includes('"Converted object"'));
  for (const line of lines.reverse()) {
    const entry = JSON.parse(line) as Counts & { key: string };
    if (entry.key === key) return { rowsRead: entry.rowsRead, rowsWritten: entry.rowsWritten, rowsRejected: entry.rowsRejected };
  }
  throw new Error(`No "Converted object" line for ${key}`);
}

async function clearLake(): Promise<void> {
  const keys = await keysUnder("");
  for (let at = 0; at < keys.length; at += 1000) {
    await s3.send(new DeleteObjectsCommand({ Bucket: BUCKET, Delete: { Objects: keys.slice(at, at + 1000).map((Key) => ({ Key })) } }));
  }
}

const sortEntries = (entries: readonly (readonly [string, string | null])[]): (readonly [string, string | null])[] => [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
const byUser = (left: ExpectedRow, right: ExpectedRow): number => left.user_id - right.user_id;
const byLine = (left: ExpectedRejection, right: ExpectedRejection): number => left.line - right.line;

/** Lands the file, runs the processor on its message, and checks the property. */
async function checkFile(file: HostileFile): Promise<void> {
  // Prepare
  cases += 1;
  await clearLake();
  const key = file.key.replace("hostile", `hostile-${cases}`);
  const put = await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: file.body }));
  const message = { bucket: BUCKET, key, size: file.body.length, etag: put.ETag!.replace(/"/g, ""), eventTime: "2026-11-20T10:00:00.000Z", dataset: "events" };

  // Act
  const outcome = await processor.invoke<{ batchItemFailures: unknown[] }>(sqsEvent([JSON.stringify(message)]));

  // Assess: acknowledged, nothing rejected whole
  const errors = processor.logs.split("\n").filter((line) => line.includes('"level":"ERROR"')).slice(-3).join("\n");
  expect(outcome, `${file.description}\n${errors}`).toMatchObject({ ok: true, result: { batchItemFailures: [] } });
  expect(await keysUnder("rejected/events/_objects/"), file.description).toEqual([]);
  // every valid record written once, with its exact values, and nothing else
  const written = await rowsOf((await keysUnder("processed/events/")).filter((name) => name.endsWith(".parquet")));
  expect(written.sort(byUser), file.description).toEqual([...file.rows].sort(byUser));
  // every other record rejected once, with its line number, reason and raw text
  const rejectedKeys = await keysUnder("rejected/events/year=");
  const rejected = rejectedKeys.length === 0 ? [] : (await objectBytes(rejectedKeys[0]!)).toString("utf8").trim().split("\n").map((line) => JSON.parse(line) as { line_number: number; reason: string; record: string });
  expect(rejected.map(({ line_number, reason, record }) => ({ line: line_number, reason, record })).sort(byLine), file.description).toEqual([...file.rejections].sort(byLine));
  // read = written + rejected, and read = the file's physical records
  expect(loggedCounts(key), file.description).toEqual({ rowsRead: file.records, rowsWritten: file.rows.length, rowsRejected: file.rejections.length });
}

describe("a hostile file through the processor's real upload", () => {
  test.each(["jsonl", "csv"] as const)("%s: every valid record written exactly, every other one rejected once with its raw text", async (format) => {
    await assertOnHostileFiles(format, { runs: RUNS, shrink: process.env.FUZZ_SHRINK === "1", ...(process.env.FUZZ_SEED ? { seed: Number(process.env.FUZZ_SEED) } : {}) }, checkFile);
  }, 600_000);
});
