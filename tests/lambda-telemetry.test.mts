// The functions' own logger, EMF metrics and SQS partial batch responses (handlers/lambda-logger.ts,
// handlers/emf-metrics.ts, handlers/sqs-batch.ts), which replaced Powertools (issue 20).
import { describe, expect, test } from "vitest";
import type { Context } from "aws-lambda";
import { lambdaLogger } from "../handlers/lambda-logger.js";
import { emfMetrics, type EmfDocument } from "../handlers/emf-metrics.js";
import { partialBatchResponse } from "../handlers/sqs-batch.js";
import { ERROR_LEVEL_PATTERN } from "../observability/metrics.js";
import { sqsEvent } from "./events.js";

const CONTEXT = {
  awsRequestId: "request-1",
  functionName: "datalake-ingest",
  functionVersion: "$LATEST",
  invokedFunctionArn: "arn:aws:lambda:eu-west-1:123456789012:function:datalake-ingest",
  memoryLimitInMB: "256",
} satisfies Partial<Context>;

function captured(environment: Record<string, string> = {}) {
  const lines: string[] = [];
  const logger = lambdaLogger({ serviceName: "ingest", write: (line) => void lines.push(line), environment, now: () => Date.UTC(2026, 10, 20, 10) });
  return { logger, parsed: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>), lines };
}

describe("lambdaLogger", () => {
  test("writes one JSON line per call with level, message, service, the invocation's context and the attributes", () => {
    // Prepare
    const { logger, parsed, lines } = captured();
    logger.addContext(CONTEXT);

    // Act
    logger.info("Published raw object change", { key: "raw/events/a.jsonl" }, { dataset: "events" });

    // Assess
    expect(lines).toHaveLength(1);
    expect(lines[0]!.endsWith("\n")).toBe(true);
    expect(parsed()[0]).toEqual({
      level: "INFO",
      message: "Published raw object change",
      timestamp: "2026-11-20T10:00:00.000Z",
      service: "ingest",
      cold_start: true,
      function_arn: CONTEXT.invokedFunctionArn,
      function_memory_size: 256,
      function_name: "datalake-ingest",
      function_request_id: "request-1",
      function_version: "$LATEST",
      key: "raw/events/a.jsonl",
      dataset: "events",
    });
  });

  test("only the first invocation of a container is a cold start", () => {
    const { logger, parsed } = captured();
    logger.addContext(CONTEXT);
    logger.info("first");
    logger.addContext({ ...CONTEXT, awsRequestId: "request-2" });
    logger.info("second");
    expect(parsed().map((line) => [line.cold_start, line.function_request_id])).toEqual([
      [true, "request-1"],
      [false, "request-2"],
    ]);
  });

  test("error lines carry level ERROR, the value the error-line metric filter matches", () => {
    const { logger, parsed } = captured();
    logger.error("Transient failure; message will be retried", { error: new TypeError("boom") });
    const [line] = parsed();
    expect(ERROR_LEVEL_PATTERN).toBe(`{ $.level = "${String(line!.level)}" }`);
    expect(line!.error).toMatchObject({ name: "TypeError", message: "boom" });
  });

  test.each([
    ["WARN", ["WARN", "ERROR"]],
    ["ERROR", ["ERROR"]],
    ["DEBUG", ["INFO", "WARN", "ERROR"]],
    ["INFO", ["INFO", "WARN", "ERROR"]],
  ])("AWS_LAMBDA_LOG_LEVEL=%s keeps %j", (level, kept) => {
    const { logger, parsed } = captured({ AWS_LAMBDA_LOG_LEVEL: level });
    logger.info("i");
    logger.warn("w");
    logger.error("e");
    expect(parsed().map((line) => line.level)).toEqual(kept);
  });

  test("bigints are written as text instead of failing the line", () => {
    const { logger, parsed } = captured();
    logger.info("big", { bytes: 2n ** 70n });
    expect(parsed()[0]!.bytes).toBe("1180591620717411303424");
  });
});

describe("emfMetrics", () => {
  test("publishes one EMF document with the service and dataset dimensions, then starts over", () => {
    // Prepare
    const lines: string[] = [];
    const metrics = emfMetrics({ namespace: "datalake/dev", serviceName: "processor", write: (line) => void lines.push(line), now: () => 1_800_000_000_000 });
    metrics.addDimension("dataset", "events");
    metrics.addMetric("RowsRead", "Count", 10);
    metrics.addMetric("RowsWritten", "Count", 9);

    // Act
    metrics.publishStoredMetrics();
    metrics.publishStoredMetrics();

    // Assess: the second publication had nothing to say
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!) as EmfDocument).toEqual({
      _aws: {
        Timestamp: 1_800_000_000_000,
        CloudWatchMetrics: [{ Namespace: "datalake/dev", Dimensions: [["service", "dataset"]], Metrics: [{ Name: "RowsRead", Unit: "Count" }, { Name: "RowsWritten", Unit: "Count" }] }],
      },
      service: "processor",
      dataset: "events",
      RowsRead: 10,
      RowsWritten: 9,
    });
  });

  test("a dimension set twice keeps its last value once", () => {
    const metrics = emfMetrics({ namespace: "ns", serviceName: "processor", write: () => undefined });
    metrics.addDimension("dataset", "events");
    metrics.addDimension("dataset", "users");
    metrics.addMetric("RowsRead", "Count", 1);
    const document = metrics.serialize();
    expect(document._aws.CloudWatchMetrics[0]!.Dimensions).toEqual([["service", "dataset"]]);
    expect(document.dataset).toBe("users");
  });
});

describe("partialBatchResponse", () => {
  test("lists only the records whose handling failed, in order, after handling every record one at a time", async () => {
    // Prepare
    const event = sqsEvent(["ok", "fails", "ok", "fails"]);
    const order: string[] = [];
    let running = 0;

    // Act
    const response = await partialBatchResponse(event.Records, async (record) => {
      running += 1;
      expect(running).toBe(1);
      await new Promise((resolve) => setTimeout(resolve, 1));
      order.push(record.messageId);
      running -= 1;
      if (record.body === "fails") throw new Error("transient");
    });

    // Assess
    expect(order).toEqual(event.Records.map((record) => record.messageId));
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: event.Records[1]!.messageId }, { itemIdentifier: event.Records[3]!.messageId }] });
  });

  test("a batch with no failure acknowledges everything; one where all fail is still a partial response", async () => {
    const event = sqsEvent(["a", "b"]);
    expect(await partialBatchResponse(event.Records, async () => undefined)).toEqual({ batchItemFailures: [] });
    expect((await partialBatchResponse(event.Records, () => Promise.reject(new Error("x")))).batchItemFailures).toHaveLength(2);
  });
});
