import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { CreateTopicCommand, SNSClient, SubscribeCommand, type PublishBatchCommandInput } from "@aws-sdk/client-sns";
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { handleIngest, messagesFromS3Event } from "../handlers/ingest.js";
import { decodeS3EventKey } from "../handlers/s3-keys.js";
import { s3ObjectCreatedEvent, s3ObjectRemovedEvent } from "./events.js";
import { recordingLogger } from "./harness/recording-logger.js";
import { runProgram } from "./harness/program.js";
import { invokeInChildProcess } from "./harness/lambda.js";
import { clientConfig, startEndpoint, type AwsEndpoint } from "./harness/emulator.js";
import { UNREGISTERED_DATASET } from "./harness/sample-data.js";
import { DATASET_NAMES } from "../handlers/datasets.js";

describe("decodeS3EventKey", () => {
  test.each([
    ["raw/events/my+file.json", "raw/events/my file.json"],
    ["raw/events/a%2Bb.json", "raw/events/a+b.json"],
    ["raw/events/caf%C3%A9+%E2%9C%93.json", "raw/events/café ✓.json"],
  ])("%s → %s", (encoded, decoded) => {
    expect(decodeS3EventKey(encoded)).toBe(decoded);
  });
});

describe("messagesFromS3Event", () => {
  test("builds one message per version, with its sequencer, and skips folder markers and keys outside a dataset", () => {
    // Prepare
    const logger = recordingLogger();
    const event = s3ObjectCreatedEvent("lake", [
      { key: "raw/events/day one.jsonl", size: 10, eTag: "abc", versionId: "v1", sequencer: "0055AED6DCD90281E5" },
      { key: "raw/events/", size: 0 },
      { key: "raw/users/empty.csv", size: 0, sequencer: "0055AED6DCD90281E6" },
      { key: "raw/loose.json", size: 5 },
    ]);
    // Act
    const { messages, skipped } = messagesFromS3Event(event, logger);
    // Assess: a zero-byte object is a version like any other: it replaces what its key held
    expect(messages).toEqual([
      {
        bucket: "lake",
        key: "raw/events/day one.jsonl",
        size: 10,
        etag: "abc",
        versionId: "v1",
        eventTime: "2026-11-20T10:00:00.000Z",
        dataset: "events",
        change: "created",
        sequencer: "0055AED6DCD90281E5",
      },
      { bucket: "lake", key: "raw/users/empty.csv", size: 0, etag: "etag2", eventTime: "2026-11-20T10:00:00.000Z", dataset: "users", change: "created", sequencer: "0055AED6DCD90281E6" },
    ]);
    expect(skipped).toBe(2);
    expect(logger.lines.map((line) => line.message)).toEqual(["Skipping folder marker", "Object landed outside raw/<dataset>/; it will not be processed"]);
  });

  test("a file directly under raw/ is reported at error level, so the error-log alarm fires", () => {
    const logger = recordingLogger();
    messagesFromS3Event(s3ObjectCreatedEvent("lake", [{ key: "raw/loose.json", size: 5 }]), logger);
    expect(logger.lines).toEqual([
      { level: "error", message: "Object landed outside raw/<dataset>/; it will not be processed", attributes: { key: "raw/loose.json", registered: ["events", "users"] } },
    ]);
  });

  test("announces a deletion or a delete marker as a removal of the key, with its sequencer", () => {
    const event = s3ObjectRemovedEvent("lake", [
      { key: "raw/events/a.jsonl", versionId: "marker-1", sequencer: "0055AED6DCD90281F0" },
      { key: "raw/users/b.csv", sequencer: "0055AED6DCD90281F1" },
    ]);

    const { messages } = messagesFromS3Event(event, recordingLogger());

    expect(messages.map(({ key, size, etag, change, sequencer, dataset }) => ({ key, size, etag, change, sequencer, dataset }))).toEqual([
      { key: "raw/events/a.jsonl", size: 0, etag: "", change: "removed", sequencer: "0055AED6DCD90281F0", dataset: "events" },
      { key: "raw/users/b.csv", size: 0, etag: "", change: "removed", sequencer: "0055AED6DCD90281F1", dataset: "users" },
    ]);
  });
});

