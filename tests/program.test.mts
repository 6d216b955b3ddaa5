import { beforeAll, describe, expect, test } from "vitest";
import { runProgram, type ProgramRun } from "./harness/program.js";

const FUNCTION = "aws:lambda/function:Function";
const LAYERS = [
  ["datalake:network:Network", "network"],
  ["datalake:storage:Storage", "storage"],
  ["datalake:messaging:Messaging", "messaging"],
  ["datalake:compute:Compute", "compute"],
  ["datalake:analytics:Analytics", "analytics"],
  ["datalake:observability:Observability", "observability"],
] as const;

const runs: Record<string, ProgramRun> = {};

beforeAll(async () => {
  runs.dev = await runProgram("dev");
  runs.prod = await runProgram("prod");
});

describe.each(["dev", "prod"])("stack %s", (stack) => {
  const run = () => runs[stack]!;

  test("builds and exports the outputs a user needs", () => {
    const { outputs } = run();
    for (const key of ["lakeBucketName", "processingQueueUrl", "deadLetterQueueUrl", "athenaWorkgroupName", "glueDatabaseName", "dashboardName", "alertsTopicArn"]) {
      expect(outputs[key], key).toEqual(expect.any(String));
    }
    expect(outputs.environment).toBe(stack);
    expect(outputs.athenaWorkgroupName).toBe(`datalake-${stack}`);
    expect(outputs.glueDatabaseName).toBe(`datalake_${stack}`);
  });

  test.each(LAYERS)("has one %s component", (type) => {
    const component = run().one(type);
    expect(component.custom).toBe(false);
  });

  test("places the processor in the network's private subnets with its security group", () => {
    const processor = run().one(FUNCTION, "datalake-processor");
    const vpc = run().one("awsx:ec2:Vpc");
    const securityGroup = run().one("aws:ec2/securityGroup:SecurityGroup", "datalake-lambda");
    expect(processor.inputs.vpcConfig.subnetIds).toEqual(vpc.state.privateSubnetIds);
    expect(processor.inputs.vpcConfig.securityGroupIds).toEqual([securityGroup.id]);
  });

  test("feeds the processor from messaging's queue and points it at storage's bucket", () => {
    const queue = run().one("aws:sqs/queue:Queue", "datalake-processing");
    const bucket = run().one("aws:s3/bucket:Bucket", "datalake-lake");
    const mapping = run().one("aws:lambda/eventSourceMapping:EventSourceMapping");
    const processor = run().one(FUNCTION, "datalake-processor");
    expect(mapping.inputs.eventSourceArn).toBe(queue.state.arn);
    expect(mapping.inputs.functionName).toBe(processor.state.arn);
    expect(mapping.inputs.functionResponseTypes).toEqual(["ReportBatchItemFailures"]);
    expect(processor.inputs.environment.variables.LAKE_BUCKET).toBe(bucket.state.bucket);
  });

  test("wires raw/ objects to ingest and ingest to the ingest topic", () => {
    const ingest = run().one(FUNCTION, "datalake-ingest");
    const topic = run().one("aws:sns/topic:Topic", "datalake-ingest");
    const notification = run().one("aws:s3/bucketNotification:BucketNotification");
    expect(notification.inputs.lambdaFunctions).toEqual([
      { lambdaFunctionArn: ingest.state.arn, events: ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"], filterPrefix: "raw/" },
    ]);
    expect(ingest.inputs.environment.variables.INGEST_TOPIC_ARN).toBe(topic.state.arn);
  });

  test("gives every function its own role, never CallbackFunction's default", () => {
    const roles = run().all("aws:iam/role:Role");
    const functions = run().all(FUNCTION);
    expect(functions).toHaveLength(3);
    const roleArns = functions.map((fn) => fn.inputs.role);
    expect(new Set(roleArns).size).toBe(functions.length);
    for (const arn of roleArns) expect(roles.map((role) => role.state.arn)).toContain(arn);
    const attached = run().all("aws:iam/rolePolicyAttachment:RolePolicyAttachment").map((attachment) => attachment.inputs.policyArn);
    expect(attached.every((arn: string) => arn.endsWith("service-role/AWSLambdaVPCAccessExecutionRole"))).toBe(true);
  });

  test("has a dead-letter alarm that tells the alerts topic", () => {
    const alarm = run().one("aws:cloudwatch/metricAlarm:MetricAlarm", "datalake-dlq-not-empty");
    const alerts = run().one("aws:sns/topic:Topic", "datalake-alerts");
    const dlq = run().one("aws:sqs/queue:Queue", "datalake-processing-dlq");
    expect(alarm.inputs.alarmActions).toEqual([alerts.state.arn]);
    expect(alarm.inputs.dimensions).toEqual({ QueueName: dlq.state.name });
  });
});

describe("dev and prod differ where their config says", () => {
  test("availability zones and NAT strategy", () => {
    expect(runs.dev!.one("awsx:ec2:Vpc").inputs).toMatchObject({ numberOfAvailabilityZones: 2, natGateways: { strategy: "Single" } });
    expect(runs.prod!.one("awsx:ec2:Vpc").inputs).toMatchObject({ numberOfAvailabilityZones: 3, natGateways: { strategy: "OnePerAz" } });
  });

  test("bucket force-destroy: dev may, prod never", () => {
    expect(runs.dev!.one("aws:s3/bucket:Bucket", "datalake-lake").inputs.forceDestroy).toBe(true);
    expect(runs.prod!.one("aws:s3/bucket:Bucket", "datalake-lake").inputs.forceDestroy).toBe(false);
  });

  test("alert email subscriptions exist only where configured", () => {
    const emails = (run: ProgramRun) => run.all("aws:sns/topicSubscription:TopicSubscription").filter((sub) => sub.inputs.protocol === "email");
    expect(emails(runs.dev!)).toHaveLength(0);
    expect(emails(runs.prod!).map((sub) => sub.inputs.endpoint)).toEqual(["data-oncall@example.com"]);
  });

  test("log retention and processor sizing", () => {
    const retention = (run: ProgramRun) => run.all("aws:cloudwatch/logGroup:LogGroup").map((group) => group.inputs.retentionInDays);
    expect(new Set(retention(runs.dev!))).toEqual(new Set([14]));
    expect(new Set(retention(runs.prod!))).toEqual(new Set([365]));
    expect(runs.dev!.one(FUNCTION, "datalake-processor").inputs.memorySize).toBe(1024);
    expect(runs.prod!.one(FUNCTION, "datalake-processor").inputs.memorySize).toBe(2048);
  });
});
