/**
 * `replay --engine glue`: converts a whole prefix of `raw/`, or the objects of it that landed on a range
 * of days, with the Glue job instead of one processor invocation per object. The objects' current
 * versions are listed, each gets the object spec the processor would build (handlers/glue-objects.ts),
 * marked as a replay; the list is written to `glue/runs/<run>.json` and one job run converts it
 * (`--objects_key`), in runs of at most `maxObjectsPerRun` objects. Each object comes back to the
 * processor as a replay handback, which the mirror applies only while that version is still the key's
 * current one (handlers/apply-change.ts).
 *
 * The listing, the day filter and the replay message are replay's own (automation/replay.ts:
 * `selectRawObjects`, `inDayRange`, `replayMessage`); `parseBackfillRequest` is pure and the runner takes
 * its S3 and Glue clients, so it is tested with fakes; automation/cli.ts wires it as
 * `npm run ci -- replay --engine glue --stack <stack> --prefix raw/<dataset>/… [--from YYYY-MM-DD] [--to YYYY-MM-DD]`.
 */
import { HeadObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { StartJobRunCommand, type GlueClient } from "@aws-sdk/client-glue";
import { findDataset } from "../handlers/datasets";
import { GLUE_OBJECTS_KEY_ARGUMENT, GLUE_PREFIXES, glueObjectSpec, type GlueObjectSpec } from "../handlers/glue-objects";
import { rawEncoding } from "../handlers/outputs";
import { datasetOfRawKey } from "../storage/zones";
import { inDayRange, replayMessage, selectRawObjects } from "./replay";

/** Objects of one run: a Glue run's arguments stay small (the list is in S3), its Spark plan does not. */
export const DEFAULT_MAX_OBJECTS_PER_RUN = 5000;

export interface BackfillRequest {
  readonly bucket: string;
  /** `raw/<dataset>/…`: one dataset per backfill. */
  readonly prefix: string;
  readonly dataset: string;
  /** Inclusive UTC days (`YYYY-MM-DD`) the objects landed on (their LastModified); absent: unbounded. */
  readonly fromDay?: string;
  readonly toDay?: string;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

function validDay(text: string): boolean {
  if (!DAY.test(text)) return false;
  const date = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(text);
}

/**
 * Checks a backfill's options; returns the request, or the problems (each naming its option).
 *
 * @example parseBackfillRequest({ bucket: "lake", prefix: "raw/events/2026/", from: "2026-11-01", to: "2026-11-30" })
 * // { request: { bucket: "lake", prefix: "raw/events/2026/", dataset: "events", fromDay: "2026-11-01", toDay: "2026-11-30" } }
 */
export function parseBackfillRequest(options: { readonly bucket: string; readonly prefix: string; readonly from?: string; readonly to?: string }): { request?: BackfillRequest; problems: string[] } {
  const problems: string[] = [];
  const dataset = datasetOfRawKey(options.prefix.endsWith("/") ? `${options.prefix}x` : options.prefix);
  if (dataset === undefined) problems.push(`--prefix ${JSON.stringify(options.prefix)} is not under raw/<dataset>/`);
  else if (findDataset(dataset) === undefined) problems.push(`--prefix ${JSON.stringify(options.prefix)} names dataset ${dataset}, which the registry does not know`);
  for (const [option, value] of [["--from", options.from], ["--to", options.to]] as const) {
    if (value !== undefined && !validDay(value)) problems.push(`${option} ${JSON.stringify(value)} is not a day written YYYY-MM-DD`);
  }
  if (problems.length === 0 && options.from !== undefined && options.to !== undefined && options.from > options.to) problems.push(`--from ${options.from} is after --to ${options.to}`);
  if (problems.length > 0 || dataset === undefined) return { problems };
  return {
    problems,
    request: {
      bucket: options.bucket,
      prefix: options.prefix,
      dataset,
      ...(options.from !== undefined ? { fromDay: options.from } : {}),
      ...(options.to !== undefined ? { toDay: options.to } : {}),
    },
  };
}

/** The key of a backfill run's object list. */
export function backfillRunKey(runName: string, index: number): string {
  return `${GLUE_PREFIXES.runs}${runName}-${String(index).padStart(3, "0")}.json`;
}

/** An object the backfill leaves out, and why. */
export interface SkippedObject {
  readonly key: string;
  readonly reason: string;
}

export interface BackfillPlan {
  readonly specs: readonly GlueObjectSpec[];
  readonly skipped: readonly SkippedObject[];
}

type S3Sender = Pick<S3Client, "send">;

/**
 * Lists what a backfill converts: one spec per current version under the prefix (replay's listing:
 * delete markers and older versions left out) that landed within the days, in a format the dataset
 * accepts (told by the key, else by S3's content type). Folder markers are left out, as replay does.
 */
export async function planBackfill(s3: S3Sender, request: BackfillRequest): Promise<BackfillPlan> {
  const dataset = findDataset(request.dataset)!;
  const specs: GlueObjectSpec[] = [];
  const skipped: SkippedObject[] = [];
  for await (const object of selectRawObjects(s3, request.bucket, { kind: "prefix", prefix: request.prefix })) {
    if (!inDayRange(object.lastModified, { from: request.fromDay, to: request.toDay })) continue;
    const message = replayMessage(request.bucket, object);
    if (message === undefined) continue;
    const { key } = object;
    let encoding = rawEncoding(key);
    if (encoding === undefined) {
      const head = await s3.send(new HeadObjectCommand({ Bucket: request.bucket, Key: key, ...(message.versionId ? { VersionId: message.versionId } : {}) }));
      encoding = rawEncoding(key, head.ContentEncoding, head.ContentType);
    }
    if (encoding === undefined || !dataset.formats.includes(encoding.format)) {
      skipped.push({ key, reason: `not in an accepted format of ${dataset.name} (${dataset.formats.join(", ")})` });
      continue;
    }
    specs.push(glueObjectSpec(message, encoding));
  }
  return { specs, skipped };
}

export interface GlueBackfillOptions {
  readonly s3: S3Sender;
  readonly glue: Pick<GlueClient, "send">;
  readonly jobName: string;
  readonly request: BackfillRequest;
  /** Names the run lists (`glue/runs/<runName>-NNN.json`), e.g. a timestamp. */
  readonly runName: string;
  readonly maxObjectsPerRun?: number;
  readonly log?: (line: string) => void;
}

export interface GlueBackfillReport {
  /** One per run started: its id, object list and number of objects. */
  readonly runs: readonly { readonly jobRunId: string; readonly objectsKey: string; readonly objects: number }[];
  readonly skipped: readonly SkippedObject[];
}

/**
 * Starts the backfill's job runs and reports them; an empty selection starts none.
 *
 * @example
 * ```ts
 * const report = await startGlueBackfill({ s3, glue, jobName: "datalake-dev-convert", request, runName: "2026-11-30T12-00-00Z" });
 * // report.runs[0].jobRunId: follow it with `aws glue get-job-run`
 * ```
 */
export async function startGlueBackfill(options: GlueBackfillOptions): Promise<GlueBackfillReport> {
  const plan = await planBackfill(options.s3, options.request);
  const size = options.maxObjectsPerRun ?? DEFAULT_MAX_OBJECTS_PER_RUN;
  const runs: { jobRunId: string; objectsKey: string; objects: number }[] = [];
  for (let start = 0, index = 0; start < plan.specs.length; start += size, index += 1) {
    const batch = plan.specs.slice(start, start + size);
    const objectsKey = backfillRunKey(options.runName, index);
    await options.s3.send(new PutObjectCommand({ Bucket: options.request.bucket, Key: objectsKey, Body: JSON.stringify(batch), ContentType: "application/json" }));
    const run = await options.glue.send(new StartJobRunCommand({ JobName: options.jobName, Arguments: { [GLUE_OBJECTS_KEY_ARGUMENT]: objectsKey } }));
    runs.push({ jobRunId: run.JobRunId ?? "unknown", objectsKey, objects: batch.length });
    options.log?.(`Started ${options.jobName} run ${run.JobRunId} for ${batch.length} objects (${objectsKey})`);
  }
  for (const skip of plan.skipped) options.log?.(`Skipped ${skip.key}: ${skip.reason}`);
  return { runs, skipped: plan.skipped };
}
