/**
 * The SQS event source (tests/harness/event-sources.ts) against moto with a function on the local
 * Lambda host: an invocation killed past its timeout fails the whole batch, every message of it is
 * received again, and the next batch runs in a new sandbox, as Lambda's event source mapping and
 * execution environments behave.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient, SendMessageCommand } from "@aws-sdk/client-sqs";
import { clientConfig, startEndpoint, type AwsEndpoint } from "./harness/emulator.js";
import { pollQueue } from "./harness/event-sources.js";
import { LocalFunction } from "./harness/local-function.js";

// The first invocation hangs past the timeout; a file outside the sandbox remembers that it did.
const HANG_ONCE =
  `const { existsSync, writeFileSync } = require("node:fs");\n` +
  `exports.handler = async (event) => {\n` +
  `  if (!existsSync(process.env.MARKER)) {\n` +
  `    writeFileSync(process.env.MARKER, String(process.pid));\n` +
  `    await new Promise((resolve) => setTimeout(resolve, 600000));\n` +
  `  }\n` +
  `  return { batchItemFailures: [] };\n` +
  `};\n`;

let endpoint: AwsEndpoint;
let scratch: string;

beforeAll(async () => {
  endpoint = await startEndpoint();
  scratch = mkdtempSync(join(tmpdir(), "datalake-event-sources-"));
});

afterAll(async () => {
  await endpoint?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

describe("the SQS event source", () => {
  test("a batch whose invocation timed out is delivered again, whole, to a new sandbox", async () => {
    // Prepare
    const sqs = new SQSClient(clientConfig(endpoint));
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: "hang-once" }));
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }));
    for (const body of ["a", "b", "c"]) await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: body }));
    const fn = await LocalFunction.start(
      { indexJs: HANG_ONCE, packedPaths: [] },
      { functionName: "hang-once", runtime: "nodejs22.x", memorySizeMb: 128, timeoutSeconds: 1, environment: { ...endpoint.environment, MARKER: join(scratch, "hung") } },
    );

    // Act
    const report = await pollQueue(sqs, fn, { queueUrl: QueueUrl!, queueArn: Attributes!.QueueArn!, region: endpoint.region, batchSize: 10, retryImmediately: true }).finally(
      () => fn.stop(),
    );

    // Assess
    expect(report).toMatchObject({ invocations: 2, failedInvocations: 1, deleted: 3 });
    expect([...report.deletedBodies].sort()).toEqual(["a", "b", "c"]);
    expect(fn.summary).toMatchObject({ invocations: 2, timeouts: 1, coldStarts: 2 });
  });
});
