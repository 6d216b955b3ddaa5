/**
 * `npm run ci -- replay … --engine glue` as an operator runs it: the CLI reads the stack's outputs,
 * lists the selection's current versions on the (emulated) lake bucket, writes the run's object list
 * and starts a run of the stack's Glue job, which the emulator records with its arguments.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { AthenaClient } from "@aws-sdk/client-athena";
import { CreateJobCommand, GetJobRunsCommand, GlueClient } from "@aws-sdk/client-glue";
import { CreateBucketCommand, GetObjectCommand, PutBucketVersioningCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { SNSClient } from "@aws-sdk/client-sns";
import { SQSClient } from "@aws-sdk/client-sqs";
import { runCli } from "../../automation/cli.js";
import type { GlueObjectSpec } from "../../handlers/glue-objects.js";
import { GLUE_OBJECTS_KEY_ARGUMENT } from "../../handlers/glue-objects.js";
import { clientConfig, startEndpoint, type AwsEndpoint } from "../harness/emulator.js";
import { fakeBackend } from "./fake-stacks.js";

const BUCKET = "datalake-dev-lake";
const JOB = "datalake-dev-convert";

let endpoint: AwsEndpoint;
let s3: S3Client;
let glue: GlueClient;

beforeAll(async () => {
  endpoint = await startEndpoint();
  s3 = new S3Client(clientConfig(endpoint));
  glue = new GlueClient(clientConfig(endpoint));
});
afterAll(async () => endpoint?.stop());
beforeEach(async () => {
  await endpoint.reset();
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET, CreateBucketConfiguration: { LocationConstraint: endpoint.region as never } }));
  await s3.send(new PutBucketVersioningCommand({ Bucket: BUCKET, VersioningConfiguration: { Status: "Enabled" } }));
  await glue.send(new CreateJobCommand({ Name: JOB, Role: "arn:aws:iam::123456789012:role/glue", Command: { Name: "glueetl", ScriptLocation: `s3://${BUCKET}/glue/scripts/job.py` } }));
});

/** Runs the CLI against the emulator with the stack's outputs; returns its exit code and output. */
async function replay(args: readonly string[]): Promise<{ code: number; out: string }> {
  const backend = fakeBackend();
  backend.stack("dev").outputsValue = { lakeBucketName: BUCKET, glueJobName: JOB, ingestTopicArn: "arn:aws:sns:eu-west-1:123456789012:unused" };
  let out = "";
  const code = await runCli(["replay", "--stack", "dev", ...args], {
    env: {},
    out: { write: (chunk: string) => (out += chunk) },
    err: { write: (chunk: string) => (out += chunk) },
    openStack: () => backend.openStack,
    awsClients: () => ({
      s3,
      glue,
      athena: new AthenaClient(clientConfig(endpoint)),
      sqs: new SQSClient(clientConfig(endpoint)),
      sns: new SNSClient(clientConfig(endpoint)),
      invokeCuratedJob: () => async () => {
        throw new Error("replay invokes no function");
      },
    }),
    now: () => Date.parse("2026-11-30T12:00:00Z"),
  });
  return { code, out };
}

async function land(key: string, body: string, contentType?: string): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body, ...(contentType ? { ContentType: contentType } : {}) }));
}

describe("replay --engine glue", () => {
  test("starts one job run with the list of the dataset's current versions, leaving out what the dataset cannot read", async () => {
    // Prepare: two versions of one key (only the current one is converted), another key, a file of no accepted format
    await land("raw/events/a.jsonl", '{"event_id":"old"}\n');
    await land("raw/events/a.jsonl", '{"event_id":"new"}\n');
    await land("raw/events/2026/b.jsonl.gz", "not really gzip");
    await land("raw/events/notes.txt", "hello", "text/plain");
    await land("raw/users/u.csv", "user_id\n1\n");

    // Act
    const { code, out } = await replay(["--dataset", "events", "--engine", "glue"]);

    // Assess
    expect(code, out).toBe(0);
    expect(out).toContain("dev: replay --engine glue started 1 job runs for 2 objects; 1 skipped (format not accepted)");
    const runs = (await glue.send(new GetJobRunsCommand({ JobName: JOB }))).JobRuns ?? [];
    expect(runs).toHaveLength(1);
    const objectsKey = runs[0]!.Arguments?.[GLUE_OBJECTS_KEY_ARGUMENT];
    expect(objectsKey).toMatch(/^glue\/runs\/2026-11-30T12-00-00-000Z-000\.json$/);
    const listed = JSON.parse(await (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: objectsKey! }))).Body!.transformToString()) as GlueObjectSpec[];
    expect(listed.map((spec) => spec.key).sort()).toEqual(["raw/events/2026/b.jsonl.gz", "raw/events/a.jsonl"]);
    expect(listed.every((spec) => spec.message.replay === true && spec.versionId !== undefined)).toBe(true);
  });

  test("a dry run counts what it would convert and starts nothing", async () => {
    // Prepare
    await land("raw/events/a.jsonl", '{"event_id":"a"}\n');

    // Act
    const { code, out } = await replay(["--prefix", "raw/events/", "--engine", "glue", "--dry-run"]);

    // Assess
    expect(code, out).toBe(0);
    expect(out).toContain("dev: replay --engine glue (dry run) would convert 1 objects; 0 skipped (format not accepted)");
    expect((await glue.send(new GetJobRunsCommand({ JobName: JOB }))).JobRuns ?? []).toEqual([]);
  });

  test("a prefix outside a registered dataset is refused with the problem, before anything starts", async () => {
    // Act
    const { code, out } = await replay(["--prefix", "raw/zz_never_registered_example/", "--engine", "glue"]);

    // Assess
    expect(code).toBe(1);
    expect(out).toContain("names dataset zz_never_registered_example, which the registry does not know");
    expect((await glue.send(new GetJobRunsCommand({ JobName: JOB }))).JobRuns ?? []).toEqual([]);
  });
});
