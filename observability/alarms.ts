/**
 * The pipeline's alarms as plain data: which metric, which threshold, what missing data means and
 * which runbook section tells the on-call engineer what to do. The component turns each spec into a
 * `MetricAlarm`; tests read the specs without Pulumi.
 *
 * Names are generic (`N`) so that the same builder serves tests (plain strings) and the program
 * (Pulumi outputs): they only ever appear as dimension values.
 */
import type { ObservabilitySettings } from "../config";
import { PROCESSOR_SERVICE, ROW_METRICS, ROW_METRIC_DIMENSIONS, errorLogLinesMetric } from "./metrics";
import { RUNBOOK, RunbookSection, runbookLink } from "./runbook";

/** The functions the layer watches; the key names their alarms and log metric. */
export const FUNCTION_KEYS = ["ingest", "processor", "curated"] as const;
export type FunctionKey = (typeof FUNCTION_KEYS)[number];

export interface WatchedFunction<N> {
  readonly functionName: N;
  readonly timeoutSeconds: number;
}

/** Everything the alarms point at. */
export interface PipelineNames<N> {
  readonly stack: string;
  readonly functions: Readonly<Record<FunctionKey, WatchedFunction<N>>>;
  readonly processingQueueName: N;
  readonly deadLetterQueueName: N;
  readonly ingestFailuresQueueName: N;
  readonly curatedFailureQueueName: N;
  /** The EventBridge rule that schedules the curated job. */
  readonly curatedScheduleRuleName: N;
  readonly workgroupName: N;
  /** The heavy path's failure queue (failed Glue runs) and the EventBridge rule that fills it. */
  readonly glueFailureQueueName: N;
  readonly glueFailuresRuleName: N;
  /** The stack's own metrics namespace (`metricsNamespace(stack)`). */
  readonly metricsNamespace: string;
  /** Datasets of the registry: the rejected-row ratio sums over them. */
  readonly datasets: readonly string[];
  /** The registry's datasets that have a `maxSilenceHours`: each gets a freshness alarm. */
  readonly freshness: readonly DatasetFreshness[];
}

/** A dataset whose arrival is watched, and how long it may stay silent. */
export interface DatasetFreshness {
  readonly dataset: string;
  readonly maxSilenceHours: number;
}

/**
 * Why each choice of missing-data treatment:
 * - `notBreaching`: the metric is only published while something happens (Lambda without
 *   invocations, Athena without queries, a metric filter without matches, SQS for an idle empty
 *   queue), so silence means nothing went wrong.
 * - `missing`: silence is the failure, but only after the metric has been seen. A new alarm starts
 *   in INSUFFICIENT_DATA and stays there while its metric never appears, so a new stack or a dataset
 *   never sent pages nobody; once data came (OK), a window without any moves it back to
 *   INSUFFICIENT_DATA, and that transition notifies (`notifyOnInsufficientData`). Used by the
 *   datasets' freshness alarms.
 * - `breaching`: silence is the failure from the start. No alarm uses it: it would page every new
 *   stack (a daily job's "no success in a day" alarm until the first run, a freshness alarm until
 *   the first file), so the curated job is watched through its failure queue and its schedule's
 *   failed invocations instead, and the freshness alarms treat missing data as missing.
 */
export type TreatMissingData = "breaching" | "notBreaching" | "missing";

export interface MetricStat<N> {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, N>>;
  /** `Sum`, `Maximum`, or a percentile such as `p99`. */
  readonly stat: string;
  readonly period: number;
}

/** One entry of a metric math alarm: a metric (hidden) or an expression over the ids. */
export interface MetricQuery<N> {
  readonly id: string;
  readonly label?: string;
  readonly metric?: MetricStat<N>;
  readonly expression?: string;
  /** Exactly one query of an alarm returns data: the one compared with the threshold. */
  readonly returnData: boolean;
}

export interface AlarmSpec<N> {
  /** Resource name suffix and alarm name suffix, e.g. `ingest-errors`. */
  readonly key: string;
  /** `datalake-<stack>-<key>`: explicit so that the composite rule can name it. */
  readonly alarmName: string;
  readonly description: string;
  readonly runbook: RunbookSection;
  /** Part of the composite "pipeline unhealthy" alarm. */
  readonly critical: boolean;
  readonly comparisonOperator: "GreaterThanThreshold" | "LessThanThreshold";
  readonly threshold: number;
  readonly evaluationPeriods: number;
  readonly treatMissingData: TreatMissingData;
  /** Also notify the alerts topic when the alarm goes to INSUFFICIENT_DATA (see `missing` above). */
  readonly notifyOnInsufficientData?: boolean;
  /** Either a single metric… */
  readonly metric?: MetricStat<N>;
  /** …or metric math. */
  readonly queries?: readonly MetricQuery<N>[];
}

