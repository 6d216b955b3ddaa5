/**
 * The messaging layer as the whole program declares it, for the dev and prod stacks: queue
 * attributes, encryption, the subscription, the parsed resource policies, alerts and pipeline events.
 */
import { beforeAll, describe, expect, test } from "vitest";
import { runProgram, type ProgramRun } from "./harness/program.js";
import { MOCK_ACCOUNT_ID, type RecordedResource } from "./harness/mocks.js";
import { VISIBILITY_TIMEOUT_FACTOR } from "../config/settings.js";
import { DATASET_NAMES } from "../handlers/datasets.js";
import { DATASET_ATTRIBUTE } from "../handlers/ingest.js";
import type { PolicyDocument, PolicyStatement } from "../iam/documents.js";

const QUEUE = "aws:sqs/queue:Queue";
const TOPIC = "aws:sns/topic:Topic";
const SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription";
const QUEUE_POLICY = "aws:sqs/queuePolicy:QueuePolicy";
const TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy";
const DAY_SECONDS = 86_400;

const runs: Record<string, ProgramRun> = {};

beforeAll(async () => {
  runs.dev = await runProgram("dev");
  runs.prod = await runProgram("prod");
});

const parsed = (json: string): PolicyDocument => JSON.parse(json) as PolicyDocument;
const asList = <T,>(value: T | readonly T[] | undefined): readonly T[] => (value === undefined ? [] : Array.isArray(value) ? value : [value as T]);
const configNumber = (run: ProgramRun, key: string): number => Number(run.config[`datalake:${key}`]);
const tlsDenies = (document: PolicyDocument): PolicyStatement[] =>
  document.Statement.filter(
    (statement) => statement.Effect === "Deny" && statement.Principal === "*" && statement.Condition?.Bool?.["aws:SecureTransport"] === "false",
  );

function queuePolicyOf(run: ProgramRun, queue: RecordedResource): PolicyDocument {
  const policies = run.all(QUEUE_POLICY).filter((policy) => policy.inputs.queueUrl === queue.state.url);
  expect(policies, `policies of ${queue.name}`).toHaveLength(1);
  return parsed(policies[0]!.inputs.policy);
}

function topicPolicyOf(run: ProgramRun, topic: RecordedResource): PolicyDocument {
  const policies = run.all(TOPIC_POLICY).filter((policy) => policy.inputs.arn === topic.state.arn);
  expect(policies, `policies of ${topic.name}`).toHaveLength(1);
  return parsed(policies[0]!.inputs.policy);
}

