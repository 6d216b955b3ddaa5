/**
 * The datalake program: reads the stack's settings once and composes the seven layers, each taking
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
import { DATASETS, registryProblems } from "./handlers/datasets";
import { HeavyConversion } from "./heavy";

const settings = loadSettings();
const registry = registryProblems(DATASETS);
if (registry.length > 0) throw new pulumi.RunError(`Invalid dataset registry (handlers/datasets.ts):\n  - ${registry.join("\n  - ")}`);
const name = "datalake";

const network = new Network(name, { settings: settings.network, stack: settings.stack, logRetentionDays: settings.logRetentionDays });
const storage = new Storage(name, { settings: settings.storage });
const messaging = new Messaging(name, { settings: settings.messaging, kmsKeyArn: storage.kmsKey.arn });
const heavy = new HeavyConversion(name, {
  settings: settings.glue,
  stack: settings.stack,
  logRetentionDays: settings.logRetentionDays,
  lakeBucketName: storage.lakeBucket.name,
  lakeBucketArn: storage.lakeBucket.arn,
  kmsKeyArn: storage.kmsKey.arn,
  privateSubnetIds: network.subnetIds.private,
  availabilityZones: settings.network.availabilityZones,
  glueSecurityGroupId: network.glueSecurityGroupId,
  processingQueueUrl: messaging.processingQueue.url,
  processingQueueArn: messaging.processingQueue.arn,
  alertsTopicArn: messaging.alertsTopic.arn,
  runbookUrl: settings.observability.runbookUrl,
  conversionLimits: { maxRecordBytes: settings.compute.processor.maxRecordBytes, partitionYears: settings.compute.processor.partitionYears },
});
const compute = new Compute(name, {
  settings: settings.compute,
  logRetentionDays: settings.logRetentionDays,
  privateSubnetIds: network.subnetIds.private,
  lambdaSecurityGroupId: network.lambdaSecurityGroupId,
  kmsKeyArn: storage.kmsKey.arn,
  lakeBucketName: storage.lakeBucket.name,
  lakeBucketArn: storage.lakeBucket.arn,
  ingestTopicArn: messaging.ingestTopic.arn,
  ingestFailuresQueueArn: messaging.ingestFailuresQueue.arn,
  processingQueueArn: messaging.processingQueue.arn,
  pipelineEventsTopicArn: messaging.pipelineEventsTopic.arn,
  heavy: { jobName: heavy.job.name, jobArn: heavy.job.arn, thresholdBytes: settings.glue.heavyObjectThresholdBytes },
});
const analytics = new Analytics(name, {
  settings: settings.analytics,
  stack: settings.stack,
  logRetentionDays: settings.logRetentionDays,
  lakeBucketName: storage.lakeBucket.name,
  lakeBucketArn: storage.lakeBucket.arn,
  resultsBucketName: storage.resultsBucket.name,
  resultsBucketArn: storage.resultsBucket.arn,
  kmsKeyArn: storage.kmsKey.arn,
  privateSubnetIds: network.subnetIds.private,
  lambdaSecurityGroupId: network.lambdaSecurityGroupId,
});
const observability = new Observability(name, {
  stack: settings.stack,
  settings: settings.observability,
  alertsTopicArn: messaging.alertsTopic.arn,
  functions: {
    ingest: { functionName: compute.ingest.name, logGroupName: compute.ingest.logGroupName, timeoutSeconds: settings.compute.ingest.timeoutSeconds },
    processor: { functionName: compute.processor.name, logGroupName: compute.processor.logGroupName, timeoutSeconds: settings.compute.processor.timeoutSeconds },
    curated: { functionName: analytics.curatedJob.name, logGroupName: analytics.curatedJob.logGroupName, timeoutSeconds: settings.analytics.curatedJob.timeoutSeconds },
  },
  processingQueueName: messaging.processingQueue.name,
  deadLetterQueueName: messaging.deadLetterQueue.name,
  ingestFailuresQueueName: messaging.ingestFailuresQueue.name,
  curatedFailureQueueName: analytics.curatedJob.failureQueue.name,
  curatedScheduleRuleName: analytics.curatedJob.scheduleRuleName,
  workgroupName: analytics.workgroup.name,
  heavy: { failureQueueName: heavy.failureQueue.name, runsRuleName: heavy.runsRule.name, failuresRuleName: heavy.failuresRule.name },
});

// Stack outputs: flat names that the README, the runbook, automation/ and CI rely on.
export const environment = settings.environment;
export const vpcId = network.vpc.id;
export const vpcCidr = network.vpc.cidr;
export const publicSubnetIds = network.subnetIds.public;
export const privateSubnetIds = network.subnetIds.private;
export const dataSubnetIds = network.subnetIds.data;
export const lambdaSecurityGroupId = network.lambdaSecurityGroupId;
export const vpcEndpointIds = network.endpointIds;
export const flowLogGroupName = network.flowLogGroupName;
export const lakeBucketName = storage.lakeBucket.name;
export const lakeBucketArn = storage.lakeBucket.arn;
export const athenaResultsBucketName = storage.resultsBucket.name;
export const athenaResultsBucketArn = storage.resultsBucket.arn;
export const accessLogBucketName = storage.accessLogBucket.name;
export const accessLogBucketArn = storage.accessLogBucket.arn;
export const kmsKeyArn = storage.kmsKey.arn;
export const kmsKeyId = storage.kmsKey.id;
export const kmsKeyAlias = storage.kmsKey.aliasName;
export const zonePrefixes = storage.zones;
export const ingestTopicArn = messaging.ingestTopic.arn;
export const processingQueueUrl = messaging.processingQueue.url;
export const deadLetterQueueUrl = messaging.deadLetterQueue.url;
export const deadLetterQueueArn = messaging.deadLetterQueue.arn;
export const ingestFailuresQueueUrl = messaging.ingestFailuresQueue.url;
export const alertsTopicArn = messaging.alertsTopic.arn;
export const pipelineEventsTopicArn = messaging.pipelineEventsTopic.arn;
export const ingestFunctionName = compute.ingest.name;
export const processorFunctionName = compute.processor.name;
export const glueDatabaseName = analytics.glueDatabase.name;
export const athenaWorkgroupName = analytics.workgroup.name;
export const curatedJobFunctionName = analytics.curatedJob.name;
export const curatedJobFailureQueueName = analytics.curatedJob.failureQueue.name;
export const curatedJobFailureQueueUrl = analytics.curatedJob.failureQueue.url;
export const curatedScheduleRuleName = analytics.curatedJob.scheduleRuleName;
export const glueJobName = heavy.job.name;
export const glueJobFailureQueueName = heavy.failureQueue.name;
export const glueJobFailureQueueUrl = heavy.failureQueue.url;
export const smokeTestPolicyArn = analytics.smokeTestPolicy.arn;
export const dashboardName = observability.dashboard.name;
export const pipelineUnhealthyAlarmArn = observability.alarms.pipelineUnhealthyArn;
export const rawPrefix = pulumi.output(storage.zones.raw);
