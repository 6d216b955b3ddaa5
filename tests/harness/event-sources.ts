/**
 * The Lambda service's event sources, played locally against the emulator:
 * - S3 notifications (read from the tap queue the provisioner routes them to, completed as S3 sends
 *   them by tests/harness/s3-changes.ts) invoke ingest once per event, as S3's asynchronous invocation does;
 * - the SQS event source mapping polls the processing queue with the declared batch size, invokes the
 *   processor with a Lambda-shaped SQS event, and deletes only the messages not reported in
 *   `batchItemFailures`. A failed invocation (a thrown error, or a sandbox killed for its timeout or
 *   memory) keeps every message of the batch, as Lambda redelivers the whole batch; the function
 *   starts a new sandbox for the next batch by itself (tests/harness/local-function.ts).
 */
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
  type Message,
} from "@aws-sdk/client-sqs";
import type { S3Event, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import type { LocalFunction } from "./local-function";

export interface NotificationDelivery {
  readonly invocations: number;
  readonly failures: number;
  /** The S3 events delivered, in order (e.g. to deliver one again, as S3's at-least-once delivery may). */
  readonly events: readonly S3Event[];
}

async function deleteMessages(sqs: SQSClient, queueUrl: string, messages: readonly Message[]): Promise<void> {
  for (let start = 0; start < messages.length; start += 10) {
    const batch = messages.slice(start, start + 10);
    if (batch.length === 0) continue;
    await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: batch.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle! })) }));
  }
}

/**
 * Takes every S3 notification waiting in the tap queue, in arrival order, leaving the queue empty;
 * S3's `s3:TestEvent` (sent when a configuration is set) is dropped, as Lambda never sees it.
 */
export async function collectS3Notifications(sqs: SQSClient, tapQueueUrl: string): Promise<S3Event[]> {
  const events: S3Event[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: tapQueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
    if (Messages.length === 0) return events;
    for (const message of Messages) {
      const body = JSON.parse(message.Body ?? "{}") as Partial<S3Event> & { Event?: string };
      if (body.Event !== "s3:TestEvent") events.push(body as S3Event);
    }
    await deleteMessages(sqs, tapQueueUrl, Messages);
  }
}

/** What the function's asynchronous-invocation configuration declares (`FunctionEventInvokeConfig`). */
export interface AsyncInvocation {
  /** Retries after the first try (Lambda's default is 2). */
  readonly maximumRetryAttempts: number;
  /** Where Lambda sends the destination record of an event that failed every try, sent with the function's role. */
  readonly onFailure?: { readonly sqs: Pick<SQSClient, "send">; readonly queueUrl: string; readonly functionArn: string };
}

/**
 * Invokes the function for each event, in the given order, as S3's asynchronous invocation does:
 * a failed try is retried up to `maximumRetryAttempts` times, then the event goes to the on-failure
 * destination as Lambda's destination record (AWS Lambda Developer Guide, "Capturing records of
 * asynchronous invocations": `requestContext`, `requestPayload`, `responseContext`, `responsePayload`).
 */
export async function deliverS3Events(fn: LocalFunction, events: readonly S3Event[], asyncInvocation: AsyncInvocation = { maximumRetryAttempts: 0 }): Promise<NotificationDelivery> {
  let failures = 0;
  let invocations = 0;
  for (const event of events) {
    for (let attempt = 0; attempt <= asyncInvocation.maximumRetryAttempts; attempt += 1) {
      invocations += 1;
      const outcome = await fn.invoke(event);
      if (outcome.ok) break;
      failures += 1;
      if (attempt < asyncInvocation.maximumRetryAttempts || !asyncInvocation.onFailure) continue;
      const destination = asyncInvocation.onFailure;
      const record = {
        version: "1.0",
        timestamp: new Date().toISOString(),
        requestContext: { requestId: `local-${invocations}`, functionArn: `${destination.functionArn}:$LATEST`, condition: "RetriesExhausted", approximateInvokeCount: attempt + 1 },
        requestPayload: event,
        responseContext: { statusCode: 200, executedVersion: "$LATEST", functionError: "Unhandled" },
        responsePayload: { errorType: outcome.error.name, errorMessage: outcome.error.message },
      };
      await destination.sqs.send(new SendMessageCommand({ QueueUrl: destination.queueUrl, MessageBody: JSON.stringify(record) }));
    }
  }
  return { invocations, failures, events };
}

