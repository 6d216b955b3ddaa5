/** Test events shaped as the AWS services send them, from factories with sensible defaults. */
import type { S3Event, S3EventRecord, SQSEvent, SQSRecord } from "aws-lambda";

export interface LandedObject {
  /** The key as S3 stores it; the factory URL-encodes it the way S3 notifications do. */
  readonly key: string;
  readonly size?: number;
  readonly eTag?: string;
  readonly versionId?: string;
  /** The event's sequencer; defaults to one per position in the event. */
  readonly sequencer?: string;
}

/** S3 form-encodes keys in notifications: URI components with spaces as `+`. */
export function encodeS3EventKey(key: string): string {
  return encodeURIComponent(key).replace(/%20/g, "+").replace(/%2F/g, "/");
}

export function s3ObjectCreatedEvent(bucket: string, objects: readonly LandedObject[], eventTime = "2026-11-20T10:00:00.000Z"): S3Event {
  return s3Event(bucket, objects, "ObjectCreated:Put", eventTime);
}

/** A deletion (`ObjectRemoved:Delete`) or, on a versioned bucket, a delete marker (`ObjectRemoved:DeleteMarkerCreated`): no size, no ETag. */
export function s3ObjectRemovedEvent(
  bucket: string,
  objects: readonly Pick<LandedObject, "key" | "versionId" | "sequencer">[],
  eventName: "ObjectRemoved:Delete" | "ObjectRemoved:DeleteMarkerCreated" = "ObjectRemoved:DeleteMarkerCreated",
  eventTime = "2026-11-20T11:00:00.000Z",
): S3Event {
  const event = s3Event(bucket, objects, eventName, eventTime);
  for (const record of event.Records) {
    delete (record.s3.object as { size?: number }).size;
    delete (record.s3.object as { eTag?: string }).eTag;
  }
  return event;
}

function s3Event(bucket: string, objects: readonly LandedObject[], eventName: string, eventTime: string): S3Event {
  return {
    Records: objects.map(
      (object, index): S3EventRecord => ({
        eventVersion: "2.1",
        eventSource: "aws:s3",
        awsRegion: "eu-west-1",
        eventTime,
        eventName,
        userIdentity: { principalId: "AWS:TEST" },
        requestParameters: { sourceIPAddress: "127.0.0.1" },
        responseElements: { "x-amz-request-id": `req${index}`, "x-amz-id-2": `id${index}` },
        s3: {
          s3SchemaVersion: "1.0",
          configurationId: "raw-objects",
          bucket: { name: bucket, ownerIdentity: { principalId: "TEST" }, arn: `arn:aws:s3:::${bucket}` },
          object: {
            key: encodeS3EventKey(object.key),
            size: object.size ?? 100,
            eTag: object.eTag ?? `etag${index}`,
            sequencer: object.sequencer ?? `00${index}`,
            ...(object.versionId ? { versionId: object.versionId } : {}),
          },
        },
      }),
    ),
  };
}

export function sqsEvent(bodies: readonly string[], queueArn = "arn:aws:sqs:eu-west-1:123456789012:processing"): SQSEvent {
  return {
    Records: bodies.map(
      (body, index): SQSRecord => ({
        messageId: `message-${index}`,
        receiptHandle: `receipt-${index}`,
        body,
        attributes: {
          ApproximateReceiveCount: "1",
          SentTimestamp: "1763632800000",
          SenderId: "TEST",
          ApproximateFirstReceiveTimestamp: "1763632800000",
        },
        messageAttributes: {},
        md5OfBody: "",
        eventSource: "aws:sqs",
        eventSourceARN: queueArn,
        awsRegion: "eu-west-1",
      }),
    ),
  };
}
