import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutBucketVersioningCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { CreateTopicCommand, SNSClient, SubscribeCommand } from "@aws-sdk/client-sns";
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { convertObject, versionOutputs, type CountMetrics } from "../handlers/convert.js";
import type { ProcessingCompletedEvent } from "../handlers/pipeline-events.js";
import { loadParquetCodec } from "../handlers/parquet.js";
import type { DatasetDefinition } from "../handlers/datasets.js";
import { handleProcessorBatch, rejectedObjectKey, type ProcessorDependencies } from "../handlers/processor.js";
import type { ObjectLandedMessage } from "../handlers/ingest.js";
import { sqsEvent } from "./events.js";
import { recordingLogger } from "./harness/recording-logger.js";
import { clientConfig, startEndpoint, type AwsEndpoint } from "./harness/emulator.js";
import { readParquetWithDuckDb } from "./harness/sinks.js";
import { runProgram } from "./harness/program.js";
import { functionPackage, invokeInChildProcess } from "./harness/lambda.js";

const BUCKET = "lake";
const codec = await loadParquetCodec();

function eventLine(id: string, timestamp: string, userId: number | string = 1): string {
  return JSON.stringify({ event_id: id, user_id: userId, event_timestamp: timestamp, event_type: "click", properties: { page: "/" } });
}

function recordingMetrics(): CountMetrics & { readonly published: Record<string, string | number>[] } {
  const published: Record<string, string | number>[] = [];
  let current: Record<string, string | number> = {};
  return {
    published,
    addDimension: (name, value) => void (current[name] = value),
    addMetric: (name, _unit, value) => void (current[name] = value),
    publishStoredMetrics: () => {
      published.push(current);
      current = {};
    },
  };
}

