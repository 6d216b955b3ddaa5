/**
 * Ingest: turns S3 notifications on `raw/` (objects created, and objects deleted or hidden behind a
 * delete marker) into one SNS message per change, with the message attributes the processing
 * queue's subscription filters on. Each message carries the S3 event's `sequencer`, which orders the
 * changes of one key (handlers/mirror.ts).
 */
import { PublishBatchCommand, type SNSClient } from "@aws-sdk/client-sns";
import type { S3Event } from "aws-lambda";
import type { LogSink } from "./log";
import { decodeS3EventKey, isFolderMarker } from "./s3-keys";
import { datasetOfRawKey } from "../storage/zones";
import { DATASET_NAMES, findDataset } from "./datasets";

/** The message the ingest function publishes for each change of a raw object (and `replay` re-announces). */
export interface ObjectLandedMessage {
  readonly bucket: string;
  readonly key: string;
  /** Bytes of the version; 0 for a deletion. */
  readonly size: number;
  /** ETag of the version; "" for a deletion. */
  readonly etag: string;
  readonly versionId?: string;
  /** When S3 recorded the change (ISO 8601). */
  readonly eventTime: string;
  readonly dataset: string;
  /** `removed` for a deletion or a delete marker; absent or `created` for a new version. */
  readonly change?: "created" | "removed";
  /** The S3 event's sequencer: orders the changes of one key. Absent in re-announcements. */
  readonly sequencer?: string;
  /** A re-announcement of the key's current version (`npm run ci -- replay`), not an S3 event. */
  readonly replay?: boolean;
}

/** Message attribute that carries the dataset, matched by the subscription's filter policy. */
export const DATASET_ATTRIBUTE = "dataset";

export interface IngestDependencies {
  readonly sns: Pick<SNSClient, "send">;
  readonly topicArn: string;
  readonly logger: LogSink;
}

export interface IngestResult {
  readonly published: number;
  readonly skipped: number;
}

/** SNS accepts at most ten entries per PublishBatch call. */
export const SNS_BATCH_LIMIT = 10;

/** Builds the messages for an S3 event; records that hold no data are skipped with a reason. */
export function messagesFromS3Event(
  event: S3Event,
  logger: LogSink,
): { messages: ObjectLandedMessage[]; skipped: number } {
  const messages: ObjectLandedMessage[] = [];
  let skipped = 0;
  for (const record of event.Records ?? []) {
    const key = decodeS3EventKey(record.s3.object.key);
    const removed = record.eventName.startsWith("ObjectRemoved");
    const size = removed ? 0 : (record.s3.object.size ?? 0);
    if (isFolderMarker(key, size)) {
      logger.info("Skipping folder marker", { key });
      skipped += 1;
      continue;
    }
    // A zero-byte object is announced all the same: as a new version of its key it must replace
    // what an earlier version wrote (with nothing).
    const dataset = datasetOfRawKey(key);
    if (dataset === undefined) {
      // Error level: the ingest error-log alarm fires, and the runbook says what to do (README,
      // "Error lines in a function's logs"). A warning here went unseen and the file was never processed.
      logger.error("Object landed outside raw/<dataset>/; it will not be processed", { key, registered: DATASET_NAMES });
      skipped += 1;
      continue;
    }
    if (findDataset(dataset) === undefined) {
      // Still published (other subscribers may want it), but the processing queue's filter drops it:
      // an error line makes the error-log alarm tell someone that data is waiting in raw/.
      logger.error("Object landed in an unregistered dataset; it will not be processed", { key, dataset, registered: DATASET_NAMES });
    }
    messages.push({
      bucket: record.s3.bucket.name,
      key,
      size,
      etag: removed ? "" : (record.s3.object.eTag ?? ""),
      ...(record.s3.object.versionId ? { versionId: record.s3.object.versionId } : {}),
      eventTime: record.eventTime,
      dataset,
      change: removed ? "removed" : "created",
      ...(record.s3.object.sequencer ? { sequencer: record.s3.object.sequencer } : {}),
    });
  }
  return { messages, skipped };
}

/**
 * Publishes one message per landed object, in batches of ten.
 *
 * @throws when SNS rejects any entry, so that Lambda's asynchronous retries (and then the
 *   function's failure destination) keep the notification.
 */
export async function handleIngest(event: S3Event, deps: IngestDependencies): Promise<IngestResult> {
  const { messages, skipped } = messagesFromS3Event(event, deps.logger);
  await publishObjectMessages(messages, deps);
  return { published: messages.length, skipped };
}

/**
 * Publishes messages to the ingest topic as ingest does (ten per request, with the `dataset`
 * attribute the processing queue's subscription filters on). The replay and redrive commands
 * publish through it too, so their messages take the pipeline's own path.
 *
 * @throws when SNS rejects any entry.
 */
export async function publishObjectMessages(messages: readonly ObjectLandedMessage[], deps: IngestDependencies): Promise<void> {
  for (let start = 0; start < messages.length; start += SNS_BATCH_LIMIT) {
    const batch = messages.slice(start, start + SNS_BATCH_LIMIT);
    const response = await deps.sns.send(
      new PublishBatchCommand({
        TopicArn: deps.topicArn,
        PublishBatchRequestEntries: batch.map((message, index) => ({
          Id: `m${start + index}`,
          Message: JSON.stringify(message),
          MessageAttributes: { [DATASET_ATTRIBUTE]: { DataType: "String", StringValue: message.dataset } },
        })),
      }),
    );
    const failed = response.Failed ?? [];
    if (failed.length > 0) {
      throw new Error(
        `SNS rejected ${failed.length} of ${batch.length} messages: ` +
          failed.map((entry) => `${entry.Id} ${entry.Code ?? ""} ${entry.Message ?? ""}`.trim()).join("; "),
      );
    }
    for (const message of batch) deps.logger.info("Published raw object change", { key: message.key, dataset: message.dataset, change: message.change });
  }
}
