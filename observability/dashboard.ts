/**
 * The pipeline's CloudWatch dashboard body, built from plain names so that tests can parse it.
 */
import { FUNCTION_KEYS, FunctionKey } from "./alarms";
import { PROCESSOR_SERVICE, ROW_METRICS, ROW_METRIC_DIMENSIONS, errorLogLinesMetric } from "./metrics";

export interface DashboardNames {
  readonly region: string;
  readonly metricsNamespace: string;
  readonly functionNames: Readonly<Record<FunctionKey, string>>;
  readonly processingQueueName: string;
  readonly deadLetterQueueName: string;
  readonly ingestFailuresQueueName: string;
  readonly curatedFailureQueueName: string;
  readonly workgroupName: string;
  readonly datasets: readonly string[];
  /** The heavy path: its failure queue and the rules matching its finished and failed runs. */
  readonly glueFailureQueueName: string;
  readonly glueRunsRuleName: string;
  readonly glueFailuresRuleName: string;
}

/** A CloudWatch dashboard metric line: namespace, name, dimension pairs, then optional rendering options. */
type MetricLine = (string | Record<string, unknown>)[];

interface Widget {
  readonly type: "metric" | "text";
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly properties: Record<string, unknown>;
}

const DAY_SECONDS = 86_400;
const PERIOD_SECONDS = 300;

/**
 * The dashboard's widgets, as CloudWatch's dashboard body: per function invocations, errors, p99
 * duration and throttles; queue depth and age; DLQ and failure-queue depth; rows read, written and
 * rejected; error log lines; curated job outcomes; heavy-path (Glue) runs and failures; Athena bytes
 * scanned per day.
 *
 * @example
 * ```ts
 * JSON.stringify(dashboardBody(names)); // what `aws.cloudwatch.Dashboard` takes
 * ```
 */
export function dashboardBody(names: DashboardNames): { widgets: Widget[] } {
  const widgets: Widget[] = [];
  const place = (title: string, metrics: MetricLine[], options: { stat: string; period?: number; width?: number } & Record<string, unknown>) => {
    const width = options.width ?? 12;
    const last = widgets.at(-1);
    const fitsRow = last !== undefined && last.x + last.width + width <= 24;
    const x = fitsRow ? last.x + last.width : 0;
    const y = last === undefined ? 0 : fitsRow ? last.y : last.y + last.height;
    const { width: _width, ...properties } = options;
    widgets.push({
      type: "metric",
      x,
      y,
      width,
      height: 6,
      properties: { title, region: names.region, view: "timeSeries", period: PERIOD_SECONDS, ...properties, metrics },
    });
  };
  const perFunction = (metricName: string): MetricLine[] =>
    FUNCTION_KEYS.map((key) => ["AWS/Lambda", metricName, "FunctionName", names.functionNames[key], { label: key }]);

  place("Invocations", perFunction("Invocations"), { stat: "Sum" });
  place("Errors", perFunction("Errors"), { stat: "Sum" });
  place("Duration p99 (ms)", perFunction("Duration"), { stat: "p99" });
  place("Throttles", perFunction("Throttles"), { stat: "Sum" });

  const queues: [string, string][] = [
    ["processing", names.processingQueueName],
    ["dead-letter", names.deadLetterQueueName],
    ["ingest failures", names.ingestFailuresQueueName],
    ["curated failures", names.curatedFailureQueueName],
    ["heavy-path failures", names.glueFailureQueueName],
  ];
  place(
    "Queue depth (visible messages)",
    queues.map(([label, queueName]) => ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", queueName, { label }]),
    { stat: "Maximum" },
  );
  place("Processing queue: age of oldest message (s)", [["AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", names.processingQueueName]], {
    stat: "Maximum",
  });

  const rows = (metricName: string): MetricLine[] =>
    names.datasets.map((dataset) => [
      names.metricsNamespace,
      metricName,
      ROW_METRIC_DIMENSIONS.service,
      PROCESSOR_SERVICE,
      ROW_METRIC_DIMENSIONS.dataset,
      dataset,
      { label: `${dataset} ${metricName}` },
    ]);
  place("Rows written and rejected", [...rows(ROW_METRICS.written), ...rows(ROW_METRICS.rejected), ...rows(ROW_METRICS.read)], { stat: "Sum" });
  place(
    "Error-level log lines",
    FUNCTION_KEYS.map((key) => [names.metricsNamespace, errorLogLinesMetric(key), { label: key }]),
    { stat: "Sum" },
  );

  const curated = names.functionNames.curated;
  place(
    "Curated job runs per day",
    [
      ["AWS/Lambda", "Invocations", "FunctionName", curated, { id: "runs", label: "runs" }],
      ["AWS/Lambda", "Errors", "FunctionName", curated, { id: "failed", label: "failed runs" }],
      [{ expression: "FILL(runs, 0) - FILL(failed, 0)", label: "successful runs", id: "succeeded" }],
    ],
    { stat: "Sum", period: DAY_SECONDS, view: "bar" },
  );
  place(
    "Heavy conversion (Glue) runs per day",
    [
      ["AWS/Events", "MatchedEvents", "RuleName", names.glueRunsRuleName, { label: "finished runs" }],
      ["AWS/Events", "MatchedEvents", "RuleName", names.glueFailuresRuleName, { label: "failed runs" }],
    ],
    { stat: "Sum", period: DAY_SECONDS, view: "bar" },
  );
  place("Athena bytes scanned per day", [["AWS/Athena", "ProcessedBytes", "WorkGroup", names.workgroupName]], {
    stat: "Sum",
    period: DAY_SECONDS,
    view: "bar",
  });
  return { widgets };
}
