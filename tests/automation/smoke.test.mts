import { AthenaClient, CreateWorkGroupCommand, GetQueryExecutionCommand, ListQueryExecutionsCommand } from "@aws-sdk/client-athena";
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, ListObjectVersionsCommand, PutBucketVersioningCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { SQSClient } from "@aws-sdk/client-sqs";
import { GlueClient } from "@aws-sdk/client-glue";
import { SNSClient } from "@aws-sdk/client-sns";
import { runCli } from "../../automation/cli.js";
import { newRunId, runSmokeTest, smokeCountQuery, smokeSample, smokeTargets, type SmokeOptions } from "../../automation/smoke.js";
import { dailyPartition } from "../../storage/zones.js";
import { clientConfig, startEndpoint, type AwsEndpoint } from "../harness/emulator.js";
import { outputName } from "../../handlers/outputs.js";
import { fakeBackend, recordingProgress } from "./fake-stacks.js";

const BUCKET = "datalake-dev-lake";
const WORKGROUP = "datalake-dev";
const DATABASE = "datalake_dev";
const INSTANT = new Date("2026-11-26T04:30:00.000Z");
const RUN_ID = "20261126t043000-ab12";

let endpoint: AwsEndpoint;
let s3: S3Client;
let athena: AthenaClient;

beforeAll(async () => {
  endpoint = await startEndpoint();
  s3 = new S3Client(clientConfig(endpoint));
  athena = new AthenaClient(clientConfig(endpoint));
});
afterAll(async () => endpoint?.stop());
beforeEach(async () => {
  await endpoint.reset();
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET, CreateBucketConfiguration: { LocationConstraint: "eu-west-1" } }));
  await s3.send(new PutBucketVersioningCommand({ Bucket: BUCKET, VersioningConfiguration: { Status: "Enabled" } }));
  await athena.send(new CreateWorkGroupCommand({ Name: WORKGROUP, Configuration: { ResultConfiguration: { OutputLocation: "s3://results/" } } }));
});

/** Queues the result of the next Athena query, as moto serves it (moto never runs SQL). */
async function seedAthenaCount(count: string): Promise<void> {
  const response = await endpoint.motoApi("/moto-api/static/athena/query-results", {
    region: endpoint.region,
    results: [{ rows: [{ Data: [{ VarCharValue: "row_count" }] }, { Data: [{ VarCharValue: count }] }], column_info: [{ Name: "row_count", Type: "bigint" }] }],
  });
  expect(response.status).toBe(201);
}

/**
 * Stands in for the processor (moto runs no Lambda): every raw `events` object becomes a Parquet
 * object in its events' day partition, named after the source object version as the processor
 * names it (`outputName`).
 */
async function processRawObjects(): Promise<string[]> {
  const listing = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: "raw/events/" }));
  const written: string[] = [];
  for (const { Key } of listing.Contents ?? []) {
    const object = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key }));
    const body = await object.Body!.transformToString();
    const first = JSON.parse(body.split("\n")[0]) as { event_timestamp: string };
    const name = outputName({ bucket: BUCKET, key: Key!, etag: object.ETag ?? "", ...(object.VersionId ? { versionId: object.VersionId } : {}) });
    const key = `processed/events/${dailyPartition(new Date(first.event_timestamp))}${name}.parquet`;
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: "PAR1" }));
    written.push(key);
  }
  return written;
}

async function allVersions(): Promise<string[]> {
  const listing = await s3.send(new ListObjectVersionsCommand({ Bucket: BUCKET }));
  return [...(listing.Versions ?? []), ...(listing.DeleteMarkers ?? [])].map((version) => version.Key!);
}

/** Smoke options with a clock that moves only when the smoke test waits; `onWait` runs at each wait. */
function options(onWait: () => Promise<unknown>): SmokeOptions & { readonly progress: ReturnType<typeof recordingProgress>; waits: () => number } {
  let clock = 0;
  let waits = 0;
  return {
    s3,
    athena,
    targets: smokeTargets({ lakeBucketName: BUCKET, athenaWorkgroupName: WORKGROUP, glueDatabaseName: DATABASE }, "dev"),
    runId: RUN_ID,
    instant: INSTANT,
    eventCount: 3,
    processedDeadlineMs: 30_000,
    queryDeadlineMs: 30_000,
    pollIntervalMs: 5_000,
    sleep: async (ms) => {
      waits += 1;
      clock += ms;
      await onWait();
    },
    now: () => clock,
    progress: recordingProgress(),
    waits: () => waits,
  };
}

