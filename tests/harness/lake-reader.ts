/**
 * Reads what the pipeline wrote, with an engine independent of the processor: copies the lake's
 * zones from the endpoint to a local folder and exposes every Glue table the program declares as a
 * DuckDB view (Parquet with hive partitioning; the rejected JSON Lines with their path's
 * partitions), under the declared database name, so the named queries run as declared. The copy is
 * a scratch folder outside the repository; `close()` removes it.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import type { ProgramRun } from "./program";
import { removeScratch, scratchFolder } from "./scratch";

/** Glue (Athena) types → DuckDB types. */
export const DUCKDB_TYPES: Readonly<Record<string, string>> = {
  string: "VARCHAR",
  int: "INTEGER",
  bigint: "BIGINT",
  double: "DOUBLE",
  boolean: "BOOLEAN",
  timestamp: "TIMESTAMP",
  date: "DATE",
  "map<string,string>": "MAP(VARCHAR, VARCHAR)",
};

/**
 * Glue (Athena) types → the DuckDB type of the same column read straight from a Parquet file the
 * processor wrote (no declared casts): what a Parquet schema must show for its Glue table. The same as
 * `DUCKDB_TYPES` but for timestamps, which the processor writes UTC-adjusted.
 */
export const PARQUET_AS_READ: Readonly<Record<string, string>> = { ...DUCKDB_TYPES, timestamp: "TIMESTAMP WITH TIME ZONE" };

interface GlueColumn {
  readonly name: string;
  readonly type: string;
}

export interface DeclaredTable {
  readonly database: string;
  readonly name: string;
  /** The zone folder under the bucket, e.g. `processed/events/`. */
  readonly prefix: string;
  readonly columns: readonly GlueColumn[];
  readonly partitionKeys: readonly GlueColumn[];
  readonly format: "parquet" | "jsonl";
}

export function declaredTables(run: ProgramRun): DeclaredTable[] {
  return run.all("aws:glue/catalogTable:CatalogTable").map((table) => {
    const location = String(table.inputs.storageDescriptor.location);
    const prefix = location.replace(/^s3:\/\/[^/]+\//, "");
    const serde = String(table.inputs.storageDescriptor.serDeInfo?.serializationLibrary ?? "");
    return {
      database: String(table.inputs.databaseName),
      name: String(table.inputs.name),
      prefix,
      columns: table.inputs.storageDescriptor.columns as GlueColumn[],
      partitionKeys: (table.inputs.partitionKeys ?? []) as GlueColumn[],
      format: serde.includes("Json") ? "jsonl" : "parquet",
    };
  });
}

export interface LakeSnapshot {
  readonly dir: string;
  /** Keys copied, by zone prefix order. */
  readonly keys: readonly string[];
  readonly connection: DuckDBConnection;
  readonly tables: readonly DeclaredTable[];
  /** Runs SQL and returns rows as JSON-friendly objects (BIGINT as strings); `parameters` fill its `?` placeholders, as Athena's `ExecutionParameters` do (text). */
  rows(sql: string, parameters?: readonly string[]): Promise<Record<string, unknown>[]>;
  /** A view's columns as DuckDB reports them, name → type. */
  describe(table: DeclaredTable): Promise<Record<string, string>>;
  /** Closes DuckDB and removes the copy. */
  close(): void;
}

async function copyPrefix(s3: S3Client, bucket: string, prefix: string, dir: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const object of page.Contents ?? []) {
      const key = object.Key!;
      const body = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const path = join(dir, key);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, await body.Body!.transformToByteArray());
      keys.push(key);
    }
    token = page.NextContinuationToken;
  } while (token);
  return keys;
}

const quote = (identifier: string): string => `"${identifier.replace(/"/g, '""')}"`;
const literal = (text: string): string => `'${text.replace(/'/g, "''")}'`;

function columnList(table: DeclaredTable): string {
  return [...table.columns, ...table.partitionKeys]
    .map((column) => {
      const type = DUCKDB_TYPES[column.type];
      if (!type) throw new Error(`No DuckDB type for Glue type ${column.type} (${table.name}.${column.name})`);
      return `${quote(column.name)} ${type}`;
    })
    .join(", ");
}

