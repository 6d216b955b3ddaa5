/**
 * Applies one change of a raw key (a new version, a deletion, or a replay of the current version)
 * to the lake, so that `processed/` and `rejected/` mirror the key's latest version (see ./mirror.ts
 * for the manifest and the ordering rule).
 *
 * 1. Read the key's manifest; decide: a later change is already applied (stale: nothing to do), this
 *    very change is (duplicate: finish its clean-up), or apply it.
 * 2. Write the version's outputs (version-specific names, so concurrent versions never overwrite each
 *    other's files), or none for a deletion.
 * 3. Commit the manifest conditionally. If another processor committed first, re-read and re-decide:
 *    when that commit was a later change, this one lost and deletes what it wrote.
 * 4. Delete what the replaced version wrote, then announce the change on the pipeline-events topic.
 *
 * Replays carry no S3 sequencer: a replay applies only while its version is still the key's current
 * one (a HEAD of the raw key), and keeps the manifest's sequencer, so a replay can neither overtake
 * a newer version nor be overtaken silently. Between step 2 and step 4 readers may see both versions'
 * files for a moment; a function stopped in between leaves the old files listed in `superseded`,
 * which the key's next change deletes.
 */
import { HeadObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import type { LogSink } from "./log";
import { errorStatus } from "./errors";
import type { ObjectLandedMessage } from "./ingest";
import { decide, holdsVersion, nextManifest, type ManifestStore, type MirrorChange, type MirrorManifest, type StoredManifest } from "./mirror";
import { publishPipelineEvent, type PipelineEvent } from "./pipeline-events";
import { boundedPartitionList, type WrittenPartition } from "./completion-event";

/** What a version wrote: its output keys, and what the completion event reports. */
export interface VersionOutputs {
  readonly outputs: readonly string[];
  /** The partitions written under `processed/<dataset>/`, with their files and rows. */
  readonly partitions: readonly WrittenPartition[];
  readonly rowsRead: number;
  readonly rowsWritten: number;
  readonly rowsRejected: number;
}

export interface ApplyDependencies {
  readonly store: ManifestStore;
  readonly s3: Pick<S3Client, "send">;
  readonly logger: LogSink;
  /** Absent when no pipeline-events topic is configured. */
  readonly events?: { readonly sns: Parameters<typeof publishPipelineEvent>[0]["sns"]; readonly topicArn: string };
  readonly now: () => Date;
}

export type ApplyOutcome = "applied" | "stale" | "duplicate" | "superseded";

/** Commits retried this many times when other processors keep winning the race for one key. */
const COMMIT_ATTEMPTS = 5;

const changeOf = (message: ObjectLandedMessage): MirrorChange => ({
  key: message.key,
  dataset: message.dataset,
  ...(message.sequencer ? { sequencer: message.sequencer } : {}),
  ...(message.versionId ? { versionId: message.versionId } : {}),
  ...(message.etag ? { etag: message.etag.replace(/"/g, "") } : {}),
  landedAt: message.eventTime,
  state: message.change === "removed" ? "deleted" : "present",
});

/** The raw key's current version, or undefined when it is gone (deleted, or behind a delete marker). */
async function currentVersion(s3: Pick<S3Client, "send">, bucket: string, key: string): Promise<{ versionId?: string; etag: string } | undefined> {
  try {
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return { ...(head.VersionId ? { versionId: head.VersionId } : {}), etag: (head.ETag ?? "").replace(/"/g, "") };
  } catch (error) {
    if (errorStatus(error) === 404 || (error as Error).name === "NotFound") return undefined;
    throw error;
  }
}

/**
 * Whether a change without an S3 sequencer (a replay) still names the key's current version: if
 * not, a later change exists and its own event decides the mirror.
 */
async function unorderedChangeIsCurrent(message: ObjectLandedMessage, s3: Pick<S3Client, "send">): Promise<boolean> {
  const current = await currentVersion(s3, message.bucket, message.key);
  if (message.change === "removed") return current === undefined;
  if (current === undefined) return false;
  // A version id names one version; without one (an unversioned bucket), the ETag stands for it.
  return message.versionId !== undefined ? current.versionId === message.versionId : current.etag === message.etag.replace(/"/g, "");
}

/** Decision for a change over a stored manifest; a replay is ordered as the manifest's own sequencer. */
function decisionFor(stored: StoredManifest | undefined, change: MirrorChange, replay: boolean): ReturnType<typeof decide> {
  if (!replay) return decide(stored?.manifest, change);
  // The current version is being re-applied: it takes the place of whatever the manifest holds.
  return "apply";
}

function eventFor(message: ObjectLandedMessage, manifest: MirrorManifest, produced: VersionOutputs | undefined, now: Date): PipelineEvent {
  const source = { bucket: message.bucket, key: message.key, etag: message.etag, ...(message.versionId ? { versionId: message.versionId } : {}) };
  if (manifest.state === "deleted") {
    return { type: "processing.deleted", dataset: message.dataset, source, removedOutputs: manifest.superseded.length, completedAt: now.toISOString() };
  }
  return {
    type: "processing.completed",
    dataset: message.dataset,
    source,
    // Bounded: a file of thousands of days would otherwise overflow the SNS message (completion-event.ts).
    ...boundedPartitionList(produced?.partitions ?? []),
    rowsRead: produced?.rowsRead ?? 0,
    rowsWritten: produced?.rowsWritten ?? 0,
    rowsRejected: produced?.rowsRejected ?? 0,
    replacedOutputs: manifest.superseded.length,
    completedAt: now.toISOString(),
  };
}

/**
 * Applies `message` with `produce` writing the version's outputs (not called for deletions).
 *
 * @example
 * ```ts
 * const outcome = await applyChange(message, (effective) => convertToOutputs(effective), deps);
 * // "applied" | "stale" | "duplicate" | "superseded"
 * ```
 */
export async function applyChange(announced: ObjectLandedMessage, produce: (message: ObjectLandedMessage) => Promise<VersionOutputs>, deps: ApplyDependencies): Promise<ApplyOutcome> {
  const replay = announced.replay === true || announced.sequencer === undefined;
  let message = announced;
  let change = changeOf(message);
  const context = { key: message.key, dataset: message.dataset, change: change.state, ...(message.sequencer ? { sequencer: message.sequencer } : {}) };
  if (replay && !(await unorderedChangeIsCurrent(message, deps.s3))) {
    deps.logger.info("Skipped: the key has changed since this replay was announced", context);
    return "stale";
  }
  let stored = await deps.store.read(message.dataset, message.key);
  const landedAt = stored?.manifest.landedAt;
  if (replay && landedAt !== undefined && holdsVersion(stored?.manifest, change)) {
    // The same version again: it landed when it first did, whenever it is replayed.
    message = { ...message, eventTime: landedAt };
    change = changeOf(message);
  }
  let decision = decisionFor(stored, change, replay);
  if (decision === "stale") {
    deps.logger.info("Skipped: a later change of this key is already in the lake", { ...context, applied: stored?.manifest.sequencer });
    return "stale";
  }
  if (decision === "duplicate") {
    // Finish what a stopped invocation may have left: the clean-up, and the announcement (pipeline
    // events are at least once: a redelivery announces the change again).
    const applied = stored!.manifest;
    await deps.store.deleteOutputs(applied.superseded);
    deps.logger.info("Already applied", context);
    if (deps.events) await publishPipelineEvent(deps.events, eventFor(message, applied, undefined, deps.now()));
    return "duplicate";
  }

  const produced = change.state === "present" ? await produce(message) : undefined;
  const outputs = produced?.outputs ?? [];
  for (let attempt = 1; attempt <= COMMIT_ATTEMPTS; attempt += 1) {
    const base = stored?.manifest;
    const sequenced = replay && base?.sequencer !== undefined ? { ...change, sequencer: base.sequencer } : change;
    const next = nextManifest(base, sequenced, outputs, deps.now());
    // Leftovers of an interrupted clean-up of the previous change go too.
    const superseded = [...new Set([...next.superseded, ...(base?.superseded ?? []).filter((key) => !outputs.includes(key))])];
    const manifest = { ...next, superseded };
    const result = await deps.store.commit(manifest, stored?.etag);
    if (result.committed) {
      await deps.store.deleteOutputs(manifest.superseded);
      deps.logger.info(change.state === "deleted" ? "Removed the outputs of a deleted raw key" : "Applied the latest version of a raw key", {
        ...context,
        outputs: outputs.length,
        replaced: manifest.superseded.length,
      });
      if (deps.events) await publishPipelineEvent(deps.events, eventFor(message, manifest, produced, deps.now()));
      return "applied";
    }
    stored = await deps.store.read(message.dataset, message.key);
    decision = replay ? (holdsVersion(stored?.manifest, change) ? "apply" : "stale") : decide(stored?.manifest, change);
    if (decision !== "apply") {
      // Another processor applied a later change (or this very one) first: what this one wrote is not the mirror.
      const kept = new Set(stored?.manifest.outputs ?? []);
      await deps.store.deleteOutputs(outputs.filter((key) => !kept.has(key)));
      deps.logger.info("Superseded while processing: a later change of this key was applied first", context);
      return "superseded";
    }
  }
  throw new Error(`Could not commit the manifest of ${message.key} after ${COMMIT_ATTEMPTS} attempts: other processors kept changing it`);
}
