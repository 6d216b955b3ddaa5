/**
 * Where the processor's path ends and the Glue job's begins: the default heavy-object threshold is
 * the object size the processor converts in half its timeout at the throughput the benchmark
 * measured, so an object just under it still finishes with half the timeout to spare.
 *
 *   threshold = PROCESSOR_BENCHMARK_MB_PER_SECOND × processorTimeoutSeconds × HEAVY_TIMEOUT_FRACTION
 *
 * The figure is `npm run bench:glue`'s processor throughput on the 1 GB events file (see README,
 * "The heavy path"); re-measure and update it when the processor's engine changes. Pure module.
 */

/**
 * MB of uncompressed input per CPU-second of the processor on the benchmark's 1 GB file
 * (`npm run bench:glue`, 2026-11-30: 53.7, rounded down). Per CPU-second rather than wall clock: on
 * the shared benchmark machine the wall figures of one run moved by 2× with the neighbours' load
 * (DuckDB 37 and 82 MB/s in two runs), the CPU figures much less.
 */
export const PROCESSOR_BENCHMARK_MB_PER_SECOND = 53;

/** Share of the processor's timeout an object at the threshold may take. */
export const HEAVY_TIMEOUT_FRACTION = 0.5;

/**
 * The heavy-object threshold, in MB of planned input, for a processor timeout.
 *
 * @example heavyObjectThresholdMbFor(300) // 53 × 300 × 0.5 = 7950
 */
export function heavyObjectThresholdMbFor(processorTimeoutSeconds: number): number {
  return Math.floor(PROCESSOR_BENCHMARK_MB_PER_SECOND * processorTimeoutSeconds * HEAVY_TIMEOUT_FRACTION);
}

/**
 * The largest threshold a processor timeout allows: objects just under it are still converted by
 * the processor, which at the benchmark's throughput must finish them within its timeout.
 *
 * @example maxHeavyObjectThresholdMb(300) // 15900
 */
export function maxHeavyObjectThresholdMb(processorTimeoutSeconds: number): number {
  return Math.floor(PROCESSOR_BENCHMARK_MB_PER_SECOND * processorTimeoutSeconds);
}

/** Glue 5.0's worker types for Spark jobs (G.1X: 4 vCPU, 16 GB; each next doubles). */
export const GLUE_WORKER_TYPES = ["G.1X", "G.2X", "G.4X", "G.8X"] as const;
