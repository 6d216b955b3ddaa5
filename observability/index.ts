/**
 * Observability layer: alarms that reach the alerts topic, and the pipeline's dashboard.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";

export interface ObservabilityArgs {
  readonly stack: string;
  readonly alertsTopicArn: pulumi.Input<string>;
  readonly deadLetterQueueName: pulumi.Input<string>;
  readonly processingQueueName: pulumi.Input<string>;
  readonly ingestFunctionName: pulumi.Input<string>;
  readonly processorFunctionName: pulumi.Input<string>;
}

export interface ObservabilityOutputs {
  readonly dashboardName: pulumi.Output<string>;
  readonly alarmArns: pulumi.Output<string>[];
}

/** The dashboard's widgets for the pipeline, as CloudWatch's dashboard body; pure for tests. */
export function dashboardBody(args: {
  region: string;
  ingestFunctionName: string;
  processorFunctionName: string;
  processingQueueName: string;
  deadLetterQueueName: string;
}): object {
  const lambdaWidget = (title: string, metric: string, stat: string, x: number, y: number) => ({
    type: "metric",
    x,
    y,
    width: 12,
    height: 6,
    properties: {
      title,
      region: args.region,
      stat,
      period: 300,
      metrics: [
        ["AWS/Lambda", metric, "FunctionName", args.ingestFunctionName],
        ["AWS/Lambda", metric, "FunctionName", args.processorFunctionName],
      ],
    },
  });
  return {
    widgets: [
      lambdaWidget("Invocations", "Invocations", "Sum", 0, 0),
      lambdaWidget("Errors", "Errors", "Sum", 12, 0),
      {
        type: "metric",
        x: 0,
        y: 6,
        width: 24,
        height: 6,
        properties: {
          title: "Queues: visible messages",
          region: args.region,
          stat: "Maximum",
          period: 300,
          metrics: [
            ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", args.processingQueueName],
            ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", args.deadLetterQueueName],
          ],
        },
      },
    ],
  };
}

export class Observability extends pulumi.ComponentResource implements ObservabilityOutputs {
  readonly dashboardName: pulumi.Output<string>;
  readonly alarmArns: pulumi.Output<string>[];

  constructor(name: string, args: ObservabilityArgs, opts?: pulumi.ComponentResourceOptions) {
    super("datalake:observability:Observability", name, {}, opts);

    // Any message in the DLQ is data the pipeline could not process: alert at once.
    const deadLetters = new aws.cloudwatch.MetricAlarm(
      `${name}-dlq-not-empty`,
      {
        alarmDescription:
          "Messages are waiting in the processing dead-letter queue. Runbook: README.md#dead-letter-queue-not-empty",
        namespace: "AWS/SQS",
        metricName: "ApproximateNumberOfMessagesVisible",
        dimensions: { QueueName: args.deadLetterQueueName },
        statistic: "Maximum",
        period: 300,
        evaluationPeriods: 1,
        threshold: 0,
        comparisonOperator: "GreaterThanThreshold",
        treatMissingData: "notBreaching",
        alarmActions: [args.alertsTopicArn],
        okActions: [args.alertsTopicArn],
      },
      { parent: this },
    );

    const region = aws.getRegionOutput({}, { parent: this }).region;
    const dashboard = new aws.cloudwatch.Dashboard(
      `${name}-dashboard`,
      {
        dashboardName: `datalake-${args.stack}`,
        dashboardBody: pulumi
          .all([region, args.ingestFunctionName, args.processorFunctionName, args.processingQueueName, args.deadLetterQueueName])
          .apply(([regionName, ingestFunctionName, processorFunctionName, processingQueueName, deadLetterQueueName]) =>
            JSON.stringify(
              dashboardBody({ region: regionName, ingestFunctionName, processorFunctionName, processingQueueName, deadLetterQueueName }),
            ),
          ),
      },
      { parent: this },
    );

    this.dashboardName = dashboard.dashboardName;
    this.alarmArns = [deadLetters.arn];
    this.registerOutputs({ dashboardName: this.dashboardName });
  }
}