describe.each(["dev", "prod"])("messaging of stack %s", (stack) => {
  const run = () => runs[stack]!;
  const queue = (name: string) => run().one(QUEUE, `datalake-${name}`);
  const topic = (name: string) => run().one(TOPIC, `datalake-${name}`);

  test("the processing queue long-polls, hides a message for 6× the processor's timeout and keeps it as configured", () => {
    // Prepare
    const processor = run().one("aws:lambda/function:Function", "datalake-processor");
    // Act
    const processing = queue("processing").inputs;
    // Assess
    expect(processing.receiveWaitTimeSeconds).toBe(20);
    expect(processing.visibilityTimeoutSeconds).toBe(VISIBILITY_TIMEOUT_FACTOR * processor.inputs.timeout);
    expect(processing.visibilityTimeoutSeconds).toBeGreaterThanOrEqual(6 * processor.inputs.timeout);
    expect(processing.messageRetentionSeconds).toBe(configNumber(run(), "queueRetentionDays") * DAY_SECONDS);
  });

  test("the processing queue redrives to the dead-letter queue after maxReceiveCount receives", () => {
    const redrive = JSON.parse(queue("processing").inputs.redrivePolicy);
    expect(redrive).toEqual({ deadLetterTargetArn: queue("processing-dlq").state.arn, maxReceiveCount: configNumber(run(), "maxReceiveCount") });
  });

  test("the dead-letter queue keeps a message longer than its source queue, so it never expires on arrival", () => {
    // A standard queue's message keeps its original enqueue time in the DLQ (Amazon SQS Developer
    // Guide, "Setting-up dead-letter queue retention"): equal retentions expire it almost at once.
    const dlq = queue("processing-dlq").inputs.messageRetentionSeconds as number;
    const source = queue("processing").inputs.messageRetentionSeconds as number;
    expect(dlq).toBe(configNumber(run(), "deadLetterRetentionDays") * DAY_SECONDS);
    expect(dlq).toBeGreaterThan(source);
  });

  test("the dead-letter queue admits redrive only from the processing queue", () => {
    const allow = run().one("aws:sqs/redriveAllowPolicy:RedriveAllowPolicy");
    expect(allow.inputs.queueUrl).toBe(queue("processing-dlq").state.url);
    expect(JSON.parse(allow.inputs.redriveAllowPolicy)).toEqual({ redrivePermission: "byQueue", sourceQueueArns: [queue("processing").state.arn] });
  });

  test("every topic and every queue is encrypted with the lake's customer-managed key", () => {
    const key = run().one("aws:kms/key:Key");
    const topics = run().all(TOPIC);
    const queues = run().all(QUEUE);
    expect(topics.map((t) => t.name).sort()).toEqual(["datalake-alerts", "datalake-ingest", "datalake-pipeline-events"]);
    // Messaging's three queues, and every other layer's queue too (e.g. analytics' failure queue).
    expect(queues.map((q) => q.name)).toEqual(expect.arrayContaining(["datalake-ingest-failures", "datalake-processing", "datalake-processing-dlq"]));
    for (const resource of [...topics, ...queues]) expect(resource.inputs.kmsMasterKeyId, resource.name).toBe(key.state.arn);
  });

  test("the ingest subscription delivers raw messages for known datasets only", () => {
    const subscription = run().one(SUBSCRIPTION, "datalake-ingest-to-processing");
    expect(subscription.inputs).toMatchObject({
      topic: topic("ingest").state.arn,
      protocol: "sqs",
      endpoint: queue("processing").state.arn,
      rawMessageDelivery: true,
      filterPolicyScope: "MessageAttributes",
    });
    // The filter matches on the very attribute the ingest function sets.
    expect(JSON.parse(subscription.inputs.filterPolicy)).toEqual({ [DATASET_ATTRIBUTE]: [...DATASET_NAMES] });
  });

  test("the processing queue admits SendMessage only from the ingest topic, and nothing without TLS", () => {
    const document = queuePolicyOf(run(), queue("processing"));
    const allows = document.Statement.filter((statement) => statement.Effect === "Allow");
    expect(allows).toEqual([
      expect.objectContaining({
        Principal: { Service: "sns.amazonaws.com" },
        Action: "sqs:SendMessage",
        Resource: queue("processing").state.arn,
        Condition: { ArnEquals: { "aws:SourceArn": topic("ingest").state.arn } },
      }),
    ]);
    expect(tlsDenies(document)).toEqual([expect.objectContaining({ Action: "sqs:*", Resource: [queue("processing").state.arn] })]);
  });

  test.each(["processing-dlq", "ingest-failures"])("the %s queue grants nothing and denies requests without TLS", (name) => {
    const document = queuePolicyOf(run(), queue(name));
    expect(document.Statement.filter((statement) => statement.Effect === "Allow")).toEqual([]);
    expect(tlsDenies(document)).toEqual([expect.objectContaining({ Action: "sqs:*", Resource: [queue(name).state.arn] })]);
  });

  test.each(["ingest", "alerts", "pipeline-events"])("the %s topic lets only this account publish, over TLS", (name) => {
    // Prepare
    const arn = topic(name).state.arn;
    // Act
    const document = topicPolicyOf(run(), topic(name));
    // Assess
    const allows = document.Statement.filter((statement) => statement.Effect === "Allow");
    expect(allows[0]).toMatchObject({ Principal: { AWS: `arn:aws:iam::${MOCK_ACCOUNT_ID}:root` }, Action: ["sns:Publish"], Resource: arn });
    for (const allow of allows) {
      expect(allow.Principal, "no anonymous publisher").not.toBe("*");
      const services = asList(typeof allow.Principal === "object" ? allow.Principal.Service : undefined);
      // A service may publish only on behalf of this account.
      if (services.length > 0) expect(allow.Condition?.StringEquals?.["aws:SourceAccount"]).toBe(MOCK_ACCOUNT_ID);
    }
    expect(tlsDenies(document)).toEqual([expect.objectContaining({ Action: "sns:Publish", Resource: [arn] })]);
    const crossAccount = document.Statement.find((statement) => statement.Sid === "DenyOtherAccounts");
    expect(crossAccount?.Condition?.StringNotEquals).toEqual({ "aws:PrincipalAccount": MOCK_ACCOUNT_ID });
  });

  test("CloudWatch alarms of this account may publish to the alerts topic and use its key", () => {
    // Prepare
    const document = topicPolicyOf(run(), topic("alerts"));
    const keyPolicy = parsed(run().one("aws:kms/key:Key").inputs.policy);
    const region = run().config["aws:region"];
    // Act
    const cloudWatchPublishes = document.Statement.filter((statement) =>
      asList(typeof statement.Principal === "object" ? statement.Principal.Service : undefined).includes("cloudwatch.amazonaws.com"),
    );
    const cloudWatchUsesKey = keyPolicy.Statement.filter(
      (statement) =>
        statement.Effect === "Allow" &&
        asList(typeof statement.Principal === "object" ? statement.Principal.Service : undefined).includes("cloudwatch.amazonaws.com"),
    );
    // Assess
    expect(cloudWatchPublishes).toEqual([
      expect.objectContaining({
        Effect: "Allow",
        Action: ["sns:Publish"],
        Condition: {
          StringEquals: { "aws:SourceAccount": MOCK_ACCOUNT_ID },
          ArnLike: { "aws:SourceArn": `arn:aws:cloudwatch:${region}:${MOCK_ACCOUNT_ID}:alarm:*` },
        },
      }),
    ]);
    const keyActions = cloudWatchUsesKey.flatMap((statement) => asList(statement.Action));
    expect(keyActions).toEqual(expect.arrayContaining(["kms:GenerateDataKey*", "kms:Decrypt"]));
  });

  test("alerts reach every configured email address", () => {
    const configured = JSON.parse(run().config["datalake:alertEmails"] ?? "[]") as string[];
    const subscriptions = run().all(SUBSCRIPTION).filter((subscription) => subscription.inputs.topic === topic("alerts").state.arn);
    expect(subscriptions.map((subscription) => [subscription.inputs.protocol, subscription.inputs.endpoint])).toEqual(
      configured.map((email) => ["email", email]),
    );
  });

  test("S3 events the ingest function fails on go to the ingest-failures queue", () => {
    // Prepare
    const failures = queue("ingest-failures");
    const ingest = run().one("aws:lambda/function:Function", "datalake-ingest");
    // Act
    const invokeConfig = run().one("aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig", "datalake-ingest-async");
    const rolePolicy = parsed(run().one("aws:iam/rolePolicy:RolePolicy", "datalake-ingest").inputs.policy);
    // Assess
    expect(invokeConfig.inputs.functionName).toBe(ingest.state.name);
    expect(invokeConfig.inputs.destinationConfig).toEqual({ onFailure: { destination: failures.state.arn } });
    expect(invokeConfig.inputs.maximumRetryAttempts).toBe(2);
    expect(failures.inputs.messageRetentionSeconds).toBe(14 * DAY_SECONDS);
    expect(rolePolicy.Statement).toContainEqual(expect.objectContaining({ Effect: "Allow", Action: ["sqs:SendMessage"], Resource: failures.state.arn }));
  });

  test("exports the topic and queue addresses compute, observability and users need", () => {
    const { outputs } = run();
    expect(outputs.ingestTopicArn).toBe(topic("ingest").state.arn);
    expect(outputs.alertsTopicArn).toBe(topic("alerts").state.arn);
    expect(outputs.pipelineEventsTopicArn).toBe(topic("pipeline-events").state.arn);
    expect(outputs.processingQueueUrl).toBe(queue("processing").state.url);
    expect(outputs.deadLetterQueueUrl).toBe(queue("processing-dlq").state.url);
    expect(outputs.ingestFailuresQueueUrl).toBe(queue("ingest-failures").state.url);
  });
});