/** A SELECT that reads the table's files with its declared columns (empty when none were written). */
function tableSource(table: DeclaredTable, dir: string, keys: readonly string[]): string {
  const files = keys.filter((key) => key.startsWith(table.prefix) && !key.includes("/_objects/"));
  const casts = [...table.columns, ...table.partitionKeys].map((column) => `CAST(${quote(column.name)} AS ${DUCKDB_TYPES[column.type]}) AS ${quote(column.name)}`);
  if (table.format === "parquet") {
    const parquet = files.filter((key) => key.endsWith(".parquet"));
    if (parquet.length === 0) return `SELECT * FROM (SELECT ${casts.map(() => `NULL`).join(", ")}) WHERE false`;
    const list = parquet.map((key) => literal(join(dir, key))).join(", ");
    return `SELECT ${casts.join(", ")} FROM read_parquet([${list}], hive_partitioning = true)`;
  }
  if (files.length === 0) return `SELECT * FROM (SELECT ${casts.map(() => `NULL`).join(", ")}) WHERE false`;
  // rejected/<dataset>/year=YYYY/month=MM/day=DD/…: the dataset comes from the path.
  const list = files.map((key) => literal(join(dir, key))).join(", ");
  const columns = Object.fromEntries(table.columns.map((column) => [column.name, DUCKDB_TYPES[column.type]!]));
  const datasetFromPath = `regexp_extract(filename, ${literal(`${table.prefix}([^/]+)/`)}, 1)`;
  return (
    `SELECT ${table.columns.map((column) => `CAST(${quote(column.name)} AS ${DUCKDB_TYPES[column.type]}) AS ${quote(column.name)}`).join(", ")}, ` +
    `${datasetFromPath} AS dataset, CAST(year AS INTEGER) AS year, CAST(month AS INTEGER) AS month, CAST(day AS INTEGER) AS day ` +
    `FROM read_json([${list}], format = 'newline_delimited', columns = ${duckStruct(columns)}, hive_partitioning = true, filename = true)`
  );
}

function duckStruct(columns: Record<string, string>): string {
  return `{${Object.entries(columns).map(([name, type]) => `${literal(name)}: ${literal(type)}`).join(", ")}}`;
}

/** Copies the lake's processed, rejected and curated zones and opens them in DuckDB. */
export async function readLake(s3: S3Client, bucket: string, run: ProgramRun): Promise<LakeSnapshot> {
  const dir = scratchFolder("lake");
  const keys: string[] = [];
  const instance = await DuckDBInstance.create(":memory:", { threads: "1" });
  const connection = await instance.connect();
  const tables = declaredTables(run);
  try {
    for (const zone of ["processed/", "rejected/", "curated/"]) keys.push(...(await copyPrefix(s3, bucket, zone, dir)));
    for (const database of new Set(tables.map((table) => table.database))) await connection.run(`CREATE SCHEMA ${quote(database)}`);
    for (const table of tables) {
      await connection.run(`CREATE TABLE ${quote(table.database)}.${quote(table.name)} (${columnList(table)})`);
      await connection.run(`INSERT INTO ${quote(table.database)}.${quote(table.name)} ${tableSource(table, dir, keys)}`);
    }
  } catch (error) {
    connection.closeSync();
    instance.closeSync();
    removeScratch(dir);
    throw error;
  }
  return {
    dir,
    keys,
    connection,
    tables,
    async rows(sql, parameters) {
      const reader = parameters ? await connection.runAndReadAll(sql, [...parameters]) : await connection.runAndReadAll(sql);
      return reader.getRowObjectsJson() as Record<string, unknown>[];
    },
    async describe(table) {
      const reader = await connection.runAndReadAll(
        `SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = ${literal(table.database)} AND table_name = ${literal(table.name)} ORDER BY ordinal_position`,
      );
      return Object.fromEntries(reader.getRows().map(([name, type]) => [String(name), String(type)]));
    },
    close() {
      connection.closeSync();
      instance.closeSync();
      removeScratch(dir);
    },
  };
}

/** The schema a Parquet file really has, as DuckDB reads it (name → type), without the declared casts. */
export async function parquetSchema(snapshot: LakeSnapshot, key: string): Promise<Record<string, string>> {
  const reader = await snapshot.connection.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${literal(join(snapshot.dir, key))}, hive_partitioning = false)`);
  return Object.fromEntries(reader.getRows().map((row) => [String(row[0]), String(row[1])]));
}
