/**
 * `npm run ci -- replay`: re-announces raw objects through the pipeline's own topic and queue, so
 * that the processor converts them again (after a fix, a schema change, a dataset registered late).
 * Nothing is copied and no new version is made: each message names the key's current version and is
 * marked as a replay, which the processor applies only while that version is still current
 * (handlers/apply-change.ts). Running a replay twice changes nothing more, by the mirror rule.
 *
 * Objects are selected by prefix, by dataset and a day range of `LastModified`, or by a list of
 * keys; they are announced in bounded batches with progress, and `--dry-run` only counts them and
 * the bytes the processor would read.
 */
import { HeadObjectCommand, ListObjectVersionsCommand, type S3Client } from "@aws-sdk/client-s3";
import type { SNSClient } from "@aws-sdk/client-sns";
import { publishObjectMessages, type ObjectLandedMessage } from "../handlers/ingest";
import { datasetOfRawKey, datasetPrefix, ZONES } from "../storage/zones";
import { progressLog, type Progress } from "./progress";

/** Which raw objects to announce again. */
export type ReplaySelection =
  | { readonly kind: "prefix"; readonly prefix: string }
  | { readonly kind: "days"; readonly dataset: string; /** `YYYY-MM-DD`, inclusive, UTC. */ readonly from: string; readonly to: string }
  | { readonly kind: "keys"; readonly keys: readonly string[] };

/** A raw object's current version. */
export interface RawObject {
  readonly key: string;
  readonly versionId?: string;
  readonly etag: string;
  readonly size: number;
  readonly lastModified: Date;
}

export interface ReplayOptions {
  readonly s3: Pick<S3Client, "send">;
  readonly sns: Pick<SNSClient, "send">;
  readonly bucket: string;
  /** The ingest topic: the path S3's own announcements take. */
  readonly topicArn: string;
  readonly selection: ReplaySelection;
  /** Count and size only; announce nothing. */
  readonly dryRun: boolean;
  /** Messages per published batch (and progress line). */
  readonly batchSize: number;
  readonly progress: Progress;
}

export interface ReplayReport {
  readonly objects: number;
  /** Bytes the processor will read (stored sizes; gzip objects expand). */
  readonly bytes: number;
  readonly announced: number;
  /** Objects outside `raw/<dataset>/` or with nothing in them, left out. */
  readonly skipped: number;
}

/** The prefix to list for a selection. */
function listPrefix(selection: Exclude<ReplaySelection, { kind: "keys" }>): string {
  return selection.kind === "prefix" ? selection.prefix : datasetPrefix("raw", selection.dataset);
}

/**
 * Whether an object's LastModified day (UTC) is within inclusive `YYYY-MM-DD` bounds; an absent bound
 * does not limit.
 *
 * @example inDayRange(new Date("2026-11-30T23:59:59Z"), { from: "2026-11-01", to: "2026-11-30" }) // true
 */
export function inDayRange(lastModified: Date, days: { readonly from?: string | undefined; readonly to?: string | undefined }): boolean {
  const day = lastModified.toISOString().slice(0, 10);
  return (days.from === undefined || day >= days.from) && (days.to === undefined || day <= days.to);
}

/**
 * The current versions of the selected raw objects, listed page by page (delete markers and older
 * versions are not current, so they are not announced).
 */
export async function* selectRawObjects(s3: Pick<S3Client, "send">, bucket: string, selection: ReplaySelection): AsyncGenerator<RawObject> {
  if (selection.kind === "keys") {
    for (const key of selection.keys) {
      const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      yield { key, ...(head.VersionId ? { versionId: head.VersionId } : {}), etag: (head.ETag ?? "").replace(/"/g, ""), size: head.ContentLength ?? 0, lastModified: head.LastModified ?? new Date(0) };
    }
    return;
  }
  let keyMarker: string | undefined;
  let versionIdMarker: string | undefined;
  do {
    const page = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: listPrefix(selection), KeyMarker: keyMarker, VersionIdMarker: versionIdMarker }));
    for (const version of page.Versions ?? []) {
      if (!version.IsLatest || !version.Key || (selection.kind === "days" && !inDayRange(version.LastModified ?? new Date(0), selection))) continue;
      yield {
        key: version.Key,
        ...(version.VersionId && version.VersionId !== "null" ? { versionId: version.VersionId } : {}),
        etag: (version.ETag ?? "").replace(/"/g, ""),
        size: version.Size ?? 0,
        lastModified: version.LastModified ?? new Date(0),
      };
    }
    keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
    versionIdMarker = page.IsTruncated ? page.NextVersionIdMarker : undefined;
  } while (keyMarker);
}

/** The replay message for a raw object, or undefined when it is not in a dataset folder or is a folder marker. */
export function replayMessage(bucket: string, object: RawObject): ObjectLandedMessage | undefined {
  const dataset = datasetOfRawKey(object.key);
  if (dataset === undefined || object.key.endsWith("/")) return undefined;
  return {
    bucket,
    key: object.key,
    size: object.size,
    etag: object.etag,
    ...(object.versionId ? { versionId: object.versionId } : {}),
    // When S3 recorded the version (a version the lake already holds keeps the landing time it has there).
    eventTime: object.lastModified.toISOString(),
    dataset,
    change: "created",
    replay: true,
  };
}

/**
 * Selects, counts and (unless a dry run) announces the objects, a batch at a time.
 *
 * @example
 * ```ts
 * await runReplay({ s3, sns, bucket, topicArn, selection: { kind: "days", dataset: "events", from: "2026-11-01", to: "2026-11-07" }, dryRun: true, batchSize: 100, progress });
 * ```
 */
export async function runReplay(options: ReplayOptions): Promise<ReplayReport> {
  if (options.selection.kind === "prefix" && !options.selection.prefix.startsWith(ZONES.raw)) {
    throw new Error(`--prefix "${options.selection.prefix}" is not under ${ZONES.raw}: only raw objects can be replayed`);
  }
  let objects = 0;
  let bytes = 0;
  let announced = 0;
  let skipped = 0;
  let batch: ObjectLandedMessage[] = [];
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    if (!options.dryRun) await publishObjectMessages(batch, { sns: options.sns, topicArn: options.topicArn, logger: progressLog(options.progress) });
    announced += options.dryRun ? 0 : batch.length;
    options.progress.step(`replay: ${options.dryRun ? "counted" : "announced"} ${objects} objects, ${bytes} bytes so far`);
    batch = [];
  };
  for await (const object of selectRawObjects(options.s3, options.bucket, options.selection)) {
    const message = replayMessage(options.bucket, object);
    if (message === undefined) {
      skipped += 1;
      continue;
    }
    objects += 1;
    bytes += object.size;
    batch.push(message);
    if (batch.length >= options.batchSize) await flush();
  }
  await flush();
  return { objects, bytes, announced, skipped };
}
