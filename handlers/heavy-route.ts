/**
 * The processor's heavy path: an object at or above the heavy-object threshold is converted by the
 * Glue job instead of this Lambda. The processor checks the object (it exists, its format is one the
 * dataset accepts), starts a job run with its spec (`./glue-objects`) and acknowledges the message;
 * the job hands the message back when done, and the processor then applies the version's outputs
 * from the job's result document like any other change.
 *
 * Both halves run inside `applyChange`'s `produce` step, so a stale or duplicate change never starts
 * a run, and a handback obeys the same ordering as a Lambda conversion.
 */
import { GetObjectCommand, HeadObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import type { StartJobRunCommandInput, StartJobRunCommandOutput } from "@aws-sdk/client-glue";
import type { ObjectLandedMessage } from "./ingest";
import type { DatasetDefinition } from "./datasets";
import type { LogSink } from "./log";
import type { VersionOutputs } from "./apply-change";
import { PermanentError, permanentCause } from "./errors";
import { rawEncoding } from "./outputs";
import { plannedBytes } from "./time-budget";
import { GLUE_OBJECTS_ARGUMENT, glueObjectSpec, isGlueHandback, type GlueHandbackMessage, type GlueObjectResult } from "./glue-objects";

/**
 * Starts a Glue job run. A function rather than a client, so that the processor loads
 * `@aws-sdk/client-glue` only when an object is heavy: a type-only import here keeps the module out of
 * the function's init (bench/README.md: 20–30 ms of the processor's cold start for a path most
 * invocations never take).
 */
export type StartJobRun = (input: StartJobRunCommandInput) => Promise<Pick<StartJobRunCommandOutput, "JobRunId">>;

export interface HeavyRoute {
  readonly startJobRun: StartJobRun;
  readonly jobName: string;
  /** Objects whose planned bytes (stored size, × 8 for `.gz`) reach this go to the job. */
  readonly thresholdBytes: number;
}

/**
 * Whether the processor hands a message's object to the Glue job: a new version (not a deletion, not
 * a handback) whose planned size reaches the threshold. Sizes are planned as the time budget plans
 * them (`plannedBytes`: a gzip object counts 8 times its stored size).
 *
 * @example isHeavy({ ...message, key: "raw/events/big.jsonl", size: 12e9 }, 10e9) // true
 */
export function isHeavy(message: ObjectLandedMessage, thresholdBytes: number): boolean {
  if (message.change === "removed" || isGlueHandback(message)) return false;
  return plannedBytes({ key: message.key, size: message.size }) >= thresholdBytes;
}

/**
 * Thrown by `handOff` once the job run has started: the message is done for the processor (it is
 * acknowledged), and the change is applied when the job hands it back. Not an error of the data.
 */
export class HandedOffToGlue extends Error {
  constructor(readonly jobRunId: string) {
    const message = `Handed off to Glue job run ${jobRunId}`;
    super(message);
    // Set explicitly, as in PermanentError: the serialized closure does not run Error's initialisation.
    this.message = message;
    this.name = "HandedOffToGlue";
  }
}

export function isHandedOff(error: unknown): error is HandedOffToGlue {
  return error instanceof HandedOffToGlue;
}

/** The object's encoding from S3's metadata, for the exact version the message names. */
async function headVersion(s3: Pick<S3Client, "send">, message: ObjectLandedMessage): Promise<{ contentEncoding?: string; contentType?: string }> {
  try {
    const head = await s3.send(
      new HeadObjectCommand({
        Bucket: message.bucket,
        Key: message.key,
        ...(message.versionId ? { VersionId: message.versionId } : message.etag ? { IfMatch: `"${message.etag.replace(/"/g, "")}"` } : {}),
      }),
    );
    return { ...(head.ContentEncoding ? { contentEncoding: head.ContentEncoding } : {}), ...(head.ContentType ? { contentType: head.ContentType } : {}) };
  } catch (error) {
    throw permanentCause(error) ?? error;
  }
}

/**
 * Starts the job run for a heavy object; never returns.
 *
 * @throws HandedOffToGlue once the run is started; PermanentError when the object version is gone or
 *   in a format the dataset does not accept (recorded in `rejected/_objects/` as the processor does);
 *   anything else (Glue throttling, ConcurrentRunsExceededException) is transient and retried.
 */
export async function handOff(message: ObjectLandedMessage, dataset: DatasetDefinition, route: HeavyRoute, s3: Pick<S3Client, "send">, logger: LogSink): Promise<never> {
  const head = await headVersion(s3, message);
  const encoding = rawEncoding(message.key, head.contentEncoding, head.contentType);
  if (encoding === undefined || !dataset.formats.includes(encoding.format)) {
    throw new PermanentError(
      `Object ${message.key} is not in an accepted format of ${dataset.name} (${dataset.formats.join(", ")}); content type ${head.contentType ?? "none"}`,
      "unsupported_format",
    );
  }
  const spec = glueObjectSpec(message, encoding);
  const run = await route.startJobRun({ JobName: route.jobName, Arguments: { [GLUE_OBJECTS_ARGUMENT]: JSON.stringify([spec]) } });
  const jobRunId = run.JobRunId ?? "unknown";
  logger.info("Started a Glue job run for a heavy object", { key: message.key, dataset: dataset.name, size: message.size, jobName: route.jobName, jobRunId });
  throw new HandedOffToGlue(jobRunId);
}

/** Reads a handback's result document. */
async function readResult(s3: Pick<S3Client, "send">, message: GlueHandbackMessage): Promise<GlueObjectResult> {
  const response = await s3.send(new GetObjectCommand({ Bucket: message.bucket, Key: message.glue.resultKey }));
  return JSON.parse(await response.Body!.transformToString()) as GlueObjectResult;
}

/**
 * The outputs the job wrote for a handed-back version, as `applyChange` takes them.
 *
 * @throws PermanentError when the job found the object unreadable (recorded like the processor's own).
 */
export async function handbackOutputs(message: GlueHandbackMessage, s3: Pick<S3Client, "send">): Promise<VersionOutputs> {
  const result = await readResult(s3, message);
  if (result.status === "rejected") throw new PermanentError(result.detail, result.reason);
  return { outputs: result.outputs, partitions: result.partitions, rowsRead: result.rowsRead, rowsWritten: result.rowsWritten, rowsRejected: result.rowsRejected };
}

/**
 * The outputs of a handback that the mirror did not take (its change turned out stale: a later
 * version of the key is already applied): the job wrote them, nobody else will delete them.
 *
 * @example orphanedOutputs(["processed/events/…/old.parquet"], ["processed/events/…/new.parquet"]) // ["processed/events/…/old.parquet"]
 */
export function orphanedOutputs(written: readonly string[], kept: readonly string[]): string[] {
  const keep = new Set(kept);
  return written.filter((key) => !keep.has(key));
}

/** Reads what a stale handback wrote; an unreadable result (already expired) leaves nothing to delete. */
export async function handbackWritten(message: GlueHandbackMessage, s3: Pick<S3Client, "send">): Promise<readonly string[]> {
  try {
    const result = await readResult(s3, message);
    return result.status === "converted" ? result.outputs : [];
  } catch (error) {
    if (permanentCause(error) !== undefined) return [];
    throw error;
  }
}
