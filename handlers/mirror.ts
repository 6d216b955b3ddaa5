/**
 * The lake mirrors `raw/`: for every raw object key, `processed/` and `rejected/` hold exactly the
 * outputs of the key's latest version, and nothing once the key is deleted. This module keeps, per raw
 * key, a small manifest of what the latest applied version wrote, and applies changes to it with S3
 * conditional writes, so that replacing a version never scans the lake and concurrent processors of
 * one key agree on a winner.
 *
 * Layout: `manifests/<dataset>/<sha256(raw key), 32 hex>.json`, one JSON object per raw key:
 * `{ key, dataset, sequencer, versionId?, etag?, landedAt?, state: "present" | "deleted", outputs, superseded, updatedAt }`.
 * `landedAt` is when S3 recorded the version (its first announcement's `eventTime`): a replay of the
 * version reuses it, so its rejected records stay in the same day partition.
 * `outputs` are the lake keys the applied version wrote; `superseded` those of the version it
 * replaced, deleted right after the commit (and again, harmlessly, by the next change, should the
 * function have stopped in between). A deleted key keeps a tombstone (`state: "deleted"`), so that
 * a late event of an older version cannot bring the key back.
 *
 * Why not a table that Athena reads: a manifest is changed by compare-and-swap on one object
 * (`If-Match` on its ETag, `If-None-Match: *` for a new key), which S3 offers per object and no
 * Athena table format offers without a transaction service; nothing queries manifests across keys;
 * and keeping them outside `processed/` keeps them out of every table's location.
 *
 * Order: versions are ordered by the S3 event's `sequencer` (S3 User Guide, "Event message
 * structure": for one key, the greater hexadecimal sequencer is the later event; sequencers of
 * different lengths are compared after left-padding the shorter with zeros), never by arrival or clock.
 */
