/**
 * The failures a real `pulumi up` would have met, each as a scenario on the local pipeline that fails
 * where AWS would: the functions' uploads on their runtime's Node with Lambda's flags and the pinned
 * runtime SDK, every request judged against the declared policies (tests/harness/iam/). Each of these
 * failed on the code before the fix it names (issue 14); any denial a scenario does not expect fails it.
 */
import { beforeAll, describe, expect, test } from "vitest";
import { DeleteObjectCommand } from "@aws-sdk/client-s3";
import { runProgram, type ProgramRun } from "../harness/program.js";
import { pipelineScenarios } from "../harness/pipeline-scenarios.mjs";
import { LocalPipeline, PRINCIPALS, type LocalPipelineOptions } from "../harness/local-pipeline.js";
import type { LakeSnapshot } from "../harness/lake-reader.js";
import type { PolicyModel } from "../harness/iam/model.js";
import { jsonLines, sampleEvents } from "../harness/sample-data.js";
import { rejectedObjectKey } from "../../handlers/processor.js";
import { RUNTIME_SDK_VERSION } from "../harness/lambda-runtime.js";

const DAY = "2026-11-20";

const scenario = pipelineScenarios();
/** The dev stack as the program declares it. */
let dev: ProgramRun;
beforeAll(() => {
  dev = scenario.dev();
});

async function started(run: ProgramRun, options: LocalPipelineOptions = {}): Promise<LocalPipeline> {
  return scenario.start(run, options);
}

const count = async (snapshot: LakeSnapshot, sql: string): Promise<number> => Number((await snapshot.rows(sql))[0]?.n);

describe("what failed on AWS, failing locally first", () => {
  test("1. the processor loads its ES-module Parquet writer on nodejs22.x, whose flags forbid require() of ES modules", async () => {
    const node22 = await runProgram("dev", { "datalake:lambdaRuntime": "nodejs22.x" });
    const local = await started(node22);
    await local.land("raw/events/node22.jsonl", jsonLines(sampleEvents(DAY, 4, "n22")));

    const report = await local.drive();
    const lake = scenario.keep(await local.snapshot());

    expect(report.processing).toMatchObject({ deleted: 1, reportedFailures: 0, failedInvocations: 0 });
    expect(await count(lake, "SELECT count(*) AS n FROM datalake_dev.events")).toBe(4);
    expect(local.processor.logs).not.toContain("ERR_REQUIRE_ESM");
  });

  test("2 and 4. uploads without an encryption header pass the lake's policy, multipart included, on the runtime's own client-s3", async () => {
    // Prepare: 60,000 invalid lines make a rejected-records file of several 8 MiB parts
    const local = await started(dev);
    const invalid = Array.from({ length: 60_000 }, (_, index) => JSON.stringify({ event_id: `bad-${index}`, user_id: "not a number", filler: "x".repeat(120) }));
    await local.land("raw/events/mostly-bad.jsonl", [jsonLines(sampleEvents(DAY, 3, "ok")).trimEnd(), ...invalid].join("\n") + "\n");

    // Act
    const report = await local.drive();
    const lake = scenario.keep(await local.snapshot());

    // Assess: the processor's PutObject and every UploadPart carried no encryption header and were allowed
    expect(report.processing).toMatchObject({ deleted: 1, reportedFailures: 0 });
    expect(await count(lake, "SELECT count(*) AS n FROM datalake_dev.events")).toBe(3);
    expect(await count(lake, "SELECT count(*) AS n FROM datalake_dev.rejected")).toBe(60_000);
    const processorWrites = local.policy!.decisions.filter((decision) => decision.principal === "datalake-processor" && decision.phase === "request");
    expect(processorWrites.filter((decision) => decision.operation === "UploadPart").length).toBeGreaterThanOrEqual(2);
    expect(processorWrites.filter((decision) => ["PutObject", "UploadPart", "CreateMultipartUpload"].includes(decision.operation ?? "")).every((decision) => decision.decision === "allow")).toBe(true);
    // The host runs the upload against the oldest SDK the README supports, never the project's.
    expect(RUNTIME_SDK_VERSION).toBe("3.716.0");
  });

  test("3. an object gone before its message is processed is rejected as object_not_found, not retried into the DLQ", async () => {
    // Prepare: the version is deleted for good after ingest announced it (no notification of that here)
    const local = await started(dev);
    const landed = await local.land("raw/events/vanished.jsonl", jsonLines(sampleEvents(DAY, 2, "v")));
    await local.deliver(await local.takeNotifications());
    await local.s3.send(new DeleteObjectCommand({ Bucket: local.lakeBucket, Key: "raw/events/vanished.jsonl", VersionId: landed.versionId }));

    // Act
    const processing = await local.process();
    const lake = scenario.keep(await local.snapshot());

    // Assess: S3 answered 404 (the processor may list the bucket), a permanent failure
    expect(processing).toMatchObject({ deleted: 1, reportedFailures: 0 });
    expect(await local.deadLetters()).toHaveLength(0);
    const record = rejectedObjectKey({ bucket: local.lakeBucket, dataset: "events", key: "raw/events/vanished.jsonl", etag: landed.etag, ...(landed.versionId ? { versionId: landed.versionId } : {}) });
    expect(lake.keys).toEqual([record]);
    expect(local.processor.logs).toMatch(/"message":"Rejected object".*"reason":"object_not_found"/);
  });

  test("5. a batch that cannot finish before the timeout converts what fits and hands back the rest, so nothing times out", async () => {
    // Prepare: a 6 s processor, and an S3 that takes 1.5 s to answer each read
    const short = await runProgram("dev", { "datalake:processorTimeoutSeconds": 6 });
    const local = await started(short, { faults: true });
    local.faults!.fail({ method: "GET", path: /\/raw\/events\/slow-\d\.jsonl$/, times: Infinity, delayMs: 1_500 });
    for (let index = 0; index < 5; index += 1) await local.land(`raw/events/slow-${index}.jsonl`, jsonLines(sampleEvents(DAY, 2, `s${index}`)));

    // Act
    const report = await local.drive();
    const lake = scenario.keep(await local.snapshot());

    // Assess: no invocation ran into the timeout; deferred messages came back and were converted
    expect(report.processing.failedInvocations).toBe(0);
    expect(local.processor.summary.timeouts).toBe(0);
    expect(report.processing.deleted).toBe(5);
    expect(report.processing.reportedFailures).toBeGreaterThan(0);
    expect(local.processor.logs).toContain("Deferred messages to a new invocation");
    expect(await local.deadLetters()).toHaveLength(0);
    expect(await count(lake, "SELECT count(*) AS n FROM datalake_dev.events")).toBe(10);
  });

  test("6. the provisioned dead-letter queue keeps a message longer than the queue it comes from", async () => {
    const local = await started(dev);
    const retention = (name: string) => Number(local.plane.queues[name]!.attributes.MessageRetentionPeriod);
    expect(retention("datalake-processing-dlq")).toBeGreaterThan(retention("datalake-processing"));
  });
});

