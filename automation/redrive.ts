/**
 * Moves the dead-letter queue's messages back to the processing queue: SQS `StartMessageMoveTask`
 * where the API exists, otherwise (emulators, some partitions) receive → send → delete, which moves
 * every message exactly once: a message is deleted from the DLQ only after its copy was sent, and a
 * message seen again (its delete failed or was late) is deleted, not sent a second time. An empty
 * dead-letter queue (SQS's approximate counts all 0) returns at once, without a move task or a long
 * poll, and the fallback stops at the first empty receive once the counts say the queue is empty.
 */
import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  StartMessageMoveTaskCommand,
  type MessageAttributeValue,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import type { Progress } from "./progress";

/** The SQS client, or anything that sends its commands (tests interpose failures). */
export type SqsSender = Pick<SQSClient, "send">;

export interface RedriveOptions {
  readonly sqs: SqsSender;
  readonly deadLetterQueueUrl: string;
  readonly processingQueueUrl: string;
  readonly progress: Progress;
  /** Long-poll wait of each receive in the fallback, in seconds (0–20). */
  readonly waitTimeSeconds: number;
  /** The fallback stops after this many empty receives in a row. */
  readonly emptyReceivesToStop: number;
  /** Seconds a received message stays hidden while it is copied; longer than one send + delete. */
  readonly visibilityTimeoutSeconds: number;
  /** How long to wait for a move task to finish, and how often to ask. */
  readonly deadlineMs: number;
  readonly pollIntervalMs: number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly now: () => number;
}

export interface RedriveReport {
  /** `nothing-to-move`: the queue was empty, so neither method ran. */
  readonly method: "move-task" | "receive-send-delete" | "nothing-to-move";
  /** Messages now in the processing queue. */
  readonly moved: number;
  /** Messages whose copy could not be sent (left in the DLQ); only the fallback reports them. */
  readonly failed: number;
  /**
   * Messages copied whose delete from the DLQ did not succeed before the run ended: they are in both
   * queues; delete them from the DLQ by hand rather than redriving them again.
   */
  readonly copiedNotDeleted: number;
}

/**
 * Whether an error from `StartMessageMoveTask` means the API is not available at this endpoint (so
 * the fallback applies), as opposed to a real failure (permissions, a missing queue) that must stop.
 * moto answers with an HTML 500 page the SDK cannot parse.
 *
 * @example isMoveTaskUnavailable(Object.assign(new Error("x"), { name: "UnsupportedOperation" })) === true
 */
export function isMoveTaskUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const unavailableNames = ["UnsupportedOperation", "AWS.SimpleQueueService.UnsupportedOperation", "InvalidAction", "UnknownOperationException", "NotImplemented"];
  if (unavailableNames.includes(error.name)) return true;
  const details = error as Error & { $metadata?: { httpStatusCode?: number }; $response?: { headers?: Record<string, string> } };
  const status = details.$metadata?.httpStatusCode;
  if (status === 501) return true;
  const contentType = details.$response?.headers?.["content-type"] ?? "";
  return (status === 500 || status === 404) && contentType.startsWith("text/html");
}

/**
 * Moves every DLQ message to the processing queue and reports how many moved.
 *
 * @example const report = await redriveDeadLetters({ sqs, deadLetterQueueUrl, processingQueueUrl, progress, ...defaults });
 */
export async function redriveDeadLetters(options: RedriveOptions): Promise<RedriveReport> {
  const [source, destinationArn] = await Promise.all([queueState(options.sqs, options.deadLetterQueueUrl), queueArn(options.sqs, options.processingQueueUrl)]);
  const sourceArn = source.arn;
  if (source.approximateMessages === 0) {
    options.progress.step(`the dead-letter queue ${sourceArn} is empty (SQS's approximate counts are 0): nothing to move`);
    return { method: "nothing-to-move", moved: 0, failed: 0, copiedNotDeleted: 0 };
  }
  let taskHandle: string | undefined;
  try {
    const started = await options.sqs.send(new StartMessageMoveTaskCommand({ SourceArn: sourceArn, DestinationArn: destinationArn }));
    taskHandle = started.TaskHandle;
  } catch (error) {
    if (!isMoveTaskUnavailable(error)) throw new Error(`StartMessageMoveTask from ${sourceArn} failed: ${(error as Error).message}`);
    options.progress.step(`StartMessageMoveTask is not available at this endpoint; moving messages one by one`);
    return moveByReceiveSendDelete(options);
  }
  options.progress.step(`move task ${taskHandle ?? "(no handle)"} started: ${sourceArn} -> ${destinationArn}`);
  return { method: "move-task", moved: await waitForMoveTask(options, sourceArn, taskHandle), failed: 0, copiedNotDeleted: 0 };
}

async function queueArn(sqs: SqsSender, queueUrl: string): Promise<string> {
  return (await queueState(sqs, queueUrl)).arn;
}

/** A queue's ARN and SQS's approximate counts of its messages. */
export interface QueueState {
  readonly arn: string;
  /** Messages a receive can get now. */
  readonly visibleMessages: number;
  /** Every message: visible, in flight and delayed. */
  readonly approximateMessages: number;
}

/**
 * A queue's ARN and its approximate numbers of messages (one `GetQueueAttributes`).
 *
 * @example (await queueState(sqs, queueUrl)).approximateMessages === 0 // nothing visible, in flight or delayed
 */
