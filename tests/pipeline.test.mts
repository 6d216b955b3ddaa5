import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { PutBucketPolicyCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { runProgram, type ProgramRun } from "./harness/program.ts";
import { clientConfig, startEndpoint, type AwsEndpoint } from "./harness/emulator.ts";
import { provisionDataPlane, type DataPlane } from "./harness/provision.ts";
import { LocalFunction } from "./harness/local-function.ts";
import { functionPackage } from "./harness/lambda.ts";
import { deliverS3Notifications, pollQueue } from "./harness/event-sources.ts";

const FUNCTION = "aws:lambda/function:Function";

let endpoint: AwsEndpoint;
let run: ProgramRun;

beforeAll(async () => {
  endpoint = await startEndpoint();
  run = await runProgram("dev");
});
afterAll(async () => {
  await endpoint?.stop();
});

describe("the dev data plane on the local endpoint", () => {
  let plane: DataPlane;
  let s3: S3Client;
  let sqs: SQSClient;
  const functions: LocalFunction[] = [];

  beforeEach(async () => {
    await endpoint.reset();
    plane = await provisionDataPlane(run, endpoint);
    s3 = new S3Client(clientConfig(endpoint));
    sqs = new SQSClient(clientConfig(endpoint));
    return async () => {
      await Promise.all(functions.splice(0).map((fn) => fn.stop()));
    };
  });

  async function startFunction(name: string): Promise<LocalFunction> {
    const declared = run.one(FUNCTION, name);
    const upload = await functionPackage(declared);
    const fn = await LocalFunction.start(upload.indexJs, { functionName: name, environment: plane.functionEnvironment(declared) });
    functions.push(fn);
    return fn;
  }

  test("is provisioned with the attributes the program declares", async () => {
    const declaredQueue = run.one("aws:sqs/queue:Queue", "datalake-processing");
    const queue = plane.queues["datalake-processing"]!;
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queue.url, AttributeNames: ["All"] }));
    expect(Attributes!.VisibilityTimeout).toBe(String(declaredQueue.inputs.visibilityTimeoutSeconds));
    expect(Attributes!.ReceiveMessageWaitTimeSeconds).toBe("20");
    expect(JSON.parse(Attributes!.RedrivePolicy!)).toEqual({
      deadLetterTargetArn: plane.queues["datalake-processing-dlq"]!.arn,
      maxReceiveCount: 3,
    });
  });

  test("a message that keeps failing reaches the DLQ after exactly maxReceiveCount receives", async () => {
    // Prepare: the exact uploads of both functions, warm, with the declared environment
    const ingest = await startFunction("datalake-ingest");
    const processor = await startFunction("datalake-processor");
    const lake = plane.buckets["datalake-lake"]!;
    const tap = Object.values(plane.notificationTaps)[0]!;
    const processing = plane.queues["datalake-processing"]!;
    const deadLetters = plane.queues["datalake-processing-dlq"]!;

    // The object can never be read (a policy refuses it): every attempt fails transiently.
    await s3.send(
      new PutBucketPolicyCommand({
        Bucket: lake,
        Policy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Deny", Principal: "*", Action: "s3:GetObject", Resource: `arn:aws:s3:::${lake}/raw/events/poison*` }] }),
      }),
    );

    // Act: land an object, let S3 notify ingest, let the event source mapping drive the processor
    await s3.send(new PutObjectCommand({ Bucket: lake, Key: "raw/events/poison.jsonl", Body: '{"event_id":"e1"}\n' }));
    const delivery = await deliverS3Notifications(sqs, tap.url, ingest);
    const polling = await pollQueue(sqs, processor, {
      queueUrl: processing.url,
      queueArn: processing.arn,
      region: endpoint.region,
      batchSize: run.one("aws:lambda/eventSourceMapping:EventSourceMapping").inputs.batchSize,
      retryImmediately: true,
    });

    // Assess
    expect(delivery).toMatchObject({ invocations: 1, failures: 0 });
    expect(polling).toMatchObject({ invocations: 3, reportedFailures: 3, deleted: 0 });
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: deadLetters.url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
    expect(Messages).toHaveLength(1);
    expect(JSON.parse(Messages[0]!.Body!)).toMatchObject({ key: "raw/events/poison.jsonl", dataset: "events" });
  });
});
