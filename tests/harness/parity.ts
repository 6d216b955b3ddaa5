/**
 * The two conversions side by side: the processor's engine (`convertRecords`) and the Glue job's
 * (run locally, `./glue-runner`) on the same raw objects, and what each wrote as DuckDB reads it.
 * Used by tests/glue-parity.test.mts.
 *
 * @example
 * ```ts
 * const processor = await convertWithProcessor(parityCase.dataset, message, parityCase.body, join(root, "processor"), PARITY_LIMITS);
 * const facts = await parquetFacts(join(root, "processor", processor.outputs[0]!));
 * ```
 */
import { existsSync, readFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { DuckDBInstance } from "@duckdb/node-api";
import { convertRecords, landedAt, versionOutputs } from "../../handlers/convert";
import type { DatasetDefinition } from "../../handlers/datasets";
import { permanentCause } from "../../handlers/errors";
import type { ConversionLimits } from "../../handlers/glue-contract";
import type { GlueObjectResult } from "../../handlers/glue-objects";
import type { ObjectLandedMessage } from "../../handlers/ingest";
import { outputName, rawEncoding } from "../../handlers/outputs";
import { loadParquetCodec } from "../../handlers/parquet";
import { fileSinks } from "./file-sinks";

/** The queue message a raw object of a test would have had. */
export function landedMessage(dataset: DatasetDefinition, key: string, body: Buffer): ObjectLandedMessage {
  const etag = createHash("md5").update(body).digest("hex");
  return { bucket: "parity-lake", key, size: body.length, etag, versionId: `v-${etag.slice(0, 12)}`, eventTime: "2026-11-25T08:00:00Z", dataset: dataset.name, change: "created", sequencer: "0055AED6DCD90281E5" };
}

/** What the processor's engine makes of an object with the given limits, in the shape of the job's result document. */
export async function convertWithProcessor(dataset: DatasetDefinition, message: ObjectLandedMessage, body: Buffer, lakeRoot: string, limits: ConversionLimits): Promise<GlueObjectResult> {
  const encoding = rawEncoding(message.key);
  if (encoding === undefined) throw new Error(`no format for ${message.key}`);
  try {
    const result = await convertRecords(Readable.from([body]), {
      dataset,
      encoding,
      name: outputName(message),
      sourceKey: message.key,
      landedAt: landedAt(message),
      openSink: fileSinks(lakeRoot),
      codec: await loadParquetCodec(),
      maxRecordBytes: limits.maxRecordBytes,
      ...(limits.partitionYears ? { partitionYears: limits.partitionYears } : {}),
    });
    return { status: "converted", ...versionOutputs(result) };
  } catch (error) {
    const permanent = permanentCause(error);
    if (permanent === undefined) throw error;
    return { status: "rejected", reason: permanent.reason, detail: permanent.message };
  }
}

/**
 * A converted result as one file per partition would give it: each partition's first key only, and
 * the outputs those keys and the rejected records. The processor continues a partition it closed (32
 * files open at most) in `<name>-2.parquet`…; the job writes one file per (object, day) with the same
 * rows, so the two are compared in this shape when the processor rolled files.
 */
export function oneFilePerPartition(result: GlueObjectResult): GlueObjectResult {
  if (result.status !== "converted") return result;
  const partitions = result.partitions.map(({ partition, key, rows }) => ({ partition, key, rows }));
  const rejected = result.outputs.filter((key) => !key.endsWith(".parquet"));
  return { ...result, partitions, outputs: [...partitions.map((partition) => partition.key), ...rejected] };
}

/** One Parquet file as DuckDB reads it: its physical schema, its column types and its rows (sorted). */
export interface ParquetFacts {
  readonly schema: readonly { readonly name: string; readonly type: string; readonly repetition: string; readonly converted: string }[];
  readonly columns: readonly { readonly name: string; readonly type: string }[];
  readonly rows: readonly string[];
}

let duckdb: Promise<DuckDBInstance> | undefined;

/** Reads a Parquet file with DuckDB; rows as JSON texts, sorted (neither engine promises an order). */
export async function parquetFacts(path: string): Promise<ParquetFacts> {
  duckdb ??= DuckDBInstance.create(":memory:", { threads: "1" });
  const connection = await (await duckdb).connect();
  try {
    const source = `read_parquet('${path.replace(/'/g, "''")}', hive_partitioning = false)`;
    const schema = await (await connection.run(`SELECT name, type, repetition_type, converted_type FROM parquet_schema('${path.replace(/'/g, "''")}')`)).getRowObjectsJson();
    const described = await (await connection.run(`DESCRIBE SELECT * FROM ${source}`)).getRowObjectsJson();
    const rows = await (await connection.run(`SELECT * FROM ${source}`)).getRowObjectsJson();
    return {
      // The root element's name is the writer's own ("schema", "spark_schema").
      schema: schema.slice(1).map((row) => ({ name: String(row.name), type: String(row.type), repetition: String(row.repetition_type), converted: String(row.converted_type) })),
      columns: described.map((row) => ({ name: String(row.column_name), type: String(row.column_type) })),
      rows: rows.map((row) => JSON.stringify(row)).sort(),
    };
  } finally {
    connection.closeSync();
  }
}

/** A rejected-records file's lines, parsed, sorted by line, reason and column (emission order is the reader's). */
export function rejectedRecords(path: string): Record<string, unknown>[] {
  if (!existsSync(path)) return [];
  const parsed = readFileSync(path, "utf8")
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  const key = (record: Record<string, unknown>) => `${String(record.line_number).padStart(9, "0")}\u0000${String(record.reason)}\u0000${String(record.column ?? "")}`;
  return parsed.sort((left, right) => key(left).localeCompare(key(right)));
}
