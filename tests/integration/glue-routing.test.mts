/**
 * Routing by size on a local AWS endpoint (moto): the processor converts an object under the heavy-object
 * threshold itself and hands one at or above it to the Glue job (moto records the run with its
 * arguments); the local Glue runner plays the run against the endpoint (the job's own conversion on a
 * local Spark), writes the outputs and sends the handback to the processing queue; the processor applies
 * the handback to the mirror. A handback overtaken by a later version of its key leaves nothing behind.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutBucketVersioningCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { GetJobRunsCommand, GlueClient, StartJobRunCommand } from "@aws-sdk/client-glue";
import type { SQSBatchResponse } from "aws-lambda";
import { convertObject, versionOutputs } from "../../handlers/convert.js";
import { handleProcessorBatch } from "../../handlers/processor.js";
import { loadParquetCodec } from "../../handlers/parquet.js";
import type { ObjectLandedMessage } from "../../handlers/ingest.js";
import { manifestKey, type MirrorManifest } from "../../handlers/mirror.js";
import { GLUE_OBJECTS_ARGUMENT, type GlueObjectSpec } from "../../handlers/glue-objects.js";
import { glueJobName } from "../../heavy/events.js";
import { clientConfig, startEndpoint, type AwsEndpoint } from "../harness/emulator.js";
import { localGlueJobRunner, type LocalGlueJobRunner } from "../harness/glue-runner.js";
import { recordingLogger } from "../harness/recording-logger.js";
import { sqsEvent } from "../events.js";
import { eventRecord } from "../glue-parity-cases.js";

const BUCKET = "datalake-routing-lake";
const JOB = glueJobName("dev");
/** Small enough for a test object to be heavy; the stack's default is in the GB. */
const THRESHOLD_BYTES = 2048;

let endpoint: AwsEndpoint;
let s3: S3Client;
let sqs: SQSClient;
let glue: GlueClient;
let queueUrl: string;
let runner: LocalGlueJobRunner;
const codec = await loadParquetCodec();

beforeAll(async () => {
  endpoint = await startEndpoint();
  s3 = new S3Client(clientConfig(endpoint));
  sqs = new SQSClient(clientConfig(endpoint));
  glue = new GlueClient(clientConfig(endpoint));
}, 60_000);
afterAll(async () => endpoint?.stop());
beforeEach(async () => {
  await endpoint.reset();
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET, CreateBucketConfiguration: { LocationConstraint: endpoint.region as never } }));
  await s3.send(new PutBucketVersioningCommand({ Bucket: BUCKET, VersioningConfiguration: { Status: "Enabled" } }));
  queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: "datalake-dev-processing" }))).QueueUrl!;
  runner = localGlueJobRunner({ endpoint, bucket: BUCKET, handbackQueueUrl: queueUrl });
  await runner.ensureJob(JOB);
});

/** Lands a JSON Lines object of `count` events and returns the message ingest would have published. */
async function land(key: string, count: number, sequencer: string): Promise<ObjectLandedMessage> {
  const body = Buffer.from(Array.from({ length: count }, (_, index) => JSON.stringify(eventRecord(index))).join("\n") + "\n");
  const put = await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
  return { bucket: BUCKET, key, size: body.length, etag: put.ETag!.replace(/"/g, ""), versionId: put.VersionId!, eventTime: "2026-11-25T08:00:00.000Z", dataset: "events", change: "created", sequencer };
}

/** Runs the processor's batch handler in this process with the heavy route to the emulator's Glue. */
async function processBatch(bodies: readonly string[]): Promise<SQSBatchResponse> {
  const logger = recordingLogger();
  const metrics = { addDimension: () => undefined, addMetric: () => undefined, publishStoredMetrics: () => undefined };
  return handleProcessorBatch(sqsEvent(bodies), {
    s3,
    logger,
    convert: async (message, dataset) => versionOutputs(await convertObject(message, dataset, { s3, logger, metrics, codec })),
    heavy: { startJobRun: (input) => glue.send(new StartJobRunCommand(input)), jobName: JOB, thresholdBytes: THRESHOLD_BYTES },
  });
}

async function keysUnder(prefix: string): Promise<string[]> {
  return ((await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }))).Contents ?? []).map((object) => object.Key!).sort();
}

