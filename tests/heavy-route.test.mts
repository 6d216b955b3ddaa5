/**
 * The processor's side of the heavy path with fake clients: which objects are heavy, the job run it
 * starts (and that it acknowledges the message), what it refuses to hand off, and how a handback's
 * result becomes the version's outputs.
 */
import { describe, expect, test } from "vitest";
import { DeleteObjectsCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import type { StartJobRunCommandInput } from "@aws-sdk/client-glue";
import { handleProcessorBatch } from "../handlers/processor.js";
import { handOff, handbackOutputs, isHeavy, isHandedOff, orphanedOutputs } from "../handlers/heavy-route.js";
import { GLUE_OBJECTS_ARGUMENT, glueObjectSpec, type GlueHandbackMessage, type GlueObjectResult, type GlueObjectSpec } from "../handlers/glue-objects.js";
import { EVENTS } from "../handlers/datasets.js";
import type { ObjectLandedMessage } from "../handlers/ingest.js";
import { sqsEvent } from "./events.js";
import { recordingLogger } from "./harness/recording-logger.js";

const THRESHOLD = 1000;

function message(overrides: Partial<ObjectLandedMessage> = {}): ObjectLandedMessage {
  return { bucket: "lake", key: "raw/events/big.jsonl", size: 5000, etag: "e1", versionId: "v1", eventTime: "2026-11-25T08:00:00.000Z", dataset: "events", change: "created", sequencer: "0055AED6DCD90281E5", ...overrides };
}

/** An S3 error as the SDK raises it. */
function s3Error(name: string, status: number): Error {
  return Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });
}

/** An S3 fake: objects by key (with content type), no manifests yet, and a record of every command. */
function fakeS3(objects: Record<string, { contentType?: string; body?: string }>) {
  const commands: unknown[] = [];
  return {
    commands,
    send: async (command: unknown): Promise<unknown> => {
      commands.push(command);
      if (command instanceof HeadObjectCommand) {
        const object = objects[command.input.Key!];
        if (!object) throw s3Error("NotFound", 404);
        return { ContentType: object.contentType, VersionId: command.input.VersionId };
      }
      if (command instanceof GetObjectCommand) {
        const object = objects[command.input.Key!];
        if (!object) throw s3Error("NoSuchKey", 404);
        return { Body: { transformToString: async () => object.body ?? "" }, ETag: '"m1"' };
      }
      if (command instanceof PutObjectCommand) return { ETag: '"m2"' };
      if (command instanceof DeleteObjectsCommand) return { Errors: [] };
      throw new Error(`unexpected ${String(command)}`);
    },
  };
}

/** A Glue job starter that records each run it is asked for. */
function fakeGlue() {
  const starts: StartJobRunCommandInput[] = [];
  return {
    starts,
    startJobRun: async (input: StartJobRunCommandInput) => {
      starts.push(input);
      return { JobRunId: "jr_1" };
    },
  };
}

describe("isHeavy", () => {
  test.each([
    ["at the threshold", message({ size: THRESHOLD }), true],
    ["below it", message({ size: THRESHOLD - 1 }), false],
    ["a .gz planned at 8 times its size", message({ key: "raw/events/big.jsonl.gz", size: 125 }), true],
    ["a deletion", message({ change: "removed", size: 0 }), false],
    ["a handback", { ...message(), glue: { jobRunId: "jr_1", resultKey: "glue/results/events/a.json" } }, false],
  ])("%s", (_title, candidate, heavy) => {
    // Act / Assess
    expect(isHeavy(candidate, THRESHOLD)).toBe(heavy);
  });
});

