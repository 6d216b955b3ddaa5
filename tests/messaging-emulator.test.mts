/**
 * The messaging layer's declared attributes, applied to real SNS and SQS APIs served by moto:
 * the filter policy keeps unknown datasets out, raw delivery hands the processor the ingest
 * message itself, redrive moves a message to the DLQ after `maxReceiveCount` receives, and queue
 * subscribers of the pipeline-events topic get the completion event as the body.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { CreateTopicCommand, SNSClient, SubscribeCommand } from "@aws-sdk/client-sns";
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
  SetQueueAttributesCommand,
  type Message,
} from "@aws-sdk/client-sqs";
import { handleIngest } from "../handlers/ingest.js";
import { pipelineEventMessage, publishPipelineEvent, type ProcessingCompletedEvent } from "../handlers/pipeline-events.js";
import { queueFromTopicPolicy } from "../messaging/policies.js";
import { s3ObjectCreatedEvent } from "./events.js";
import { recordingLogger } from "./harness/recording-logger.js";
import { runProgram, type ProgramRun } from "./harness/program.js";
import { clientConfig, startEndpoint, type AwsEndpoint } from "./harness/emulator.js";

interface DeployedMessaging {
  readonly ingestTopicArn: string;
  readonly processingQueueUrl: string;
  readonly deadLetterQueueUrl: string;
  readonly maxReceiveCount: number;
}

let endpoint: AwsEndpoint;
let sns: SNSClient;
let sqs: SQSClient;
let declared: ProgramRun;

beforeAll(async () => {
  endpoint = await startEndpoint();
  sns = new SNSClient(clientConfig(endpoint));
  sqs = new SQSClient(clientConfig(endpoint));
  declared = await runProgram("dev");
});

afterAll(async () => {
  await endpoint?.stop();
});

async function queueArn(queueUrl: string): Promise<string> {
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["QueueArn"] }));
  return Attributes!.QueueArn!;
}

/**
 * Creates the ingest topic, processing queue, DLQ and subscription with the attributes the program
 * declares. Encryption is left out: moto does not enforce KMS, and the project has no KMS client
 * (the program-level tests check every topic and queue names the lake key).
 */
async function deployDeclaredMessaging(suffix: string): Promise<DeployedMessaging> {
  const queueInputs = declared.one("aws:sqs/queue:Queue", "datalake-processing").inputs;
  const dlqInputs = declared.one("aws:sqs/queue:Queue", "datalake-processing-dlq").inputs;
  const subscription = declared.one("aws:sns/topicSubscription:TopicSubscription", "datalake-ingest-to-processing").inputs;
  const declaredRedrive = JSON.parse(queueInputs.redrivePolicy) as { maxReceiveCount: number };

  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: `ingest-${suffix}` }));
  const dlq = await sqs.send(
    new CreateQueueCommand({
      QueueName: `processing-dlq-${suffix}`,
      Attributes: { MessageRetentionPeriod: String(dlqInputs.messageRetentionSeconds) },
    }),
  );
  const dlqArn = await queueArn(dlq.QueueUrl!);
  const processing = await sqs.send(
    new CreateQueueCommand({
      QueueName: `processing-${suffix}`,
      Attributes: {
        ReceiveMessageWaitTimeSeconds: String(queueInputs.receiveWaitTimeSeconds),
        VisibilityTimeout: String(queueInputs.visibilityTimeoutSeconds),
        MessageRetentionPeriod: String(queueInputs.messageRetentionSeconds),
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: declaredRedrive.maxReceiveCount }),
      },
    }),
  );
  const processingArn = await queueArn(processing.QueueUrl!);
  await sqs.send(
    new SetQueueAttributesCommand({
      QueueUrl: dlq.QueueUrl!,
      Attributes: { RedriveAllowPolicy: JSON.stringify({ redrivePermission: "byQueue", sourceQueueArns: [processingArn] }) },
    }),
  );
  await sqs.send(
    new SetQueueAttributesCommand({
      QueueUrl: processing.QueueUrl!,
      Attributes: { Policy: JSON.stringify(queueFromTopicPolicy({ queueArn: processingArn, topicArn: TopicArn! })) },
    }),
  );
  await sns.send(
    new SubscribeCommand({
      TopicArn,
      Protocol: subscription.protocol,
      Endpoint: processingArn,
      Attributes: {
        RawMessageDelivery: String(subscription.rawMessageDelivery),
        FilterPolicyScope: subscription.filterPolicyScope,
        FilterPolicy: subscription.filterPolicy,
      },
    }),
  );
  return { ingestTopicArn: TopicArn!, processingQueueUrl: processing.QueueUrl!, deadLetterQueueUrl: dlq.QueueUrl!, maxReceiveCount: declaredRedrive.maxReceiveCount };
}

