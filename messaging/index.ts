/**
 * Messaging layer: the ingest topic fans out to the processing queue (raw delivery, filtered to
 * known datasets); messages that fail `maxReceiveCount` times go to a dead-letter queue; failed
 * asynchronous invocations of the ingest function go to their own queue; alarms go to the alerts
 * topic; the processor's completion events go to the pipeline-events topic and its subscribers.
 * Every topic and queue is encrypted with the lake's customer-managed key and refuses requests
 * without TLS.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import type { MessagingSettings, PipelineEventSubscriber } from "../config";
import { SQS_MAX_RETENTION_DAYS } from "./limits";
import { AwsContext, awsContext } from "../iam/context";
import type { PolicyDocument } from "../iam/documents";
import { DATASET_NAMES } from "../handlers/datasets";
import { namedResourceOutputs, queueOutputs, type QueueOutputs, type TopicOutputs } from "../components/outputs";
import { accountOnlyTopicPolicy, alertsTopicPolicy, datasetFilterPolicy, queueFromTopicPolicy, tlsOnlyQueuePolicy } from "./policies";

export interface MessagingArgs {
  readonly settings: MessagingSettings;
  /** The lake key: SQS cannot take messages from SNS under the AWS-managed key. */
  readonly kmsKeyArn: pulumi.Input<string>;
}

/** What messaging builds, as compute, observability and operators take it. */
export interface MessagingOutputs {
  /** Ingest publishes one message per raw object here. */
  readonly ingestTopic: TopicOutputs;
  readonly processingQueue: QueueOutputs;
  readonly deadLetterQueue: QueueOutputs;
  /** The ingest function's on-failure destination for asynchronous (S3) invocations. */
  readonly ingestFailuresQueue: QueueOutputs;
  readonly alertsTopic: TopicOutputs;
  /** Where the processor publishes one completion event per processed object. */
  readonly pipelineEventsTopic: TopicOutputs;
}

/**
 * Failure queues of asynchronous invocations (ingest's and the curated job's destinations) keep a
 * message as long as SQS allows (14 days), for investigation and replay: their sources are Lambda's
 * event queue, whose events are at most 6 hours old.
 */
export const FAILURE_QUEUE_RETENTION_SECONDS = SQS_MAX_RETENTION_DAYS * 86_400;
/** Long polling: fewer empty receives, lower cost. */
export const RECEIVE_WAIT_SECONDS = 20;

/**
 * Queue subscribers get the event itself as the body; email and HTTPS subscribers get SNS's
 * signed envelope (HTTPS endpoints can verify the signature, and must answer its confirmation).
 *
 * @example
 * ```ts
 * deliversRaw({ protocol: "sqs", endpoint: "arn:aws:sqs:eu-west-1:123456789012:lake-events" }); // true
 * ```
 */
export function deliversRaw(subscriber: PipelineEventSubscriber): boolean {
  return subscriber.protocol === "sqs";
}

/** The outputs are the component's fields: declared once, in `MessagingOutputs`. */
export interface Messaging extends MessagingOutputs {}