describe("objects in an unregistered dataset", () => {
  test("are announced, with an error line that the error-log alarm counts", () => {
    const logger = recordingLogger();
    const unregisteredKey = `raw/${UNREGISTERED_DATASET}/a.jsonl`;
    const { messages } = messagesFromS3Event(s3ObjectCreatedEvent("lake", [{ key: unregisteredKey, size: 3 }, { key: "raw/events/b.jsonl", size: 3 }]), logger);
    expect(messages.map((message) => message.dataset)).toEqual([UNREGISTERED_DATASET, "events"]);
    expect(logger.lines.filter((line) => line.level === "error")).toEqual([
      {
        level: "error",
        message: "Object landed in an unregistered dataset; it will not be processed",
        attributes: { key: unregisteredKey, dataset: UNREGISTERED_DATASET, registered: [...DATASET_NAMES] },
      },
    ]);
  });
});

describe("handleIngest", () => {
  test("publishes in batches of ten with the dataset attribute", async () => {
    const sent: PublishBatchCommandInput[] = [];
    const sns = { send: async (command: { input: PublishBatchCommandInput }) => (sent.push(command.input), { Successful: [], Failed: [] }) };
    const objects = Array.from({ length: 23 }, (_, index) => ({ key: `raw/events/part-${index}.jsonl`, size: 1 }));
    const result = await handleIngest(s3ObjectCreatedEvent("lake", objects), { sns: sns as never, topicArn: "arn:topic", logger: recordingLogger() });
    expect(result).toEqual({ published: 23, skipped: 0 });
    expect(sent.map((input) => input.PublishBatchRequestEntries?.length)).toEqual([10, 10, 3]);
    expect(sent[0]!.PublishBatchRequestEntries![0]!.MessageAttributes).toEqual({ dataset: { DataType: "String", StringValue: "events" } });
    expect(new Set(sent.flatMap((input) => input.PublishBatchRequestEntries!.map((entry) => entry.Id))).size).toBe(23);
  });

  test("fails when SNS rejects an entry, so that the notification is retried", async () => {
    const sns = { send: async () => ({ Successful: [], Failed: [{ Id: "m0", Code: "InternalError", SenderFault: false }] }) };
    await expect(
      handleIngest(s3ObjectCreatedEvent("lake", [{ key: "raw/events/a.jsonl" }]), { sns: sns as never, topicArn: "arn:topic", logger: recordingLogger() }),
    ).rejects.toThrow(/SNS rejected 1 of 1 messages: m0 InternalError/);
  });
});

describe("the serialized ingest function", () => {
  let endpoint: AwsEndpoint;
  beforeAll(async () => {
    endpoint = await startEndpoint();
  });
  afterAll(async () => {
    await endpoint?.stop();
  });

  test("runs in a child process, as uploaded, and publishes to SNS", async () => {
    // Prepare: a topic with a raw-delivery queue subscribed, on the local endpoint
    const sns = new SNSClient(clientConfig(endpoint));
    const sqs = new SQSClient(clientConfig(endpoint));
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: "ingest" }));
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: "tap" }));
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }));
    await sns.send(new SubscribeCommand({ TopicArn, Protocol: "sqs", Endpoint: Attributes!.QueueArn, Attributes: { RawMessageDelivery: "true" } }));
    const dev = await runProgram("dev");
    const declared = dev.one("aws:lambda/function:Function", "datalake-ingest");
    const event = s3ObjectCreatedEvent("lake", [
      { key: "raw/events/2026 11 20.jsonl", size: 42 },
      { key: "raw/events/", size: 0 },
    ]);

    // Act
    const outcome = await invokeInChildProcess<{ published: number; skipped: number }>(declared, event, { ...endpoint.environment, INGEST_TOPIC_ARN: TopicArn! });

    // Assess
    expect(outcome).toMatchObject({ ok: true, result: { published: 1, skipped: 1 } });
    const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 1, MaxNumberOfMessages: 10 }));
    expect(received.Messages).toHaveLength(1);
    expect(JSON.parse(received.Messages![0]!.Body!)).toMatchObject({ bucket: "lake", key: "raw/events/2026 11 20.jsonl", dataset: "events", size: 42 });
    expect(outcome.logs).toContain('"service":"ingest"');
  });
});
