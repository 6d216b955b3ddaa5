/**
 * The smoke test of a deployed stack: land a small `events` sample under `raw/`, wait (with a
 * deadline) for its Parquet under `processed/`, count its rows for the day through the stack's Athena
 * workgroup, and remove everything it landed. AWS clients come in as arguments.
 */
import type { AthenaClient } from "@aws-sdk/client-athena";
import { DeleteObjectCommand, ListObjectsV2Command, ListObjectVersionsCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { EVENTS } from "../handlers/datasets";
import { dailyPartition, datasetPrefix } from "../storage/zones";
import { runQuery } from "../handlers/athena";
import { stringOutput } from "./outputs";
import type { Progress } from "./progress";
import { outputName, processedKey } from "../handlers/outputs";
import type { StackOutputs } from "./stack-operations";

/** What the smoke test works on, from the stack outputs. */
export interface SmokeTargets {
  readonly lakeBucketName: string;
  readonly athenaWorkgroupName: string;
  readonly glueDatabaseName: string;
}

/** @example smokeTargets(await stack.outputs(), "dev") */
export function smokeTargets(outputs: StackOutputs, stackName: string): SmokeTargets {
  return {
    lakeBucketName: stringOutput(outputs, "lakeBucketName", stackName),
    athenaWorkgroupName: stringOutput(outputs, "athenaWorkgroupName", stackName),
    glueDatabaseName: stringOutput(outputs, "glueDatabaseName", stackName),
  };
}

export interface SmokeSample {
  /** `raw/events/smoke-<runId>/events.jsonl` */
  readonly rawKey: string;
  readonly body: string;
  readonly eventIds: readonly string[];
  /** `processed/events/year=YYYY/month=MM/day=DD/`: where its Parquet must appear. */
  readonly processedPrefix: string;
  readonly day: { readonly year: string; readonly month: string; readonly day: string };
}

/** The smoke test lands its samples under `raw/events/<this><runId>/`; its policy is scoped to it. */
export const SMOKE_KEY_PREFIX = "smoke-";

/** Run ids go into keys and SQL, so they are restricted to lowercase letters, digits and `-`. */
const RUN_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;

/**
 * A new run id: UTC time and a random suffix.
 *
 * @example newRunId(new Date("2026-11-26T04:24:00Z")) // "20261126t042400-k3j9"
 */
export function newRunId(instant: Date, random: () => number = Math.random): string {
  const stamp = instant.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "").toLowerCase();
  const suffix = Math.floor(random() * 36 ** 4).toString(36).padStart(4, "0");
  return `${stamp}-${suffix}`;
}

/**
 * The sample the smoke test lands: `eventCount` valid `events` records stamped at `instant`,
 * their ids prefixed with the run id so the day query counts only them.
 *
 * @example smokeSample("20261126t042400-k3j9", new Date("2026-11-26T04:24:00Z"), 3).rawKey
 * // "raw/events/smoke-20261126t042400-k3j9/events.jsonl"
 */
export function smokeSample(runId: string, instant: Date, eventCount: number): SmokeSample {
  if (!RUN_ID.test(runId)) throw new Error(`smoke run id "${runId}" must match ${RUN_ID}`);
  if (!Number.isInteger(eventCount) || eventCount < 1) throw new Error(`smoke event count must be a positive integer, got ${eventCount}`);
  const eventIds = Array.from({ length: eventCount }, (_, index) => `smoke-${runId}-${index + 1}`);
  const lines = eventIds.map((eventId, index) =>
    JSON.stringify({
      event_id: eventId,
      user_id: index + 1,
      event_timestamp: instant.toISOString(),
      event_type: "smoke_test",
      properties: { smoke_run: runId },
    }),
  );
  const partition = dailyPartition(instant);
  const [, year, month, day] = /^year=(\d{4})\/month=(\d{2})\/day=(\d{2})\/$/.exec(partition) ?? [];
  return {
    rawKey: `${datasetPrefix("raw", EVENTS.name)}${SMOKE_KEY_PREFIX}${runId}/events.jsonl`,
    body: `${lines.join("\n")}\n`,
    eventIds,
    processedPrefix: `${datasetPrefix("processed", EVENTS.name)}${partition}`,
    day: { year, month, day },
  };
}