import { createHash } from "node:crypto";
import { DeleteObjectsCommand, GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { ZONES } from "../storage/zones";
import { errorStatus } from "./errors";

export interface MirrorManifest {
  readonly key: string;
  readonly dataset: string;
  /** The S3 event sequencer of the applied change; absent only for changes announced without one. */
  readonly sequencer?: string;
  readonly versionId?: string;
  readonly etag?: string;
  /** When the applied version landed (ISO 8601). */
  readonly landedAt?: string;
  readonly state: "present" | "deleted";
  /** Lake keys the applied version wrote (Parquet files, its rejected-records file or object record). */
  readonly outputs: readonly string[];
  /** Lake keys of the version this one replaced, deleted after the commit. */
  readonly superseded: readonly string[];
  readonly updatedAt: string;
}

/** A change to apply: a version (whose outputs come with it), or the key's deletion. */
export type MirrorChange = Pick<MirrorManifest, "key" | "dataset" | "sequencer" | "versionId" | "etag" | "landedAt" | "state">;

/**
 * The manifest's key for a raw key.
 *
 * @example manifestKey("events", "raw/events/a.jsonl") // "manifests/events/<32 hex>.json"
 */
export function manifestKey(dataset: string, rawKey: string): string {
  return `${ZONES.manifests}${dataset}/${createHash("sha256").update(rawKey).digest("hex").slice(0, 32)}.json`;
}

/**
 * Orders two sequencers of one key: negative when `a` is earlier, 0 when equal, positive when later.
 *
 * @example compareSequencers("0055AED6DCD90281E5", "0055AED6DCD90281E6") < 0
 */
export function compareSequencers(a: string, b: string): number {
  const width = Math.max(a.length, b.length);
  const left = a.toUpperCase().padStart(width, "0");
  const right = b.toUpperCase().padStart(width, "0");
  return left < right ? -1 : left > right ? 1 : 0;
}

/** Whether a manifest holds this very version (its version id, or its ETag on an unversioned bucket). */
export function holdsVersion(manifest: MirrorManifest | undefined, change: Pick<MirrorChange, "versionId" | "etag">): boolean {
  if (manifest === undefined || manifest.state !== "present") return false;
  return change.versionId !== undefined ? manifest.versionId === change.versionId : manifest.etag !== undefined && manifest.etag === change.etag;
}

/** What to do with a change given the key's current manifest. */
export type MirrorDecision = "apply" | "duplicate" | "stale";

/**
 * `stale`: the manifest holds a later change; `duplicate`: it holds this very change (one sequencer is
 * one event: a redelivery, a replay, or a retry after the commit); `apply` otherwise. A change without
 * a sequencer (never the case for S3's own events) cannot be ordered and is applied over whatever is there.
 */
export function decide(current: MirrorManifest | undefined, change: MirrorChange): MirrorDecision {
  if (current === undefined || current.sequencer === undefined || change.sequencer === undefined) return "apply";
  const order = compareSequencers(change.sequencer, current.sequencer);
  return order < 0 ? "stale" : order === 0 ? "duplicate" : "apply";
}

/** The manifest after applying `change` with `outputs` over `current`. */
export function nextManifest(current: MirrorManifest | undefined, change: MirrorChange, outputs: readonly string[], now: Date): MirrorManifest {
  const kept = new Set(outputs);
  return {
    key: change.key,
    dataset: change.dataset,
    ...(change.sequencer !== undefined ? { sequencer: change.sequencer } : {}),
    ...(change.versionId !== undefined ? { versionId: change.versionId } : {}),
    ...(change.etag !== undefined ? { etag: change.etag } : {}),
    ...(change.landedAt !== undefined ? { landedAt: change.landedAt } : {}),
    state: change.state,
    outputs: [...outputs],
    superseded: (current?.outputs ?? []).filter((output) => !kept.has(output)),
    updatedAt: now.toISOString(),
  };
}

export interface StoredManifest {
  readonly manifest: MirrorManifest;
  /** The manifest object's ETag: the precondition of the next commit. */
  readonly etag: string;
}

/** The result of a conditional commit: `conflict` when another writer changed the manifest first. */
export type CommitResult = { readonly committed: true; readonly etag: string } | { readonly committed: false };

/**
 * Reads and writes manifests in the lake bucket.
 *
 * @example
 * ```ts
 * const store = manifestStore(s3, "lake");
 * const stored = await store.read("events", "raw/events/a.jsonl");
 * const result = await store.commit(next, stored?.etag);
 * ```
 */
export function manifestStore(s3: Pick<S3Client, "send">, bucket: string) {
  return {
    async read(dataset: string, rawKey: string): Promise<StoredManifest | undefined> {
      try {
        const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: manifestKey(dataset, rawKey) }));
        const manifest = JSON.parse(await response.Body!.transformToString()) as MirrorManifest;
        return { manifest, etag: response.ETag! };
      } catch (error) {
        // The processor may list the bucket, so a missing manifest is a 404 (NoSuchKey), not a 403.
        if ((error as Error).name === "NoSuchKey" || errorStatus(error) === 404) return undefined;
        throw error;
      }
    },

    /**
     * Writes `manifest` only if the stored one is still `expectedEtag` (or, without one, only if none
     * exists): S3 conditional writes (S3 User Guide, "Add preconditions to S3 operations with
     * conditional requests": `If-Match`, `If-None-Match: *`; 412 Precondition Failed when the condition
     * fails, 409 ConditionalRequestConflict when a concurrent conditional write won).
     */
    async commit(manifest: MirrorManifest, expectedEtag: string | undefined): Promise<CommitResult> {
      try {
        const response = await s3.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: manifestKey(manifest.dataset, manifest.key),
            Body: JSON.stringify(manifest),
            ContentType: "application/json",
            ...(expectedEtag !== undefined ? { IfMatch: expectedEtag } : { IfNoneMatch: "*" }),
          }),
        );
        return { committed: true, etag: response.ETag! };
      } catch (error) {
        const status = errorStatus(error);
        if (status === 412 || status === 409) return { committed: false };
        throw error;
      }
    },

    /** Deletes lake objects by key, a thousand per request (S3's DeleteObjects limit); missing ones are fine. */
    async deleteOutputs(keys: readonly string[]): Promise<void> {
      for (let start = 0; start < keys.length; start += 1000) {
        const batch = keys.slice(start, start + 1000);
        const response = await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }));
        const failed = response.Errors ?? [];
        if (failed.length > 0) throw new Error(`Could not delete ${failed.length} superseded outputs, e.g. ${failed[0]!.Key}: ${failed[0]!.Code}`);
      }
    },
  };
}

export type ManifestStore = ReturnType<typeof manifestStore>;
