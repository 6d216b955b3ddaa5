import {
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
  type Message,
} from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { AthenaClient } from "@aws-sdk/client-athena";
import { GlueClient } from "@aws-sdk/client-glue";
import { S3Client } from "@aws-sdk/client-s3";
import { SNSClient } from "@aws-sdk/client-sns";
import { runCli } from "../../automation/cli.js";
import { isMoveTaskUnavailable, redriveDeadLetters, type RedriveOptions, type SqsSender } from "../../automation/redrive.js";
import { clientConfig, startEndpoint, type AwsEndpoint } from "../harness/emulator.js";
import { fakeBackend, recordingProgress } from "./fake-stacks.js";

let endpoint: AwsEndpoint;
let sqs: SQSClient;
let deadLetterQueueUrl: string;
let processingQueueUrl: string;

beforeAll(async () => {
  endpoint = await startEndpoint();
  sqs = new SQSClient(clientConfig(endpoint));
});
afterAll(async () => endpoint?.stop());
beforeEach(async () => {
  await endpoint.reset();
  deadLetterQueueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: "datalake-dev-processing-dlq" }))).QueueUrl!;
  processingQueueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: "datalake-dev-processing" }))).QueueUrl!;
});

/** Dead letters as the ingest function publishes them: a JSON body and the dataset attribute. */
async function fillDeadLetterQueue(count: number): Promise<string[]> {
  const bodies: string[] = [];
  for (let index = 0; index < count; index += 1) {
    const body = JSON.stringify({ bucket: "lake", key: `raw/events/file-${index}.jsonl`, dataset: "events" });
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: deadLetterQueueUrl,
        MessageBody: body,
        MessageAttributes: {
          dataset: { DataType: "String", StringValue: "events" },
          attempt: { DataType: "Number", StringValue: String(index) },
          checksum: { DataType: "Binary", BinaryValue: new Uint8Array([index, 255 - index]) },
        },
      }),
    );
    bodies.push(body);
  }
  return bodies;
}

/** Every message in a queue (received once, left invisible), with its attributes. */
async function drain(queueUrl: string): Promise<Message[]> {
  const messages: Message[] = [];
  for (;;) {
    const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 600, MessageAttributeNames: ["All"] }));
    if (!received.Messages?.length) return messages;
    messages.push(...received.Messages);
  }
}

/** Clients the DLQ redrive never calls, pointed at the emulator all the same. */
function unusedClients() {
  return {
    s3: new S3Client(clientConfig(endpoint)),
    athena: new AthenaClient(clientConfig(endpoint)),
    sns: new SNSClient(clientConfig(endpoint)),
    glue: new GlueClient(clientConfig(endpoint)),
    invokeCuratedJob: () => async () => {
      throw new Error("the DLQ redrive invokes no function");
    },
  };
}

function redriveOptions(overrides: Partial<RedriveOptions> = {}): RedriveOptions {
  let clock = 0;
  return {
    sqs,
    deadLetterQueueUrl,
    processingQueueUrl,
    progress: recordingProgress(),
    waitTimeSeconds: 0,
    emptyReceivesToStop: 3,
    visibilityTimeoutSeconds: 60,
    deadlineMs: 60_000,
    pollIntervalMs: 1_000,
    sleep: async (ms) => void (clock += ms),
    now: () => clock,
    ...overrides,
  };
}

type Interpose = (command: object, forward: () => Promise<unknown>) => Promise<unknown>;

/** The emulator's SQS client with a hook in front of every command. */
function interposed(hook: Interpose): SqsSender {
  const send = (command: object): Promise<unknown> => hook(command, () => sqs.send(command as SendMessageCommand));
  return { send } as unknown as SqsSender;
}

