/**
 * The whole data path of the dev stack on a local AWS endpoint (moto_server, or LocalStack / AWS with
 * DATALAKE_AWS_ENDPOINT): the data plane provisioned from the program's own declarations, every
 * request judged against the declared policies, the functions' exact uploads on their runtime's Node
 * with Lambda's flags, driven as the Lambda service drives them, and the lake read back by DuckDB.
 * Any denied request a scenario does not expect fails it.
 */
import { beforeAll, describe, expect, test } from "vitest";
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { AthenaClient, CreateWorkGroupCommand } from "@aws-sdk/client-athena";
import { S3Client } from "@aws-sdk/client-s3";
import { runSmokeTest, smokeCountQuery, smokeSample, smokeTargets } from "../../automation/smoke.js";
import type { ProgramRun } from "../harness/program.js";
import { DEFAULT_LANDING_DAY, PRINCIPALS } from "../harness/local-pipeline.js";
import { pipelineScenarios } from "../harness/pipeline-scenarios.mjs";
import { executionParameters, namedQueries } from "../../analytics/queries.js";
import { PARQUET_AS_READ, parquetSchema, type LakeSnapshot } from "../harness/lake-reader.js";
import {
  EVENT_COLUMNS,
  SAMPLE_USERS,
  UNREGISTERED_DATASET,
  USER_COLUMNS,
  csv,
  expectedEventsPerType,
  expectedEventsPerUser,
  gzip,
  jsonLines,
  sampleEvents,
} from "../harness/sample-data.js";

/** The day the seed's named queries look at. */
const DAY = "2026-11-01";
const DAY_PARTS = { year: 2026, month: 11, day: 1 } as const;

const scenario = pipelineScenarios();
/** The dev stack as the program declares it. */
let run: ProgramRun;
beforeAll(() => {
  run = scenario.dev();
});

const count = (rows: Record<string, unknown>[]) => Number(rows[0]?.n);
/** A named query exactly as the program saves it, run for one day with Athena-style execution parameters. */
const runNamedQuery = (snapshot: LakeSnapshot, name: string, day: { year: number; month: number; day: number }) => {
  const declared = run.all("aws:athena/namedQuery:NamedQuery").find((query) => query.inputs.name === name);
  const definition = namedQueries(String(run.outputs.glueDatabaseName)).find((query) => query.name === name);
  if (!declared || !definition) throw new Error(`No named query ${name}`);
  return snapshot.rows(String(declared.inputs.query), executionParameters(definition, day));
};
const numbers = (rows: Record<string, unknown>[], fields: readonly string[]) =>
  rows.map((row) => Object.fromEntries(Object.entries(row).map(([key, value]) => [key, fields.includes(key) ? Number(value) : value])));

