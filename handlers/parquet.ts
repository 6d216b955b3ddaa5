/**
 * Streaming Parquet output with hyparquet-writer: values are buffered per column, and every full
 * row group is encoded (snappy) and handed to an async byte sink before more input is read, so a
 * file is never held whole in memory.
 *
 * Why hyparquet-writer: it is pure JavaScript (444 KB installed, no WASM or native build, so the
 * Lambda upload stays small and arm64 needs nothing special), it is maintained, writes snappy by
 * default and supports incremental row groups with an awaitable flush. Its files are read by DuckDB
 * (checked in tests/convert.test.mts) and by Athena (plain Parquet v1 types: UTF8 BYTE_ARRAY, INT32,
 * INT64 TIMESTAMP_MILLIS, MAP). parquet-wasm + apache-arrow measured slower (17.3 MB/s vs the
 * writer's share here, see bench/processor.ts) and weigh 27 MB. Measured figures for the row-group
 * size are in `DEFAULT_ROW_GROUP_ROWS`.
 */
import type { ColumnDefinition, ColumnType, DatasetDefinition } from "./datasets";
import type { CoercedValue } from "./coerce";

type HyparquetWriter = typeof import("hyparquet-writer");
type SchemaElement = import("hyparquet").SchemaElement;

/**
 * hyparquet-writer is an ES module: it is loaded with `require` at first use (Node ≥ 20.19 loads
 * ES modules synchronously), inside a function so that Pulumi's closure serializer emits the call
 * verbatim instead of trying to capture the module by value.
 */
function loadWriter(): HyparquetWriter {
  return require("hyparquet-writer") as HyparquetWriter;
}

/**
 * Rows per row group. Smaller groups bound memory (the buffered column values, their encoded pages
 * and the snappy output all scale with it); larger ones compress slightly better and cost less
 * per-group overhead. Chosen from `npm run bench:processor` on the events dataset; see the figures
 * in bench/README.md.
 */
export const DEFAULT_ROW_GROUP_ROWS = 50_000;

const PHYSICAL: Readonly<Record<Exclude<ColumnType, "map<string,string>">, Omit<SchemaElement, "name" | "repetition_type">>> = {
  string: { type: "BYTE_ARRAY", converted_type: "UTF8" },
  int: { type: "INT32" },
  bigint: { type: "INT64" },
  double: { type: "DOUBLE" },
  boolean: { type: "BOOLEAN" },
  timestamp: { type: "INT64", converted_type: "TIMESTAMP_MILLIS", logical_type: { type: "TIMESTAMP", isAdjustedToUTC: true, unit: "MILLIS" } },
  date: { type: "INT32", converted_type: "DATE" },
};

function columnSchema(column: ColumnDefinition): SchemaElement[] {
  const repetition = column.required ? "REQUIRED" : "OPTIONAL";
  if (column.type === "map<string,string>") {
    // The standard three-level MAP layout that Athena (Hive) and DuckDB read as map<string,string>.
    return [
      { name: column.name, repetition_type: repetition, converted_type: "MAP", num_children: 1 },
      { name: "key_value", repetition_type: "REPEATED", num_children: 2 },
      { name: "key", type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "REQUIRED" },
      { name: "value", type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "OPTIONAL" },
    ];
  }
  return [{ name: column.name, repetition_type: repetition, ...PHYSICAL[column.type] }];
}

/**
 * The Parquet schema of a dataset, in column order: the single source shared with the Glue tables.
 *
 * @example parquetSchema(USERS)[1] // { name: "user_id", repetition_type: "REQUIRED", type: "INT32" }
 */
export function parquetSchema(dataset: DatasetDefinition): SchemaElement[] {
  return [{ name: "schema", num_children: dataset.columns.length }, ...dataset.columns.flatMap(columnSchema)];
}

/** Where encoded bytes go: an S3 upload stream, a local file. `write` resolves when the sink can take more. */
export interface ByteSink {
  write(bytes: Uint8Array): Promise<void>;
  /** Completes the object. */
  end(): Promise<void>;
  /** Discards everything written: nothing becomes visible. */
  abort(): Promise<void>;
}