describe("redrive against the local emulator (StartMessageMoveTask unavailable: receive/send/delete)", () => {
  it("moves every message exactly once, with its body and message attributes, and empties the DLQ", async () => {
    // Prepare
    const bodies = await fillDeadLetterQueue(25);
    // Act
    const report = await redriveDeadLetters(redriveOptions());
    // Assess
    expect(report).toEqual({ method: "receive-send-delete", moved: 25, failed: 0, copiedNotDeleted: 0 });
    const moved = await drain(processingQueueUrl);
    expect(moved.map((message) => message.Body).sort()).toEqual([...bodies].sort());
    for (const message of moved) {
      const index = Number(message.MessageAttributes?.attempt?.StringValue);
      expect(message.Body).toBe(bodies[index]);
      expect(message.MessageAttributes?.dataset).toMatchObject({ DataType: "String", StringValue: "events" });
      expect(message.MessageAttributes?.attempt).toMatchObject({ DataType: "Number" });
      expect([...(message.MessageAttributes?.checksum?.BinaryValue ?? [])]).toEqual([index, 255 - index]);
    }
    expect(await drain(deadLetterQueueUrl)).toEqual([]);
  });

  it("returns at once for an empty DLQ: no move task, no receive, zero moved", async () => {
    // Prepare
    const sent: string[] = [];
    const recording = interposed(async (command, forward) => {
      sent.push(command.constructor.name);
      return forward();
    });

    // Act
    const report = await redriveDeadLetters(redriveOptions({ sqs: recording, waitTimeSeconds: 20 }));

    // Assess
    expect(report).toEqual({ method: "nothing-to-move", moved: 0, failed: 0, copiedNotDeleted: 0 });
    expect(sent.filter((name) => name !== "GetQueueAttributesCommand")).toEqual([]);
    expect(await drain(processingQueueUrl)).toEqual([]);
  });

  it("stops at the first empty receive once SQS counts no message left", async () => {
    // Prepare
    await fillDeadLetterQueue(3);
    const receives: number[] = [];
    const counting = interposed(async (command, forward) => {
      const answer = await forward();
      if (command instanceof ReceiveMessageCommand) receives.push((answer as { Messages?: Message[] }).Messages?.length ?? 0);
      return answer;
    });

    // Act
    const report = await redriveDeadLetters(redriveOptions({ sqs: counting, emptyReceivesToStop: 3 }));

    // Assess: one receive with the messages, one empty one, then done (not three empty ones)
    expect(report).toMatchObject({ method: "receive-send-delete", moved: 3 });
    expect(receives).toEqual([3, 0]);
  });

  it("does not send a message twice when its delete failed and it comes back", async () => {
    const bodies = await fillDeadLetterQueue(5);
    let failedDeletes = 0;
    const sqsWithOneFailedDelete = interposed(async (command, forward) => {
      if (command instanceof DeleteMessageCommand && failedDeletes === 0) {
        failedDeletes += 1;
        throw new Error("throttled");
      }
      return forward();
    });

    // A visibility timeout of 0 makes the undeleted message come straight back in the same run.
    const report = await redriveDeadLetters(redriveOptions({ sqs: sqsWithOneFailedDelete, visibilityTimeoutSeconds: 0 }));

    expect(failedDeletes).toBe(1);
    expect(report).toEqual({ method: "receive-send-delete", moved: 5, failed: 0, copiedNotDeleted: 0 });
    expect((await drain(processingQueueUrl)).map((message) => message.Body).sort()).toEqual([...bodies].sort());
    expect(await drain(deadLetterQueueUrl)).toEqual([]);
  });

  it("leaves a message it could not send in the DLQ, and counts it as failed", async () => {
    const bodies = await fillDeadLetterQueue(4);
    const unsendable = bodies[2];
    const sqsRefusingOne = interposed(async (command, forward) => {
      if (command instanceof SendMessageCommand && command.input.MessageBody === unsendable) throw new Error("KMS.AccessDenied");
      return forward();
    });

    const report = await redriveDeadLetters(redriveOptions({ sqs: sqsRefusingOne, visibilityTimeoutSeconds: 0 }));

    expect(report).toEqual({ method: "receive-send-delete", moved: 3, failed: 1, copiedNotDeleted: 0 });
    expect((await drain(processingQueueUrl)).map((message) => message.Body).sort()).toEqual(bodies.filter((body) => body !== unsendable).sort());
    expect((await drain(deadLetterQueueUrl)).map((message) => message.Body)).toEqual([unsendable]);
  });

  it("fails, moving nothing, when StartMessageMoveTask fails for another reason than being unavailable", async () => {
    await fillDeadLetterQueue(2);
    const denied = Object.assign(new Error("not authorized to perform sqs:StartMessageMoveTask"), { name: "AccessDenied", $metadata: { httpStatusCode: 403 } });
    const sqsDenyingMoves = interposed(async (command, forward) => {
      if (command instanceof StartMessageMoveTaskCommand) throw denied;
      return forward();
    });

    await expect(redriveDeadLetters(redriveOptions({ sqs: sqsDenyingMoves }))).rejects.toThrow("StartMessageMoveTask from arn:aws:sqs:eu-west-1:123456789012:datalake-dev-processing-dlq failed: not authorized");

    expect(await drain(processingQueueUrl)).toEqual([]);
  });
});