export class Messaging extends pulumi.ComponentResource {
  constructor(name: string, args: MessagingArgs, opts?: pulumi.ComponentResourceOptions) {
    super("datalake:messaging:Messaging", name, {}, opts);
    const { settings, kmsKeyArn } = args;
    const context = awsContext(this);

    const topic = (topicName: string, policy: (topicArn: string, ctx: AwsContext) => PolicyDocument) => {
      const created = new aws.sns.Topic(`${name}-${topicName}`, { kmsMasterKeyId: kmsKeyArn }, { parent: this });
      new aws.sns.TopicPolicy(
        `${name}-${topicName}-policy`,
        { arn: created.arn, policy: pulumi.all([created.arn, context]).apply(([topicArn, ctx]) => JSON.stringify(policy(topicArn, ctx))) },
        { parent: this },
      );
      return created;
    };
    const accountOnly = (topicArn: string, ctx: AwsContext) =>
      accountOnlyTopicPolicy({ topicArn, accountId: ctx.accountId, partition: ctx.partition });

    const tlsOnlyQueue = (queueName: string, queueArgs: aws.sqs.QueueArgs) => {
      const queue = new aws.sqs.Queue(`${name}-${queueName}`, { kmsMasterKeyId: kmsKeyArn, ...queueArgs }, { parent: this });
      new aws.sqs.QueuePolicy(
        `${name}-${queueName}-policy`,
        { queueUrl: queue.url, policy: queue.arn.apply((queueArn) => JSON.stringify(tlsOnlyQueuePolicy(queueArn))) },
        { parent: this },
      );
      return queue;
    };

    // Ingest topic → processing queue, failures → dead-letter queue.
    const ingest = topic("ingest", accountOnly);
    const deadLetterQueue = tlsOnlyQueue("processing-dlq", { messageRetentionSeconds: settings.deadLetterRetentionSeconds });
    const processingQueue = new aws.sqs.Queue(
      `${name}-processing`,
      {
        kmsMasterKeyId: kmsKeyArn,
        receiveWaitTimeSeconds: RECEIVE_WAIT_SECONDS,
        visibilityTimeoutSeconds: settings.queueVisibilityTimeoutSeconds,
        messageRetentionSeconds: settings.queueRetentionSeconds,
        redrivePolicy: deadLetterQueue.arn.apply((deadLetterTargetArn) =>
          JSON.stringify({ deadLetterTargetArn, maxReceiveCount: settings.maxReceiveCount }),
        ),
      },
      { parent: this },
    );
    new aws.sqs.RedriveAllowPolicy(
      `${name}-processing-dlq-allow`,
      {
        queueUrl: deadLetterQueue.url,
        redriveAllowPolicy: processingQueue.arn.apply((arn) =>
          JSON.stringify({ redrivePermission: "byQueue", sourceQueueArns: [arn] }),
        ),
      },
      { parent: this },
    );
    const queuePolicy = new aws.sqs.QueuePolicy(
      `${name}-processing-policy`,
      {
        queueUrl: processingQueue.url,
        policy: pulumi
          .all([processingQueue.arn, ingest.arn])
          .apply(([queueArn, topicArn]) => JSON.stringify(queueFromTopicPolicy({ queueArn, topicArn }))),
      },
      { parent: this },
    );
    new aws.sns.TopicSubscription(
      `${name}-ingest-to-processing`,
      {
        topic: ingest.arn,
        protocol: "sqs",
        endpoint: processingQueue.arn,
        rawMessageDelivery: true,
        filterPolicyScope: "MessageAttributes",
        filterPolicy: JSON.stringify(datasetFilterPolicy(DATASET_NAMES)),
      },
      // Without the queue policy in place SNS's first deliveries would be refused.
      { parent: this, dependsOn: [queuePolicy] },
    );

    // S3 invokes ingest asynchronously: events Lambda gives up on land here, not nowhere.
    const ingestFailuresQueue = tlsOnlyQueue("ingest-failures", { messageRetentionSeconds: FAILURE_QUEUE_RETENTION_SECONDS });

    // Alerts: CloudWatch alarms publish; people subscribe by email.
    const alerts = topic("alerts", (topicArn, ctx) =>
      alertsTopicPolicy({ topicArn, accountId: ctx.accountId, partition: ctx.partition, region: ctx.region }),
    );
    settings.alertEmails.forEach((email, index) => {
      new aws.sns.TopicSubscription(
        `${name}-alerts-email-${index}`,
        { topic: alerts.arn, protocol: "email", endpoint: email },
        { parent: this },
      );
    });

    // Pipeline events: the processor's "processing complete" notifications.
    const pipelineEvents = topic("pipeline-events", accountOnly);
    settings.pipelineEventSubscribers.forEach((subscriber, index) => {
      new aws.sns.TopicSubscription(
        `${name}-pipeline-events-${subscriber.protocol}-${index}`,
        {
          topic: pipelineEvents.arn,
          protocol: subscriber.protocol,
          endpoint: subscriber.endpoint,
          rawMessageDelivery: deliversRaw(subscriber),
        },
        { parent: this },
      );
    });

    const outputs: MessagingOutputs = {
      ingestTopic: namedResourceOutputs(ingest),
      processingQueue: queueOutputs(processingQueue),
      deadLetterQueue: queueOutputs(deadLetterQueue),
      ingestFailuresQueue: queueOutputs(ingestFailuresQueue),
      alertsTopic: namedResourceOutputs(alerts),
      pipelineEventsTopic: namedResourceOutputs(pipelineEvents),
    };
    Object.assign(this, outputs);
    this.registerOutputs(outputs);
  }
}
