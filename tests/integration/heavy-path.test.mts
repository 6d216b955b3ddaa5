/**
 * The heavy path on the local pipeline, every request judged against the declared policies: the
 * processor's real upload (on Lambda's runtime) starts a run of the declared Glue job with its role
 * (`glue:StartJobRun`); the run's conversion, on a local Spark, reads the raw version and writes the
 * lake as the Glue job's role through the private subnets' endpoints (the lake's bucket and key
 * policies included) and sends the handback to the processing queue; the processor applies it to the
 * mirror. What a policy of the program refuses to either role shows as an unexpected denial.
 */
import { beforeAll, describe, expect, test } from "vitest";
import { GetObjectCommand } from "@aws-sdk/client-s3";
import type { ProgramRun } from "../harness/program.js";
import { pipelineScenarios } from "../harness/pipeline-scenarios.mjs";
import { jsonLines, sampleEvents } from "../harness/sample-data.js";
import { manifestKey, type MirrorManifest } from "../../handlers/mirror.js";
import { FUNCTION_ENV } from "../../compute/callbacks.js";
import { PRINCIPALS } from "../harness/local-pipeline.js";
import type { PolicyModel } from "../harness/iam/model.js";

const scenario = pipelineScenarios();
let dev: ProgramRun;
beforeAll(() => {
  dev = scenario.dev();
});

/** Small enough for a test object to be heavy; the stack's default is in the GB. */
const THRESHOLD_BYTES = 4096;

describe("the heavy path, as the roles the program declares", () => {
  test("an object at the threshold is converted by the Glue job and applied from its handback; a small one by the processor", async () => {
    // Prepare
    const local = await scenario.start(dev, { environmentOverrides: { "datalake-processor": { [FUNCTION_ENV.heavyThresholdBytes]: String(THRESHOLD_BYTES) } } });
    const heavy = jsonLines([...sampleEvents("2026-11-18", 40, "heavy"), ...sampleEvents("2026-11-19", 20, "heavy")]);
    expect(Buffer.byteLength(heavy)).toBeGreaterThanOrEqual(THRESHOLD_BYTES);
    await local.land("raw/events/heavy.jsonl", heavy);
    await local.land("raw/events/small.jsonl", jsonLines(sampleEvents("2026-11-20", 3, "small")));

    // Act: ingest and the processor (which starts the run), the job's run, then the handback
    const first = await local.drive();
    const runs = await local.runGlueJobs();
    const handbacks = await local.process();

    // Assess
    expect(first.processing.deleted).toBe(2);
    expect(runs).toHaveLength(1);
    expect(runs[0]!.run.results).toEqual([expect.objectContaining({ key: "raw/events/heavy.jsonl", status: "converted", rowsRead: 60, rowsWritten: 60, rowsRejected: 0 })]);
    expect(handbacks.deleted).toBe(1);
    const lake = scenario.keep(await local.snapshot());
    const perDay = await lake.rows("SELECT day, count(*) AS n FROM datalake_dev.events GROUP BY day ORDER BY day");
    expect(perDay.map((row) => [Number(row.day), Number(row.n)])).toEqual([
      [18, 40],
      [19, 20],
      [20, 3],
    ]);
    const manifest = JSON.parse(
      await (await local.s3.send(new GetObjectCommand({ Bucket: local.lakeBucket, Key: manifestKey("events", "raw/events/heavy.jsonl") }))).Body!.transformToString(),
    ) as MirrorManifest;
    expect(manifest).toMatchObject({ state: "present", outputs: [expect.stringMatching(/^processed\/events\/year=2026\/month=11\/day=18\/heavy-/), expect.stringMatching(/day=19\/heavy-/)] });
    // Each role made its own calls, and the endpoint judged (and allowed) them
    const allowed = (principal: string) => new Set(local.policy!.decisions.filter((decision) => decision.principal === principal && decision.decision === "allow").map((decision) => decision.action));
    expect([...allowed("datalake-processor")]).toContain("glue:StartJobRun");
    expect([...allowed(PRINCIPALS.glueJob)]).toEqual(expect.arrayContaining(["s3:GetObjectVersion", "s3:PutObject", "kms:GenerateDataKey", "sqs:SendMessage"]));
  });

  test("a Glue role that may not hand back is refused by the endpoint: the run fails and the mirror applies nothing", async () => {
    // Prepare: the job's role without its SendMessage grant
    const withoutHandback = (model: PolicyModel): PolicyModel => ({
      ...model,
      principals: model.principals.map((principal) =>
        principal.name !== PRINCIPALS.glueJob
          ? principal
          : { ...principal, identityPolicies: principal.identityPolicies.map((policy) => ({ ...policy, document: { ...policy.document, Statement: policy.document.Statement.filter((statement) => statement.Sid !== "HandBackToProcessor") } })) },
      ),
    });
    const local = await scenario.start(dev, {
      environmentOverrides: { "datalake-processor": { [FUNCTION_ENV.heavyThresholdBytes]: String(THRESHOLD_BYTES) } },
      adjustPolicies: withoutHandback,
    });
    local.policy!.expectDenial({ principal: PRINCIPALS.glueJob, action: "sqs:SendMessage" });
    await local.land("raw/events/heavy.jsonl", jsonLines(sampleEvents("2026-11-18", 60, "heavy")));
    await local.drive();

    // Act
    const run = local.runGlueJobs();

    // Assess
    await expect(run).rejects.toThrow(/AccessDenied|not authorized/);
    // No handback: the processor has nothing to apply, and the key has no manifest (the run's failure
    // alerts; the runbook's rerun hands the version back)
    expect((await local.process()).deleted).toBe(0);
    const manifest = local.s3.send(new GetObjectCommand({ Bucket: local.lakeBucket, Key: manifestKey("events", "raw/events/heavy.jsonl") }));
    await expect(manifest).rejects.toMatchObject({ name: "NoSuchKey" });
  });
});
