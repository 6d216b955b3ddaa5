/**
 * Observability layer: an alarm on every failure path of the pipeline (functions, queues, rejected
 * rows, the curated job, Athena spend, datasets that stop arriving), each linking to its README
 * runbook section by a full URL and sending ALARM and OK to the alerts topic; a composite "pipeline unhealthy" alarm over the critical ones; metric
 * filters counting error-level lines in every function's JSON logs; and the pipeline's dashboard.
 * The alarms are plain specs (`alarms.ts`) and the dashboard a pure body (`dashboard.ts`); this
 * component only turns them into resources.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import type { ObservabilitySettings } from "../config";
import { DATASETS, DATASET_NAMES } from "../handlers/datasets";
import {
  AlarmSpec,
  FUNCTION_KEYS,
  FunctionKey,
  MetricStat,
  PIPELINE_UNHEALTHY,
  alarmName,
  alarmSpecs,
  compositeRule,
  pipelineUnhealthyDescription,
} from "./alarms";
import { dashboardBody } from "./dashboard";
import { ERROR_LEVEL_PATTERN, errorLogLinesMetric, metricsNamespace } from "./metrics";

export { dashboardBody } from "./dashboard";

/** One function the layer watches. */
export interface ObservedFunction {
  readonly functionName: pulumi.Input<string>;
  /** Its JSON log group: the error-line metric filter reads it. */
  readonly logGroupName: pulumi.Input<string>;
  /** Its configured timeout: the duration alarm fires at a share of it. */
  readonly timeoutSeconds: number;
}

export interface ObservabilityArgs {
  readonly stack: string;
  readonly settings: ObservabilitySettings;
  readonly alertsTopicArn: pulumi.Input<string>;
  readonly functions: Readonly<Record<FunctionKey, ObservedFunction>>;
  readonly processingQueueName: pulumi.Input<string>;
  readonly deadLetterQueueName: pulumi.Input<string>;
  readonly ingestFailuresQueueName: pulumi.Input<string>;
  readonly curatedFailureQueueName: pulumi.Input<string>;
  readonly curatedScheduleRuleName: pulumi.Input<string>;
  readonly workgroupName: pulumi.Input<string>;
  /** The heavy path's failure queue and the rules matching its finished and failed runs. */
  readonly heavy: { readonly failureQueueName: pulumi.Input<string>; readonly runsRuleName: pulumi.Input<string>; readonly failuresRuleName: pulumi.Input<string> };
}

/** What observability builds, as operators take it. */
export interface ObservabilityOutputs {
  readonly dashboard: { readonly name: pulumi.Output<string> };
  readonly alarms: {
    /** Every alarm of the stack, the composite included. */
    readonly arns: pulumi.Output<string>[];
    /** The composite alarm over the critical ones. */
    readonly pipelineUnhealthyArn: pulumi.Output<string>;
  };
}

type Name = pulumi.Input<string>;

const metricArgs = (metric: MetricStat<Name>) => ({
  namespace: metric.namespace,
  metricName: metric.metricName,
  dimensions: metric.dimensions,
  period: metric.period,
  // Percentiles go in `extendedStatistic`; CloudWatch rejects them as `statistic`.
  ...(/^p\d/.test(metric.stat) ? { extendedStatistic: metric.stat } : { statistic: metric.stat }),
});

/** The outputs are the component's fields: declared once, in `ObservabilityOutputs`. */
export interface Observability extends ObservabilityOutputs {}