describe("a role without a permission", () => {
  /** The processor's role without s3:PutObject on the lake, as if a policy edit had dropped it. */
  const withoutProcessorWrites = (model: PolicyModel): PolicyModel => ({
    ...model,
    principals: model.principals.map((principal) =>
      principal.name !== "datalake-processor"
        ? principal
        : {
            ...principal,
            identityPolicies: principal.identityPolicies.map((policy) => ({
              ...policy,
              document: {
                ...policy.document,
                Statement: policy.document.Statement.map((statement) =>
                  statement.Sid === "MirrorRawIntoProcessedAndRejected" ? { ...statement, Action: ["s3:AbortMultipartUpload", "s3:DeleteObject"] } : statement,
                ),
              },
            })),
          },
    ),
  });

  test("is denied with AWS's AccessDenied, which the processor treats as transient: retried, then kept in the DLQ", async () => {
    // Prepare
    const local = await started(dev, { adjustPolicies: withoutProcessorWrites });
    local.policy!.expectDenial({ principal: "datalake-processor", action: "s3:PutObject" });
    await local.land("raw/events/denied.jsonl", jsonLines(sampleEvents(DAY, 2, "d")));
    const maxReceiveCount = JSON.parse(dev.one("aws:sqs/queue:Queue", "datalake-processing").inputs.redrivePolicy).maxReceiveCount as number;

    // Act
    const report = await local.drive();

    // Assess: each try was refused by IAM, logged as a transient failure, and the message is kept
    expect(report.processing).toMatchObject({ invocations: maxReceiveCount, reportedFailures: maxReceiveCount, deleted: 0 });
    expect(local.policy!.denials().filter((denial) => denial.principal === "datalake-processor" && denial.action === "s3:PutObject").length).toBeGreaterThanOrEqual(maxReceiveCount);
    expect(local.processor.logs).toMatch(/"message":"Transient failure; message will be retried".*AccessDenied/);
    expect(await local.deadLetters()).toHaveLength(1);
  });

  test("a producer cannot write outside raw/: the lake's zones are the processor's", async () => {
    const local = await started(dev);
    local.policy!.expectDenial({ principal: PRINCIPALS.producer, action: "s3:PutObject", resource: /\/processed\//, times: 1 });

    await expect(local.land("processed/events/forged.parquet", "PAR1")).rejects.toMatchObject({ name: "AccessDenied" });
  });
});
