/**
 * The benchmark's reference conversion: the same dataset converted by DuckDB (`read_json` with the
 * registry's typed columns, `COPY … (FORMAT parquet)` partitioned by the UTC day), used by
 * bench/processor.ts and by the test that compares the two outputs (tests/duckdb-equality.test.mts).
 */
import type { ColumnType, DatasetDefinition } from "../handlers/datasets";

/** DuckDB's type for a registry column type (the Glue types' DuckDB names). */
const DUCKDB_TYPES: Readonly<Record<ColumnType, string>> = {
  string: "VARCHAR",
  int: "INTEGER",
  bigint: "BIGINT",
  double: "DOUBLE",
  boolean: "BOOLEAN",
  timestamp: "TIMESTAMPTZ",
  date: "DATE",
  "map<string,string>": "MAP(VARCHAR, VARCHAR)",
};

/**
 * The same conversion in DuckDB: the dataset's typed columns, a file per UTC day of its partition
 * column, snappy Parquet with DuckDB's defaults otherwise.
 *
 * @example await connection.run(duckDbConversion(EVENTS, "events.jsonl", "out/", false));
 */
export function duckDbConversion(dataset: DatasetDefinition, input: string, outDir: string, gzip: boolean): string {
  const columns = dataset.columns.map((column) => `${JSON.stringify(column.name)}: '${DUCKDB_TYPES[column.type]}'`).join(", ");
  const day = dataset.partitionColumn;
  const partitions = day ? `, year(timezone('UTC', "${day}")) AS year, month(timezone('UTC', "${day}")) AS month, day(timezone('UTC', "${day}")) AS day` : "";
  return `
    COPY (
      SELECT *${partitions}
      FROM read_json('${input}', format = 'newline_delimited', compression = '${gzip ? "gzip" : "uncompressed"}', columns = { ${columns} })
    ) TO '${outDir}' (FORMAT parquet, COMPRESSION snappy${day ? ", PARTITION_BY (year, month, day)" : ""}, OVERWRITE_OR_IGNORE)`;
}

