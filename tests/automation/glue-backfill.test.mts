/**
 * `replay --engine glue`: the backfill lists the prefix's current versions, keeps those that landed in
 * the days asked for and that the dataset can read, writes their specs to `glue/runs/` and starts one
 * job run per batch. S3 and Glue are fakes that record the commands.
 */
import { describe, expect, test } from "vitest";
import { HeadObjectCommand, ListObjectVersionsCommand, PutObjectCommand, type ObjectVersion } from "@aws-sdk/client-s3";
import { StartJobRunCommand } from "@aws-sdk/client-glue";
import { parseBackfillRequest, startGlueBackfill, type BackfillRequest } from "../../automation/glue-backfill.js";
import { inDayRange, replayMessage, selectRawObjects } from "../../automation/replay.js";
import type { ObjectLandedMessage } from "../../handlers/ingest.js";
import { glueObjectSpec, type GlueObjectSpec } from "../../handlers/glue-objects.js";

/** A current version of a raw object, landed on `day`. */
function version(key: string, day: string, overrides: Partial<ObjectVersion> = {}): ObjectVersion {
  return { Key: key, VersionId: `v-${key.length}`, ETag: `"etag-${key.length}"`, Size: 100, LastModified: new Date(`${day}T12:00:00Z`), IsLatest: true, ...overrides };
}

/** An S3 fake serving one listing (in pages of `pageSize`) and content types, recording what is put. */
function fakeS3(versions: readonly ObjectVersion[], contentTypes: Record<string, string> = {}, pageSize = 1000) {
  const puts: { key: string; body: string }[] = [];
  return {
    puts,
    send: async (command: unknown): Promise<unknown> => {
      if (command instanceof ListObjectVersionsCommand) {
        const start = command.input.KeyMarker ? Number(command.input.KeyMarker) : 0;
        const page = versions.slice(start, start + pageSize);
        const truncated = start + pageSize < versions.length;
        return { Versions: page, IsTruncated: truncated, ...(truncated ? { NextKeyMarker: String(start + pageSize), NextVersionIdMarker: "x" } : {}) };
      }
      if (command instanceof HeadObjectCommand) return { ContentType: contentTypes[command.input.Key!] };
      if (command instanceof PutObjectCommand) {
        puts.push({ key: command.input.Key!, body: String(command.input.Body) });
        return {};
      }
      throw new Error(`unexpected ${String(command)}`);
    },
  };
}

function fakeGlue() {
  const starts: Record<string, string>[] = [];
  return {
    starts,
    send: async (command: unknown): Promise<unknown> => {
      if (!(command instanceof StartJobRunCommand)) throw new Error("unexpected command");
      starts.push({ JobName: command.input.JobName!, ...command.input.Arguments });
      return { JobRunId: `jr_${starts.length}` };
    },
  };
}

const REQUEST: BackfillRequest = { bucket: "lake", prefix: "raw/events/", dataset: "events", fromDay: "2026-11-01", toDay: "2026-11-30" };

/** The backfill's message for a listed version: replay's listing and replay message (automation/replay.ts). */
async function backfillMessage(bucket: string, version: ObjectVersion): Promise<ObjectLandedMessage | undefined> {
  for await (const object of selectRawObjects(fakeS3([version]), bucket, { kind: "prefix", prefix: "raw/" })) return replayMessage(bucket, object);
  return undefined;
}

/** The backfill's day filter: replay's, with the request's days as its bounds. */
const landedWithin = (lastModified: Date, request: Partial<Pick<BackfillRequest, "fromDay" | "toDay">>): boolean => inDayRange(lastModified, { from: request.fromDay, to: request.toDay });

describe("parseBackfillRequest", () => {
  test("takes a dataset prefix and a day range", () => {
    // Act
    const parsed = parseBackfillRequest({ bucket: "lake", prefix: "raw/events/2026/", from: "2026-11-01", to: "2026-11-30" });
    // Assess
    expect(parsed).toEqual({ problems: [], request: { bucket: "lake", prefix: "raw/events/2026/", dataset: "events", fromDay: "2026-11-01", toDay: "2026-11-30" } });
  });

  test.each([
    [{ prefix: "processed/events/" }, "--prefix"],
    [{ prefix: "raw/unknown/" }, "registry does not know"],
    [{ prefix: "raw/events/", from: "2026-02-30" }, "--from"],
    [{ prefix: "raw/events/", from: "2026-11-30", to: "2026-11-01" }, "is after --to"],
  ])("names the option at fault (%j)", (options, mention) => {
    // Act
    const parsed = parseBackfillRequest({ bucket: "lake", ...options });
    // Assess
    expect(parsed.request).toBeUndefined();
    expect(parsed.problems.join("\n")).toContain(mention);
  });
});

