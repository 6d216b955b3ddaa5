/**
 * processed/ mirrors raw/ (issue 15), on the local pipeline with S3's notifications as S3 sends them
 * (version ids, sequencers, deletions) and every request judged against the declared policies: for
 * every raw key, the lake holds exactly what its latest version holds, whatever the order, the
 * concurrency, the replays and the redrives. Each scenario checks the row counts and that no output
 * file belongs to a version that is no longer the latest.
 */
import { beforeAll, describe, expect, test } from "vitest";
import { GetObjectCommand, ListObjectVersionsCommand } from "@aws-sdk/client-s3";
import { SNSClient } from "@aws-sdk/client-sns";
import { SQSClient, SendMessageCommand } from "@aws-sdk/client-sqs";
import { AthenaClient, CreateWorkGroupCommand } from "@aws-sdk/client-athena";
import type { ProgramRun } from "../harness/program.js";
import { pipelineScenarios } from "../harness/pipeline-scenarios.mjs";
import { LocalPipeline, PRINCIPALS } from "../harness/local-pipeline.js";
import { startFunction } from "../harness/lambda.js";
import type { LakeSnapshot } from "../harness/lake-reader.js";
import type { PolicyModel } from "../harness/iam/model.js";
import { jsonLines, sampleEvents } from "../harness/sample-data.js";
import { outputName } from "../../handlers/outputs.js";
import { manifestKey, type MirrorManifest } from "../../handlers/mirror.js";
import { runReplay } from "../../automation/replay.js";
import { redriveDeadLetters } from "../../automation/redrive.js";
import { redriveCuratedFailures, redriveIngestFailures } from "../../automation/failure-queues.js";
import type { Progress } from "../../automation/progress.js";

const scenario = pipelineScenarios();
/** The dev stack as the program declares it. */
let dev: ProgramRun;
beforeAll(() => {
  dev = scenario.dev();
});

const quiet: Progress = { step: () => undefined, stream: () => undefined };

async function started(options: Parameters<typeof LocalPipeline.start>[2] = {}): Promise<LocalPipeline> {
  return scenario.start(dev, options);
}

/** Rows of a table, by day. */
async function rowsPerDay(snapshot: LakeSnapshot): Promise<Record<string, number>> {
  const rows = await snapshot.rows("SELECT year, month, day, count(*) AS n FROM datalake_dev.events GROUP BY ALL ORDER BY ALL");
  return Object.fromEntries(rows.map((row) => [`${row.year}-${String(row.month).padStart(2, "0")}-${String(row.day).padStart(2, "0")}`, Number(row.n)]));
}

/** The output names of the latest version of each raw key (delete markers have none). */
async function latestOutputNames(local: LocalPipeline): Promise<Set<string>> {
  const listed = await local.s3.send(new ListObjectVersionsCommand({ Bucket: local.lakeBucket, Prefix: "raw/" }));
  return new Set(
    (listed.Versions ?? [])
      .filter((version) => version.IsLatest)
      .map((version) => outputName({ bucket: local.lakeBucket, key: version.Key!, etag: version.ETag ?? "", ...(version.VersionId ? { versionId: version.VersionId } : {}) })),
  );
}

/** Asserts that every file under processed/ and rejected/ belongs to a raw key's latest version. */
async function expectOnlyLatestVersions(local: LocalPipeline, snapshot: LakeSnapshot): Promise<void> {
  const names = await latestOutputNames(local);
  const outputs = snapshot.keys.filter((key) => key.startsWith("processed/") || key.startsWith("rejected/"));
  expect(outputs.filter((key) => ![...names].some((name) => key.includes(`/${name}.`)))).toEqual([]);
}

async function manifestOf(local: LocalPipeline, rawKey: string): Promise<MirrorManifest> {
  const response = await local.s3.send(new GetObjectCommand({ Bucket: local.lakeBucket, Key: manifestKey("events", rawKey) }));
  return JSON.parse(await response.Body!.transformToString()) as MirrorManifest;
}

