/**
 * Ingest: turns S3 ObjectCreated notifications on `raw/` into one SNS message per object, with the
 * message attributes the processing queue's subscription filters on.
 */
import { PublishBatchCommand, type SNSClient } from "@aws-sdk/client-sns";
import type { S3Event } from "aws-lambda";
import type { LogSink } from "./log";
import { decodeS3EventKey, isFolderMarker } from "./s3-keys";
import { datasetOfRawKey } from "../storage/zones";
import { DATASET_NAMES, findDataset } from "./datasets";

/** The message the ingest function publishes for each new raw object. */
export interface ObjectLandedMessage {
  readonly bucket: string;
  readonly key: string;
  readonly size: number;
  readonly etag: string;
  readonly versionId?: string;
  /** When S3 recorded the object's creation (ISO 8601). */
  readonly eventTime: string;
  readonly dataset: string;
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
    const size = record.s3.object.size ?? 0;
    if (isFolderMarker(key, size)) {
      logger.info("Skipping folder marker", { key });
      skipped += 1;
      continue;
    }
    if (size === 0) {
      logger.info("Skipping zero-byte object", { key });
      skipped += 1;
      continue;
    }
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
      etag: record.s3.object.eTag ?? "",
      ...(record.s3.object.versionId ? { versionId: record.s3.object.versionId } : {}),
      eventTime: record.eventTime,
      dataset,
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
    for (const message of batch) deps.logger.info("Published object landed", { key: message.key, dataset: message.dataset });
  }
  return { published: messages.length, skipped };
}
