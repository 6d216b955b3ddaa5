/** Pure pieces of messaging: subscriber syntax, settings, resource policies, the pipeline-event contract. */
import { describe, expect, test } from "vitest";
import { parseSubscriber } from "../config/subscribers.js";
import { ConfigError, parseSettings } from "../config/settings.js";
import { accountOnlyTopicPolicy, alertsTopicPolicy, datasetFilterPolicy, tlsOnlyQueuePolicy } from "../messaging/policies.js";
import { deliversRaw } from "../messaging/index.js";
import { PIPELINE_EVENT_VERSION, pipelineEventMessage, publishPipelineEvent, type ProcessingCompletedEvent } from "../handlers/pipeline-events.js";

const TOPIC_ARN = "arn:aws:sns:eu-west-1:123456789012:alerts";
const ACCOUNT = { accountId: "123456789012", partition: "aws" } as const;

function completedEvent(overrides: Partial<ProcessingCompletedEvent> = {}): ProcessingCompletedEvent {
  return {
    type: "processing.completed",
    dataset: "events",
    source: { bucket: "lake", key: "raw/events/a.jsonl", etag: "abc" },
    partitions: [{ partition: "year=2026/month=11/day=20", key: "processed/events/year=2026/month=11/day=20/a-0123456789abcdef.parquet", rows: 10 }],
    partitionCount: 1,
    rowsRead: 12,
    rowsWritten: 10,
    rowsRejected: 2,
    replacedOutputs: 0,
    completedAt: "2026-11-20T10:01:00.000Z",
    ...overrides,
  };
}

describe("parseSubscriber", () => {
  test.each([
    ["email:data-team@example.com", { protocol: "email", endpoint: "data-team@example.com" }],
    ["https://hooks.example.com/lake", { protocol: "https", endpoint: "https://hooks.example.com/lake" }],
    [" https://hooks.example.com:8443/a?b=c ", { protocol: "https", endpoint: "https://hooks.example.com:8443/a?b=c" }],
    ["sqs:arn:aws:sqs:eu-west-1:123456789012:lake-events", { protocol: "sqs", endpoint: "arn:aws:sqs:eu-west-1:123456789012:lake-events" }],
    ["sqs:arn:aws-us-gov:sqs:us-gov-west-1:123456789012:q_1", { protocol: "sqs", endpoint: "arn:aws-us-gov:sqs:us-gov-west-1:123456789012:q_1" }],
  ])("reads %s", (entry, expected) => {
    expect(parseSubscriber(entry)).toEqual(expected);
  });

  test.each([
    "data-team@example.com",
    "email:",
    "email:two words@example.com",
    "http://hooks.example.com/lake",
    "https://",
    "https://user:secret@hooks.example.com/",
    "sqs:arn:aws:sqs:eu-west-1:123456789012:events.fifo",
    "sqs:arn:aws:sqs:eu-west-1:1234:q",
    "sqs:arn:aws:sns:eu-west-1:123456789012:topic",
    "sqs:https://sqs.eu-west-1.amazonaws.com/123456789012/q",
    "lambda:arn:aws:lambda:eu-west-1:123456789012:function:f",
  ])("refuses %s", (entry) => {
    expect(parseSubscriber(entry)).toBeUndefined();
  });

  test("queues get the raw event; email and HTTPS get SNS's signed envelope", () => {
    expect(deliversRaw({ protocol: "sqs", endpoint: "arn" })).toBe(true);
    expect(deliversRaw({ protocol: "https", endpoint: "https://x" })).toBe(false);
    expect(deliversRaw({ protocol: "email", endpoint: "a@b.co" })).toBe(false);
  });
});