describe("processed/ mirrors raw/", () => {
  test("a new version with fewer days replaces the old one's outputs in every day, including those it no longer has", async () => {
    const local = await started();
    await local.land("raw/events/export.jsonl", jsonLines([...sampleEvents("2026-11-18", 3, "a"), ...sampleEvents("2026-11-19", 3, "b"), ...sampleEvents("2026-11-20", 3, "c")]));
    await local.drive();
    await local.land("raw/events/export.jsonl", jsonLines(sampleEvents("2026-11-21", 2, "corrected")));

    await local.drive();
    const lake = scenario.keep(await local.snapshot());

    expect(await rowsPerDay(lake)).toEqual({ "2026-11-21": 2 });
    await expectOnlyLatestVersions(local, lake);
    expect((await manifestOf(local, "raw/events/export.jsonl")).outputs).toEqual([expect.stringMatching(/^processed\/events\/year=2026\/month=11\/day=21\/export-/)]);
  });

  test("deleting a raw key removes its outputs and leaves a tombstone", async () => {
    const local = await started();
    await local.land("raw/events/gone.jsonl", jsonLines(sampleEvents("2026-11-18", 2, "g")) + "{broken\n");
    await local.land("raw/events/kept.jsonl", jsonLines(sampleEvents("2026-11-18", 1, "k")));
    await local.drive();

    await local.remove("raw/events/gone.jsonl");
    await local.drive();
    const lake = scenario.keep(await local.snapshot());

    expect(await rowsPerDay(lake)).toEqual({ "2026-11-18": 1 });
    expect(lake.keys.filter((key) => key.includes("/gone-"))).toEqual([]);
    expect(await manifestOf(local, "raw/events/gone.jsonl")).toMatchObject({ state: "deleted", outputs: [] });
    await expectOnlyLatestVersions(local, lake);
  });

  test("two versions delivered out of order: the later one wins, the older arriving last changes nothing", async () => {
    const local = await started();
    await local.land("raw/events/late.jsonl", jsonLines(sampleEvents("2026-11-18", 4, "v1")));
    await local.land("raw/events/late.jsonl", jsonLines(sampleEvents("2026-11-19", 1, "v2")));
    const [first, second] = await local.takeNotifications();

    await local.deliver([second!, first!]);
    await local.process();
    const lake = scenario.keep(await local.snapshot());

    expect(await rowsPerDay(lake)).toEqual({ "2026-11-19": 1 });
    expect(local.processor.logs).toContain("Skipped: a later change of this key is already in the lake");
    await expectOnlyLatestVersions(local, lake);
  });

  test("two versions processed at the same time in two sandboxes end with the newer one's outputs only", async () => {
    const local = await started();
    await local.land("raw/events/race.jsonl", jsonLines(sampleEvents("2026-11-18", 5, "r1")));
    await local.land("raw/events/race.jsonl", jsonLines(sampleEvents("2026-11-20", 2, "r2")));
    await local.deliver(await local.takeNotifications());

    const acknowledged = await local.processConcurrently();
    await local.process();
    const lake = scenario.keep(await local.snapshot());

    expect(acknowledged).toBe(2);
    expect(await rowsPerDay(lake)).toEqual({ "2026-11-20": 2 });
    await expectOnlyLatestVersions(local, lake);
  });

  test("a replay run twice announces the current versions again and changes nothing", async () => {
    // Prepare
    const local = await started();
    await local.land("raw/events/one.jsonl", jsonLines(sampleEvents("2026-11-18", 3, "o")));
    await local.land("raw/events/two.jsonl", jsonLines(sampleEvents("2026-11-19", 2, "t")) + "{bad\n");
    await local.drive();
    const before = await local.snapshot();
    const keysBefore = before.keys;
    before.close();
    const replay = (dryRun: boolean) =>
      runReplay({
        s3: local.s3,
        sns: new SNSClient(local.clientConfigFor(PRINCIPALS.admin)),
        bucket: local.lakeBucket,
        topicArn: local.plane.topics["datalake-ingest"]!,
        selection: { kind: "days", dataset: "events", from: "2000-01-01", to: "2999-12-31" },
        dryRun,
        batchSize: 1,
        progress: quiet,
      });

    // Act
    const dry = await replay(true);
    const dryQueue = await local.queueDepth(local.processingQueue.url);
    const first = await replay(false);
    const firstRun = await local.process();
    const second = await replay(false);
    await local.process();
    const lake = scenario.keep(await local.snapshot());

    // Assess
    expect(dry).toMatchObject({ objects: 2, announced: 0 });
    expect(dry.bytes).toBeGreaterThan(0);
    expect(dryQueue).toBe(0);
    expect(first).toMatchObject({ objects: 2, announced: 2 });
    expect(second).toMatchObject({ objects: 2, announced: 2 });
    expect(firstRun.deleted).toBe(2);
    expect(lake.keys).toEqual(keysBefore);
    expect(await rowsPerDay(lake)).toEqual({ "2026-11-18": 3, "2026-11-19": 2 });
    await expectOnlyLatestVersions(local, lake);
  });
});