/**
 * The keys the processor may write the landed sample's Parquet to: it names its outputs after the
 * source object version (`outputName`), by version id when the S3 notification carries one (AWS does
 * for versioned buckets) and by ETag otherwise (moto leaves the version id out). The smoke test waits
 * for exactly these keys and never touches other objects in the partition.
 *
 * @example expectedProcessedKeys(sample, "lake", { etag: "\"abc\"", versionId: "v1" })
 * // ["processed/events/year=2026/month=11/day=26/events-<hash of v1>.parquet", "…/events-<hash of abc>.parquet"]
 */
export function expectedProcessedKeys(sample: SmokeSample, bucket: string, landed: { readonly etag: string; readonly versionId?: string }): string[] {
  const partition = sample.processedPrefix.slice(datasetPrefix("processed", EVENTS.name).length);
  const byEtag = processedKey(EVENTS.name, partition, outputName({ bucket, key: sample.rawKey, etag: landed.etag }));
  if (!landed.versionId) return [byEtag];
  const byVersion = processedKey(EVENTS.name, partition, outputName({ bucket, key: sample.rawKey, etag: landed.etag, versionId: landed.versionId }));
  return [byVersion, byEtag];
}

/**
 * The day query restricted to the sample: rows of the sample's day partition whose id carries the run id.
 *
 * @example smokeCountQuery("datalake_dev", "run1", sample)
 * // SELECT count(*) AS row_count FROM "datalake_dev"."events" WHERE year = 2026 AND month = 11 AND … AND event_id LIKE 'smoke-run1-%'
 */
export function smokeCountQuery(database: string, runId: string, sample: SmokeSample): string {
  if (!/^[a-z0-9_]+$/.test(database)) throw new Error(`Glue database name "${database}" is not a plain identifier`);
  const { year, month, day } = sample.day;
  return (
    `SELECT count(*) AS row_count FROM "${database}"."${EVENTS.name}" ` +
    `WHERE year = ${Number(year)} AND month = ${Number(month)} AND day = ${Number(day)} AND event_id LIKE 'smoke-${runId}-%'`
  );
}

export interface SmokeOptions {
  readonly s3: S3Client;
  readonly athena: AthenaClient;
  readonly targets: SmokeTargets;
  readonly runId: string;
  /** The event time of the sample (its day is the partition checked). */
  readonly instant: Date;
  readonly eventCount: number;
  /** How long to wait for the processor's Parquet. */
  readonly processedDeadlineMs: number;
  /** How long to wait for the Athena query. */
  readonly queryDeadlineMs: number;
  readonly pollIntervalMs: number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly now: () => number;
  readonly progress: Progress;
}

export interface SmokeReport {
  readonly rawKey: string;
  readonly processedKeys: readonly string[];
  readonly rowCount: number;
  /** Object versions deleted at the end (raw and processed). */
  readonly removedVersions: number;
}

/**
 * Runs the smoke test; throws with a message saying which step failed. Whatever it landed is removed
 * whether it passed or not.
 *
 * @example await runSmokeTest({ s3, athena, targets, runId: newRunId(new Date()), instant: new Date(), eventCount: 3, ... });
 */