describe("the smoke test against the local emulator", () => {
  it("lands the sample under raw/, finds its Parquet, counts it through the workgroup, then removes every version it landed", async () => {
    // Prepare
    await seedAthenaCount("3");
    const processed: string[] = [];
    const run = options(async () => processed.push(...(await processRawObjects())));
    // Act
    const report = await runSmokeTest(run);
    // Assess
    expect(report.rawKey).toBe(`raw/events/smoke-${RUN_ID}/events.jsonl`);
    expect(report.processedKeys).toHaveLength(1);
    expect(report.processedKeys[0]).toMatch(/^processed\/events\/year=2026\/month=11\/day=26\/events-[0-9a-f]{16}\.parquet$/);
    expect(processed).toEqual(report.processedKeys);
    expect(report.rowCount).toBe(3);
    expect(report.removedVersions).toBe(2);
    expect(await allVersions()).toEqual([]);
    const executions = await athena.send(new ListQueryExecutionsCommand({ WorkGroup: WORKGROUP }));
    expect(executions.QueryExecutionIds).toHaveLength(1);
    const execution = await athena.send(new GetQueryExecutionCommand({ QueryExecutionId: executions.QueryExecutionIds![0] }));
    expect(execution.QueryExecution?.Query).toBe(smokeCountQuery(DATABASE, RUN_ID, smokeSample(RUN_ID, INSTANT, 3)));
    expect(execution.QueryExecution?.WorkGroup).toBe(WORKGROUP);
    expect(execution.QueryExecution?.QueryExecutionContext?.Database).toBe(DATABASE);
  });

  it("lands valid events records of the sample's day", async () => {
    await seedAthenaCount("3");
    let landed = "";
    const run = options(async () => {
      landed = await (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: `raw/events/smoke-${RUN_ID}/events.jsonl` }))).Body!.transformToString();
      await processRawObjects();
    });

    await runSmokeTest(run);

    const records = landed.trim().split("\n").map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records.map((record) => record.event_id)).toEqual([`smoke-${RUN_ID}-1`, `smoke-${RUN_ID}-2`, `smoke-${RUN_ID}-3`]);
    for (const record of records) {
      expect(Object.keys(record).sort()).toEqual(["event_id", "event_timestamp", "event_type", "properties", "user_id"]);
      expect(Number.isInteger(record.user_id)).toBe(true);
      expect(record.event_timestamp).toBe(INSTANT.toISOString());
    }
  });

  it("fails at the deadline when no Parquet appears, and still removes the sample", async () => {
    const run = options(async () => undefined);

    await expect(runSmokeTest(run)).rejects.toThrow(
      new RegExp(`no Parquet (processed/events/year=2026/month=11/day=26/events-[0-9a-f]{16}\\.parquet( or )?)+ for raw/events/smoke-${RUN_ID}/events\\.jsonl within 30000 ms`),
    );

    expect(run.waits()).toBe(6);
    expect(await allVersions()).toEqual([]);
  });

  it("does not take another object in the day's partition for its own", async () => {
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: "processed/events/year=2026/month=11/day=26/real-data.parquet", Body: "PAR1" }));
    const run = options(async () => undefined);

    await expect(runSmokeTest(run)).rejects.toThrow("no Parquet");

    expect(await allVersions()).toEqual(["processed/events/year=2026/month=11/day=26/real-data.parquet"]);
  });

  it("fails when the day query counts another number of rows, and still removes what it landed", async () => {
    await seedAthenaCount("2");
    const run = options(processRawObjects);

    await expect(runSmokeTest(run)).rejects.toThrow("the day query counted 2 smoke rows, expected 3");

    expect(await allVersions()).toEqual([]);
  });

  it("names a missing stack output", () => {
    expect(() => smokeTargets({ lakeBucketName: BUCKET, glueDatabaseName: DATABASE }, "dev")).toThrow(
      'stack dev: output "athenaWorkgroupName" must be a non-empty string; it is missing',
    );
  });
});

describe("npm run ci -- smoke", () => {
  it("smoke-tests the stack named, from its outputs, and exits 0", async () => {
    await seedAthenaCount("3");
    const backend = fakeBackend();
    backend.stack("dev").outputsValue = { lakeBucketName: BUCKET, athenaWorkgroupName: WORKGROUP, glueDatabaseName: DATABASE };
    let out = "";
    let clock = INSTANT.getTime();

    const code = await runCli(["smoke", "--stack", "dev", "--timeout", "60"], {
      env: {},
      out: { write: (chunk: string) => (out += chunk) },
      err: { write: (chunk: string) => (out += chunk) },
      openStack: () => backend.openStack,
      awsClients: () => ({ s3, athena, sqs: new SQSClient(clientConfig(endpoint)), sns: new SNSClient(clientConfig(endpoint)), glue: new GlueClient(clientConfig(endpoint)), invokeCuratedJob: () => async () => undefined }),
      sleep: async (ms) => {
        clock += ms;
        await processRawObjects();
      },
      now: () => clock,
    });

    expect(out).toContain("dev: smoke test passed: 3 rows counted by Athena");
    expect(code).toBe(0);
    expect(await allVersions()).toEqual([]);
  });
});

describe("the smoke sample (pure)", () => {
  it("accepts the run ids newRunId makes, and puts the day of the instant in the processed prefix", () => {
    const runId = newRunId(new Date("2026-01-02T23:59:59.123Z"), () => 0.5);

    const sample = smokeSample(runId, new Date("2026-01-02T23:59:59.123Z"), 2);

    expect(runId).toMatch(/^20260102t235959-[0-9a-z]{4}$/);
    expect(sample.processedPrefix).toBe("processed/events/year=2026/month=01/day=02/");
    expect(sample.eventIds).toEqual([`smoke-${runId}-1`, `smoke-${runId}-2`]);
  });

  it("refuses run ids and database names that could escape the key or the SQL", () => {
    expect(() => smokeSample("x'; DROP TABLE events; --", INSTANT, 3)).toThrow("smoke run id");
    expect(() => smokeSample(RUN_ID, INSTANT, 0)).toThrow("smoke event count must be a positive integer, got 0");
    expect(() => smokeCountQuery('db"."x', RUN_ID, smokeSample(RUN_ID, INSTANT, 3))).toThrow("is not a plain identifier");
  });
});