describe("redrive of every failure queue", () => {
  test("the DLQ goes back to the processing queue once S3 recovers; an empty DLQ returns at once", async () => {
    // Prepare: S3 fails every read of the object until it recovers
    const local = await started({ faults: true });
    local.faults!.fail({ method: "GET", path: /\/raw\/events\/dlq\.jsonl$/, times: Infinity, status: 503, code: "SlowDown" });
    await local.land("raw/events/dlq.jsonl", jsonLines(sampleEvents("2026-11-18", 2, "d")));
    await local.drive();
    expect(await local.deadLetters()).toHaveLength(1);
    local.faults!.clear();
    const redrive = () =>
      redriveDeadLetters({
        sqs: local.sqs,
        deadLetterQueueUrl: local.deadLetterQueue.url,
        processingQueueUrl: local.processingQueue.url,
        progress: quiet,
        waitTimeSeconds: 1,
        // The message was just peeked at (hidden for a second): a few empty receives before giving up.
        emptyReceivesToStop: 3,
        visibilityTimeoutSeconds: 30,
        deadlineMs: 30_000,
        pollIntervalMs: 100,
        sleep: async () => undefined,
        now: Date.now,
      });

    // Act
    const moved = await redrive();
    await local.process();
    const again = await redrive();
    const lake = scenario.keep(await local.snapshot());

    // Assess
    expect(moved.moved).toBe(1);
    expect(again.moved).toBe(0);
    expect(await rowsPerDay(lake)).toEqual({ "2026-11-18": 2 });
    await expectOnlyLatestVersions(local, lake);
  });

  test("the ingest-failures queue is announced again, keeping S3's sequencers; an empty one receives nothing", async () => {
    // Prepare: ingest may not publish until a policy fix; Lambda retries it twice, then records the event
    const withoutPublish = (model: PolicyModel): PolicyModel => ({
      ...model,
      principals: model.principals.map((principal) =>
        principal.name !== "datalake-ingest"
          ? principal
          : { ...principal, identityPolicies: principal.identityPolicies.map((policy) => ({ ...policy, document: { ...policy.document, Statement: policy.document.Statement.filter((statement) => statement.Sid !== "PublishLandedObjects") } })) },
      ),
    });
    const local = await started({ adjustPolicies: withoutPublish });
    local.policy!.expectDenial({ principal: "datalake-ingest", action: "sns:Publish", times: 3 });
    await local.land("raw/events/unannounced.jsonl", jsonLines(sampleEvents("2026-11-18", 3, "u")));
    const delivery = await local.deliver(await local.takeNotifications());
    const failuresQueue = local.plane.queues["datalake-ingest-failures"]!;
    expect(delivery).toMatchObject({ invocations: 3, failures: 3 });
    expect(await local.queueDepth(failuresQueue.url)).toBe(1);

    // Act: the fix is deployed, then the operator redrives
    local.restoreDeclaredPolicies();
    const drain = { sqs: local.sqs, queueUrl: failuresQueue.url, progress: quiet, waitTimeSeconds: 1, visibilityTimeoutSeconds: 30 };
    const target = { sns: new SNSClient(local.clientConfigFor(PRINCIPALS.admin)), topicArn: local.plane.topics["datalake-ingest"]! };
    const redriven = await redriveIngestFailures(drain, target);
    await local.process();
    const receivesBefore = receivesOf(local, failuresQueue.arn);
    const empty = await redriveIngestFailures(drain, target);
    const lake = scenario.keep(await local.snapshot());

    // Assess
    expect(redriven).toEqual({ replayed: 1, failed: 0 });
    expect(empty).toEqual({ replayed: 0, failed: 0 });
    expect(receivesOf(local, failuresQueue.arn)).toBe(receivesBefore);
    expect(await rowsPerDay(lake)).toEqual({ "2026-11-18": 3 });
    expect((await manifestOf(local, "raw/events/unannounced.jsonl")).sequencer).toMatch(/^[0-9A-F]{18}$/);
  });

  test("the curated-failures queue rebuilds each failed run's day with the job; an empty one receives nothing", async () => {
    // Prepare: a scheduled run failed after Lambda's retries; its destination record waits in the queue
    const local = await started();
    await new AthenaClient(local.clientConfigFor(PRINCIPALS.admin)).send(new CreateWorkGroupCommand({ Name: String(dev.outputs.athenaWorkgroupName) }));
    const failuresQueue = Object.values(local.plane.queues).find((queue) => queue.declaredName.startsWith("datalake-curated-failures"))!;
    const declaredJob = dev.one("aws:lambda/function:Function", "datalake-curated");
    await new SQSClient(local.clientConfigFor("datalake-curated")).send(
      new SendMessageCommand({ QueueUrl: failuresQueue.url, MessageBody: JSON.stringify({ requestPayload: { "detail-type": "Scheduled Event", time: "2026-11-21T02:30:00Z" }, responsePayload: { errorMessage: "HIVE_BAD_DATA" } }) }),
    );
    const job = await startFunction(declaredJob, { ...local.plane.functionEnvironment(declaredJob), ...local.policy!.environmentFor("datalake-curated") });
    const builtDays: string[] = [];
    const invoke = async (day: string): Promise<void> => {
      const outcome = await job.invoke<{ day: string }>({ day });
      if (!outcome.ok) throw new Error(outcome.error.message);
      builtDays.push(outcome.result.day);
    };
    const drain = { sqs: local.sqs, queueUrl: failuresQueue.url, progress: quiet, waitTimeSeconds: 1, visibilityTimeoutSeconds: 30 };

    // Act
    try {
      const redriven = await redriveCuratedFailures(drain, invoke, () => new Date("2026-11-30T00:00:00Z"));
      const empty = await redriveCuratedFailures(drain, invoke, () => new Date("2026-11-30T00:00:00Z"));

      // Assess: the scheduled run of 2026-11-21 builds the day before it
      expect(redriven).toEqual({ replayed: 1, failed: 0 });
      expect(empty).toEqual({ replayed: 0, failed: 0 });
      expect(builtDays).toEqual(["2026-11-20"]);
      expect(await local.queueDepth(failuresQueue.url)).toBe(0);
    } finally {
      await job.stop();
    }
  });
});

/** ReceiveMessage requests on a queue so far, from the decision log. */
function receivesOf(local: LocalPipeline, queueArn: string): number {
  return local.policy!.decisions.filter((decision) => decision.operation === "ReceiveMessage" && decision.resource === queueArn).length;
}