/** Typed columns keep numbers unboxed; other columns are plain arrays. */
function newColumnBuffer(type: ColumnType, capacity: number, required: boolean): CoercedValue[] | Int32Array | Float64Array {
  if (!required) return [];
  if (type === "int" || type === "date") return new Int32Array(capacity);
  if (type === "double") return new Float64Array(capacity);
  return [];
}

/** One Parquet file being written: buffered rows of the current row group plus the file's writer. */
export interface ParquetFileWriter {
  /** Rows in the current, unflushed row group. */
  readonly bufferedRows: number;
  /** Rows written to the file, flushed or not. */
  readonly rowCount: number;
  /** Appends one coerced row; returns true when the row group is full and `flushRowGroup` should run. */
  append(values: readonly CoercedValue[]): boolean;
  /** Encodes the buffered rows as one row group and waits until the sink has taken the bytes. */
  flushRowGroup(): Promise<void>;
  /** Flushes the last row group, writes the footer and completes the sink. */
  finish(): Promise<void>;
  /** Discards the file: nothing becomes visible. */
  abort(): Promise<void>;
}

/**
 * Opens a Parquet file on a sink. (A closure rather than a class: Pulumi's closure serializer
 * drops class field initializers.)
 *
 * @example
 * ```ts
 * const file = parquetFileWriter(EVENTS, sink);
 * if (file.append(values)) await file.flushRowGroup();
 * await file.finish();
 * ```
 */
export function parquetFileWriter(dataset: DatasetDefinition, sink: ByteSink, rowGroupRows: number = DEFAULT_ROW_GROUP_ROWS): ParquetFileWriter {
  const { ByteWriter, ParquetWriter } = loadWriter();
  const columns = dataset.columns;
  const newBuffers = (): (CoercedValue[] | Int32Array | Float64Array)[] => columns.map((column) => newColumnBuffer(column.type, rowGroupRows, column.required));
  let buffers = newBuffers();
  let bufferedRows = 0;
  let rowCount = 0;
  let pendingWrite: Promise<void> = Promise.resolve();
  const byteWriter = new ByteWriter(1 << 20);
  // hyparquet-writer calls flush() after each row group and awaits a returned promise: hand the
  // encoded bytes to the sink and start over at the head of the same buffer.
  const flush = (): Promise<void> => {
    const bytes = new Uint8Array(byteWriter.buffer.slice(0, byteWriter.index));
    byteWriter.index = 0;
    pendingWrite = pendingWrite.then(() => sink.write(bytes));
    return pendingWrite;
  };
  Object.assign(byteWriter, { flush, finish: flush });
  const writer = new ParquetWriter({ writer: byteWriter, schema: parquetSchema(dataset), codec: "SNAPPY", createdBy: "datalake processor" });

  const flushRowGroup = async (): Promise<void> => {
    if (bufferedRows === 0) return;
    const rows = bufferedRows;
    const columnData = columns.map((column, index) => {
      const buffer = buffers[index]!;
      const data = buffer.length === rows ? buffer : buffer.slice(0, rows);
      return { name: column.name, data: data as never, statistics: column.type !== "map<string,string>" };
    });
    buffers = newBuffers();
    bufferedRows = 0;
    await writer.write({ columnData, rowGroupSize: rows });
  };

  return {
    get bufferedRows() {
      return bufferedRows;
    },
    get rowCount() {
      return rowCount;
    },
    append(values) {
      const row = bufferedRows;
      for (let index = 0; index < values.length; index++) (buffers[index] as CoercedValue[])[row] = values[index]!;
      bufferedRows = row + 1;
      rowCount += 1;
      return bufferedRows >= rowGroupRows;
    },
    flushRowGroup,
    async finish() {
      await flushRowGroup();
      await writer.finish();
      await pendingWrite;
      await sink.end();
    },
    async abort() {
      buffers = [];
      await pendingWrite.catch(() => undefined);
      await sink.abort();
    },
  };
}