export interface QueuePollingOptions {
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly region: string;
  /** The event source mapping's batch size. */
  readonly batchSize: number;
  /**
   * Make failed messages visible again at once instead of after the queue's visibility timeout: the
   * same sequence of receives as waiting, without the wait.
   */
  readonly retryImmediately?: boolean;
  /** Stop after this many empty polls in a row. */
  readonly emptyPollsToStop?: number;
  /** Safety bound on invocations. */
  readonly maxInvocations?: number;
  /** A batch already received: invoke the function with it once, and poll no further. */
  readonly preReceived?: readonly Message[];
}

export interface QueuePollingReport {
  readonly invocations: number;
  readonly deleted: number;
  readonly reportedFailures: number;
  readonly failedInvocations: number;
  /** Bodies of the messages handled and deleted, in order. */
  readonly deletedBodies: readonly string[];
}

function toSqsRecord(message: Message, options: QueuePollingOptions): SQSRecord {
  const attributes = message.Attributes ?? {};
  return {
    messageId: message.MessageId!,
    receiptHandle: message.ReceiptHandle!,
    body: message.Body ?? "",
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? "1",
      SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
      SenderId: attributes.SenderId ?? "local",
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
    },
    messageAttributes: Object.fromEntries(
      Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [
        name,
        { dataType: value.DataType ?? "String", stringValue: value.StringValue, stringListValues: [], binaryListValues: [] },
      ]),
    ),
    md5OfBody: message.MD5OfBody ?? "",
    eventSource: "aws:sqs",
    eventSourceARN: options.queueArn,
    awsRegion: options.region,
  };
}

async function receiveBatch(sqs: SQSClient, options: QueuePollingOptions): Promise<Message[]> {
  const batch: Message[] = [];
  while (batch.length < options.batchSize) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: options.queueUrl,
        MaxNumberOfMessages: Math.min(10, options.batchSize - batch.length),
        WaitTimeSeconds: batch.length === 0 ? 1 : 0,
        MessageSystemAttributeNames: ["All"],
        MessageAttributeNames: ["All"],
      }),
    );
    if (Messages.length === 0) break;
    batch.push(...Messages);
  }
  return batch;
}

/** Polls the queue and invokes the function with batches until the queue stays empty. */
export async function pollQueue(sqs: SQSClient, fn: LocalFunction, options: QueuePollingOptions): Promise<QueuePollingReport> {
  let invocations = 0;
  let deleted = 0;
  let reportedFailures = 0;
  let failedInvocations = 0;
  let emptyPolls = 0;
  const deletedBodies: string[] = [];
  const emptyPollsToStop = options.emptyPollsToStop ?? 2;
  const maxInvocations = options.maxInvocations ?? 200;
  let preReceived = options.preReceived ? [...options.preReceived] : undefined;
  while (emptyPolls < emptyPollsToStop && invocations < maxInvocations) {
    if (options.preReceived && preReceived === undefined) break;
    const batch = preReceived ?? (await receiveBatch(sqs, options));
    preReceived = undefined;
    if (batch.length === 0) {
      emptyPolls += 1;
      continue;
    }
    emptyPolls = 0;
    invocations += 1;
    const event: SQSEvent = { Records: batch.map((message) => toSqsRecord(message, options)) };
    const outcome = await fn.invoke<SQSBatchResponse>(event);
    let retry: Message[];
    if (!outcome.ok) {
      failedInvocations += 1;
      retry = batch;
    } else {
      const failed = new Set((outcome.result?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier));
      reportedFailures += failed.size;
      retry = batch.filter((message) => failed.has(message.MessageId!));
      const done = batch.filter((message) => !failed.has(message.MessageId!));
      await deleteMessages(sqs, options.queueUrl, done);
      deleted += done.length;
      deletedBodies.push(...done.map((message) => message.Body ?? ""));
    }
    if (options.retryImmediately && retry.length > 0) {
      for (let start = 0; start < retry.length; start += 10) {
        await sqs.send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: options.queueUrl,
            Entries: retry.slice(start, start + 10).map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle!, VisibilityTimeout: 0 })),
          }),
        );
      }
    }
  }
  return { invocations, deleted, reportedFailures, failedInvocations, deletedBodies };
}
