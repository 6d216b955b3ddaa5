/**
 * Creates the data plane a stack declares (KMS keys, buckets and their settings, queues with their
 * attributes and redrive policies, topics and their policies, subscriptions with raw delivery and
 * filter policies, the bucket notification) in a local AWS endpoint, from the resources the program
 * registered under mocks: the tests exercise the configuration the program declares, not a copy.
 *
 * Lambda cannot run in the emulator, so the bucket notification that targets the ingest function is
 * routed to a tap queue, from which the local event sources drive the function.
 */
import { CreateKeyCommand, KMSClient } from "@aws-sdk/client-kms";
import {
  CreateBucketCommand,
  PutBucketEncryptionCommand,
  PutBucketNotificationConfigurationCommand,
  PutBucketPolicyCommand,
  PutBucketVersioningCommand,
  PutPublicAccessBlockCommand,
  S3Client,
  type BucketLocationConstraint,
} from "@aws-sdk/client-s3";
import { CreateTopicCommand, SNSClient, SetTopicAttributesCommand, SubscribeCommand } from "@aws-sdk/client-sns";
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient, SetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import type { ProgramRun } from "./program";
import type { RecordedResource } from "./mocks";
import { clientConfig, type AwsEndpoint } from "./emulator";

/** Declared identifiers (mock ARNs, URLs, names) → the emulator's, applied to every string value. */
export class Substitutions {
  private readonly pairs = new Map<string, string>();

  add(declared: string, actual: string): void {
    if (declared && declared !== actual) this.pairs.set(declared, actual);
  }

  apply(text: string): string {
    let result = text;
    // Longest first, so that an ARN is replaced before a name it contains.
    for (const [declared, actual] of [...this.pairs].sort((a, b) => b[0].length - a[0].length)) {
      result = result.split(declared).join(actual);
    }
    return result;
  }

  applyDeep<T>(value: T): T {
    if (typeof value === "string") return this.apply(value) as T;
    if (Array.isArray(value)) return value.map((item) => this.applyDeep(item)) as T;
    if (value && typeof value === "object") {
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, this.applyDeep(item)])) as T;
    }
    return value;
  }
}

export interface ProvisionedQueue {
  readonly declaredName: string;
  readonly url: string;
  readonly arn: string;
  readonly attributes: Readonly<Record<string, string>>;
}

export interface DataPlane {
  readonly substitutions: Substitutions;
  /** Bucket names by the declaring resource's name (e.g. `datalake-lake`). */
  readonly buckets: Readonly<Record<string, string>>;
  readonly queues: Readonly<Record<string, ProvisionedQueue>>;
  readonly topics: Readonly<Record<string, string>>;
  /** Queue that receives the notifications declared for Lambda functions, keyed by function ARN as declared. */
  readonly notificationTaps: Readonly<Record<string, ProvisionedQueue>>;
  /** Declared settings the endpoint could not take, each with the reason. */
  readonly skipped: readonly string[];
  /** The environment a declared function gets, with identifiers substituted. */
  functionEnvironment(fn: RecordedResource): Record<string, string>;
}

const QUEUE_ATTRIBUTES: ReadonlyArray<readonly [input: string, attribute: string]> = [
  ["visibilityTimeoutSeconds", "VisibilityTimeout"],
  ["messageRetentionSeconds", "MessageRetentionPeriod"],
  ["receiveWaitTimeSeconds", "ReceiveMessageWaitTimeSeconds"],
  ["delaySeconds", "DelaySeconds"],
  ["maxMessageSize", "MaximumMessageSize"],
  ["kmsMasterKeyId", "KmsMasterKeyId"],
  ["kmsDataKeyReusePeriodSeconds", "KmsDataKeyReusePeriodSeconds"],
];

/** Finds the resource whose declared id/ARN/URL/bucket a child resource points at. */
export function ownerOf(resources: readonly RecordedResource[], reference: string): RecordedResource | undefined {
  return resources.find((resource) => [resource.id, resource.state.arn, resource.state.url, resource.state.bucket].includes(reference));
}

function hasConditionalDeny(policy: string): boolean {
  const document = JSON.parse(policy) as { Statement?: Array<{ Effect?: string; Condition?: unknown }> };
  return (document.Statement ?? []).some((statement) => statement.Effect === "Deny" && statement.Condition !== undefined);
}

