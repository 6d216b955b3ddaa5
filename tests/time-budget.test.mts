/**
 * The processor's batch against its deadline: objects that cannot finish in the time left are
 * reported as batch item failures without being started, so a timeout never redelivers the whole
 * batch. A fake clock drives everything; nothing here waits.
 */
import { describe, expect, test } from "vitest";
import type { Context } from "aws-lambda";
import { GZIP_EXPANSION, MIN_SAFETY_MARGIN_MS, PER_OBJECT_OVERHEAD_MS, plannedBytes, timeBudget } from "../handlers/time-budget.js";
import { handleProcessorBatch } from "../handlers/processor.js";
import type { ObjectLandedMessage } from "../handlers/ingest.js";
import { sqsEvent } from "./events.js";
import { recordingLogger } from "./harness/recording-logger.js";

const MB = 1024 * 1024;

/** A clock that moves only when told to, and a Lambda context whose deadline is on it. */
function fakeClock(timeoutMs: number) {
  let now = 0;
  const context = { getRemainingTimeInMillis: () => timeoutMs - now } as Context;
  return { context, now: () => now, advance: (ms: number) => void (now += ms) };
}

/** An S3 with no manifests yet that accepts every commit: all the mirror needs here. */
const emptyLake = {
  send: async (command: { constructor: { name: string } }) => {
    if (command.constructor.name === "GetObjectCommand") throw Object.assign(new Error("NoSuchKey"), { name: "NoSuchKey", $metadata: { httpStatusCode: 404 } });
    return { ETag: '"manifest"' };
  },
};

/** What a conversion that wrote nothing returns. */
const NO_OUTPUTS = { outputs: [], partitions: [], rowsRead: 0, rowsWritten: 0, rowsRejected: 0 } as const;

const message = (key: string, size: number): string =>
  JSON.stringify({ bucket: "lake", key, size, etag: "e", eventTime: "2026-11-20T10:00:00Z", dataset: "events", sequencer: key.replace(/\D/g, "") || "1" } satisfies ObjectLandedMessage);

describe("timeBudget", () => {
  test("plans gzip objects at their decompressed size", () => {
    expect(plannedBytes({ key: "raw/events/a.jsonl", size: 10 })).toBe(10);
    expect(plannedBytes({ key: "raw/events/a.jsonl.GZ", size: 10 })).toBe(10 * GZIP_EXPANSION);
  });

  test("starts an object only when the time left, less the safety margin, covers its plan", () => {
    // Prepare: 20 MB/s planned, 60 s timeout, so the margin is 3 s (5 %)
    let remaining = 60_000;
    const budget = timeBudget(() => remaining, 20 * MB, 60_000);
    const object = { key: "raw/events/a.jsonl", size: 200 * MB }; // plan: 1 s + 10 s

    // Act + Assess
    expect(budget.plannedMs(object)).toBe(PER_OBJECT_OVERHEAD_MS + 10_000);
    remaining = 14_000;
    expect(budget.mayStart(object, false)).toBe(true);
    remaining = 13_999;
    expect(budget.mayStart(object, false)).toBe(false);
    expect(budget.mayStart(object, true)).toBe(true);
  });

  test("plans with the slower of the planning throughput and what this invocation measured", () => {
    const budget = timeBudget(() => 0, 100 * MB, 10_000);
    const object = { key: "raw/events/a.jsonl", size: 10 * MB };
    expect(budget.plannedMs(object)).toBe(PER_OBJECT_OVERHEAD_MS + 100);

    budget.finished(object, 1_500); // under 2 × the overhead: says nothing about throughput
    expect(budget.plannedMs(object)).toBe(PER_OBJECT_OVERHEAD_MS + 100);
    budget.finished(object, 6_000); // 10 MB in 5 s of work: 2 MB/s
    expect(budget.plannedMs(object)).toBe(PER_OBJECT_OVERHEAD_MS + 5_000);
  });

  test("keeps at least the minimum safety margin on short timeouts", () => {
    const budget = timeBudget(() => MIN_SAFETY_MARGIN_MS + PER_OBJECT_OVERHEAD_MS - 1, 1_000 * MB, 5_000);
    expect(budget.mayStart({ key: "k", size: 0 }, false)).toBe(false);
  });
});

describe("a processor batch near its deadline", () => {
  test("converts what fits and reports the rest as batch item failures, unstarted", async () => {
    // Prepare: a 10 s invocation; S3 is slow today, every object takes 4 s
    const clock = fakeClock(10_000);
    const converted: string[] = [];
    const logger = recordingLogger();
    const deps = {
      s3: emptyLake,
      logger,
      now: clock.now,
      planningBytesPerSecond: 20 * MB,
      convert: async (landed: ObjectLandedMessage) => {
        converted.push(landed.key);
        clock.advance(4_000);
        return NO_OUTPUTS;
      },
    };
    const event = sqsEvent([1, 2, 3, 4, 5].map((index) => message(`raw/events/${index}.jsonl`, 1_000)));

    // Act
    const response = await handleProcessorBatch(event, deps, clock.context);

    // Assess: the first two fit (the second planned at the 4 s the first took); 3-5 were never started
    expect(converted).toEqual(["raw/events/1.jsonl", "raw/events/2.jsonl"]);
    expect(response.batchItemFailures.map((failure) => failure.itemIdentifier)).toEqual(["message-2", "message-3", "message-4"]);
    expect(logger.lines.filter((line) => line.level === "error")).toEqual([]);
    expect(logger.lines.find((line) => line.message.startsWith("Deferred messages"))?.attributes).toMatchObject({ deferred: 3 });
  });

  test("always starts the first message, however large", async () => {
    const clock = fakeClock(1_000);
    const converted: string[] = [];
    const deps = {
      s3: emptyLake,
      logger: recordingLogger(),
      now: clock.now,
      convert: async (landed: ObjectLandedMessage) => {
        converted.push(landed.key);
        return NO_OUTPUTS;
      },
    };

    const response = await handleProcessorBatch(sqsEvent([message("raw/events/huge.jsonl", 50 * 1024 * MB), message("raw/events/next.jsonl", 1)]), deps, clock.context);

    expect(converted).toEqual(["raw/events/huge.jsonl"]);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: "message-1" }]);
  });
});