/** CloudWatch allows at most this many metrics in one metric math alarm. */
export const MAX_METRICS_PER_ALARM = 10;
/** Athena's scan budget is per day. */
export const ATHENA_BUDGET_PERIOD_SECONDS = 86_400;
/** A freshness alarm looks at the dataset's rows read hour by hour. */
export const FRESHNESS_PERIOD_SECONDS = 3600;

/**
 * The alarm's name: stack-scoped so that stacks sharing an account and region never collide.
 *
 * @example
 * ```ts
 * alarmName("prod", "dlq-not-empty"); // "datalake-prod-dlq-not-empty"
 * ```
 */
export function alarmName(stack: string, key: string): string {
  return `datalake-${stack}-${key}`;
}

const describe = (summary: string, section: RunbookSection, runbookUrl: string): string => `${summary} What to do: ${runbookLink(section, runbookUrl)}`;

function lambdaMetric<N>(metricName: string, functionName: N, stat: string, period: number): MetricStat<N> {
  return { namespace: "AWS/Lambda", metricName, dimensions: { FunctionName: functionName }, stat, period };
}

function queueMetric<N>(metricName: string, queueName: N, period: number): MetricStat<N> {
  return { namespace: "AWS/SQS", metricName, dimensions: { QueueName: queueName }, stat: "Maximum", period };
}

/**
 * The rejected-row ratio, in percent, of every dataset's rows read in a period: metric math over the
 * registry's datasets. Missing points count as 0 (`FILL`), and a period without reads is 0 rather
 * than a division by zero.
 *
 * @throws Error when the registry has more datasets than one alarm can hold metrics for.
 * @example
 * ```ts
 * rejectedRowsQueries("datalake/dev", ["events"], 300).at(-1)!.expression;
 * // "IF(reads > 0, 100 * rejected / reads, 0)"
 * ```
 */
export function rejectedRowsQueries<N = string>(namespace: string, datasets: readonly string[], period: number): MetricQuery<N>[] {
  if (datasets.length === 0) throw new Error("the rejected-row ratio needs at least one dataset");
  if (datasets.length * 2 > MAX_METRICS_PER_ALARM) {
    throw new Error(
      `the rejected-row ratio over ${datasets.length} datasets needs ${datasets.length * 2} metrics; a CloudWatch alarm holds at most ${MAX_METRICS_PER_ALARM}`,
    );
  }
  const summed = (metricName: string, dataset: string): MetricStat<N> => ({ ...rowMetric<N>(namespace, metricName, dataset), stat: "Sum", period });
  const reads = datasets.map((dataset, index) => ({ id: `read_${index}`, label: `${dataset} rows read`, metric: summed(ROW_METRICS.read, dataset), returnData: false }));
  const rejects = datasets.map((dataset, index) => ({
    id: `rejected_${index}`,
    label: `${dataset} rows rejected`,
    metric: summed(ROW_METRICS.rejected, dataset),
    returnData: false,
  }));
  const sum = (ids: readonly string[]) => ids.map((id) => `FILL(${id}, 0)`).join(" + ");
  return [
    ...reads,
    ...rejects,
    { id: "reads", label: "Rows read", expression: sum(reads.map((query) => query.id)), returnData: false },
    { id: "rejected", label: "Rows rejected", expression: sum(rejects.map((query) => query.id)), returnData: false },
    { id: "ratio", label: "Rejected rows (%)", expression: "IF(reads > 0, 100 * rejected / reads, 0)", returnData: true },
  ];
}

const FUNCTION_TITLES: Readonly<Record<FunctionKey, string>> = {
  ingest: "The ingest function",
  processor: "The processor",
  curated: "The curated zone job",
};

/**
 * Every alarm of the pipeline for one stack.
 *
 * @example
 * ```ts
 * const specs = alarmSpecs(settings.observability, names);
 * specs.find((spec) => spec.key === "dlq-not-empty")!.threshold; // 0
 * ```
 */
