/**
 * V8 heap options of the processor function. Pure module: compute/index.ts sets them as the
 * function's `NODE_OPTIONS`, and bench/processor.ts runs the processor with the same ones.
 *
 * Why: Lambda's Node.js bootstrap derives `--max-semi-space-size` and `--max-old-space-size` from
 * the function's memory unless `NODE_OPTIONS` sets either (its bootstrap script; not verifiable
 * offline). For the conversion both derived values cost (bench/processor.ts's processor, 200 MB of
 * events, this shared 2-core machine, ±10 %):
 *
 * | V8 options | MB/s per CPU-second | peak RSS | mark-compacts |
 * |---|---|---|---|
 * | none (heap limit 4 GB on this machine) | 37–44 | 157–206 MB | 10 |
 * | as derived for 1024 MB (semi-space 34, old space 820) | 32 | 235–237 MB | 47 |
 * | as derived for 2048 MB (semi-space 68, old space 1638) | 35–40 | 368 MB | — |
 * | old space 410–820, semi-space 16 | 29–36 | 126–140 MB | 47 |
 * | **old space 2048, semi-space 16 (these)** | 37–44 | 171–176 MB | 9 |
 *
 * Below a 2 GB limit V8 grows its old generation in small steps (31 mark-compacts at 1400 MB, 47 at
 * 820), though the live set after each is only 20–23 MB; a large semi-space only adds RSS. The
 * limit is not what bounds memory here (the row-group budget in handlers/convert.ts does); should
 * the heap ever outgrow the function's memory, the invocation fails like any out-of-memory and the
 * message is retried, then kept in the dead-letter queue.
 */
export const PROCESSOR_NODE_OPTIONS = "--max-old-space-size=2048 --max-semi-space-size=16";
