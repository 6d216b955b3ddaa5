/**
 * Redrive of the two failure queues of asynchronous invocations, whose messages are Lambda's
 * destination records (`{ requestPayload, responsePayload, … }`) rather than copies of pipeline
 * messages, so they cannot simply be moved back:
 * - ingest-failures: each record's `requestPayload` is the S3 event ingest failed on; its objects are
 *   announced again exactly as ingest would have (`messagesFromS3Event` + `publishObjectMessages`),
 *   keeping S3's sequencers, so the processor orders them as it orders S3's own events;
 * - curated-failures: each record's `requestPayload` is the scheduled (or backfill) event; its day is
 *   rebuilt by invoking the curated job for that day.
 * A message is deleted only after its replay succeeded; an empty queue returns at once.
 */
import { DeleteMessageCommand, ReceiveMessageCommand, type Message, type SQSClient } from "@aws-sdk/client-sqs";
import type { SNSClient } from "@aws-sdk/client-sns";
import type { S3Event } from "aws-lambda";
import { messagesFromS3Event, publishObjectMessages } from "../handlers/ingest";
import { dayToBuild, formatCalendarDay, type CuratedJobEvent } from "../handlers/curated";
import { progressLog, type Progress } from "./progress";
import { queueState } from "./redrive";

export interface FailureRedriveReport {
  /** Messages replayed and deleted. */
  readonly replayed: number;
  /** Messages whose replay failed: left in the queue. */
  readonly failed: number;
}

export interface DrainOptions {
  readonly sqs: Pick<SQSClient, "send">;
  readonly queueUrl: string;
  readonly progress: Progress;
  /** Long-poll wait of each receive, in seconds. */
  readonly waitTimeSeconds: number;
  /** Seconds a received message stays hidden while it is replayed. */
  readonly visibilityTimeoutSeconds: number;
}

/** Lambda's destination record: what the failed invocation was asked to do. */
interface DestinationRecord {
  readonly requestPayload?: unknown;
}

/**
 * Receives every message of a queue once and hands each to `replay`; deletes those replayed. Stops at
 * the first receive that finds nothing, and does not receive at all when the queue reports no visible
 * message (in-flight and delayed ones could not be received by this run anyway).
 */
export async function drainQueue(options: DrainOptions, replay: (message: Message) => Promise<void>): Promise<FailureRedriveReport> {
  let replayed = 0;
  let failed = 0;
  if ((await queueState(options.sqs, options.queueUrl)).visibleMessages === 0) return { replayed, failed };
  for (;;) {
    const { Messages = [] } = await options.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: options.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: options.waitTimeSeconds, VisibilityTimeout: options.visibilityTimeoutSeconds }),
    );
    if (Messages.length === 0) return { replayed, failed };
    for (const message of Messages) {
      try {
        await replay(message);
        await options.sqs.send(new DeleteMessageCommand({ QueueUrl: options.queueUrl, ReceiptHandle: message.ReceiptHandle! }));
        replayed += 1;
      } catch (error) {
        failed += 1;
        options.progress.step(`could not replay message ${message.MessageId}: ${(error as Error).message}; it stays in the queue`);
      }
    }
  }
}

function requestPayload(message: Message): unknown {
  const record = JSON.parse(message.Body ?? "{}") as DestinationRecord;
  if (record.requestPayload === undefined) throw new Error("the message is not a Lambda destination record (no requestPayload)");
  return record.requestPayload;
}

/**
 * Announces again the objects of every S3 event in the ingest-failures queue.
 *
 * @example await redriveIngestFailures({ sqs, queueUrl, progress, waitTimeSeconds: 5, visibilityTimeoutSeconds: 60 }, { sns, topicArn });
 */
export function redriveIngestFailures(options: DrainOptions, target: { readonly sns: Pick<SNSClient, "send">; readonly topicArn: string }): Promise<FailureRedriveReport> {
  const logger = progressLog(options.progress);
  return drainQueue(options, async (message) => {
    const { messages } = messagesFromS3Event(requestPayload(message) as S3Event, logger);
    await publishObjectMessages(messages, { ...target, logger });
  });
}

/** Invokes the curated job synchronously for one day (`{ "day": "YYYY-MM-DD" }`); throws with its error. */
export type CuratedJobInvoker = (day: string) => Promise<void>;

/**
 * Rebuilds the day of every failed run in the curated-failures queue.
 *
 * @example await redriveCuratedFailures({ sqs, queueUrl, progress, waitTimeSeconds: 5, visibilityTimeoutSeconds: 900 }, invokeCuratedJob);
 */
export function redriveCuratedFailures(options: DrainOptions, invoke: CuratedJobInvoker, now: () => Date): Promise<FailureRedriveReport> {
  return drainQueue(options, async (message) => {
    const day = formatCalendarDay(dayToBuild(requestPayload(message) as CuratedJobEvent, now()));
    options.progress.step(`rebuilding curated day ${day}`);
    await invoke(day);
  });
}

export interface CurateReport {
  readonly built: readonly string[];
  readonly failed: readonly { readonly day: string; readonly error: string }[];
}

/** Every day from `from` to `to` (inclusive, `YYYY-MM-DD`). */
export function daysBetween(from: string, to: string): string[] {
  const start = Date.parse(`${from}T00:00:00Z`);
  const end = Date.parse(`${to}T00:00:00Z`);
  if (Number.isNaN(start) || Number.isNaN(end) || end < start) throw new Error(`--from ${from} --to ${to} is not a range of days (YYYY-MM-DD, from no later than to)`);
  const days: string[] = [];
  for (let at = start; at <= end; at += 86_400_000) days.push(new Date(at).toISOString().slice(0, 10));
  return days;
}

/**
 * `npm run ci -- curate`: rebuilds a range of curated days, one after another (the job runs one at a
 * time: its reserved concurrency is 1), with progress; a failed day is reported and the next one
 * built all the same.
 */
export async function curateDays(from: string, to: string, invoke: CuratedJobInvoker, progress: Progress): Promise<CurateReport> {
  const built: string[] = [];
  const failed: { day: string; error: string }[] = [];
  const days = daysBetween(from, to);
  for (const [index, day] of days.entries()) {
    progress.step(`curate: ${day} (${index + 1} of ${days.length})`);
    try {
      await invoke(day);
      built.push(day);
    } catch (error) {
      failed.push({ day, error: (error as Error).message });
      progress.step(`curate: ${day} failed: ${(error as Error).message}`);
    }
  }
  return { built, failed };
}