describe("handOff", () => {
  test("starts a job run with the object's spec and reports the run", async () => {
    // Prepare
    const glue = fakeGlue();
    const s3 = fakeS3({ "raw/events/big.jsonl": {} });
    // Act
    const error = await handOff(message(), EVENTS, { startJobRun: glue.startJobRun, jobName: "datalake-dev-convert", thresholdBytes: THRESHOLD }, s3, recordingLogger()).catch((caught: unknown) => caught);
    // Assess
    expect(isHandedOff(error) && error.jobRunId).toBe("jr_1");
    expect(glue.starts).toEqual([{ JobName: "datalake-dev-convert", Arguments: { [GLUE_OBJECTS_ARGUMENT]: JSON.stringify([glueObjectSpec(message(), { format: "jsonl", gzip: false })]) } }]);
    expect((s3.commands[0] as HeadObjectCommand).input).toMatchObject({ Key: "raw/events/big.jsonl", VersionId: "v1" });
  });

  test("refuses an object in a format the dataset does not accept, and one that is gone", async () => {
    // Prepare
    const glue = fakeGlue();
    const route = { startJobRun: glue.startJobRun, jobName: "job", thresholdBytes: THRESHOLD };
    const s3 = fakeS3({ "raw/events/big.bin": { contentType: "image/png" } });
    // Act
    const unsupported = await handOff(message({ key: "raw/events/big.bin" }), EVENTS, route, s3, recordingLogger()).catch((caught: unknown) => caught);
    const gone = await handOff(message({ key: "raw/events/gone.jsonl" }), EVENTS, route, s3, recordingLogger()).catch((caught: unknown) => caught);
    // Assess
    expect(unsupported).toMatchObject({ name: "PermanentError", reason: "unsupported_format" });
    expect(gone).toMatchObject({ name: "PermanentError", reason: "object_not_found" });
    expect(glue.starts).toEqual([]);
  });
});

describe("the processor's batch", () => {
  test("acknowledges a heavy object once its run is started, and converts nothing itself", async () => {
    // Prepare
    const glue = fakeGlue();
    const s3 = fakeS3({ "raw/events/big.jsonl": {} });
    const converted: string[] = [];
    // Act
    const response = await handleProcessorBatch(sqsEvent([JSON.stringify(message())]), {
      s3,
      logger: recordingLogger(),
      convert: async (landed) => {
        converted.push(landed.key);
        throw new Error("the processor must not convert a heavy object");
      },
      heavy: { startJobRun: glue.startJobRun, jobName: "job", thresholdBytes: THRESHOLD },
    });
    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(converted).toEqual([]);
    expect(glue.starts).toHaveLength(1);
    expect(s3.commands.some((command) => command instanceof PutObjectCommand)).toBe(false);
  });

  test("applies a handback with the job's outputs, committing them to the key's manifest", async () => {
    // Prepare
    const spec: GlueObjectSpec = glueObjectSpec(message(), { format: "jsonl", gzip: false });
    const result: GlueObjectResult = { status: "converted", outputs: ["processed/events/year=2026/month=11/day=20/big-x.parquet"], partitions: [{ partition: "year=2026/month=11/day=20/", key: "processed/events/year=2026/month=11/day=20/big-x.parquet", rows: 3 }], rowsRead: 3, rowsWritten: 3, rowsRejected: 0 };
    const s3 = fakeS3({ [spec.resultKey]: { body: JSON.stringify(result) }, "raw/events/big.jsonl": {} });
    const handback: GlueHandbackMessage = { ...message(), glue: { jobRunId: "jr_1", resultKey: spec.resultKey } };
    // Act
    const response = await handleProcessorBatch(sqsEvent([JSON.stringify(handback)]), {
      s3,
      logger: recordingLogger(),
      convert: async () => {
        throw new Error("a handback is never converted again");
      },
      heavy: { startJobRun: fakeGlue().startJobRun, jobName: "job", thresholdBytes: THRESHOLD },
    });
    // Assess
    expect(response.batchItemFailures).toEqual([]);
    const commit = s3.commands.find((command): command is PutObjectCommand => command instanceof PutObjectCommand)!;
    expect(JSON.parse(String(commit.input.Body))).toMatchObject({ key: "raw/events/big.jsonl", versionId: "v1", outputs: result.outputs, state: "present" });
  });
});

describe("handback results", () => {
  test("an unreadable object is a permanent rejection with the job's reason", async () => {
    // Prepare
    const s3 = fakeS3({ "glue/results/events/a.json": { body: JSON.stringify({ status: "rejected", reason: "unreadable_object", detail: "not gzip" }) } });
    // Act
    const error = await handbackOutputs({ ...message(), glue: { jobRunId: "jr", resultKey: "glue/results/events/a.json" } }, s3).catch((caught: unknown) => caught);
    // Assess
    expect(error).toMatchObject({ name: "PermanentError", reason: "unreadable_object" });
  });

  test("outputs the mirror did not keep are orphans", () => {
    // Act / Assess
    expect(orphanedOutputs(["a", "b", "c"], ["b"])).toEqual(["a", "c"]);
  });
});