export function alarmSpecs<N>(settings: ObservabilitySettings, names: PipelineNames<N>): AlarmSpec<N>[] {
  const period = settings.alarmPeriodSeconds;
  const evaluationPeriods = settings.alarmEvaluationPeriods;
  const spec = (
    key: string,
    summary: string,
    runbook: RunbookSection,
    rest: Omit<AlarmSpec<N>, "key" | "alarmName" | "description" | "runbook" | "evaluationPeriods"> & { evaluationPeriods?: number },
  ): AlarmSpec<N> => ({
    key,
    alarmName: alarmName(names.stack, key),
    description: describe(summary, runbook, settings.runbookUrl),
    runbook,
    evaluationPeriods,
    ...rest,
  });

  const perFunction = FUNCTION_KEYS.flatMap((key) => {
    const { functionName, timeoutSeconds } = names.functions[key];
    const title = FUNCTION_TITLES[key];
    const durationBoundMs = Math.round(timeoutSeconds * 1000 * settings.durationFractionOfTimeout);
    return [
      spec(
        `${key}-errors`,
        `${title} failed more than ${settings.functionErrorsThreshold} time(s) in ${period} s.`,
        key === "curated" ? RUNBOOK.curatedRunErrors : RUNBOOK.functionErrors,
        {
          // A failed curated run is retried by Lambda; it counts towards "pipeline unhealthy" once all
          // tries failed, through the curated-failures queue alarm.
          critical: key !== "curated",
          metric: lambdaMetric("Errors", functionName, "Sum", period),
          comparisonOperator: "GreaterThanThreshold",
          threshold: settings.functionErrorsThreshold,
          treatMissingData: "notBreaching",
        },
      ),
      spec(`${key}-throttles`, `${title} was throttled more than ${settings.functionThrottlesThreshold} time(s) in ${period} s.`, RUNBOOK.functionThrottled, {
        critical: false,
        metric: lambdaMetric("Throttles", functionName, "Sum", period),
        comparisonOperator: "GreaterThanThreshold",
        threshold: settings.functionThrottlesThreshold,
        treatMissingData: "notBreaching",
      }),
      spec(
        `${key}-duration`,
        `${title}'s p99 duration is above ${durationBoundMs} ms, ${Math.round(settings.durationFractionOfTimeout * 100)} % of its ${timeoutSeconds} s timeout.`,
        RUNBOOK.functionSlow,
        {
          critical: false,
          metric: lambdaMetric("Duration", functionName, "p99", period),
          comparisonOperator: "GreaterThanThreshold",
          threshold: durationBoundMs,
          treatMissingData: "notBreaching",
        },
      ),
      spec(`${key}-error-logs`, `${title} wrote more than ${settings.errorLogLinesThreshold} error-level log line(s) in ${period} s.`, RUNBOOK.errorLogLines, {
        critical: false,
        metric: { namespace: names.metricsNamespace, metricName: errorLogLinesMetric(key), dimensions: {}, stat: "Sum", period },
        comparisonOperator: "GreaterThanThreshold",
        threshold: settings.errorLogLinesThreshold,
        treatMissingData: "notBreaching",
      }),
    ];
  });

  const anyVisible = (key: string, summary: string, runbook: RunbookSection, queueName: N) =>
    spec(key, summary, runbook, {
      critical: true,
      metric: queueMetric("ApproximateNumberOfMessagesVisible", queueName, period),
      comparisonOperator: "GreaterThanThreshold",
      threshold: 0,
      // SQS publishes every 5 minutes for any queue holding messages: silence means empty and idle.
      treatMissingData: "notBreaching",
      evaluationPeriods: 1,
    });

  /** An EventBridge rule that could not deliver to (invoke) its targets. */
  const ruleFailed = (key: string, summary: string, runbook: RunbookSection, ruleName: N) =>
    spec(key, summary, runbook, {
      critical: true,
      metric: { namespace: "AWS/Events", metricName: "FailedInvocations", dimensions: { RuleName: ruleName }, stat: "Sum", period },
      comparisonOperator: "GreaterThanThreshold",
      threshold: 0,
      // EventBridge publishes FailedInvocations only when an invocation failed.
      treatMissingData: "notBreaching",
    });

  return [
    ...perFunction,
    spec(
      "processing-queue-age",
      `The oldest message in the processing queue is older than ${settings.processingQueueMaxAgeSeconds} s: the processor is falling behind or not consuming.`,
      RUNBOOK.queueBehind,
      {
        critical: true,
        metric: queueMetric("ApproximateAgeOfOldestMessage", names.processingQueueName, period),
        comparisonOperator: "GreaterThanThreshold",
        threshold: settings.processingQueueMaxAgeSeconds,
        treatMissingData: "notBreaching",
      },
    ),
    anyVisible("dlq-not-empty", "Messages are waiting in the processing dead-letter queue.", RUNBOOK.deadLetters, names.deadLetterQueueName),
    anyVisible(
      "ingest-failures-not-empty",
      "S3 events the ingest function failed on are waiting in the ingest-failures queue.",
      RUNBOOK.ingestFailures,
      names.ingestFailuresQueueName,
    ),
    anyVisible(
      "curated-failures-not-empty",
      "Curated job runs that failed after Lambda's retries are waiting in its failure queue.",
      RUNBOOK.curatedFailed,
      names.curatedFailureQueueName,
    ),
    spec(
      "rejected-rows",
      `More than ${settings.rejectedRowsMaxPercent} % of the rows the processor read in ${period} s were rejected.`,
      RUNBOOK.rejectedRows,
      {
        critical: false,
        queries: rejectedRowsQueries<N>(names.metricsNamespace, names.datasets, period),
        comparisonOperator: "GreaterThanThreshold",
        threshold: settings.rejectedRowsMaxPercent,
        // No rows read: nothing was rejected either.
        treatMissingData: "notBreaching",
      },
    ),
    anyVisible(
      "glue-failures-not-empty",
      "A Glue conversion run failed (FAILED, TIMEOUT, STOPPED or ERROR): its event waits in the heavy path's failure queue and its objects were not converted.",
      RUNBOOK.heavyRunFailed,
      names.glueFailureQueueName,
    ),
    ruleFailed("glue-failure-delivery", "EventBridge could not deliver a failed Glue run's event to the alerts topic or the failure queue.", RUNBOOK.heavyFailureDelivery, names.glueFailuresRuleName),
    ruleFailed("curated-schedule-failed", "The schedule could not invoke the curated zone job.", RUNBOOK.curatedScheduleFailed, names.curatedScheduleRuleName),
    spec(
      "athena-scan-budget",
      `The Athena workgroup scanned more than ${settings.athenaDailyScanBudgetBytes} bytes in a day.`,
      RUNBOOK.athenaBudget,
      {
        critical: false,
        metric: {
          namespace: "AWS/Athena",
          metricName: "ProcessedBytes",
          dimensions: { WorkGroup: names.workgroupName },
          stat: "Sum",
          period: ATHENA_BUDGET_PERIOD_SECONDS,
        },
        comparisonOperator: "GreaterThanThreshold",
        threshold: settings.athenaDailyScanBudgetBytes,
        evaluationPeriods: 1,
        treatMissingData: "notBreaching",
      },
    ),
    ...names.freshness.map(({ dataset, maxSilenceHours }) =>
      spec(
        freshnessAlarmKey(dataset),
        `No ${dataset} rows were read for ${maxSilenceHours} hour(s): the dataset stopped arriving (INSUFFICIENT_DATA after it had arrived), or only empty objects came (ALARM).`,
        RUNBOOK.datasetSilent,
        {
          // Not in "pipeline unhealthy": the composite would see a new stack's INSUFFICIENT_DATA.
          critical: false,
          metric: { ...rowMetric<N>(names.metricsNamespace, ROW_METRICS.read, dataset), stat: "Sum", period: FRESHNESS_PERIOD_SECONDS },
          comparisonOperator: "LessThanThreshold",
          threshold: 1,
          evaluationPeriods: maxSilenceHours,
          treatMissingData: "missing",
          notifyOnInsufficientData: true,
        },
      ),
    ),
  ];
}

