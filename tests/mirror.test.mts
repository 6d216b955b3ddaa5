/**
 * The mirror rule as pure logic and against a recording store: ordering by S3's sequencer, the
 * manifest a change leaves, and every path of `applyChange` (apply, stale, duplicate, lost race,
 * replay). The same rule runs end to end in tests/integration/mirror.test.mts.
 */
import { describe, expect, test } from "vitest";
import { compareSequencers, decide, holdsVersion, manifestKey, nextManifest, type CommitResult, type ManifestStore, type MirrorChange, type MirrorManifest, type StoredManifest } from "../handlers/mirror.js";
import { applyChange, type ApplyDependencies, type VersionOutputs } from "../handlers/apply-change.js";
import type { ObjectLandedMessage } from "../handlers/ingest.js";
import { recordingLogger } from "./harness/recording-logger.js";

const NOW = new Date("2026-11-21T00:00:00Z");

const change = (overrides: Partial<MirrorChange> = {}): MirrorChange => ({ key: "raw/events/a.jsonl", dataset: "events", sequencer: "0055AED6DCD9028000", versionId: "v1", state: "present", ...overrides });
const manifest = (overrides: Partial<MirrorManifest> = {}): MirrorManifest => ({
  key: "raw/events/a.jsonl",
  dataset: "events",
  sequencer: "0055AED6DCD9028000",
  versionId: "v1",
  state: "present",
  outputs: ["processed/events/year=2026/month=11/day=20/a-1.parquet"],
  superseded: [],
  updatedAt: NOW.toISOString(),
  ...overrides,
});
const message = (overrides: Partial<ObjectLandedMessage> = {}): ObjectLandedMessage => ({
  bucket: "lake",
  key: "raw/events/a.jsonl",
  size: 10,
  etag: "e2",
  versionId: "v2",
  eventTime: "2026-11-20T08:00:00.000Z",
  dataset: "events",
  change: "created",
  sequencer: "0055AED6DCD9028001",
  ...overrides,
});
const outputs = (...keys: string[]): VersionOutputs => ({ outputs: keys, partitions: [], rowsRead: keys.length, rowsWritten: keys.length, rowsRejected: 0 });

describe("compareSequencers", () => {
  test.each([
    ["0055AED6DCD90281E5", "0055AED6DCD90281E6", -1],
    ["0055AED6DCD90281E6", "0055aed6dcd90281e5", 1],
    ["0055AED6DCD90281E5", "0055AED6DCD90281E5", 0],
    // Different lengths: the shorter is left-padded with zeros (S3 User Guide, "Event message structure").
    ["FF", "0100", -1],
    ["00FF", "FE", 1],
  ] as const)("%s against %s is %i", (a, b, expected) => {
    expect(Math.sign(compareSequencers(a, b))).toBe(expected);
  });
});

describe("decide", () => {
  test("applies to a key with no manifest, or a later change", () => {
    expect(decide(undefined, change())).toBe("apply");
    expect(decide(manifest(), change({ sequencer: "0055AED6DCD9028001", versionId: "v2" }))).toBe("apply");
  });

  test("an earlier change is stale, the same change a duplicate", () => {
    expect(decide(manifest({ sequencer: "0055AED6DCD9028005" }), change())).toBe("stale");
    expect(decide(manifest(), change())).toBe("duplicate");
  });

  test("a change without a sequencer cannot be ordered and is applied", () => {
    const { sequencer: _dropped, ...unordered } = change();
    expect(decide(manifest({ sequencer: "0055AED6DCD9028005" }), unordered)).toBe("apply");
  });
});

describe("nextManifest and holdsVersion", () => {
  test("a new version lists what the previous one wrote and it no longer writes as superseded", () => {
    const previous = manifest({ outputs: ["processed/a/day=1/x.parquet", "processed/a/day=2/x.parquet", "rejected/a/day=1/x.jsonl"] });
    const next = nextManifest(previous, change({ versionId: "v2", sequencer: "0055AED6DCD9028001" }), ["processed/a/day=2/x.parquet"], NOW);
    expect(next).toMatchObject({ versionId: "v2", outputs: ["processed/a/day=2/x.parquet"], superseded: ["processed/a/day=1/x.parquet", "rejected/a/day=1/x.jsonl"] });
  });

  test("a deletion supersedes every output", () => {
    expect(nextManifest(manifest(), change({ state: "deleted", sequencer: "0055AED6DCD9028002" }), [], NOW)).toMatchObject({ state: "deleted", outputs: [], superseded: manifest().outputs });
  });

  test("a manifest holds a version by id, or by ETag without one; a tombstone holds none", () => {
    expect(holdsVersion(manifest(), { versionId: "v1" })).toBe(true);
    expect(holdsVersion(manifest({ versionId: undefined, etag: "e1" }), { etag: "e1" })).toBe(true);
    expect(holdsVersion(manifest({ state: "deleted" }), { versionId: "v1" })).toBe(false);
  });

  test("manifests live outside every table's location, one per raw key", () => {
    expect(manifestKey("events", "raw/events/a.jsonl")).toMatch(/^manifests\/events\/[0-9a-f]{32}\.json$/);
    expect(manifestKey("events", "raw/events/a.jsonl")).not.toBe(manifestKey("events", "raw/events/b.jsonl"));
  });
});