describe("the dev pipeline, end to end", () => {
  test("several files and datasets in JSON Lines, CSV and gzip become the declared tables, and the seed's queries answer", async () => {
    // Prepare: events as JSON Lines (with 2 invalid lines), CSV (1 invalid row) and gzip; users as JSON Lines and CSV
    const pipeline = await scenario.start(run);
    const jsonEvents = sampleEvents(DAY, 6, "json");
    const csvEvents = sampleEvents(DAY, 4, "csv");
    const gzipEvents = sampleEvents(DAY, 5, "gz");
    await pipeline.land("raw/events/batch-1.jsonl", jsonLines(jsonEvents) + "{not json\n" + JSON.stringify({ ...jsonEvents[0], event_id: "bad-user", user_id: "x" }) + "\n");
    await pipeline.land("raw/events/batch-2.csv", csv(csvEvents, EVENT_COLUMNS) + "csv-bad,1,yesterday,page_view,{}\n", { ContentType: "text/csv" });
    await pipeline.land("raw/events/batch-3.jsonl.gz", gzip(jsonLines(gzipEvents)));
    await pipeline.land("raw/users/users-1.jsonl", jsonLines(SAMPLE_USERS.slice(0, 2)));
    await pipeline.land("raw/users/users-2.csv", csv(SAMPLE_USERS.slice(2), USER_COLUMNS));

    // Act
    const report = await pipeline.drive();
    const lake = scenario.keep(await pipeline.snapshot());

    // Assess: every object announced and processed, nothing retried
    expect(report.notifications).toMatchObject({ invocations: 5, failures: 0 });
    expect(report.processing).toMatchObject({ deleted: 5, reportedFailures: 0, failedInvocations: 0 });
    const allEvents = [...jsonEvents, ...csvEvents, ...gzipEvents];
    expect(count(await lake.rows("SELECT count(*) AS n FROM datalake_dev.events"))).toBe(allEvents.length);
    expect(count(await lake.rows("SELECT count(*) AS n FROM datalake_dev.users"))).toBe(SAMPLE_USERS.length);
    const ids = (await lake.rows("SELECT event_id FROM datalake_dev.events ORDER BY event_id")).map((row) => row.event_id);
    expect(ids).toEqual(allEvents.map((event) => event.event_id).sort());
    // rejected = the invalid records, with their reasons
    const rejected = await lake.rows("SELECT dataset, reason, line_number, source_key FROM datalake_dev.rejected ORDER BY source_key, line_number");
    expect(numbers(rejected, ["line_number"])).toEqual([
      { dataset: "events", reason: "malformed_json", line_number: 7, source_key: "raw/events/batch-1.jsonl" },
      { dataset: "events", reason: "invalid_value", line_number: 8, source_key: "raw/events/batch-1.jsonl" },
      { dataset: "events", reason: "invalid_value", line_number: 6, source_key: "raw/events/batch-2.csv" },
    ]);
    // schema = the Glue tables the analytics layer declares
    for (const table of lake.tables.filter((candidate) => candidate.format === "parquet" && candidate.prefix.startsWith("processed/"))) {
      const file = lake.keys.find((key) => key.startsWith(table.prefix) && key.endsWith(".parquet"))!;
      expect(await parquetSchema(lake, file), table.name).toEqual(Object.fromEntries(table.columns.map((column) => [column.name, PARQUET_AS_READ[column.type]])));
    }
    // the seed's queries, exactly as declared, give the answers computed from the sample
    expect(numbers(await runNamedQuery(lake, "events per type for one day", DAY_PARTS), ["events"])).toEqual(expectedEventsPerType(allEvents, DAY));
    expect(numbers(await runNamedQuery(lake, "events per user joined with users", DAY_PARTS), ["events", "user_id"])).toEqual(
      expectedEventsPerUser(allEvents, SAMPLE_USERS, DAY),
    );
    // Rejected records are partitioned by the day their object landed: the pipeline's pinned clock.
    const landed = DEFAULT_LANDING_DAY;
    const rejectedPerDay = numbers(await runNamedQuery(lake, "rejected rows per day and reason", landed), ["year", "month", "day", "rejected_rows"]);
    expect(rejectedPerDay).toEqual([
      { dataset: "events", ...landed, reason: "invalid_value", rejected_rows: 2 },
      { dataset: "events", ...landed, reason: "malformed_json", rejected_rows: 1 },
    ]);
  });

  test("one file spanning several days is split into one partition per day", async () => {
    const pipeline = await scenario.start(run);
    const events = [...sampleEvents("2026-10-31", 2, "a"), ...sampleEvents("2026-11-01", 3, "b"), ...sampleEvents("2026-11-02", 4, "c")];
    await pipeline.land("raw/events/three-days.jsonl", jsonLines(events));

    await pipeline.drive();
    const lake = scenario.keep(await pipeline.snapshot());

    const perDay = await lake.rows("SELECT year, month, day, count(*) AS n FROM datalake_dev.events GROUP BY ALL ORDER BY ALL");
    expect(numbers(perDay, ["year", "month", "day", "n"])).toEqual([
      { year: 2026, month: 10, day: 31, n: 2 },
      { year: 2026, month: 11, day: 1, n: 3 },
      { year: 2026, month: 11, day: 2, n: 4 },
    ]);
    expect(lake.keys.filter((key) => key.startsWith("processed/events/")).map((key) => key.split("/").slice(2, 5).join("/"))).toEqual([
      "year=2026/month=10/day=31",
      "year=2026/month=11/day=01",
      "year=2026/month=11/day=02",
    ]);
  });

  test("keys with spaces, + and unicode are decoded and processed", async () => {
    const pipeline = await scenario.start(run);
    const key = "raw/events/Relevé + août 2026 ✓.jsonl";
    await pipeline.land(key, jsonLines(sampleEvents(DAY, 3, "u")));

    const report = await pipeline.drive();
    const lake = scenario.keep(await pipeline.snapshot());

    expect(report.processing).toMatchObject({ deleted: 1, reportedFailures: 0 });
    expect(count(await lake.rows("SELECT count(*) AS n FROM datalake_dev.events"))).toBe(3);
    expect(lake.keys.filter((name) => name.startsWith("processed/events/year=2026/month=11/day=01/Releve_aout_2026-") && name.endsWith(".parquet"))).toHaveLength(1);
    expect(pipeline.processor.logs).toContain(`"key":"${key}"`);
  });

  test("a folder marker is skipped without a message; a zero-byte object is a version that writes nothing", async () => {
    const pipeline = await scenario.start(run);
    await pipeline.land("raw/events/", "");
    await pipeline.land("raw/events/empty.jsonl", "");

    const report = await pipeline.drive();
    const lake = scenario.keep(await pipeline.snapshot());

    expect(report.notifications).toMatchObject({ invocations: 2, failures: 0 });
    expect(report.processing).toMatchObject({ invocations: 1, deleted: 1, reportedFailures: 0 });
    expect(lake.keys).toEqual([]);
    expect(pipeline.ingest.logs).toContain("Skipping folder marker");
  });

  test("an object of an unregistered dataset never reaches the processor and is reported at error level", async () => {
    const pipeline = await scenario.start(run);
    await pipeline.land(`raw/${UNREGISTERED_DATASET}/o-1.jsonl`, '{"order_id":1}\n');

    const report = await pipeline.drive();
    const lake = scenario.keep(await pipeline.snapshot());

    expect(report.notifications).toMatchObject({ invocations: 1, failures: 0 });
    expect(report.processing.invocations).toBe(0);
    expect(lake.keys).toEqual([]);
    expect(pipeline.ingest.logs).toMatch(/"level":"ERROR".*Object landed in an unregistered dataset|Object landed in an unregistered dataset.*"level":"ERROR"/);
    expect(await pipeline.deadLetters()).toHaveLength(0);
  });

  test("a poison message reaches the DLQ after exactly maxReceiveCount receives", async () => {
    // Prepare: S3 answers every read of this object with 503, through a proxy in front of the endpoint
    const pipeline = await scenario.start(run, { faults: true });
    const faults = pipeline.faults!;
    faults.fail({ method: "GET", path: /\/raw\/events\/poison\.jsonl$/, times: Infinity, status: 503, code: "SlowDown" });
    await pipeline.land("raw/events/poison.jsonl", jsonLines(sampleEvents(DAY, 2, "p")));
    const maxReceiveCount = JSON.parse(run.one("aws:sqs/queue:Queue", "datalake-processing").inputs.redrivePolicy).maxReceiveCount as number;

    // Act
    const report = await pipeline.drive();

    // Assess
    expect(report.processing).toMatchObject({ invocations: maxReceiveCount, reportedFailures: maxReceiveCount, deleted: 0 });
    const deadLetters = await pipeline.deadLetters();
    expect(deadLetters).toHaveLength(1);
    expect(JSON.parse(deadLetters[0]!.Body!)).toMatchObject({ key: "raw/events/poison.jsonl", dataset: "events" });
    expect(faults.injected.length).toBeGreaterThanOrEqual(maxReceiveCount);
  });

  test("a duplicate delivery overwrites instead of adding rows", async () => {
    const pipeline = await scenario.start(run);
    await pipeline.land("raw/events/dup.jsonl", jsonLines(sampleEvents(DAY, 4, "d")));
    const first = await pipeline.drive();
    const before = await pipeline.snapshot();
    const keysBefore = before.keys;
    before.close();

    // Act: S3 delivers the same notification again (at-least-once), and SQS the same message again
    await pipeline.ingest.invoke(first.notifications.events[0]);
    await pipeline.sqs.send(new SendMessageCommand({ QueueUrl: pipeline.processingQueue.url, MessageBody: first.processing.deletedBodies[0]! }));
    const report = await pipeline.drive();
    const lake = scenario.keep(await pipeline.snapshot());

    // Assess: both duplicates were processed, and the lake holds the same objects and rows
    expect(report.processing.deleted).toBe(2);
    expect(count(await lake.rows("SELECT count(*) AS n FROM datalake_dev.events"))).toBe(4);
    expect(lake.keys).toEqual(keysBefore);
  });

  test("a transient S3 failure is retried and then succeeds, with no rows lost or doubled", async () => {
    // Prepare: the first 4 reads fail (more than the SDK's own 3 attempts), then S3 recovers
    const pipeline = await scenario.start(run, { faults: true });
    const faults = pipeline.faults!;
    faults.fail({ method: "GET", path: /\/raw\/events\/flaky\.jsonl$/, times: 4, status: 500, code: "InternalError" });
    await pipeline.land("raw/events/flaky.jsonl", jsonLines(sampleEvents(DAY, 5, "f")));

    const report = await pipeline.drive();
    const lake = scenario.keep(await pipeline.snapshot());

    expect(faults.injected).toHaveLength(4);
    expect(report.processing).toMatchObject({ reportedFailures: 1, deleted: 1 });
    expect(count(await lake.rows("SELECT count(*) AS n FROM datalake_dev.events"))).toBe(5);
    expect(await pipeline.deadLetters()).toHaveLength(0);
  });

  test("the CI smoke test passes against the real processor, as the CI principal with the policy the program declares for it", async () => {
    // Prepare: the stack's workgroup; the emulator's Athena answers with what DuckDB computes over the lake
    const pipeline = await scenario.start(run);
    await new AthenaClient(pipeline.clientConfigFor(PRINCIPALS.admin)).send(new CreateWorkGroupCommand({ Name: String(run.outputs.athenaWorkgroupName) }));
    const athena = new AthenaClient(pipeline.clientConfigFor(PRINCIPALS.ciSmoke));
    const smokeS3 = new S3Client(pipeline.clientConfigFor(PRINCIPALS.ciSmoke));
    const targets = smokeTargets(run.outputs, "dev");
    const runId = "it-smoke-1";
    const instant = new Date("2026-11-20T08:00:00Z");
    let seeded = false;
    const steps: string[] = [];

    // Act: each time the smoke test waits, the Lambda service gets to run
    const report = await runSmokeTest({
      s3: smokeS3,
      athena,
      targets,
      runId,
      instant,
      eventCount: 3,
      processedDeadlineMs: 40_000,
      queryDeadlineMs: 20_000,
      pollIntervalMs: 1_000,
      now: Date.now,
      progress: { step: (message: string) => steps.push(message), stream: () => undefined },
      sleep: async () => {
        await pipeline!.drive();
        if (seeded) return;
        const snapshot = await pipeline!.snapshot();
        try {
          const [row] = await snapshot.rows(smokeCountQuery(targets.glueDatabaseName, runId, smokeSample(runId, instant, 3)));
          if (row === undefined || Number(row.row_count) === 0) return;
          const response = await scenario.endpoint().motoApi("/moto-api/static/athena/query-results", {
            region: scenario.endpoint().region,
            results: [{ rows: [{ Data: [{ VarCharValue: "row_count" }] }, { Data: [{ VarCharValue: String(row.row_count) }] }], column_info: [{ Name: "row_count", Type: "bigint" }] }],
          });
          expect(response.status).toBe(201);
          seeded = true;
        } finally {
          snapshot.close();
        }
      },
    });

    // Assess: found the processor's own output, counted 3 rows, and left nothing behind
    expect(report.rowCount).toBe(3);
    expect(report.processedKeys).toHaveLength(1);
    const lakeAfter = await pipeline.snapshot();
    scenario.keep(lakeAfter);
    expect(lakeAfter.keys.filter((key) => key.startsWith("processed/"))).toEqual([]);
  });
});
