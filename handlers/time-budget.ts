/**
 * Whether the processor may start converting one more object before its invocation's deadline.
 *
 * Why: a batch is converted one object after another. If the function times out, Lambda reports no
 * partial batch response, so SQS redelivers every message of the batch, the finished ones included,
 * and after `maxReceiveCount` timeouts all of them end in the dead-letter queue. The processor
 * therefore starts the next object only when the time left covers what it is planned to need, and
 * reports the rest as batch item failures: SQS redelivers just those, to a fresh invocation.
 *
 * The plan for an object is a fixed overhead plus its (uncompressed) size at a planning
 * throughput, or the fastest throughput this invocation has actually seen on a previous object if
 * that was slower (a slow S3, a heavy file shape). The first object of a batch is always started:
 * otherwise an object larger than one invocation could ever convert would never be tried.
 */

/** Time an object costs whatever its size: the GET, the uploads' round trips, the completion event. */
export const PER_OBJECT_OVERHEAD_MS = 1_000;
/** How much larger than its stored size a gzip object is planned to be once decompressed. */
export const GZIP_EXPANSION = 8;
/** Time kept free before the deadline for the batch response and the last log lines. */
export const MIN_SAFETY_MARGIN_MS = 2_000;
/** Planning throughput when none is configured (`processorPlanningMbPerSecond`'s default): a third of what the benchmark measures at 1024 MB. */
export const DEFAULT_PLANNING_BYTES_PER_SECOND = 20 * 1024 * 1024;

export interface PlannedObject {
  readonly key: string;
  /** Stored size in bytes, from the ingest message. */
  readonly size: number;
}

/** The bytes the conversion will read: the stored size, expanded for gzip objects. */
export function plannedBytes(object: PlannedObject): number {
  return /\.gz$/i.test(object.key) ? object.size * GZIP_EXPANSION : object.size;
}

export interface TimeBudget {
  /** Whether an object may be started now; `isFirst` objects always may. */
  mayStart(object: PlannedObject, isFirst: boolean): boolean;
  /** Records how long a finished object took, to plan the next ones. */
  finished(object: PlannedObject, elapsedMs: number): void;
  /** What the plan for an object is, in ms (for log lines). */
  plannedMs(object: PlannedObject): number;
}

/**
 * @param remainingMs - `context.getRemainingTimeInMillis`.
 * @param planningBytesPerSecond - the throughput assumed before any object has been measured.
 * @param timeoutMs - the function's timeout: the safety margin is 5 % of it, at least `MIN_SAFETY_MARGIN_MS`.
 * @example
 * ```ts
 * const budget = timeBudget(() => context.getRemainingTimeInMillis(), 20 * 2 ** 20, 300_000);
 * if (!budget.mayStart({ key, size }, index === 0)) deferred.push(messageId);
 * ```
 */
export function timeBudget(remainingMs: () => number, planningBytesPerSecond: number, timeoutMs: number): TimeBudget {
  const safetyMarginMs = Math.max(MIN_SAFETY_MARGIN_MS, timeoutMs * 0.05);
  let observedBytesPerMs = Number.POSITIVE_INFINITY;
  const plannedMs = (object: PlannedObject): number => {
    const bytesPerMs = Math.min(planningBytesPerSecond / 1000, observedBytesPerMs);
    return PER_OBJECT_OVERHEAD_MS + plannedBytes(object) / bytesPerMs;
  };
  return {
    plannedMs,
    mayStart(object, isFirst) {
      return isFirst || remainingMs() - safetyMarginMs >= plannedMs(object);
    },
    finished(object, elapsedMs) {
      // Only objects whose size-dependent part dominated say anything about throughput.
      if (elapsedMs < 2 * PER_OBJECT_OVERHEAD_MS) return;
      observedBytesPerMs = Math.min(observedBytesPerMs, Math.max(plannedBytes(object), 1) / (elapsedMs - PER_OBJECT_OVERHEAD_MS));
    },
  };
}