describe("the processor against S3 (moto)", () => {
  let endpoint: AwsEndpoint;
  let s3: S3Client;
  let sns: SNSClient;
  let sqs: SQSClient;

  beforeAll(async () => {
    endpoint = await startEndpoint();
    s3 = new S3Client(clientConfig(endpoint));
    sns = new SNSClient(clientConfig(endpoint));
    sqs = new SQSClient(clientConfig(endpoint));
  });
  afterAll(async () => {
    await endpoint?.stop();
  });
  beforeEach(async () => {
    await endpoint.reset();
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET, CreateBucketConfiguration: { LocationConstraint: endpoint.region as never } }));
  });

  /** Puts a raw object and returns the message ingest would publish for it. */
  /** S3 gives every change of a key a later sequencer; a counter does for these tests. */
  let sequence = 0x10_0000;
  const nextSequencer = (): string => (sequence += 1).toString(16).toUpperCase().padStart(16, "0");

  async function land(key: string, body: string | Buffer, extra: { contentEncoding?: string } = {}): Promise<ObjectLandedMessage> {
    const put = await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body, ...(extra.contentEncoding ? { ContentEncoding: extra.contentEncoding } : {}) }));
    const size = typeof body === "string" ? Buffer.byteLength(body) : body.length;
    return {
      bucket: BUCKET,
      key,
      size,
      etag: put.ETag!.replace(/"/g, ""),
      ...(put.VersionId ? { versionId: put.VersionId } : {}),
      eventTime: "2026-11-20T10:00:00.000Z",
      dataset: key.split("/")[1]!,
      change: "created",
      sequencer: nextSequencer(),
    };
  }

  async function keysUnder(prefix: string): Promise<string[]> {
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
    return (listed.Contents ?? []).map((object) => object.Key!).sort();
  }

  async function objectBytes(key: string): Promise<Buffer> {
    const response = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    return Buffer.from(await response.Body!.transformToByteArray());
  }

  async function eventsTap(): Promise<{ topicArn: string; received(): Promise<ProcessingCompletedEvent[]> }> {
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: "pipeline-events" }));
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: "pipeline-events-tap" }));
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }));
    await sns.send(new SubscribeCommand({ TopicArn, Protocol: "sqs", Endpoint: Attributes!.QueueArn, Attributes: { RawMessageDelivery: "true" } }));
    return {
      topicArn: TopicArn!,
      async received() {
        const response = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 1, MaxNumberOfMessages: 10 }));
        return (response.Messages ?? []).map((message) => JSON.parse(message.Body!) as ProcessingCompletedEvent);
      },
    };
  }

  function dependencies(extra: { topicArn?: string } = {}): ProcessorDependencies & { logger: ReturnType<typeof recordingLogger>; metrics: ReturnType<typeof recordingMetrics> } {
    const logger = recordingLogger();
    const metrics = recordingMetrics();
    const events = extra.topicArn ? { sns, topicArn: extra.topicArn } : undefined;
    return {
      s3,
      logger,
      metrics,
      ...(events ? { events } : {}),
      convert: async (message: ObjectLandedMessage, dataset: DatasetDefinition) => versionOutputs(await convertObject(message, dataset, { s3, logger, metrics, codec })),
    };
  }

  test("converts an object with spaces, + and unicode in its key to day partitions, rejects bad records, reports reconciled counts", async () => {
    // Prepare
    const tap = await eventsTap();
    const message = await land(
      "raw/events/2026/nov 20+21 café.jsonl",
      [eventLine("a", "2026-11-20T10:00:00Z"), eventLine("b", "2026-11-21T08:00:00Z"), eventLine("c", "2026-11-21T09:00:00Z"), eventLine("d", "2026-11-21T09:00:00Z", "x")].join("\n"),
    );
    const deps = dependencies({ topicArn: tap.topicArn });

    // Act
    const response = await handleProcessorBatch(sqsEvent([JSON.stringify(message)]), deps);

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    const processed = await keysUnder("processed/events/");
    expect(processed).toHaveLength(2);
    expect(processed[0]).toMatch(/^processed\/events\/year=2026\/month=11\/day=20\/nov_20_21_cafe-[0-9a-f]{16}\.parquet$/);
    expect(processed[1]).toMatch(/^processed\/events\/year=2026\/month=11\/day=21\//);
    const day21 = await readParquetWithDuckDb(await objectBytes(processed[1]!));
    expect(day21.rows.map((row) => row.event_id)).toEqual(["b", "c"]);
    expect(day21.columns.map((column) => column.name)).toEqual(["event_id", "user_id", "event_timestamp", "event_type", "properties"]);
    const [rejectedKey] = await keysUnder("rejected/events/year=");
    expect(JSON.parse((await objectBytes(rejectedKey!)).toString())).toMatchObject({ line_number: 4, reason: "invalid_value", column: "user_id" });
    expect(deps.metrics.published).toEqual([{ dataset: "events", RowsRead: 4, RowsWritten: 3, RowsRejected: 1 }]);
    expect(deps.logger.lines.find((line) => line.message === "Converted object")?.attributes).toMatchObject({ key: message.key, rowsRead: 4, rowsWritten: 3, rowsRejected: 1 });
    const [completion] = await tap.received();
    expect(rejectedKey).toBeDefined();
    expect(completion).toMatchObject({
      version: "1",
      type: "processing.completed",
      dataset: "events",
      source: { bucket: BUCKET, key: message.key },
      rowsRead: 4,
      rowsWritten: 3,
      rowsRejected: 1,
      partitions: [
        { partition: "year=2026/month=11/day=20", key: expect.stringMatching(/^processed\/events\/year=2026\/month=11\/day=20\/.+\.parquet$/), rows: 1 },
        { partition: "year=2026/month=11/day=21", key: expect.stringMatching(/^processed\/events\/year=2026\/month=11\/day=21\/.+\.parquet$/), rows: 2 },
      ],
      partitionCount: 2,
      replacedOutputs: 0,
    });
  });

  test("a redelivered message overwrites its outputs instead of adding rows", async () => {
    const message = await land("raw/events/a.jsonl", [eventLine("a", "2026-11-20T10:00:00Z"), eventLine("b", "2026-11-20T11:00:00Z")].join("\n"));
    const deps = dependencies();
    await handleProcessorBatch(sqsEvent([JSON.stringify(message)]), deps);
    const first = await keysUnder("processed/");

    await handleProcessorBatch(sqsEvent([JSON.stringify(message), JSON.stringify(message)]), deps);

    expect(await keysUnder("processed/")).toEqual(first);
    expect((await readParquetWithDuckDb(await objectBytes(first[0]!))).rows).toHaveLength(2);
  });

  test("reads gzip by Content-Encoding and by .gz, and CSV", async () => {
    const lines = [eventLine("a", "2026-11-20T10:00:00Z"), eventLine("b", "2026-11-20T11:00:00Z")].join("\n");
    const byHeader = await land("raw/events/encoded.jsonl", gzipSync(lines), { contentEncoding: "gzip" });
    const byExtension = await land("raw/events/packed.jsonl.gz", gzipSync(lines));
    const csv = await land("raw/users/users.csv", "user_id,email\n1,a@example.com\n2,b@example.com\n");
    const deps = dependencies();

    const response = await handleProcessorBatch(sqsEvent([byHeader, byExtension, csv].map((message) => JSON.stringify(message))), deps);

    expect(response.batchItemFailures).toEqual([]);
    expect(deps.metrics.published.map((metric) => [metric.dataset, metric.RowsWritten])).toEqual([
      ["events", 2],
      ["events", 2],
      ["users", 2],
    ]);
    const [users] = await keysUnder("processed/users/");
    expect(users).toMatch(/^processed\/users\/users-[0-9a-f]{16}\.parquet$/);
    expect((await readParquetWithDuckDb(await objectBytes(users!))).rows.map((row) => row.email)).toEqual(["a@example.com", "b@example.com"]);
  });

  test("a zero-byte object converts to no output, with zero counts", async () => {
    const message = await land("raw/events/empty.jsonl", "");
    const deps = dependencies();
    const response = await handleProcessorBatch(sqsEvent([JSON.stringify(message)]), deps);
    expect(response.batchItemFailures).toEqual([]);
    expect(await keysUnder("processed/")).toEqual([]);
    expect(deps.metrics.published).toEqual([{ dataset: "events", RowsRead: 0, RowsWritten: 0, RowsRejected: 0 }]);
  });

  test("rejects whole and acknowledges what can never succeed: unknown dataset, missing or replaced object, bad gzip, unsupported format", async () => {
    // Prepare
    const replaced = await land("raw/events/replaced.jsonl", eventLine("a", "2026-11-20T10:00:00Z"));
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: replaced.key, Body: eventLine("b", "2026-11-20T10:00:00Z") }));
    const messages: ObjectLandedMessage[] = [
      { ...(await land("raw/clicks/a.jsonl", "{}")), dataset: "clicks" },
      { bucket: BUCKET, key: "raw/events/gone.jsonl", size: 5, etag: "e", eventTime: "2026-11-20T10:00:00.000Z", dataset: "events", sequencer: nextSequencer() },
      replaced,
      await land("raw/events/broken.jsonl.gz", "not gzip at all"),
      await land("raw/events/table.parquet", "PAR1"),
    ];
    const deps = dependencies();

    // Act
    const response = await handleProcessorBatch(sqsEvent(messages.map((message) => JSON.stringify(message))), deps);

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    const reasons = await Promise.all(messages.map(async (message) => JSON.parse((await objectBytes(rejectedObjectKey(message))).toString()).reason));
    expect(reasons).toEqual(["unknown_dataset", "object_not_found", "object_replaced", "unreadable_object", "unsupported_format"]);
    expect(await keysUnder("processed/")).toEqual([]);
  });

  test("reads the announced version of a versioned object, not a newer one", async () => {
    await s3.send(new PutBucketVersioningCommand({ Bucket: BUCKET, VersioningConfiguration: { Status: "Enabled" } }));
    const first = await land("raw/events/v.jsonl", eventLine("first", "2026-11-20T10:00:00Z"));
    await land("raw/events/v.jsonl", eventLine("second", "2026-11-20T10:00:00Z"));
    const deps = dependencies();

    await handleProcessorBatch(sqsEvent([JSON.stringify(first)]), deps);

    const [key] = await keysUnder("processed/");
    expect((await readParquetWithDuckDb(await objectBytes(key!))).rows.map((row) => row.event_id)).toEqual(["first"]);
  });

  test("a transient failure retries only its own message", async () => {
    // Prepare: the second message's conversion is throttled
    const ok = await land("raw/events/ok.jsonl", eventLine("a", "2026-11-20T10:00:00Z"));
    const throttled = await land("raw/events/throttled.jsonl", eventLine("b", "2026-11-20T10:00:00Z"));
    const deps = dependencies();
    const convert = deps.convert;
    const flaky: ProcessorDependencies = {
      ...deps,
      convert: async (message, dataset) => {
        if (message.key === throttled.key) throw Object.assign(new Error("Rate exceeded"), { name: "SlowDown", $metadata: { httpStatusCode: 503 } });
        return convert(message, dataset);
      },
    };

    // Act
    const response = await handleProcessorBatch(sqsEvent([JSON.stringify(ok), JSON.stringify(throttled)]), flaky);

    // Assess
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: "message-1" }]);
    expect(await keysUnder("processed/")).toHaveLength(1);
    expect(await keysUnder("rejected/")).toEqual([]);
    const failure = deps.logger.lines.find((line) => line.level === "error" && line.message.startsWith("Transient failure"));
    expect(failure?.attributes).toMatchObject({ messageId: "message-1", key: throttled.key, dataset: "events", error: "SlowDown: Rate exceeded" });
  });

  test("every message failing transiently is still a partial response, not a thrown batch", async () => {
    const deps: ProcessorDependencies = { s3, logger: recordingLogger(), convert: async () => Promise.reject(new Error("timeout")) };
    const event = sqsEvent([JSON.stringify(await land("raw/events/x.jsonl", "{}"))]);
    expect(await handleProcessorBatch(event, deps)).toEqual({ batchItemFailures: [{ itemIdentifier: "message-0" }] });
  });

  test("the serialized processor function runs in a child process, as uploaded, and writes Parquet", async () => {
    // Prepare
    const message = await land("raw/events/child.jsonl", [eventLine("a", "2026-11-20T10:00:00Z"), "oops"].join("\n"));
    const dev = await runProgram("dev");
    const declared = dev.one("aws:lambda/function:Function", "datalake-processor");
    const upload = await functionPackage(declared);

    // Act
    const outcome = await invokeInChildProcess<{ batchItemFailures: unknown[] }>(declared, sqsEvent([JSON.stringify(message)]), {
      ...endpoint.environment,
      LAKE_BUCKET: BUCKET,
      S3_FORCE_PATH_STYLE: "true",
      PIPELINE_EVENTS_TOPIC_ARN: "",
    });

    // Assess
    expect(outcome).toMatchObject({ ok: true, result: { batchItemFailures: [] } });
    expect(await keysUnder("processed/events/")).toHaveLength(1);
    expect(await keysUnder("rejected/events/year=")).toHaveLength(1);
    expect(outcome.logs).toContain('"RowsWritten"');
    expect(outcome.logs).toContain('"message":"Converted object"');
    // hysnappy is not in the Lambda runtime: it must be packed; the Parquet writer is the project's own
    const packed = (dependency: string) => upload.packedPaths.some((path) => path.replace(/\\/g, "/").endsWith(`node_modules/${dependency}`));
    expect(packed("hysnappy")).toBe(true);
    expect(packed("hyparquet-writer")).toBe(false);
    expect(packed("hyparquet")).toBe(false);
  });
});
