/**
 * The pipeline's own CloudWatch metrics: one namespace per stack, so that dev and prod deployed in
 * one account never mix their figures, and the names the processor's EMF output and the log metric
 * filters publish. The handlers read the namespace from `POWERTOOLS_METRICS_NAMESPACE`, which compute
 * sets from {@link metricsNamespace}; the alarms and the dashboard read it from here.
 */

/**
 * The stack's metrics namespace.
 *
 * @example
 * ```ts
 * metricsNamespace("prod"); // "datalake/prod"
 * ```
 */
export function metricsNamespace(stack: string): string {
  return `datalake/${stack}`;
}

/** The environment variable Powertools Metrics reads its namespace from. */
export const METRICS_NAMESPACE_ENV = "POWERTOOLS_METRICS_NAMESPACE";

/** Row counts the processor emits per dataset (unit Count), as Powertools EMF metrics. */
export const ROW_METRICS = {
  read: "RowsRead",
  written: "RowsWritten",
  rejected: "RowsRejected",
} as const;

/** Dimensions of the row metrics: Powertools' `service` default dimension, and the dataset. */
export const ROW_METRIC_DIMENSIONS = { service: "service", dataset: "dataset" } as const;
/** The processor's `POWERTOOLS_SERVICE_NAME`, hence its `service` dimension value. */
export const PROCESSOR_SERVICE = "processor";

/**
 * The metric the log metric filter of one function publishes: one per error-level log line. Metric
 * filters cannot set a literal dimension, so the function is part of the name.
 *
 * @example
 * ```ts
 * errorLogLinesMetric("ingest"); // "ErrorLogLines-ingest"
 * ```
 */
export function errorLogLinesMetric(functionKey: string): string {
  return `ErrorLogLines-${functionKey}`;
}

/**
 * Matches error-level lines of Lambda's JSON log format: Powertools Logger writes `"level":"ERROR"`,
 * and so do `console.error` and Lambda's own system records under `logFormat: JSON`.
 */
export const ERROR_LEVEL_PATTERN = '{ $.level = "ERROR" }';
