/**
 * V8 heap options of the processor function, derived from its memory. Pure module: compute/index.ts
 * sets them as the function's `NODE_OPTIONS`, and bench/processor.ts runs the processor with the
 * same ones for the same memory.
 *
 * Why a cap below `memorySize`: Lambda stops a sandbox whose memory exceeds the function's
 * `memorySize`, so a V8 limit above it (an earlier `--max-old-space-size=2048` on a 1024 MB
 * function) lets the heap grow until the whole invocation is killed, instead of V8 collecting
 * harder first. The old generation gets three quarters of the memory; the rest is for the young
 * generation (3 × the semi-space), code, and the buffers outside the heap (part buffers of the S3
 * uploads, gunzip, Parquet pages in flight).
 *
 * Why set them at all: Lambda's Node.js bootstrap derives `--max-semi-space-size` and
 * `--max-old-space-size` from `AWS_LAMBDA_FUNCTION_MEMORY_SIZE` unless `NODE_OPTIONS` sets either,
 * and its larger semi-space only adds resident memory to this workload. A 16 MB semi-space keeps
 * young collections cheap. Measurements: bench/README.md.
 */

/** Share of the function's memory the old generation may use. */
export const OLD_SPACE_SHARE = 0.75;
/** Semi-space of the young generation, in MB. */
export const SEMI_SPACE_MB = 16;

/**
 * The processor's `NODE_OPTIONS` for a function of `memoryMb`.
 *
 * @example processorNodeOptions(1024) // "--max-old-space-size=768 --max-semi-space-size=16"
 */
export function processorNodeOptions(memoryMb: number): string {
  return `--max-old-space-size=${Math.floor(memoryMb * OLD_SPACE_SHARE)} --max-semi-space-size=${SEMI_SPACE_MB}`;
}

/** The old-generation cap in MB that a `NODE_OPTIONS` string sets, if any. */
export function maxOldSpaceMb(nodeOptions: string): number | undefined {
  const match = /--max[-_]old[-_]space[-_]size=(\d+)/.exec(nodeOptions);
  return match ? Number(match[1]) : undefined;
}