export async function queueState(sqs: SqsSender, queueUrl: string): Promise<QueueState> {
  const counts = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed"] as const;
  const attributes = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["QueueArn", ...counts] }));
  const arn = attributes.Attributes?.QueueArn;
  if (!arn) throw new Error(`queue ${queueUrl} reported no ARN`);
  return {
    arn,
    visibleMessages: Number(attributes.Attributes?.ApproximateNumberOfMessages ?? 0),
    approximateMessages: counts.reduce((sum, name) => sum + Number(attributes.Attributes?.[name] ?? 0), 0),
  };
}

async function waitForMoveTask(options: RedriveOptions, sourceArn: string, taskHandle: string | undefined): Promise<number> {
  const giveUpAt = options.now() + options.deadlineMs;
  for (;;) {
    const listing = await options.sqs.send(new ListMessageMoveTasksCommand({ SourceArn: sourceArn, MaxResults: 10 }));
    const task = (listing.Results ?? []).find((result) => !taskHandle || result.TaskHandle === taskHandle) ?? listing.Results?.[0];
    const moved = task?.ApproximateNumberOfMessagesMoved ?? 0;
    if (task?.Status === "COMPLETED") return moved;
    if (task?.Status === "FAILED" || task?.Status === "CANCELLED") {
      throw new Error(`move task ${task.Status.toLowerCase()} after ${moved} messages: ${task.FailureReason ?? "no reason given"}`);
    }
    if (options.now() >= giveUpAt) throw new Error(`move task still ${task?.Status ?? "unknown"} after ${options.deadlineMs} ms (${moved} moved so far); it keeps running in SQS`);
    options.progress.step(`move task ${task?.Status ?? "starting"}: ${moved} of ~${task?.ApproximateNumberOfMessagesToMove ?? "?"} moved`);
    await options.sleep(options.pollIntervalMs);
  }
}

/** Message attributes as SendMessage accepts them (only the fields the type needs). */
function copyAttributes(attributes: Record<string, MessageAttributeValue> | undefined): Record<string, MessageAttributeValue> | undefined {
  if (!attributes || Object.keys(attributes).length === 0) return undefined;
  return Object.fromEntries(
    Object.entries(attributes).map(([name, value]) => [
      name,
      value.BinaryValue !== undefined
        ? { DataType: value.DataType, BinaryValue: value.BinaryValue }
        : { DataType: value.DataType, StringValue: value.StringValue },
    ]),
  );
}

async function moveByReceiveSendDelete(options: RedriveOptions): Promise<RedriveReport> {
  const { sqs, deadLetterQueueUrl, processingQueueUrl, progress } = options;
  const fifo = processingQueueUrl.endsWith(".fifo");
  // Message ids already copied: if one comes back (its delete failed or raced a visibility timeout), delete it only.
  const sent = new Set<string>();
  const failedIds = new Set<string>();
  const deleted = new Set<string>();
  let emptyReceives = 0;
  while (emptyReceives < options.emptyReceivesToStop) {
    const received = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: deadLetterQueueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: options.waitTimeSeconds,
        VisibilityTimeout: options.visibilityTimeoutSeconds,
        MessageAttributeNames: ["All"],
        MessageSystemAttributeNames: ["MessageGroupId", "MessageDeduplicationId"],
      }),
    );
    const messages = (received.Messages ?? []).filter((message) => !failedIds.has(message.MessageId ?? ""));
    if (messages.length === 0) {
      // Nothing left at all (not even in flight): no need for more empty polls.
      if ((await queueState(sqs, deadLetterQueueUrl)).approximateMessages === 0) break;
      emptyReceives += 1;
      continue;
    }
    emptyReceives = 0;
    for (const message of messages) {
      const messageId = message.MessageId ?? "";
      if (!sent.has(messageId)) {
        try {
          await sqs.send(
            new SendMessageCommand({
              QueueUrl: processingQueueUrl,
              MessageBody: message.Body ?? "",
              MessageAttributes: copyAttributes(message.MessageAttributes),
              ...(fifo
                ? { MessageGroupId: message.Attributes?.MessageGroupId ?? "redrive", MessageDeduplicationId: message.Attributes?.MessageDeduplicationId ?? messageId }
                : {}),
            }),
          );
        } catch (error) {
          // Left in the DLQ (it reappears after the visibility timeout); not received again in this run.
          failedIds.add(messageId);
          progress.step(`message ${messageId} not sent, left in the dead-letter queue: ${(error as Error).message}`);
          continue;
        }
        sent.add(messageId);
      }
      try {
        await sqs.send(new DeleteMessageCommand({ QueueUrl: deadLetterQueueUrl, ReceiptHandle: message.ReceiptHandle }));
        deleted.add(messageId);
      } catch (error) {
        // Already copied: when it reappears after its visibility timeout it is deleted, not sent again.
        progress.step(`message ${messageId} copied but not yet deleted from the dead-letter queue: ${(error as Error).message}`);
      }
    }
    progress.step(`moved ${sent.size} messages so far`);
  }
  const copiedNotDeleted = [...sent].filter((messageId) => !deleted.has(messageId)).length;
  return { method: "receive-send-delete", moved: sent.size, failed: failedIds.size, copiedNotDeleted };
}