async function manifestOf(key: string): Promise<MirrorManifest> {
  const response = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: manifestKey("events", key) }));
  return JSON.parse(await response.Body!.transformToString()) as MirrorManifest;
}

async function receiveHandbacks(): Promise<string[]> {
  const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
  return (received.Messages ?? []).map((message) => message.Body!);
}

describe("routing by size", () => {
  test("a small object is converted by the processor; a heavy one by the Glue job, then applied from its handback", async () => {
    // Prepare
    const small = await land("raw/events/small.jsonl", 3, "0055AED6DCD90281E1");
    const heavy = await land("raw/events/heavy.jsonl", 40, "0055AED6DCD90281E2");
    expect(small.size).toBeLessThan(THRESHOLD_BYTES);
    expect(heavy.size).toBeGreaterThanOrEqual(THRESHOLD_BYTES);

    // Act: the processor's batch
    const response = await processBatch([JSON.stringify(small), JSON.stringify(heavy)]);

    // Assess: both acknowledged; the small one mirrored, the heavy one handed to a job run
    expect(response.batchItemFailures).toEqual([]);
    expect((await manifestOf(small.key)).outputs.length).toBeGreaterThan(0);
    const runs = (await glue.send(new GetJobRunsCommand({ JobName: JOB }))).JobRuns ?? [];
    expect(runs).toHaveLength(1);
    const [spec] = JSON.parse(runs[0]!.Arguments![GLUE_OBJECTS_ARGUMENT]!) as GlueObjectSpec[];
    expect(spec).toMatchObject({ key: heavy.key, versionId: heavy.versionId, encoding: { format: "jsonl", gzip: false }, message: heavy });
    expect((await keysUnder("processed/events/")).some((key) => key.includes("heavy"))).toBe(false);

    // Act: the job run, played locally, then the processor on its handback
    const [played] = await runner.runPending(JOB);
    const handbacks = await receiveHandbacks();
    const applied = await processBatch(handbacks);

    // Assess
    expect(played!.run.results).toEqual([expect.objectContaining({ key: heavy.key, status: "converted", rowsRead: 40, rowsWritten: 40, rowsRejected: 0 })]);
    expect(handbacks.map((body) => JSON.parse(body) as ObjectLandedMessage & { glue: unknown })).toEqual([{ ...heavy, glue: { jobRunId: played!.jobRunId, resultKey: spec!.resultKey } }]);
    expect(applied.batchItemFailures).toEqual([]);
    const manifest = await manifestOf(heavy.key);
    expect(manifest).toMatchObject({ versionId: heavy.versionId, sequencer: heavy.sequencer, state: "present" });
    expect(manifest.outputs).toEqual(played!.run.results[0]!.status === "converted" ? played!.run.results[0]!.outputs : []);
    for (const key of manifest.outputs) expect(await keysUnder(key)).toEqual([key]);
  }, 240_000);

  test("a handback overtaken by a later version of its key is not applied, and its outputs are deleted", async () => {
    // Prepare: version 1 is heavy and handed off; version 2 (small) is applied before the run ends
    const first = await land("raw/events/changing.jsonl", 40, "0055AED6DCD90281E1");
    expect((await processBatch([JSON.stringify(first)])).batchItemFailures).toEqual([]);
    const second = await land("raw/events/changing.jsonl", 2, "0055AED6DCD90281E9");
    expect((await processBatch([JSON.stringify(second)])).batchItemFailures).toEqual([]);
    const secondOutputs = (await manifestOf(second.key)).outputs;

    // Act: the job reads version 1's exact version, writes its outputs and hands back; the processor applies it
    const [played] = await runner.runPending(JOB);
    const response = await processBatch(await receiveHandbacks());

    // Assess: the mirror keeps version 2; version 1's outputs are gone
    expect(response.batchItemFailures).toEqual([]);
    const result = played!.run.results[0]!;
    expect(result.status).toBe("converted");
    const manifest = await manifestOf(second.key);
    expect(manifest).toMatchObject({ versionId: second.versionId, outputs: secondOutputs });
    for (const key of result.status === "converted" ? result.outputs : []) {
      if (!secondOutputs.includes(key)) expect(await keysUnder(key)).toEqual([]);
    }
  }, 240_000);
});
