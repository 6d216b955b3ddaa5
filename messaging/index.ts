/**
 * Messaging layer: the ingest topic fans out to the processing queue (raw delivery, filtered to
 * known datasets); failed messages go to a dead-letter queue; alarms go to the alerts topic.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import type { MessagingSettings } from "../config";
import { awsContext } from "../iam/context";
import { DATASET_NAMES } from "../handlers/datasets";
import { accountOnlyTopicPolicy, datasetFilterPolicy, queueFromTopicPolicy } from "./policies";

export interface MessagingArgs {
  readonly settings: MessagingSettings;
  /** The lake key: SQS cannot take messages from SNS under the AWS-managed key. */
  readonly kmsKeyArn: pulumi.Input<string>;
}

/** What compute and observability take from messaging. */
export interface MessagingOutputs {
  readonly ingestTopicArn: pulumi.Output<string>;
  readonly processingQueueArn: pulumi.Output<string>;
  readonly processingQueueUrl: pulumi.Output<string>;
  readonly processingQueueName: pulumi.Output<string>;
  readonly deadLetterQueueArn: pulumi.Output<string>;
  readonly deadLetterQueueUrl: pulumi.Output<string>;
  readonly deadLetterQueueName: pulumi.Output<string>;
  readonly alertsTopicArn: pulumi.Output<string>;
}

/** Dead-letter queues keep messages as long as SQS allows, for investigation and redrive. */
export const DEAD_LETTER_RETENTION_SECONDS = 14 * 86_400;
/** Long polling: fewer empty receives, lower cost. */
export const RECEIVE_WAIT_SECONDS = 20;

export class Messaging extends pulumi.ComponentResource implements MessagingOutputs {
  readonly ingestTopicArn: pulumi.Output<string>;
  readonly processingQueueArn: pulumi.Output<string>;
  readonly processingQueueUrl: pulumi.Output<string>;
  readonly processingQueueName: pulumi.Output<string>;
  readonly deadLetterQueueArn: pulumi.Output<string>;
  readonly deadLetterQueueUrl: pulumi.Output<string>;
  readonly deadLetterQueueName: pulumi.Output<string>;
  readonly alertsTopicArn: pulumi.Output<string>;

  constructor(name: string, args: MessagingArgs, opts?: pulumi.ComponentResourceOptions) {
    super("datalake:messaging:Messaging", name, {}, opts);
    const { settings, kmsKeyArn } = args;
    const context = awsContext(this);

    const ingestTopic = new aws.sns.Topic(`${name}-ingest`, { kmsMasterKeyId: kmsKeyArn }, { parent: this });
    new aws.sns.TopicPolicy(
      `${name}-ingest-policy`,
      {
        arn: ingestTopic.arn,
        policy: pulumi.all([ingestTopic.arn, context]).apply(([topicArn, ctx]) =>
          JSON.stringify(accountOnlyTopicPolicy({ topicArn, accountId: ctx.accountId, partition: ctx.partition })),
        ),
      },
      { parent: this },
    );

    const deadLetterQueue = new aws.sqs.Queue(
      `${name}-processing-dlq`,
      { kmsMasterKeyId: kmsKeyArn, messageRetentionSeconds: DEAD_LETTER_RETENTION_SECONDS },
      { parent: this },
    );
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
          .all([processingQueue.arn, ingestTopic.arn])
          .apply(([queueArn, topicArn]) => JSON.stringify(queueFromTopicPolicy({ queueArn, topicArn }))),
      },
      { parent: this },
    );
    new aws.sns.TopicSubscription(
      `${name}-ingest-to-processing`,
      {
        topic: ingestTopic.arn,
        protocol: "sqs",
        endpoint: processingQueue.arn,
        rawMessageDelivery: true,
        filterPolicyScope: "MessageAttributes",
        filterPolicy: JSON.stringify(datasetFilterPolicy(DATASET_NAMES)),
      },
      { parent: this, dependsOn: [queuePolicy] },
    );

    const alertsTopic = new aws.sns.Topic(`${name}-alerts`, { kmsMasterKeyId: kmsKeyArn }, { parent: this });
    settings.alertEmails.forEach((email, index) => {
      new aws.sns.TopicSubscription(`${name}-alerts-email-${index}`, { topic: alertsTopic.arn, protocol: "email", endpoint: email }, { parent: this });
    });

    this.ingestTopicArn = ingestTopic.arn;
    this.processingQueueArn = processingQueue.arn;
    this.processingQueueUrl = processingQueue.url;
    this.processingQueueName = processingQueue.name;
    this.deadLetterQueueArn = deadLetterQueue.arn;
    this.deadLetterQueueUrl = deadLetterQueue.url;
    this.deadLetterQueueName = deadLetterQueue.name;
    this.alertsTopicArn = alertsTopic.arn;

    this.registerOutputs({
      ingestTopicArn: this.ingestTopicArn,
      processingQueueUrl: this.processingQueueUrl,
      deadLetterQueueUrl: this.deadLetterQueueUrl,
      alertsTopicArn: this.alertsTopicArn,
    });
  }
}