/** A manifest store in memory that can let another writer commit first, once. */
function memoryStore(initial?: MirrorManifest, racer?: MirrorManifest) {
  let stored: StoredManifest | undefined = initial ? { manifest: initial, etag: "etag-0" } : undefined;
  let version = 0;
  let raced = racer === undefined;
  const deleted: string[] = [];
  const store: ManifestStore = {
    read: async () => stored,
    commit: async (next, expectedEtag): Promise<CommitResult> => {
      if (!raced) {
        raced = true;
        stored = { manifest: racer!, etag: `etag-racer` };
        return { committed: false };
      }
      if (expectedEtag !== stored?.etag) return { committed: false };
      stored = { manifest: next, etag: `etag-${(version += 1)}` };
      return { committed: true, etag: stored.etag };
    },
    deleteOutputs: async (keys) => void deleted.push(...keys),
  };
  return { store, deleted, current: () => stored?.manifest };
}

function dependencies(store: ManifestStore, headVersion?: string): ApplyDependencies & { logger: ReturnType<typeof recordingLogger> } {
  const s3 = {
    send: async () => {
      if (headVersion === undefined) throw Object.assign(new Error("NotFound"), { name: "NotFound", $metadata: { httpStatusCode: 404 } });
      return { VersionId: headVersion, ETag: '"e2"' };
    },
  };
  return { store, s3, logger: recordingLogger(), now: () => NOW };
}

describe("applyChange", () => {
  test("applies a later version: writes, commits, then deletes what the previous version wrote", async () => {
    const memory = memoryStore(manifest());
    const outcome = await applyChange(message(), async () => outputs("processed/events/year=2026/month=11/day=21/a-2.parquet"), dependencies(memory.store));
    expect(outcome).toBe("applied");
    expect(memory.current()).toMatchObject({ versionId: "v2", sequencer: "0055AED6DCD9028001", landedAt: "2026-11-20T08:00:00.000Z" });
    expect(memory.deleted).toEqual(["processed/events/year=2026/month=11/day=20/a-1.parquet"]);
  });

  test("an older version arriving late writes nothing", async () => {
    const memory = memoryStore(manifest({ sequencer: "0055AED6DCD9028009" }));
    let produced = false;
    const outcome = await applyChange(message(), async () => ((produced = true), outputs()), dependencies(memory.store));
    expect(outcome).toBe("stale");
    expect(produced).toBe(false);
    expect(memory.deleted).toEqual([]);
  });

  test("a redelivery finishes the clean-up its first run may have left, and writes nothing", async () => {
    const memory = memoryStore(manifest({ sequencer: "0055AED6DCD9028001", versionId: "v2", superseded: ["processed/old.parquet"] }));
    const outcome = await applyChange(message(), async () => outputs("never"), dependencies(memory.store));
    expect(outcome).toBe("duplicate");
    expect(memory.deleted).toEqual(["processed/old.parquet"]);
  });

  test("losing the race to a later version deletes what this one wrote", async () => {
    const later = manifest({ sequencer: "0055AED6DCD9028007", versionId: "v3", outputs: ["processed/events/x-3.parquet"] });
    const memory = memoryStore(undefined, later);
    const outcome = await applyChange(message(), async () => outputs("processed/events/x-2.parquet"), dependencies(memory.store));
    expect(outcome).toBe("superseded");
    expect(memory.current()).toBe(later);
    expect(memory.deleted).toEqual(["processed/events/x-2.parquet"]);
  });

  test("winning after an earlier version committed first replaces it", async () => {
    const earlier = manifest({ sequencer: "0055AED6DCD9028000", versionId: "v1", outputs: ["processed/events/x-1.parquet"] });
    const memory = memoryStore(undefined, earlier);
    const outcome = await applyChange(message(), async () => outputs("processed/events/x-2.parquet"), dependencies(memory.store));
    expect(outcome).toBe("applied");
    expect(memory.current()).toMatchObject({ versionId: "v2", outputs: ["processed/events/x-2.parquet"] });
    expect(memory.deleted).toEqual(["processed/events/x-1.parquet"]);
  });

  test("a replay of the current version keeps the manifest's sequencer and landing time", async () => {
    const memory = memoryStore(manifest({ versionId: "v2", landedAt: "2026-11-02T00:00:00.000Z" }));
    let landed = "";
    const { sequencer: _none, ...replay } = message({ replay: true, eventTime: "2026-11-30T00:00:00.000Z" });
    const outcome = await applyChange(replay, async (effective) => ((landed = effective.eventTime), outputs("processed/events/x-2.parquet")), dependencies(memory.store, "v2"));
    expect(outcome).toBe("applied");
    expect(landed).toBe("2026-11-02T00:00:00.000Z");
    expect(memory.current()).toMatchObject({ sequencer: "0055AED6DCD9028000", versionId: "v2" });
  });

  test("a replay of a version that is no longer current does nothing", async () => {
    const memory = memoryStore(manifest());
    const outcome = await applyChange(message({ replay: true }), async () => outputs("never"), dependencies(memory.store, "v9"));
    expect(outcome).toBe("stale");
    expect(memory.current()).toMatchObject({ versionId: "v1" });
  });

  test("a deletion commits a tombstone and removes every output", async () => {
    const memory = memoryStore(manifest());
    const outcome = await applyChange(message({ change: "removed", size: 0, etag: "", versionId: "marker" }), async () => outputs("never"), dependencies(memory.store));
    expect(outcome).toBe("applied");
    expect(memory.current()).toMatchObject({ state: "deleted", outputs: [] });
    expect(memory.deleted).toEqual(manifest().outputs);
  });
});