/** Receives what is visible now; an explicit short wait overrides the queue's 20 s long polling. */
async function receiveAll(queueUrl: string, visibilityTimeout?: number): Promise<Message[]> {
  const { Messages } = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      WaitTimeSeconds: 1,
      MaxNumberOfMessages: 10,
      MessageAttributeNames: ["All"],
      ...(visibilityTimeout === undefined ? {} : { VisibilityTimeout: visibilityTimeout }),
    }),
  );
  return Messages ?? [];
}

describe("the declared messaging on a local SNS/SQS endpoint", () => {
  test("a known dataset's message arrives raw; an unknown dataset's is filtered out", async () => {
    // Prepare
    const messaging = await deployDeclaredMessaging("filter");
    const event = s3ObjectCreatedEvent("lake", [
      { key: "raw/events/2026-11-20.jsonl", size: 42, eTag: "e1" },
      { key: "raw/unregistered/2026-11-20.jsonl", size: 7, eTag: "u1" },
    ]);
    // Act
    const result = await handleIngest(event, { sns, topicArn: messaging.ingestTopicArn, logger: recordingLogger() });
    const received = await receiveAll(messaging.processingQueueUrl);
    // Assess
    expect(result).toEqual({ published: 2, skipped: 0 });
    expect(received).toHaveLength(1);
    // Raw delivery: the body is the ingest message itself, not an SNS envelope.
    expect(JSON.parse(received[0]!.Body!)).toEqual({
      bucket: "lake",
      key: "raw/events/2026-11-20.jsonl",
      size: 42,
      etag: "e1",
      eventTime: "2026-11-20T10:00:00.000Z",
      dataset: "events",
      change: "created",
      sequencer: "000",
    });
    expect(received[0]!.MessageAttributes?.dataset?.StringValue).toBe("events");
  });

  test("a message received maxReceiveCount times without being deleted moves to the dead-letter queue", async () => {
    // Prepare
    const messaging = await deployDeclaredMessaging("redrive");
    await handleIngest(s3ObjectCreatedEvent("lake", [{ key: "raw/users/u.csv", size: 3 }]), {
      sns,
      topicArn: messaging.ingestTopicArn,
      logger: recordingLogger(),
    });
    // Act: a processor that fails every time (visibility 0 makes the message visible again at once)
    const receives: number[] = [];
    for (let attempt = 0; attempt < messaging.maxReceiveCount; attempt += 1) {
      receives.push((await receiveAll(messaging.processingQueueUrl, 0)).length);
    }
    const afterLastAttempt = await receiveAll(messaging.processingQueueUrl, 0);
    const deadLetters = await receiveAll(messaging.deadLetterQueueUrl);
    // Assess
    expect(receives).toEqual(Array.from({ length: messaging.maxReceiveCount }, () => 1));
    expect(afterLastAttempt).toEqual([]);
    expect(deadLetters).toHaveLength(1);
    expect(JSON.parse(deadLetters[0]!.Body!)).toMatchObject({ key: "raw/users/u.csv", dataset: "users" });
  });

  test("a queue subscribed to the pipeline-events topic as declared receives the completion event itself", async () => {
    // Prepare: a subscriber queue as `sqs:<arn>` in pipelineEventSubscribers declares it
    const subscriberArn = "arn:aws:sqs:eu-west-1:123456789012:lake-events";
    const configured = await runProgram("dev", { "datalake:pipelineEventSubscribers": [`sqs:${subscriberArn}`] });
    const declaredSubscription = configured.one("aws:sns/topicSubscription:TopicSubscription", "datalake-pipeline-events-sqs-0").inputs;
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: "pipeline-events" }));
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: "lake-events" }));
    expect(await queueArn(QueueUrl!)).toBe(declaredSubscription.endpoint);
    await sns.send(
      new SubscribeCommand({
        TopicArn,
        Protocol: declaredSubscription.protocol,
        Endpoint: declaredSubscription.endpoint,
        Attributes: { RawMessageDelivery: String(declaredSubscription.rawMessageDelivery) },
      }),
    );
    const event: ProcessingCompletedEvent = {
      type: "processing.completed",
      dataset: "events",
      source: { bucket: "lake", key: "raw/events/2026-11-20.jsonl", etag: "e1" },
      partitions: [{ partition: "year=2026/month=11/day=20", key: "processed/events/year=2026/month=11/day=20/2026-11-20-0123456789abcdef.parquet", rows: 10 }],
      partitionCount: 1,
      rowsRead: 42,
      rowsWritten: 40,
      rowsRejected: 2,
      replacedOutputs: 0,
      completedAt: "2026-11-20T10:01:00.000Z",
    };
    // Act
    await publishPipelineEvent({ sns, topicArn: TopicArn! }, event);
    const received = await receiveAll(QueueUrl!);
    // Assess
    expect(received).toHaveLength(1);
    expect(received[0]!.Body).toBe(pipelineEventMessage(TopicArn!, event).Message);
    expect(received[0]!.MessageAttributes?.eventType?.StringValue).toBe("processing.completed");
  });
});