export class Observability extends pulumi.ComponentResource {
  constructor(name: string, args: ObservabilityArgs, opts?: pulumi.ComponentResourceOptions) {
    super("datalake:observability:Observability", name, {}, opts);
    const namespace = metricsNamespace(args.stack);
    const notify = { alarmActions: [args.alertsTopicArn], okActions: [args.alertsTopicArn] };

    // Error-level lines of each function's JSON logs become a count in the stack's namespace.
    const filters = FUNCTION_KEYS.map(
      (key) =>
        new aws.cloudwatch.LogMetricFilter(
          `${name}-${key}-error-lines`,
          {
            logGroupName: args.functions[key].logGroupName,
            pattern: ERROR_LEVEL_PATTERN,
            metricTransformation: { namespace, name: errorLogLinesMetric(key), value: "1", unit: "Count" },
          },
          { parent: this },
        ),
    );

    const specs = alarmSpecs<Name>(args.settings, {
      stack: args.stack,
      functions: {
        ingest: { functionName: args.functions.ingest.functionName, timeoutSeconds: args.functions.ingest.timeoutSeconds },
        processor: { functionName: args.functions.processor.functionName, timeoutSeconds: args.functions.processor.timeoutSeconds },
        curated: { functionName: args.functions.curated.functionName, timeoutSeconds: args.functions.curated.timeoutSeconds },
      },
      processingQueueName: args.processingQueueName,
      deadLetterQueueName: args.deadLetterQueueName,
      ingestFailuresQueueName: args.ingestFailuresQueueName,
      curatedFailureQueueName: args.curatedFailureQueueName,
      curatedScheduleRuleName: args.curatedScheduleRuleName,
      workgroupName: args.workgroupName,
      glueFailureQueueName: args.heavy.failureQueueName,
      glueFailuresRuleName: args.heavy.failuresRuleName,
      metricsNamespace: namespace,
      datasets: DATASET_NAMES,
      freshness: DATASETS.flatMap(({ name: dataset, maxSilenceHours }) => (maxSilenceHours === undefined ? [] : [{ dataset, maxSilenceHours }])),
    });
    const alarm = (spec: AlarmSpec<Name>) =>
      new aws.cloudwatch.MetricAlarm(
        `${name}-${spec.key}`,
        {
          name: spec.alarmName,
          alarmDescription: spec.description,
          comparisonOperator: spec.comparisonOperator,
          threshold: spec.threshold,
          evaluationPeriods: spec.evaluationPeriods,
          treatMissingData: spec.treatMissingData,
          ...(spec.metric ? metricArgs(spec.metric) : {}),
          ...(spec.queries
            ? {
                metricQueries: spec.queries.map((query) => ({
                  id: query.id,
                  returnData: query.returnData,
                  ...(query.label ? { label: query.label } : {}),
                  ...(query.expression ? { expression: query.expression } : {}),
                  ...(query.metric
                    ? { metric: { namespace: query.metric.namespace, metricName: query.metric.metricName, dimensions: query.metric.dimensions, period: query.metric.period, stat: query.metric.stat } }
                    : {}),
                })),
              }
            : {}),
          ...notify,
          ...(spec.notifyOnInsufficientData ? { insufficientDataActions: [args.alertsTopicArn] } : {}),
        },
        // The log alarms watch metrics only their filters publish.
        { parent: this, dependsOn: spec.key.endsWith("-error-logs") ? filters : [] },
      );
    const alarms = specs.map((spec) => ({ spec, resource: alarm(spec) }));

    const critical = alarms.filter(({ spec }) => spec.critical);
    const unhealthy = new aws.cloudwatch.CompositeAlarm(
      `${name}-${PIPELINE_UNHEALTHY}`,
      {
        alarmName: alarmName(args.stack, PIPELINE_UNHEALTHY),
        alarmDescription: pipelineUnhealthyDescription(args.stack, args.settings.runbookUrl),
        alarmRule: compositeRule(critical.map(({ spec }) => spec.alarmName)),
        actionsEnabled: true,
        ...notify,
      },
      { parent: this, dependsOn: critical.map(({ resource }) => resource) },
    );

    const region = aws.getRegionOutput({}, { parent: this }).region;
    const dashboard = new aws.cloudwatch.Dashboard(
      `${name}-dashboard`,
      {
        dashboardName: `datalake-${args.stack}`,
        dashboardBody: pulumi
          .all({
            region,
            ingest: args.functions.ingest.functionName,
            processor: args.functions.processor.functionName,
            curated: args.functions.curated.functionName,
            processingQueueName: args.processingQueueName,
            deadLetterQueueName: args.deadLetterQueueName,
            ingestFailuresQueueName: args.ingestFailuresQueueName,
            curatedFailureQueueName: args.curatedFailureQueueName,
            workgroupName: args.workgroupName,
            glueFailureQueueName: args.heavy.failureQueueName,
            glueRunsRuleName: args.heavy.runsRuleName,
            glueFailuresRuleName: args.heavy.failuresRuleName,
          })
          .apply((resolved) =>
            JSON.stringify(
              dashboardBody({
                region: resolved.region,
                metricsNamespace: namespace,
                functionNames: { ingest: resolved.ingest, processor: resolved.processor, curated: resolved.curated },
                processingQueueName: resolved.processingQueueName,
                deadLetterQueueName: resolved.deadLetterQueueName,
                ingestFailuresQueueName: resolved.ingestFailuresQueueName,
                curatedFailureQueueName: resolved.curatedFailureQueueName,
                workgroupName: resolved.workgroupName,
                datasets: DATASET_NAMES,
                glueFailureQueueName: resolved.glueFailureQueueName,
                glueRunsRuleName: resolved.glueRunsRuleName,
                glueFailuresRuleName: resolved.glueFailuresRuleName,
              }),
            ),
          ),
      },
      { parent: this },
    );

    const outputs: ObservabilityOutputs = {
      dashboard: { name: dashboard.dashboardName },
      alarms: { arns: [...alarms.map(({ resource }) => resource.arn), unhealthy.arn], pipelineUnhealthyArn: unhealthy.arn },
    };
    Object.assign(this, outputs);
    this.registerOutputs(outputs);
  }
}
