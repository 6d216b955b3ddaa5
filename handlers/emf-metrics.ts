/**
 * Metrics as CloudWatch embedded metric format (EMF): one JSON log line per publication, which
 * CloudWatch Logs turns into metrics without an API call from the function.
 *
 * The document follows the EMF specification (Amazon CloudWatch User Guide, "Specification:
 * Embedded metric format"): a root `_aws` member with `Timestamp` (epoch milliseconds) and one
 * `CloudWatchMetrics` directive naming the `Namespace`, one dimension set and each metric's `Name`
 * and `Unit`; the dimension values and metric values are root members of the same object. The
 * service dimension comes first, as Powertools Metrics (which this replaces, issue 20) wrote it, so
 * that the alarms and the dashboard (observability/metrics.ts) find the same metrics.
 */
import type { CountMetrics } from "./convert";

/** Where EMF lines go and what names them; the namespace and service come from the function's environment. */
export interface EmfMetricsOptions {
  /** `POWERTOOLS_METRICS_NAMESPACE` (observability/metrics.ts `METRICS_NAMESPACE_ENV`). */
  readonly namespace: string;
  /** The `service` dimension's value. */
  readonly serviceName: string;
  readonly write?: (line: string) => void;
  readonly now?: () => number;
}

/** The EMF document of one publication. */
export interface EmfDocument {
  readonly _aws: {
    readonly Timestamp: number;
    readonly CloudWatchMetrics: readonly { readonly Namespace: string; readonly Dimensions: readonly (readonly string[])[]; readonly Metrics: readonly { readonly Name: string; readonly Unit: string }[] }[];
  };
  readonly [member: string]: unknown;
}

/** `CountMetrics` that can also show the document it would publish. */
export interface EmfMetrics extends CountMetrics {
  /** The document of the metrics stored so far (what `publishStoredMetrics` writes). */
  serialize(): EmfDocument;
}

/**
 * Creates a metrics recorder: `addDimension` and `addMetric` store, `publishStoredMetrics` writes
 * one EMF line and starts over (dimensions included), so each object's figures are published alone.
 *
 * @example
 * ```ts
 * const metrics = emfMetrics({ namespace: "datalake/dev", serviceName: "processor" });
 * metrics.addDimension("dataset", "events");
 * metrics.addMetric("RowsRead", "Count", 10);
 * metrics.publishStoredMetrics();
 * // {"_aws":{"Timestamp":…,"CloudWatchMetrics":[{"Namespace":"datalake/dev","Dimensions":[["service","dataset"]],"Metrics":[{"Name":"RowsRead","Unit":"Count"}]}]},"service":"processor","dataset":"events","RowsRead":10}
 * ```
 */
export function emfMetrics(options: EmfMetricsOptions): EmfMetrics {
  const write = options.write ?? ((line: string) => void process.stdout.write(line));
  const now = options.now ?? Date.now;
  let dimensions: [string, string][] = [];
  let metrics: [string, string, number][] = [];
  const serialize = (): EmfDocument => {
    const members: Record<string, unknown> = { service: options.serviceName };
    for (const [name, value] of dimensions) members[name] = value;
    for (const [name, , value] of metrics) members[name] = value;
    return {
      _aws: {
        Timestamp: now(),
        CloudWatchMetrics: [
          {
            Namespace: options.namespace,
            Dimensions: [["service", ...dimensions.map(([name]) => name)]],
            Metrics: metrics.map(([name, unit]) => ({ Name: name, Unit: unit })),
          },
        ],
      },
      ...members,
    };
  };
  return {
    addDimension(name, value) {
      dimensions = [...dimensions.filter(([existing]) => existing !== name), [name, value]];
    },
    addMetric(name, unit, value) {
      metrics.push([name, unit, value]);
    },
    serialize,
    publishStoredMetrics() {
      if (metrics.length > 0) write(`${JSON.stringify(serialize())}\n`);
      dimensions = [];
      metrics = [];
    },
  };
}