describe("messaging differs between stacks where config says", () => {
  test("dev has no alert subscription, prod at least one", () => {
    const alertEmails = (run: ProgramRun) => run.all(SUBSCRIPTION).filter((subscription) => subscription.name.startsWith("datalake-alerts-email-"));
    expect(alertEmails(runs.dev!)).toHaveLength(0);
    expect(alertEmails(runs.prod!).length).toBeGreaterThanOrEqual(1);
  });

  test("a dead-letter queue that keeps messages no longer than its source does not deploy, and says which key to set", async () => {
    await expect(runProgram("dev", { "datalake:queueRetentionDays": 7, "datalake:deadLetterRetentionDays": 7 })).rejects.toThrow(
      /datalake:deadLetterRetentionDays: 7 is not accepted when datalake:queueRetentionDays is 7; a message keeps its original enqueue time/,
    );
  });

  test("prod without an alert email does not deploy, and says which key to set", async () => {
    await expect(runProgram("prod", { "datalake:alertEmails": [] })).rejects.toThrow(/datalake:alertEmails: \[\] is not accepted when environment is prod/);
  });

  test("queue settings follow the config keys and the processor's timeout", async () => {
    // Prepare / Act
    const run = await runProgram("prod", {
      "datalake:processorTimeoutSeconds": 120,
      "datalake:maxReceiveCount": 5,
      "datalake:queueRetentionDays": 4,
    });
    // Assess
    const processing = run.one(QUEUE, "datalake-processing").inputs;
    expect(processing.visibilityTimeoutSeconds).toBe(720);
    expect(run.one("aws:lambda/function:Function", "datalake-processor").inputs.timeout).toBe(120);
    expect(JSON.parse(processing.redrivePolicy).maxReceiveCount).toBe(5);
    expect(processing.messageRetentionSeconds).toBe(4 * DAY_SECONDS);
  });
});