export async function runSmokeTest(options: SmokeOptions): Promise<SmokeReport> {
  const { s3, targets, progress, runId } = options;
  const sample = smokeSample(runId, options.instant, options.eventCount);
  const bucket = targets.lakeBucketName;
  const landed = new Set<string>([sample.rawKey]);
  let outcome: { processedKeys: string[]; rowCount: number } | undefined;
  let failure: unknown;
  try {
    progress.step(`smoke ${runId}: landing ${sample.eventIds.length} events at s3://${bucket}/${sample.rawKey}`);
    const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: sample.rawKey, Body: sample.body, ContentType: "application/x-ndjson" }));
    const expectedKeys = expectedProcessedKeys(sample, bucket, { etag: put.ETag ?? "", ...(put.VersionId ? { versionId: put.VersionId } : {}) });

    const processedKeys = await waitForProcessed(options, sample, expectedKeys);
    processedKeys.forEach((key) => landed.add(key));
    progress.step(`smoke ${runId}: processed ${processedKeys.join(", ")}`);

    const sql = smokeCountQuery(targets.glueDatabaseName, runId, sample);
    progress.step(`smoke ${runId}: querying through workgroup ${targets.athenaWorkgroupName}: ${sql}`);
    const result = await runQuery(
      options.athena,
      { sql, workGroup: targets.athenaWorkgroupName, database: targets.glueDatabaseName },
      {
        deadline: options.now() + options.queryDeadlineMs,
        initialDelayMs: options.pollIntervalMs,
        maxDelayMs: options.pollIntervalMs,
        sleep: options.sleep,
        now: options.now,
      },
    );
    const rows = result.rows;
    const rowCount = Number(rows[0]?.row_count);
    if (!Number.isInteger(rowCount)) throw new Error(`the day query returned no count (rows: ${JSON.stringify(rows)})`);
    if (rowCount !== sample.eventIds.length) {
      throw new Error(`the day query counted ${rowCount} smoke rows, expected ${sample.eventIds.length}`);
    }
    outcome = { processedKeys, rowCount };
  } catch (error) {
    failure = error;
  }
  let removedVersions = 0;
  try {
    removedVersions = await removeObjects(s3, bucket, [...landed]);
    progress.step(`smoke ${runId}: removed ${removedVersions} object versions it landed`);
  } catch (cleanupError) {
    const cleanupMessage = `could not remove what the smoke test landed (${[...landed].join(", ")}): ${(cleanupError as Error).message}`;
    throw new Error(failure ? `${(failure as Error).message}; also ${cleanupMessage}` : cleanupMessage);
  }
  if (failure || !outcome) throw failure;
  return { rawKey: sample.rawKey, processedKeys: outcome.processedKeys, rowCount: outcome.rowCount, removedVersions };
}

async function waitForProcessed(options: SmokeOptions, sample: SmokeSample, expectedKeys: readonly string[]): Promise<string[]> {
  const giveUpAt = options.now() + options.processedDeadlineMs;
  for (;;) {
    const keys = await listKeys(options.s3, options.targets.lakeBucketName, sample.processedPrefix);
    const found = expectedKeys.filter((key) => keys.includes(key));
    if (found.length > 0) return found;
    const left = giveUpAt - options.now();
    if (left <= 0) {
      throw new Error(
        `no Parquet ${expectedKeys.join(" or ")} for ${sample.rawKey} within ${options.processedDeadlineMs} ms ` +
          `(check the processor's logs and the dead-letter queue)`,
      );
    }
    options.progress.step(`smoke ${options.runId}: waiting for Parquet under ${sample.processedPrefix} (${Math.ceil(left / 1000)} s left)`);
    await options.sleep(Math.min(options.pollIntervalMs, left));
  }
}

async function listKeys(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys;
}

/** Deletes every version and delete marker of the given keys (the lake bucket is versioned). */
async function removeObjects(s3: S3Client, bucket: string, keys: readonly string[]): Promise<number> {
  let removed = 0;
  for (const key of keys) {
    let keyMarker: string | undefined;
    let versionIdMarker: string | undefined;
    do {
      const page = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: key, KeyMarker: keyMarker, VersionIdMarker: versionIdMarker }));
      const versions = [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])].filter((version) => version.Key === key);
      for (const version of versions) {
        await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key, VersionId: version.VersionId }));
        removed += 1;
      }
      keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
      versionIdMarker = page.IsTruncated ? page.NextVersionIdMarker : undefined;
    } while (keyMarker);
  }
  return removed;
}
