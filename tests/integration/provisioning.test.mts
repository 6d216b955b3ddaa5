/**
 * The data plane created in the emulator is the one the program declares: attributes read back from
 * the endpoint match the recorded resources' inputs.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { GetBucketNotificationConfigurationCommand, GetBucketVersioningCommand, S3Client } from "@aws-sdk/client-s3";
import { GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { GetSubscriptionAttributesCommand, GetTopicAttributesCommand, ListSubscriptionsByTopicCommand, SNSClient } from "@aws-sdk/client-sns";
import { runProgram, type ProgramRun } from "../harness/program.js";
import { clientConfig, startEndpoint, type AwsEndpoint } from "../harness/emulator.js";
import { provisionDataPlane, type DataPlane } from "../harness/provision.js";

let endpoint: AwsEndpoint;
let run: ProgramRun;
let plane: DataPlane;

beforeAll(async () => {
  endpoint = await startEndpoint();
  run = await runProgram("dev");
  await endpoint.reset();
  plane = await provisionDataPlane(run, endpoint);
});
afterAll(async () => {
  await endpoint?.stop();
});

describe("the dev data plane on the local endpoint", () => {
  test("queues carry the declared attributes and redrive", async () => {
    const sqs = new SQSClient(clientConfig(endpoint));
    const declared = run.one("aws:sqs/queue:Queue", "datalake-processing");
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: plane.queues["datalake-processing"]!.url, AttributeNames: ["All"] }));
    expect(Attributes).toMatchObject({
      VisibilityTimeout: String(declared.inputs.visibilityTimeoutSeconds),
      MessageRetentionPeriod: String(declared.inputs.messageRetentionSeconds),
      ReceiveMessageWaitTimeSeconds: "20",
    });
    expect(JSON.parse(Attributes!.RedrivePolicy!)).toEqual({ deadLetterTargetArn: plane.queues["datalake-processing-dlq"]!.arn, maxReceiveCount: 3 });
  });

  test("the ingest subscription delivers raw messages filtered to known datasets", async () => {
    const sns = new SNSClient(clientConfig(endpoint));
    const { Subscriptions = [] } = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: plane.topics["datalake-ingest"] }));
    expect(Subscriptions.map((subscription) => subscription.Endpoint)).toEqual([plane.queues["datalake-processing"]!.arn]);
    const { Attributes } = await sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn: Subscriptions[0]!.SubscriptionArn }));
    expect(Attributes!.RawMessageDelivery).toBe("true");
    expect(JSON.parse(Attributes!.FilterPolicy!)).toEqual(JSON.parse(run.one("aws:sns/topicSubscription:TopicSubscription", "datalake-ingest-to-processing").inputs.filterPolicy));
    const topic = await sns.send(new GetTopicAttributesCommand({ TopicArn: plane.topics["datalake-ingest"] }));
    expect(topic.Attributes!.KmsMasterKeyId).toMatch(/^arn:aws:kms:/);
  });

  test("the lake is versioned and notifies the ingest function's tap queue for raw/ only", async () => {
    const s3 = new S3Client(clientConfig(endpoint));
    const lake = plane.buckets["datalake-lake"]!;
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket: lake }))).Status).toBe("Enabled");
    const notification = await s3.send(new GetBucketNotificationConfigurationCommand({ Bucket: lake }));
    expect(notification.QueueConfigurations).toHaveLength(1);
    expect(notification.QueueConfigurations![0]).toMatchObject({
      QueueArn: Object.values(plane.notificationTaps)[0]!.arn,
      Events: ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"],
      Filter: { Key: { FilterRules: [{ Name: "prefix", Value: "raw/" }] } },
    });
  });

  test("says which declared settings the emulator could not take, and why", () => {
    expect(plane.skipped.length).toBe(run.all("aws:s3/bucketPolicy:BucketPolicy").length);
    for (const note of plane.skipped) expect(note).toMatch(/moto ignores conditions/);
  });
});