describe("messaging settings", () => {
  test("subscribers are typed, in order", () => {
    // Prepare
    const raw = { pipelineEventSubscribers: JSON.stringify(["sqs:arn:aws:sqs:eu-west-1:123456789012:q", "email:a@example.com"]) };
    // Act
    const settings = parseSettings(raw, "dev");
    // Assess
    expect(settings.messaging.pipelineEventSubscribers).toEqual([
      { protocol: "sqs", endpoint: "arn:aws:sqs:eu-west-1:123456789012:q" },
      { protocol: "email", endpoint: "a@example.com" },
    ]);
  });

  test("a repeated subscriber is refused, naming the key", () => {
    const raw = { pipelineEventSubscribers: JSON.stringify(["email:a@example.com", "email:a@example.com"]) };
    expect(() => parseSettings(raw, "dev")).toThrow(/datalake:pipelineEventSubscribers: .* expected a list of subscribers .*, without repeats/);
  });

  test("the visibility timeout is the processor's timeout times six", () => {
    expect(parseSettings({ processorTimeoutSeconds: "45" }, "dev").messaging.queueVisibilityTimeoutSeconds).toBe(270);
  });

  test("prod needs an alert email; dev does not", () => {
    expect(parseSettings({ environment: "dev" }, "dev").messaging.alertEmails).toEqual([]);
    expect(() => parseSettings({ environment: "prod" }, "prod")).toThrow(ConfigError);
    expect(() => parseSettings({ environment: "prod" }, "prod")).toThrow(/datalake:alertEmails: \[\] is not accepted when environment is prod/);
    expect(parseSettings({ environment: "prod", alertEmails: '["oncall@example.com"]' }, "prod").messaging.alertEmails).toEqual(["oncall@example.com"]);
  });
});

describe("messaging policies", () => {
  test("account-only topic policy: the account may publish, others are denied, TLS required", () => {
    const document = accountOnlyTopicPolicy({ topicArn: TOPIC_ARN, ...ACCOUNT });
    expect(document.Statement.map((statement) => [statement.Sid, statement.Effect])).toEqual([
      ["AccountPublishes", "Allow"],
      ["DenyOtherAccounts", "Deny"],
      ["DenyInsecureTransport", "Deny"],
    ]);
    expect(document.Statement[1]!.Condition).toEqual({
      StringNotEquals: { "aws:PrincipalAccount": "123456789012" },
      // Services publishing for the account (CloudWatch) carry no principal account: not denied here.
      BoolIfExists: { "aws:PrincipalIsAWSService": "false" },
    });
  });

  test("alerts topic policy adds CloudWatch alarms of this account and region only", () => {
    const document = alertsTopicPolicy({ topicArn: TOPIC_ARN, ...ACCOUNT, region: "eu-west-1" });
    const cloudWatch = document.Statement.find((statement) => statement.Sid === "CloudWatchAlarmsOfThisAccountPublish");
    expect(cloudWatch).toEqual({
      Sid: "CloudWatchAlarmsOfThisAccountPublish",
      Effect: "Allow",
      Principal: { Service: "cloudwatch.amazonaws.com" },
      Action: ["sns:Publish"],
      Resource: TOPIC_ARN,
      Condition: {
        StringEquals: { "aws:SourceAccount": "123456789012" },
        ArnLike: { "aws:SourceArn": "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:*" },
      },
    });
    expect(document.Statement.filter((statement) => statement.Effect === "Deny")).toHaveLength(2);
  });

  test("TLS-only queue policy grants nothing", () => {
    const document = tlsOnlyQueuePolicy("arn:aws:sqs:eu-west-1:123456789012:dlq");
    expect(document.Statement).toEqual([
      expect.objectContaining({ Effect: "Deny", Principal: "*", Action: "sqs:*", Condition: { Bool: { "aws:SecureTransport": "false" } } }),
    ]);
  });

  test("the filter policy lists the datasets it is given, as a copy", () => {
    const datasets = ["events", "users"];
    const filter = datasetFilterPolicy(datasets);
    datasets.push("later");
    expect(filter).toEqual({ dataset: ["events", "users"] });
  });
});

describe("pipeline events", () => {
  test("a completion event is published with its body and filterable attributes", async () => {
    // Prepare
    const sent: unknown[] = [];
    const sns = { send: async (command: { input: unknown }) => (sent.push(command.input), {}) };
    const event = completedEvent({ dataset: "users", rowsRejected: 0 });
    // Act
    await publishPipelineEvent({ sns: sns as never, topicArn: TOPIC_ARN }, event);
    // Assess
    expect(sent).toEqual([pipelineEventMessage(TOPIC_ARN, event)]);
    const message = pipelineEventMessage(TOPIC_ARN, event);
    expect(JSON.parse(message.Message!)).toEqual({ version: PIPELINE_EVENT_VERSION, ...event });
    expect(message.MessageAttributes).toEqual({
      eventType: { DataType: "String", StringValue: "processing.completed" },
      dataset: { DataType: "String", StringValue: "users" },
      eventVersion: { DataType: "String", StringValue: PIPELINE_EVENT_VERSION },
    });
  });
});