describe("pipeline-events subscribers", () => {
  const queueArn = "arn:aws:sqs:eu-west-1:210987654321:lake-events";

  test("are none by default", () => {
    for (const run of [runs.dev!, runs.prod!]) {
      const topicArn = run.one(TOPIC, "datalake-pipeline-events").state.arn;
      expect(run.all(SUBSCRIPTION).filter((subscription) => subscription.inputs.topic === topicArn)).toEqual([]);
    }
  });

  test("each configured subscriber gets a subscription; queues receive the event itself", async () => {
    // Prepare / Act
    const run = await runProgram("dev", {
      "datalake:pipelineEventSubscribers": ["email:data-team@example.com", "https://hooks.example.com/lake?source=datalake", `sqs:${queueArn}`],
    });
    // Assess
    const topicArn = run.one(TOPIC, "datalake-pipeline-events").state.arn;
    const subscriptions = run.all(SUBSCRIPTION).filter((subscription) => subscription.inputs.topic === topicArn);
    expect(subscriptions.map(({ inputs }) => [inputs.protocol, inputs.endpoint, inputs.rawMessageDelivery])).toEqual([
      ["email", "data-team@example.com", false],
      ["https", "https://hooks.example.com/lake?source=datalake", false],
      ["sqs", queueArn, true],
    ]);
  });

  test.each([
    ["http://hooks.example.com/lake", "plain HTTP"],
    ["email:not-an-address", "a malformed email"],
    ["sqs:arn:aws:sqs:eu-west-1:210987654321:events.fifo", "a FIFO queue"],
    ["lambda:arn:aws:lambda:eu-west-1:210987654321:function:f", "an unsupported protocol"],
  ])("reject %s (%s), naming the key", async (entry) => {
    await expect(runProgram("dev", { "datalake:pipelineEventSubscribers": [entry] })).rejects.toThrow(
      /datalake:pipelineEventSubscribers: .* is not accepted; expected a list of subscribers written email:<address>/,
    );
  });
});
