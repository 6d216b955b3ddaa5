import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { CreateBucketCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { AthenaClient, CreateWorkGroupCommand, GetQueryExecutionCommand, ListQueryExecutionsCommand } from "@aws-sdk/client-athena";
import {
  CURATED_AGGREGATES,
  EVENTS_DAILY_BY_TYPE,
  buildCuratedDay,
  curatedDayPrefix,
  dayToBuild,
  handleCuratedJob,
  parseCalendarDay,
  unloadStatement,
  type CuratedJobDependencies,
} from "../handlers/curated.js";
import { recordingLogger } from "./harness/recording-logger.js";
import { executionStates, fakeClock, scriptedClient, type RecordedCommand } from "./athena-fakes.js";
import { runProgram } from "./harness/program.js";
import { invokeInChildProcess } from "./harness/lambda.js";
import { clientConfig, startEndpoint, type AwsEndpoint } from "./harness/emulator.js";

const DAY = { year: 2026, month: 11, day: 1 };

describe("dayToBuild", () => {
  test.each([
    [{ day: "2026-11-01" }, "2026-11-20T10:00:00Z", { year: 2026, month: 11, day: 1 }],
    [{ time: "2026-03-01T02:30:00Z", "detail-type": "Scheduled Event" }, "2026-03-01T05:00:00Z", { year: 2026, month: 2, day: 28 }],
    [{ time: "2027-01-01T00:00:00Z" }, "2027-01-01T00:00:01Z", { year: 2026, month: 12, day: 31 }],
    [{}, "2028-03-01T12:00:00Z", { year: 2028, month: 2, day: 29 }],
    [null, "2026-11-26T00:10:00Z", { year: 2026, month: 11, day: 25 }],
  ])("%j at %s → %j", (event, now, expected) => {
    expect(dayToBuild(event, new Date(now))).toEqual(expected);
  });

  test("a retried scheduled run after midnight still builds the scheduled day", () => {
    const scheduled = { time: "2026-11-26T23:59:00Z" };
    expect(dayToBuild(scheduled, new Date("2026-11-27T00:03:00Z"))).toEqual({ year: 2026, month: 11, day: 25 });
  });

  test.each(["2026-02-30", "2026-13-01", "26-11-01", "2026-11-1", "yesterday", 20261101])("rejects day %j naming the field and the format", (day) => {
    expect(() => dayToBuild({ day }, new Date())).toThrow(/^Event field day .* is not accepted; expected a date as YYYY-MM-DD/);
  });

  test("parseCalendarDay accepts leap days only in leap years", () => {
    expect(parseCalendarDay("2028-02-29")).toEqual({ year: 2028, month: 2, day: 29 });
    expect(parseCalendarDay("2026-02-29")).toBeUndefined();
  });
});

describe("unloadStatement", () => {
  test("unloads the day's aggregate as Parquet into the day's Hive-style curated prefix, reading only that day's partition", () => {
    const sql = unloadStatement(EVENTS_DAILY_BY_TYPE, { database: "datalake_dev", lakeBucket: "lake", day: DAY });
    expect(sql).toBe(
      "UNLOAD (SELECT event_type, count(*) AS events, count(DISTINCT user_id) AS users FROM datalake_dev.events " +
        "WHERE year = 2026 AND month = 11 AND day = 1 GROUP BY event_type) " +
        "TO 's3://lake/curated/events_daily_by_type/year=2026/month=11/day=01/' WITH (format = 'PARQUET', compression = 'SNAPPY')",
    );
    expect(curatedDayPrefix(EVENTS_DAILY_BY_TYPE, DAY)).toBe("curated/events_daily_by_type/year=2026/month=11/day=01/");
  });
});

function jobFixture(options: { existingKeys: readonly string[]; pageSize?: number; queryStates?: Parameters<typeof executionStates>[0]; deleteErrors?: boolean }) {
  const log: RecordedCommand[] = [];
  const clock = fakeClock();
  const pageSize = options.pageSize ?? 1000;
  const s3 = scriptedClient("s3", log, {
    ListObjectsV2Command: (input) => {
      const matching = options.existingKeys.filter((key) => key.startsWith(input.Prefix as string));
      const start = Number(input.ContinuationToken ?? 0);
      const page = matching.slice(start, start + pageSize);
      const more = start + pageSize < matching.length;
      return { Contents: page.map((Key) => ({ Key })), IsTruncated: more, ...(more ? { NextContinuationToken: String(start + pageSize) } : {}) };
    },
    DeleteObjectsCommand: (input) =>
      options.deleteErrors
        ? { Errors: [{ Key: (input.Delete as { Objects: { Key: string }[] }).Objects[0]!.Key, Code: "AccessDenied", Message: "Access Denied" }] }
        : { Deleted: [] },
  });
  let started = 0;
  const athena = scriptedClient("athena", log, {
    StartQueryExecutionCommand: () => ({ QueryExecutionId: `q-${++started}` }),
    GetQueryExecutionCommand: executionStates(options.queryStates ?? ["RUNNING", "SUCCEEDED"]),
  });
  const logger = recordingLogger();
  const deps: CuratedJobDependencies = {
    athena: athena as never,
    s3: s3 as never,
    logger,
    lakeBucket: "lake",
    database: "datalake_dev",
    workGroup: "datalake-dev",
    deadline: clock.now() + 60_000,
    now: clock.now,
    sleep: clock.sleep,
  };
  return { log, deps, logger };
}

describe("buildCuratedDay", () => {
  test("empties the day's curated prefix before the UNLOAD, and touches no other day", async () => {
    // Prepare: a previous run left two objects for the day; another day has one
    const prefix = curatedDayPrefix(EVENTS_DAILY_BY_TYPE, DAY);
    const { log, deps } = jobFixture({ existingKeys: [`${prefix}a.parquet`, `${prefix}b.parquet`, "curated/events_daily_by_type/year=2026/month=11/day=02/c.parquet"] });

    // Act
    const result = await buildCuratedDay(DAY, deps);

    // Assess
    expect(log.map((call) => `${call.client}:${call.command}`)).toEqual([
      "s3:ListObjectsV2Command",
      "s3:DeleteObjectsCommand",
      "athena:StartQueryExecutionCommand",
      "athena:GetQueryExecutionCommand",
      "athena:GetQueryExecutionCommand",
    ]);
    expect(log[0]!.input).toMatchObject({ Bucket: "lake", Prefix: prefix });
    expect(log[1]!.input).toEqual({ Bucket: "lake", Delete: { Objects: [{ Key: `${prefix}a.parquet` }, { Key: `${prefix}b.parquet` }], Quiet: true } });
    expect(log[2]!.input).toEqual({
      QueryString: unloadStatement(EVENTS_DAILY_BY_TYPE, { database: "datalake_dev", lakeBucket: "lake", day: DAY }),
      WorkGroup: "datalake-dev",
      QueryExecutionContext: { Database: "datalake_dev" },
    });
    expect(result).toEqual({ day: "2026-11-01", aggregates: [{ aggregate: "events_daily_by_type", prefix, removedObjects: 2, queryExecutionId: "q-1" }] });
  });

  test("running the same day twice issues the same calls: a rerun replaces, never appends", async () => {
    const prefix = curatedDayPrefix(EVENTS_DAILY_BY_TYPE, DAY);
    const first = jobFixture({ existingKeys: [] });
    const second = jobFixture({ existingKeys: [`${prefix}from-first-run.parquet`] });
    await buildCuratedDay(DAY, first.deps);
    await buildCuratedDay(DAY, second.deps);
    const unloads = (log: RecordedCommand[]) => log.filter((call) => call.command === "StartQueryExecutionCommand").map((call) => call.input.QueryString);
    expect(unloads(second.log)).toEqual(unloads(first.log));
    expect(first.log.some((call) => call.command === "DeleteObjectsCommand")).toBe(false);
    expect(second.log.findIndex((call) => call.command === "DeleteObjectsCommand")).toBeLessThan(second.log.findIndex((call) => call.command === "StartQueryExecutionCommand"));
  });

  test("deletes a large day page by page before the UNLOAD", async () => {
    const prefix = curatedDayPrefix(EVENTS_DAILY_BY_TYPE, DAY);
    const keys = Array.from({ length: 2_500 }, (_, index) => `${prefix}part-${index}.parquet`);
    const { log, deps } = jobFixture({ existingKeys: keys });
    const result = await buildCuratedDay(DAY, deps);
    const deletes = log.filter((call) => call.command === "DeleteObjectsCommand").map((call) => (call.input.Delete as { Objects: unknown[] }).Objects.length);
    expect(deletes).toEqual([1000, 1000, 500]);
    expect(result.aggregates[0]!.removedObjects).toBe(2_500);
    const start = log.findIndex((call) => call.command === "StartQueryExecutionCommand");
    expect(log.map((call) => call.command).slice(0, start)).toEqual(Array(3).fill(["ListObjectsV2Command", "DeleteObjectsCommand"]).flat());
  });

  test("does not UNLOAD when the day could not be emptied", async () => {
    const prefix = curatedDayPrefix(EVENTS_DAILY_BY_TYPE, DAY);
    const { log, deps } = jobFixture({ existingKeys: [`${prefix}a.parquet`], deleteErrors: true });
    await expect(buildCuratedDay(DAY, deps)).rejects.toThrow(`Could not delete 1 object(s) under s3://lake/${prefix}: ${prefix}a.parquet AccessDenied Access Denied`);
    expect(log.some((call) => call.client === "athena")).toBe(false);
  });

  test("fails with Athena's own error message", async () => {
    const reason = "HIVE_BAD_DATA: Field event_type's type INT64 in parquet is incompatible with type varchar defined in table schema";
    const { deps } = jobFixture({ existingKeys: [], queryStates: ["QUEUED", { state: "FAILED", reason }] });
    await expect(buildCuratedDay(DAY, deps)).rejects.toThrow(`failed: ${reason}`);
  });
});

describe("handleCuratedJob", () => {
  test("builds yesterday for a scheduled event and logs the day", async () => {
    const { log, deps, logger } = jobFixture({ existingKeys: [] });
    const result = await handleCuratedJob({ time: "2026-11-26T02:30:00Z" }, deps);
    expect(result.day).toBe("2026-11-25");
    expect(log.find((call) => call.command === "StartQueryExecutionCommand")!.input.QueryString).toContain("WHERE year = 2026 AND month = 11 AND day = 25");
    expect(logger.lines.map((line) => line.message)).toEqual(["Building curated day", "Built curated aggregate"]);
    expect(CURATED_AGGREGATES).toHaveLength(result.aggregates.length);
  });
});

describe("the serialized curated job", () => {
  let endpoint: AwsEndpoint;
  beforeAll(async () => {
    endpoint = await startEndpoint();
  });
  afterAll(async () => {
    await endpoint?.stop();
  });

  test("runs in a child process, as uploaded: empties the backfilled day on S3 and starts the UNLOAD in the workgroup", async () => {
    // Prepare: the lake bucket on the local endpoint with a stale curated day and a neighbouring day
    const s3 = new S3Client(clientConfig(endpoint));
    const athena = new AthenaClient(clientConfig(endpoint));
    const bucket = "lake-curated-test";
    await s3.send(new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: endpoint.region as never } }));
    const day = curatedDayPrefix(EVENTS_DAILY_BY_TYPE, DAY);
    const neighbour = "curated/events_daily_by_type/year=2026/month=11/day=02/keep.parquet";
    for (const key of [`${day}stale-1.parquet`, `${day}stale-2.parquet`, neighbour]) {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: "x" }));
    }
    const dev = await runProgram("dev");
    const fn = dev.one("aws:lambda/function:Function", "datalake-curated");
    await athena.send(new CreateWorkGroupCommand({ Name: fn.inputs.environment.variables.ATHENA_WORKGROUP }));
    const environment = {
      ...endpoint.environment,
      LAKE_BUCKET: bucket,
      GLUE_DATABASE: fn.inputs.environment.variables.GLUE_DATABASE,
      ATHENA_WORKGROUP: fn.inputs.environment.variables.ATHENA_WORKGROUP,
      S3_FORCE_PATH_STYLE: "true",
    };

    // Act
    const outcome = await invokeInChildProcess<{ day: string; aggregates: { removedObjects: number; queryExecutionId: string }[] }>(fn, { day: "2026-11-01" }, environment);

    // Assess
    expect(outcome, outcome.logs).toMatchObject({ ok: true, result: { day: "2026-11-01", aggregates: [{ removedObjects: 2 }] } });
    const remaining = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "curated/" }));
    expect((remaining.Contents ?? []).map((object) => object.Key)).toEqual([neighbour]);
    const executions = await athena.send(new ListQueryExecutionsCommand({ WorkGroup: "datalake-dev" }));
    expect(executions.QueryExecutionIds).toHaveLength(1);
    const { QueryExecution } = await athena.send(new GetQueryExecutionCommand({ QueryExecutionId: executions.QueryExecutionIds![0] }));
    expect(QueryExecution?.Query).toBe(unloadStatement(EVENTS_DAILY_BY_TYPE, { database: "datalake_dev", lakeBucket: bucket, day: DAY }));
    expect(outcome.logs).toContain('"service":"curated"');
  });

  test("fails a backfill with an impossible day, naming the field", async () => {
    const dev = await runProgram("dev");
    const declared = dev.one("aws:lambda/function:Function", "datalake-curated");
    const outcome = await invokeInChildProcess(declared, { day: "2026-02-30" }, {
      ...endpoint.environment,
      LAKE_BUCKET: "lake",
      GLUE_DATABASE: "datalake_dev",
      ATHENA_WORKGROUP: "datalake-dev",
    });
    expect(outcome).toMatchObject({ ok: false, error: { name: "InvalidCuratedJobEvent", message: expect.stringContaining('Event field day "2026-02-30" is not accepted') } });
  });
});
