/**
 * The datalake program: reads the stack's settings once and composes the six layers, each taking
 * what the previous ones export. Stack outputs are what a user or CI needs to use the lake.
 */
import * as pulumi from "@pulumi/pulumi";
import { loadSettings } from "./config";
import { Network } from "./network";
import { Storage } from "./storage";
import { Messaging } from "./messaging";
import { Compute } from "./compute";
import { Analytics } from "./analytics";
import { Observability } from "./observability";
import { HeavyConversion } from "./heavy";

const settings = loadSettings();
const name = "datalake";

const network = new Network(name, { settings: settings.network, stack: settings.stack, logRetentionDays: settings.logRetentionDays });
const storage = new Storage(name, { settings: settings.storage });
const messaging = new Messaging(name, { settings: settings.messaging, kmsKeyArn: storage.kmsKeyArn });
const heavy = new HeavyConversion(name, {
  settings: settings.glue,
  stack: settings.stack,
  logRetentionDays: settings.logRetentionDays,
  lakeBucketName: storage.lakeBucketName,
  lakeBucketArn: storage.lakeBucketArn,
  kmsKeyArn: storage.kmsKeyArn,
  privateSubnetIds: network.privateSubnetIds,
  availabilityZones: settings.network.availabilityZones,
  glueSecurityGroupId: network.glueSecurityGroupId,
  processingQueueUrl: messaging.processingQueueUrl,
  processingQueueArn: messaging.processingQueueArn,
  alertsTopicArn: messaging.alertsTopicArn,
});
const compute = new Compute(name, {
  settings: settings.compute,
  logRetentionDays: settings.logRetentionDays,
  privateSubnetIds: network.privateSubnetIds,
  lambdaSecurityGroupId: network.lambdaSecurityGroupId,
  kmsKeyArn: storage.kmsKeyArn,
  lakeBucketName: storage.lakeBucketName,
  lakeBucketArn: storage.lakeBucketArn,
  ingestTopicArn: messaging.ingestTopicArn,
  ingestFailuresQueueArn: messaging.ingestFailuresQueueArn,
  processingQueueArn: messaging.processingQueueArn,
  pipelineEventsTopicArn: messaging.pipelineEventsTopicArn,
  heavy: { jobName: heavy.jobName, thresholdBytes: settings.glue.heavyObjectThresholdBytes },
});
const analytics = new Analytics(name, {
  settings: settings.analytics,
  stack: settings.stack,
  logRetentionDays: settings.logRetentionDays,
  lakeBucketName: storage.lakeBucketName,
  lakeBucketArn: storage.lakeBucketArn,
  resultsBucketName: storage.resultsBucketName,
  resultsBucketArn: storage.resultsBucketArn,
  kmsKeyArn: storage.kmsKeyArn,
  privateSubnetIds: network.privateSubnetIds,
  lambdaSecurityGroupId: network.lambdaSecurityGroupId,
});
const observability = new Observability(name, {
  stack: settings.stack,
  settings: settings.observability,
  alertsTopicArn: messaging.alertsTopicArn,
  functions: {
    ingest: { functionName: compute.ingestFunctionName, logGroupName: compute.ingestLogGroupName, timeoutSeconds: settings.compute.ingest.timeoutSeconds },
    processor: { functionName: compute.processorFunctionName, logGroupName: compute.processorLogGroupName, timeoutSeconds: settings.compute.processor.timeoutSeconds },
    curated: { functionName: analytics.curatedJobFunctionName, logGroupName: analytics.curatedJobLogGroupName, timeoutSeconds: settings.analytics.curatedJob.timeoutSeconds },
  },
  processingQueueName: messaging.processingQueueName,
  deadLetterQueueName: messaging.deadLetterQueueName,
  ingestFailuresQueueName: messaging.ingestFailuresQueueName,
  curatedFailureQueueName: analytics.curatedJobFailureQueueName,
  curatedScheduleRuleName: analytics.curatedScheduleRuleName,
  workgroupName: analytics.workgroupName,
  heavy: { failureQueueName: heavy.failureQueueName, runsRuleName: heavy.runsRuleName, failuresRuleName: heavy.failuresRuleName },
});

export const environment = settings.environment;
export const vpcId = network.vpcId;
export const vpcCidr = network.vpcCidr;
export const publicSubnetIds = network.publicSubnetIds;
export const privateSubnetIds = network.privateSubnetIds;
export const dataSubnetIds = network.dataSubnetIds;
export const lambdaSecurityGroupId = network.lambdaSecurityGroupId;
export const vpcEndpointIds = network.endpointIds;
export const flowLogGroupName = network.flowLogGroupName;
export const lakeBucketName = storage.lakeBucketName;
export const lakeBucketArn = storage.lakeBucketArn;
export const athenaResultsBucketName = storage.resultsBucketName;
export const athenaResultsBucketArn = storage.resultsBucketArn;
export const accessLogBucketName = storage.accessLogBucketName;
export const accessLogBucketArn = storage.accessLogBucketArn;
export const kmsKeyArn = storage.kmsKeyArn;
export const kmsKeyId = storage.kmsKeyId;
export const kmsKeyAlias = storage.kmsKeyAliasName;
export const zonePrefixes = storage.zones;
export const ingestTopicArn = messaging.ingestTopicArn;
export const processingQueueUrl = messaging.processingQueueUrl;
export const deadLetterQueueUrl = messaging.deadLetterQueueUrl;
export const ingestFailuresQueueUrl = messaging.ingestFailuresQueueUrl;
export const alertsTopicArn = messaging.alertsTopicArn;
export const pipelineEventsTopicArn = messaging.pipelineEventsTopicArn;
export const ingestFunctionName = compute.ingestFunctionName;
export const processorFunctionName = compute.processorFunctionName;
export const glueDatabaseName = analytics.glueDatabaseName;
export const athenaWorkgroupName = analytics.workgroupName;
export const curatedJobFunctionName = analytics.curatedJobFunctionName;
export const curatedJobFailureQueueName = analytics.curatedJobFailureQueueName;
export const curatedScheduleRuleName = analytics.curatedScheduleRuleName;
export const glueJobName = heavy.jobName;
export const glueFailureQueueName = heavy.failureQueueName;
export const dashboardName = observability.dashboardName;
export const pipelineUnhealthyAlarmArn = observability.pipelineUnhealthyAlarmArn;
export const rawPrefix = pulumi.output(storage.zones.raw);
