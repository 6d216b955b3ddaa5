/**
 * What the Glue job is told about each raw object it converts, and what it hands back. Every lake key
 * the job writes is computed here, in TypeScript, by the same functions the processor uses
 * (`outputName`, `processedKey`, `rejectedRecordsKey`): the job only fills the day partition into
 * the processed-key template. Pure module, shared by the processor (one object per run) and the
 * backfill (`automation/glue-backfill.ts`, a whole prefix per run).
 *
 * Flow: the processor starts a run with the object's spec and acknowledges its message; the job
 * converts, writes the outputs and a result document (`resultKey`), then sends the original message
 * back to the processing queue with a `glue` field naming the run and the result (a "handback"). The
 * processor applies the handback like any change (handlers/apply-change.ts), reading the version's
 * outputs from the result document, so the mirror rule and the completion events stay in one place.
 */
import type { ObjectLandedMessage } from "./ingest";
import type { WrittenPartition } from "./completion-event";
import { outputName, processedKey, rejectedRecordsKey, type RawEncoding } from "./outputs";
import { landedAt } from "./convert";
import { GLUE_PREFIXES } from "../storage/zones";

export { GLUE_PREFIXES } from "../storage/zones";

/** Placeholder of the day partition in `GlueObjectSpec.processedKeyTemplate`. */
export const PARTITION_PLACEHOLDER = "{partition}";

/** One raw object version as the job converts it. */
export interface GlueObjectSpec {
  /** The queue message that announced the version, sent back unchanged (plus `glue`) on handback. */
  readonly message: ObjectLandedMessage;
  readonly dataset: string;
  readonly bucket: string;
  readonly key: string;
  readonly versionId?: string;
  /** ETag without quotes: with `versionId`, what the job checks the object it reads against. */
  readonly etag: string;
  readonly encoding: RawEncoding;
  /** The version's output name (`outputName`). */
  readonly name: string;
  /** `processed/<dataset>/{partition}<name>.parquet`; `{partition}` is "" for unpartitioned datasets. */
  readonly processedKeyTemplate: string;
  /** Where the version's rejected records go (the day the object landed). */
  readonly rejectedKey: string;
  /** Where the job writes the version's result document. */
  readonly resultKey: string;
}

/** What the job reports for one object version (the result document). */
export type GlueObjectResult =
  | {
      readonly status: "converted";
      readonly outputs: readonly string[];
      readonly partitions: readonly WrittenPartition[];
      readonly rowsRead: number;
      readonly rowsWritten: number;
      readonly rowsRejected: number;
    }
  /** The object can never be converted (e.g. not gzip): the processor records it in `rejected/_objects/`. */
  | { readonly status: "rejected"; readonly reason: string; readonly detail: string };

/** The `glue` field of a handback message. */
export interface GlueHandbackField {
  readonly jobRunId: string;
  readonly resultKey: string;
}

/** A message the job sent back after converting the version it names. */
export type GlueHandbackMessage = ObjectLandedMessage & { readonly glue: GlueHandbackField };

/**
 * The key of an object version's result document.
 *
 * @example glueResultKey("events", "big-3f0c…") // "glue/results/events/big-3f0c….json"
 */
export function glueResultKey(dataset: string, name: string): string {
  return `${GLUE_PREFIXES.results}${dataset}/${name}.json`;
}

/**
 * The spec of the version a message names, read with `encoding`.
 *
 * @example
 * ```ts
 * const spec = glueObjectSpec(message, { format: "jsonl", gzip: true });
 * spec.processedKeyTemplate; // "processed/events/{partition}big-3f0c….parquet"
 * ```
 */
export function glueObjectSpec(message: ObjectLandedMessage, encoding: RawEncoding): GlueObjectSpec {
  const name = outputName(message);
  return {
    message,
    dataset: message.dataset,
    bucket: message.bucket,
    key: message.key,
    ...(message.versionId ? { versionId: message.versionId } : {}),
    etag: message.etag.replace(/"/g, ""),
    encoding,
    name,
    processedKeyTemplate: processedKey(message.dataset, PARTITION_PLACEHOLDER, name),
    rejectedKey: rejectedRecordsKey(message.dataset, name, landedAt(message)),
    resultKey: glueResultKey(message.dataset, name),
  };
}

/**
 * Whether a queue message is a handback from the Glue job (and well formed).
 *
 * @example isGlueHandback({ ...message, glue: { jobRunId: "jr_1", resultKey: "glue/results/events/a.json" } }) // true
 */
export function isGlueHandback(message: ObjectLandedMessage): message is GlueHandbackMessage {
  const glue = (message as { glue?: unknown }).glue;
  if (typeof glue !== "object" || glue === null) return false;
  const field = glue as Record<string, unknown>;
  return typeof field.jobRunId === "string" && typeof field.resultKey === "string" && field.resultKey.startsWith(GLUE_PREFIXES.results);
}

/** The job's arguments that carry the objects: inline for one object, an S3 key for a backfill's list. */
export const GLUE_OBJECTS_ARGUMENT = "--objects";
export const GLUE_OBJECTS_KEY_ARGUMENT = "--objects_key";