describe("redrive with StartMessageMoveTask (scripted answers where the emulator has none)", () => {
  it("starts a move task from the DLQ to the processing queue and reports the count once it completes", async () => {
    await fillDeadLetterQueue(7);
    const arns = await Promise.all(
      [deadLetterQueueUrl, processingQueueUrl].map(async (QueueUrl) => (await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }))).Attributes!.QueueArn),
    );
    const started: object[] = [];
    const statuses = [
      { TaskHandle: "task-1", Status: "RUNNING", ApproximateNumberOfMessagesMoved: 3, ApproximateNumberOfMessagesToMove: 7 },
      { TaskHandle: "task-1", Status: "COMPLETED", ApproximateNumberOfMessagesMoved: 7, ApproximateNumberOfMessagesToMove: 7 },
    ];
    const scripted = interposed(async (command, forward) => {
      if (command instanceof StartMessageMoveTaskCommand) {
        started.push(command.input);
        return { TaskHandle: "task-1" };
      }
      if (command instanceof ListMessageMoveTasksCommand) return { Results: [statuses.shift()] };
      return forward();
    });
    const progress = recordingProgress();

    const report = await redriveDeadLetters(redriveOptions({ sqs: scripted, progress }));

    expect(started).toEqual([{ SourceArn: arns[0], DestinationArn: arns[1] }]);
    expect(report).toEqual({ method: "move-task", moved: 7, failed: 0, copiedNotDeleted: 0 });
    expect(progress.steps).toContain("move task RUNNING: 3 of ~7 moved");
  });

  it("fails with SQS's reason when the move task fails", async () => {
    await fillDeadLetterQueue(1);
    const scripted = interposed(async (command, forward) => {
      if (command instanceof StartMessageMoveTaskCommand) return { TaskHandle: "task-2" };
      if (command instanceof ListMessageMoveTasksCommand) {
        return { Results: [{ TaskHandle: "task-2", Status: "FAILED", ApproximateNumberOfMessagesMoved: 1, FailureReason: "AccessDenied on kms:Decrypt" }] };
      }
      return forward();
    });

    await expect(redriveDeadLetters(redriveOptions({ sqs: scripted }))).rejects.toThrow("move task failed after 1 messages: AccessDenied on kms:Decrypt");
  });
});

describe("isMoveTaskUnavailable", () => {
  it("recognises the emulator's HTML 500 and SQS's unsupported-operation errors, not real failures", async () => {
    const emulatorAnswer = await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: "arn:aws:sqs:eu-west-1:123456789012:datalake-dev-processing-dlq" })).catch((error: unknown) => error);
    const unsupported = Object.assign(new Error("unsupported"), { name: "UnsupportedOperation" });
    const denied = Object.assign(new Error("denied"), { name: "AccessDenied", $metadata: { httpStatusCode: 403 } });
    const serverError = Object.assign(new Error("internal"), { name: "InternalError", $metadata: { httpStatusCode: 500 }, $response: { headers: { "content-type": "application/x-amz-json-1.0" } } });

    expect(isMoveTaskUnavailable(emulatorAnswer)).toBe(true);
    expect(isMoveTaskUnavailable(unsupported)).toBe(true);
    expect(isMoveTaskUnavailable(denied)).toBe(false);
    expect(isMoveTaskUnavailable(serverError)).toBe(false);
    expect(isMoveTaskUnavailable("a string")).toBe(false);
  });
});

describe("npm run ci -- redrive", () => {
  it("reads the queue URLs from the stack outputs, moves the messages and reports the count", async () => {
    await fillDeadLetterQueue(3);
    const backend = fakeBackend();
    backend.stack("dev").outputsValue = { deadLetterQueueUrl, processingQueueUrl };
    let out = "";
    let clock = 0;

    const code = await runCli(["redrive", "--stack", "dev", "--queue", "dlq"], {
      env: {},
      out: { write: (chunk: string) => (out += chunk) },
      err: { write: (chunk: string) => (out += chunk) },
      openStack: () => backend.openStack,
      awsClients: () => ({ ...unusedClients(), sqs }),
      sleep: async (ms) => void (clock += ms),
      now: () => clock,
      redriveWaitTimeSeconds: 0,
    });

    expect(code).toBe(0);
    expect(out).toContain("dev: redrive dlq (receive-send-delete): 3 moved, 0 failed, 0 copied but not deleted");
    expect(await drain(processingQueueUrl)).toHaveLength(3);
  });

  it("exits 1 naming the output when the stack has no dead-letter queue URL", async () => {
    const backend = fakeBackend();
    backend.stack("dev").outputsValue = { processingQueueUrl };
    let err = "";

    const code = await runCli(["redrive", "--stack", "dev", "--queue", "dlq"], {
      env: {},
      out: { write: () => true },
      err: { write: (chunk: string) => (err += chunk) },
      openStack: () => backend.openStack,
      awsClients: () => ({ ...unusedClients(), sqs }),
    });

    expect(code).toBe(1);
    expect(err).toContain('error: stack dev: output "deadLetterQueueUrl" must be a non-empty string; it is missing');
  });
});