/**
 * The key (and alarm name suffix) of a dataset's freshness alarm.
 *
 * @example freshnessAlarmKey("events"); // "events-freshness"
 */
export function freshnessAlarmKey(dataset: string): string {
  return `${dataset}-freshness`;
}

/** The processor's row metric of one dataset, without its statistic and period. */
function rowMetric<N>(namespace: string, metricName: string, dataset: string): Pick<MetricStat<N>, "namespace" | "metricName" | "dimensions"> {
  // Dimension values here are literal dataset names, never resource names.
  return { namespace, metricName, dimensions: { [ROW_METRIC_DIMENSIONS.service]: PROCESSOR_SERVICE, [ROW_METRIC_DIMENSIONS.dataset]: dataset } as unknown as Record<string, N> };
}

/** The composite alarm's key, hence its name `datalake-<stack>-pipeline-unhealthy`. */
export const PIPELINE_UNHEALTHY = "pipeline-unhealthy";

/** What the composite alarm says, with its runbook link under `runbookUrl` (`ObservabilitySettings.runbookUrl`). */
export function pipelineUnhealthyDescription(stack: string, runbookUrl: string): string {
  return describe(`Data is not flowing through the ${stack} pipeline: one of its critical alarms is in ALARM.`, RUNBOOK.pipelineUnhealthy, runbookUrl);
}

/**
 * The composite alarm's rule: in alarm when any critical alarm is.
 *
 * @example
 * ```ts
 * compositeRule(["datalake-dev-dlq-not-empty", "datalake-dev-ingest-errors"]);
 * // 'ALARM("datalake-dev-dlq-not-empty") OR ALARM("datalake-dev-ingest-errors")'
 * ```
 */
export function compositeRule(alarmNames: readonly string[]): string {
  if (alarmNames.length === 0) throw new Error("a composite alarm needs at least one alarm");
  return alarmNames.map((name) => `ALARM(${JSON.stringify(name)})`).join(" OR ");
}
