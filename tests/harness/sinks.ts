/** In-memory output sinks for the conversion engine, and read-back of their Parquet with DuckDB. */
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import type { SinkFactory } from "../../handlers/convert";
import { removeScratch, scratchFolder } from "./scratch";

export interface MemoryStore {
  readonly openSink: SinkFactory;
  /** Completed objects only: aborted ones never appear, as with S3. */
  readonly objects: Map<string, Buffer>;
  readonly aborted: string[];
}

export function memoryStore(): MemoryStore {
  const objects = new Map<string, Buffer>();
  const aborted: string[] = [];
  return {
    objects,
    aborted,
    openSink: (key) => {
      const parts: Buffer[] = [];
      return {
        write: async (bytes) => void parts.push(Buffer.from(bytes)),
        end: async () => void objects.set(key, Buffer.concat(parts)),
        abort: async () => void aborted.push(key),
      };
    },
  };
}

export interface ParquetReadBack {
  readonly columns: { readonly name: string; readonly type: string }[];
  readonly rows: Record<string, unknown>[];
}

/**
 * Parquet bytes as a file for DuckDB's own functions (`parquet_metadata`, …), in a scratch folder
 * removed when the test process ends.
 *
 * @example const path = parquetScratchFile(store.objects.get("processed/events/n.parquet")!);
 */
export function parquetScratchFile(bytes: Uint8Array): string {
  const path = join(scratchFolder("parquet"), "file.parquet");
  writeFileSync(path, bytes);
  return path;
}

/** Reads Parquet bytes with DuckDB, an independent reader: column names and types, and every row. */
export async function readParquetWithDuckDb(bytes: Buffer): Promise<ParquetReadBack> {
  const path = parquetScratchFile(bytes);
  const instance = await DuckDBInstance.create(":memory:", { threads: "1" });
  const connection = await instance.connect();
  try {
    // hive_partitioning off: the file's own columns only.
    const source = `read_parquet('${path}', hive_partitioning = false)`;
    const described = await (await connection.run(`DESCRIBE SELECT * FROM ${source}`)).getRowObjectsJson();
    const rows = await (await connection.run(`SELECT * FROM ${source}`)).getRowObjectsJson();
    return { columns: described.map((row) => ({ name: String(row.column_name), type: String(row.column_type) })), rows: rows as Record<string, unknown>[] };
  } finally {
    connection.closeSync();
    instance.closeSync();
    removeScratch(dirname(path));
  }
}