describe("backfill messages", () => {
  test("are replays of the current version, landed when S3 last modified it", async () => {
    // Act
    const message = await backfillMessage("lake", version("raw/events/a.jsonl", "2026-11-05"));
    // Assess
    expect(message).toEqual({ bucket: "lake", key: "raw/events/a.jsonl", size: 100, etag: "etag-18", versionId: "v-18", eventTime: "2026-11-05T12:00:00.000Z", dataset: "events", change: "created", replay: true });
  });

  test("landing days are inclusive and UTC", () => {
    // Act / Assess
    expect(landedWithin(new Date("2026-11-30T23:59:59Z"), REQUEST)).toBe(true);
    expect(landedWithin(new Date("2026-12-01T00:00:00Z"), REQUEST)).toBe(false);
    expect(landedWithin(new Date("2026-10-31T23:59:59Z"), REQUEST)).toBe(false);
    expect(landedWithin(new Date("2020-01-01T00:00:00Z"), { })).toBe(true);
  });
});

describe("startGlueBackfill", () => {
  test("writes one spec per selected object and starts one run with their list", async () => {
    // Prepare
    const s3 = fakeS3([
      version("raw/events/a.jsonl", "2026-11-02"),
      version("raw/events/b.csv.gz", "2026-11-03"),
      version("raw/events/old.jsonl", "2026-10-01"),
      version("raw/events/folder/", "2026-11-02"),
      version("raw/events/noext", "2026-11-04"),
      version("raw/events/image.png", "2026-11-04"),
    ], { "raw/events/noext": "application/x-ndjson", "raw/events/image.png": "image/png" });
    const glue = fakeGlue();
    // Act
    const report = await startGlueBackfill({ s3, glue, jobName: "datalake-dev-convert", request: REQUEST, runName: "r1" });
    // Assess
    expect(report.runs).toEqual([{ jobRunId: "jr_1", objectsKey: "glue/runs/r1-000.json", objects: 3 }]);
    expect(glue.starts).toEqual([{ JobName: "datalake-dev-convert", "--objects_key": "glue/runs/r1-000.json" }]);
    const specs = JSON.parse(s3.puts[0]!.body) as GlueObjectSpec[];
    expect(specs.map((spec) => [spec.key, spec.encoding])).toEqual([
      ["raw/events/a.jsonl", { format: "jsonl", gzip: false }],
      ["raw/events/b.csv.gz", { format: "csv", gzip: true }],
      ["raw/events/noext", { format: "jsonl", gzip: false }],
    ]);
    expect(specs[0]).toEqual(glueObjectSpec((await backfillMessage("lake", version("raw/events/a.jsonl", "2026-11-02")))!, { format: "jsonl", gzip: false }));
    expect(report.skipped).toEqual([{ key: "raw/events/image.png", reason: "not in an accepted format of events (jsonl, csv)" }]);
  });

  test("reads every page of the listing and splits large selections into runs", async () => {
    // Prepare
    const versions = Array.from({ length: 7 }, (_, index) => version(`raw/events/f-${index}.jsonl`, "2026-11-10"));
    const s3 = fakeS3(versions, {}, 3);
    const glue = fakeGlue();
    // Act
    const report = await startGlueBackfill({ s3, glue, jobName: "job", request: REQUEST, runName: "r2", maxObjectsPerRun: 5 });
    // Assess
    expect(report.runs.map((run) => run.objects)).toEqual([5, 2]);
    expect(s3.puts.map((put) => put.key)).toEqual(["glue/runs/r2-000.json", "glue/runs/r2-001.json"]);
  });

  test("starts nothing when nothing is selected", async () => {
    // Prepare
    const glue = fakeGlue();
    // Act
    const report = await startGlueBackfill({ s3: fakeS3([version("raw/events/a.jsonl", "2025-01-01")]), glue, jobName: "job", request: REQUEST, runName: "r3" });
    // Assess
    expect(report.runs).toEqual([]);
    expect(glue.starts).toEqual([]);
  });
});
