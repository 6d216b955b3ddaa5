/**
 * Sinks that write lake keys as files under a folder: the conversion engine's output on a local disk
 * (the benchmark, the parity tests). Only `node:` imports, so a benchmark child that loads it stays
 * as small as the processor it measures.
 *
 * @example
 * ```ts
 * await convertRecords(input, { ...options, openSink: fileSinks("/tmp/lake") });
 * // /tmp/lake/processed/events/year=2026/month=11/day=20/<name>.parquet
 * ```
 */
import { createWriteStream, mkdirSync, rmSync } from "node:fs";
import { once } from "node:events";
import { dirname, join } from "node:path";
import type { SinkFactory } from "../../handlers/convert";
import type { ByteSink } from "../../handlers/parquet";

export function fileSinks(root: string): SinkFactory {
  return (key) => {
    const path = join(root, key);
    mkdirSync(dirname(path), { recursive: true });
    const stream = createWriteStream(path);
    const sink: ByteSink = {
      async write(bytes) {
        if (!stream.write(bytes)) await once(stream, "drain");
      },
      async end() {
        stream.end();
        await once(stream, "finish");
      },
      async abort() {
        stream.destroy();
        rmSync(path, { force: true });
      },
    };
    return sink;
  };
}
