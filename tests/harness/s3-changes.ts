/**
 * S3 event notifications as S3 sends them, for the changes the local pipeline makes to the lake.
 *
 * moto's notifications leave out what AWS always sends (checked with moto 5.2.1): `ObjectCreated`
 * records carry no `versionId` and no `sequencer`, and a deletion sends no `ObjectRemoved` record at
 * all. The handlers must work with what AWS sends, so the pipeline records every change it makes
 * (from the emulator's own responses: version ids, ETags, delete markers), gives each a sequencer that
 * grows with every change (S3 User Guide, "Event message structure": for one key a later event has a
 * greater sequencer), completes moto's `ObjectCreated` records from that, and builds the
 * `ObjectRemoved` records itself, for the notification configuration the program declares.
 */
import type { S3Event, S3EventRecord } from "aws-lambda";
import { decodeS3EventKey } from "../../handlers/s3-keys";
import { encodeS3EventKey } from "../events";
import type { ProgramRun } from "./program";

/** One change the pipeline made, as S3 would number it. */
interface RecordedChange {
  readonly key: string;
  readonly etag?: string;
  readonly versionId?: string;
  readonly sequencer: string;
}

/** What the program declares a bucket's notification to deliver: events and key filters. */
interface DeclaredTarget {
  readonly events: readonly string[];
  readonly filterPrefix?: string;
  readonly filterSuffix?: string;
}

/** Whether an event name (`ObjectRemoved:DeleteMarkerCreated`) matches a configured one (`s3:ObjectRemoved:*`). */
function eventMatches(configured: string, eventName: string): boolean {
  const name = configured.replace(/^s3:/, "");
  return name.endsWith(":*") ? eventName.startsWith(name.slice(0, -1)) : name === eventName;
}

/**
 * @example
 * ```ts
 * const changes = s3ChangeLedger(run, "lake-bucket", "eu-west-1", () => landingTime);
 * changes.created("raw/events/a.jsonl", put);          // after each PutObject
 * const removal = changes.removed("raw/events/a.jsonl", deleted); // after each DeleteObject
 * const complete = changes.complete(motoEvent);        // fills versionId, sequencer, eventTime
 * ```
 */
export function s3ChangeLedger(run: ProgramRun, bucket: string, region: string, clock: () => Date) {
  const pending = new Map<string, RecordedChange[]>();
  let counter = 0n;
  // Sequencers look like S3's: upper-case hex of 18 digits.
  const nextSequencer = (): string => (0x0055aed6dcd9028000n + (counter += 1n)).toString(16).toUpperCase().padStart(18, "0");
  const targets: DeclaredTarget[] = run
    .all("aws:s3/bucketNotification:BucketNotification")
    .flatMap((notification) => (notification.inputs.lambdaFunctions ?? []) as DeclaredTarget[]);
  const delivered = (eventName: string, key: string): boolean =>
    targets.some(
      (target) =>
        target.events.some((configured) => eventMatches(configured, eventName)) &&
        key.startsWith(target.filterPrefix ?? "") &&
        key.endsWith(target.filterSuffix ?? ""),
    );

  const record = (eventName: string, change: RecordedChange, size?: number): S3EventRecord => ({
    eventVersion: "2.1",
    eventSource: "aws:s3",
    awsRegion: region,
    eventTime: clock().toISOString(),
    eventName,
    userIdentity: { principalId: "AWS:LOCAL-PRODUCER" },
    requestParameters: { sourceIPAddress: "127.0.0.1" },
    responseElements: { "x-amz-request-id": change.sequencer, "x-amz-id-2": change.sequencer },
    s3: {
      s3SchemaVersion: "1.0",
      configurationId: "raw-objects",
      bucket: { name: bucket, ownerIdentity: { principalId: "LOCAL" }, arn: `arn:aws:s3:::${bucket}` },
      object: {
        key: encodeS3EventKey(change.key),
        ...(size !== undefined ? { size } : {}),
        ...(change.etag !== undefined ? { eTag: change.etag } : {}),
        ...(change.versionId !== undefined ? { versionId: change.versionId } : {}),
        sequencer: change.sequencer,
      } as S3EventRecord["s3"]["object"],
    },
  });

  return {
    /** Records a version the pipeline put (from the PutObject response). */
    created(key: string, put: { readonly etag: string; readonly versionId?: string }): void {
      const changes = pending.get(key) ?? [];
      changes.push({ key, etag: put.etag.replace(/"/g, ""), ...(put.versionId ? { versionId: put.versionId } : {}), sequencer: nextSequencer() });
      pending.set(key, changes);
    },

    /**
     * The notification S3 sends for a deletion the pipeline made (from the DeleteObject response),
     * or undefined when the declared configuration does not deliver it.
     */
    removed(key: string, deletion: { readonly deleteMarker: boolean; readonly versionId?: string }): S3Event | undefined {
      const eventName = deletion.deleteMarker ? "ObjectRemoved:DeleteMarkerCreated" : "ObjectRemoved:Delete";
      if (!delivered(eventName, key)) return undefined;
      return { Records: [record(eventName, { key, ...(deletion.versionId ? { versionId: deletion.versionId } : {}), sequencer: nextSequencer() })] };
    },

    /**
     * moto's record of a creation, completed as S3 sends it, with the pinned landing time as
     * `eventTime`: the version id and sequencer of the recorded change it stands for (the oldest not
     * yet delivered of that key and ETag); for a change someone else made (the smoke test's own
     * client), the emulator's newest version of that ETag (`versionOf`) and the next sequencer, since
     * moto notifies in the order the changes were made.
     */
    async complete(event: S3Event, versionOf: (key: string, etag: string) => Promise<string | undefined>): Promise<S3Event> {
      const records: S3EventRecord[] = [];
      for (const motoRecord of event.Records) {
        const key = decodeS3EventKey(motoRecord.s3.object.key);
        const etag = (motoRecord.s3.object.eTag ?? "").replace(/"/g, "");
        const changes = pending.get(key) ?? [];
        const index = changes.findIndex((change) => change.etag === etag);
        if (index >= 0) {
          records.push(record(motoRecord.eventName, changes.splice(index, 1)[0]!, motoRecord.s3.object.size));
          continue;
        }
        const versionId = await versionOf(key, etag);
        records.push(record(motoRecord.eventName, { key, etag, ...(versionId ? { versionId } : {}), sequencer: nextSequencer() }, motoRecord.s3.object.size));
      }
      return { Records: records };
    },
  };
}

export type S3ChangeLedger = ReturnType<typeof s3ChangeLedger>;