export async function provisionDataPlane(run: ProgramRun, endpoint: AwsEndpoint): Promise<DataPlane> {
  const config = clientConfig(endpoint);
  const kms = new KMSClient(config);
  const s3 = new S3Client(config);
  const sqs = new SQSClient(config);
  const sns = new SNSClient(config);
  const substitutions = new Substitutions();
  const skipped: string[] = [];

  // KMS keys: the emulator chooses key ids, so every reference to the declared key is substituted.
  for (const key of run.all("aws:kms/key:Key")) {
    const created = await kms.send(new CreateKeyCommand({ Description: key.inputs.description }));
    substitutions.add(key.state.arn, created.KeyMetadata!.Arn!);
    substitutions.add(key.state.keyId, created.KeyMetadata!.KeyId!);
  }

  const buckets: Record<string, string> = {};
  for (const bucket of run.all("aws:s3/bucket:Bucket")) {
    const name: string = bucket.state.bucket;
    await s3.send(
      new CreateBucketCommand({
        Bucket: name,
        ...(endpoint.region === "us-east-1" ? {} : { CreateBucketConfiguration: { LocationConstraint: endpoint.region as BucketLocationConstraint } }),
      }),
    );
    buckets[bucket.name] = name;
  }
  const bucketOf = (reference: string): string => {
    const owner = ownerOf(run.all("aws:s3/bucket:Bucket"), reference);
    if (!owner) throw new Error(`No declared bucket for ${reference}`);
    return owner.state.bucket;
  };
  for (const versioning of run.all("aws:s3/bucketVersioning:BucketVersioning")) {
    await s3.send(
      new PutBucketVersioningCommand({ Bucket: bucketOf(versioning.inputs.bucket), VersioningConfiguration: { Status: versioning.inputs.versioningConfiguration.status } }),
    );
  }
  for (const encryption of run.all("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")) {
    const rules = substitutions.applyDeep(encryption.inputs.rules) as Array<{
      applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms" | "AES256"; kmsMasterKeyId?: string };
      bucketKeyEnabled?: boolean;
    }>;
    await s3.send(
      new PutBucketEncryptionCommand({
        Bucket: bucketOf(encryption.inputs.bucket),
        ServerSideEncryptionConfiguration: {
          Rules: rules.map((rule) => ({
            ApplyServerSideEncryptionByDefault: {
              SSEAlgorithm: rule.applyServerSideEncryptionByDefault.sseAlgorithm,
              KMSMasterKeyID: rule.applyServerSideEncryptionByDefault.kmsMasterKeyId,
            },
            BucketKeyEnabled: rule.bucketKeyEnabled,
          })),
        },
      }),
    );
  }
  for (const block of run.all("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")) {
    await s3.send(
      new PutPublicAccessBlockCommand({
        Bucket: bucketOf(block.inputs.bucket),
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: block.inputs.blockPublicAcls,
          BlockPublicPolicy: block.inputs.blockPublicPolicy,
          IgnorePublicAcls: block.inputs.ignorePublicAcls,
          RestrictPublicBuckets: block.inputs.restrictPublicBuckets,
        },
      }),
    );
  }
  for (const policy of run.all("aws:s3/bucketPolicy:BucketPolicy")) {
    const document = substitutions.apply(policy.inputs.policy);
    if (endpoint.isMoto && hasConditionalDeny(document)) {
      // moto evaluates bucket policies but ignores their conditions, so a Deny that AWS applies only
      // to non-TLS requests would refuse every request (checked with moto 5.2.1).
      skipped.push(`${policy.name}: bucket policy with conditional Deny statements (moto ignores conditions)`);
      continue;
    }
    await s3.send(new PutBucketPolicyCommand({ Bucket: bucketOf(policy.inputs.bucket), Policy: document }));
  }

  // Queues first without redrive (ARNs are deterministic from names), then redrive and policies.
  const queues: Record<string, ProvisionedQueue> = {};
  const declaredQueues = run.all("aws:sqs/queue:Queue");
  for (const queue of declaredQueues) {
    const attributes: Record<string, string> = {};
    for (const [input, attribute] of QUEUE_ATTRIBUTES) {
      if (queue.inputs[input] !== undefined) attributes[attribute] = substitutions.apply(String(queue.inputs[input]));
    }
    if (queue.inputs.fifoQueue) attributes.FifoQueue = "true";
    const created = await sqs.send(new CreateQueueCommand({ QueueName: queue.state.name, Attributes: attributes }));
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: created.QueueUrl, AttributeNames: ["QueueArn"] }));
    substitutions.add(queue.state.url, created.QueueUrl!);
    substitutions.add(queue.state.arn, Attributes!.QueueArn!);
    queues[queue.name] = { declaredName: queue.name, url: created.QueueUrl!, arn: Attributes!.QueueArn!, attributes };
  }
  for (const queue of declaredQueues) {
    if (queue.inputs.redrivePolicy === undefined) continue;
    const redrivePolicy = substitutions.apply(queue.inputs.redrivePolicy);
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl: queues[queue.name]!.url, Attributes: { RedrivePolicy: redrivePolicy } }));
    queues[queue.name] = { ...queues[queue.name]!, attributes: { ...queues[queue.name]!.attributes, RedrivePolicy: redrivePolicy } };
  }
  for (const allow of run.all("aws:sqs/redriveAllowPolicy:RedriveAllowPolicy")) {
    await sqs.send(
      new SetQueueAttributesCommand({ QueueUrl: substitutions.apply(allow.inputs.queueUrl), Attributes: { RedriveAllowPolicy: substitutions.apply(allow.inputs.redriveAllowPolicy) } }),
    );
  }
  for (const policy of run.all("aws:sqs/queuePolicy:QueuePolicy")) {
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl: substitutions.apply(policy.inputs.queueUrl), Attributes: { Policy: substitutions.apply(policy.inputs.policy) } }));
  }

  const topics: Record<string, string> = {};
  for (const topic of run.all("aws:sns/topic:Topic")) {
    const attributes: Record<string, string> = {};
    if (topic.inputs.kmsMasterKeyId) attributes.KmsMasterKeyId = substitutions.apply(topic.inputs.kmsMasterKeyId);
    if (topic.inputs.fifoTopic) attributes.FifoTopic = "true";
    const created = await sns.send(new CreateTopicCommand({ Name: topic.state.name, Attributes: attributes }));
    substitutions.add(topic.state.arn, created.TopicArn!);
    topics[topic.name] = created.TopicArn!;
  }
  for (const policy of run.all("aws:sns/topicPolicy:TopicPolicy")) {
    await sns.send(new SetTopicAttributesCommand({ TopicArn: substitutions.apply(policy.inputs.arn), AttributeName: "Policy", AttributeValue: substitutions.apply(policy.inputs.policy) }));
  }
  for (const subscription of run.all("aws:sns/topicSubscription:TopicSubscription")) {
    // Email and https endpoints cannot be reached from here; queues and topics can.
    if (!["sqs", "sns"].includes(subscription.inputs.protocol)) continue;
    const attributes: Record<string, string> = {};
    if (subscription.inputs.rawMessageDelivery !== undefined) attributes.RawMessageDelivery = String(subscription.inputs.rawMessageDelivery);
    if (subscription.inputs.filterPolicy !== undefined) attributes.FilterPolicy = subscription.inputs.filterPolicy;
    if (subscription.inputs.filterPolicyScope !== undefined) attributes.FilterPolicyScope = subscription.inputs.filterPolicyScope;
    if (subscription.inputs.redrivePolicy !== undefined) attributes.RedrivePolicy = substitutions.apply(subscription.inputs.redrivePolicy);
    await sns.send(
      new SubscribeCommand({
        TopicArn: substitutions.apply(subscription.inputs.topic),
        Protocol: subscription.inputs.protocol,
        Endpoint: substitutions.apply(subscription.inputs.endpoint),
        Attributes: attributes,
        ReturnSubscriptionArn: true,
      }),
    );
  }

  // Notifications to Lambda functions go to one tap queue per function.
  const notificationTaps: Record<string, ProvisionedQueue> = {};
  for (const notification of run.all("aws:s3/bucketNotification:BucketNotification")) {
    const targets = (notification.inputs.lambdaFunctions ?? []) as Array<{ lambdaFunctionArn: string; events: string[]; filterPrefix?: string; filterSuffix?: string }>;
    const queueConfigurations = [];
    for (const target of targets) {
      let tap = notificationTaps[target.lambdaFunctionArn];
      if (!tap) {
        const tapName = `tap-${target.lambdaFunctionArn.split(":").pop()}`;
        const created = await sqs.send(new CreateQueueCommand({ QueueName: tapName }));
        const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: created.QueueUrl, AttributeNames: ["QueueArn"] }));
        tap = { declaredName: tapName, url: created.QueueUrl!, arn: Attributes!.QueueArn!, attributes: {} };
        notificationTaps[target.lambdaFunctionArn] = tap;
      }
      const rules = [
        ...(target.filterPrefix ? [{ Name: "prefix" as const, Value: target.filterPrefix }] : []),
        ...(target.filterSuffix ? [{ Name: "suffix" as const, Value: target.filterSuffix }] : []),
      ];
      queueConfigurations.push({
        QueueArn: tap.arn,
        Events: target.events as ("s3:ObjectCreated:*")[],
        ...(rules.length > 0 ? { Filter: { Key: { FilterRules: rules } } } : {}),
      });
    }
    await s3.send(
      new PutBucketNotificationConfigurationCommand({ Bucket: bucketOf(notification.inputs.bucket), NotificationConfiguration: { QueueConfigurations: queueConfigurations } }),
    );
  }

  return {
    substitutions,
    skipped,
    buckets,
    queues,
    topics,
    notificationTaps,
    functionEnvironment(fn) {
      const declared = (fn.inputs.environment?.variables ?? {}) as Record<string, string>;
      return { ...substitutions.applyDeep(declared), ...endpoint.environment, S3_FORCE_PATH_STYLE: "true" };
    },
  };
}
