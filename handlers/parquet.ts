/**
 * Streaming Parquet files: rows are buffered per column (handlers/parquet-columns.ts), every full row
 * group is encoded (handlers/parquet-pages.ts) and handed to an async byte sink before more input is
 * read, and the footer (schema from handlers/parquet-schema.ts, row groups, column statistics) is
 * written last, so a file is never held whole in memory.
 *
 * Why a writer of our own: the processor writes a handful of known shapes (flat columns of the
 * registry's types and map<string,string>), and only the encodings worth having for them (PLAIN,
 * dictionaries, RLE levels, snappy). Owning the file assembly (this module) and the page encoding lets
 * values go from the parsed record to typed arrays and dictionary indexes without intermediate
 * objects, which is where a generic writer spent its time; and it keeps the Lambda small and its init
 * short: hyparquet-writer, the generic writer used before, is an ES module graph (with the hyparquet
 * reader) of 0.5 MB that took about 40 ms of every cold start to load (issue 20). Snappy is hysnappy
 * (WASM, 5 KB, by hyparquet's authors), 4.5 times faster than a JavaScript snappy.
 *
 * Layout (Apache Parquet, "File format"): `PAR1`, the row groups' column chunks, the FileMetaData in
 * thrift's compact protocol (handlers/thrift-compact.ts), its length, `PAR1`. Pages are DATA_PAGE_V2.
 */
import { arrayPool, type ArrayPool } from "./array-pool";
import { pathToFileURL } from "node:url";
import type { DatasetDefinition } from "./datasets";
import type { CoercedValue } from "./coerce";
import { columnBuffer, type ColumnBuffer } from "./parquet-columns";
import { encodeChunk, type EncodedChunk, type SnappyCompressor } from "./parquet-pages";
import { leafColumns, parquetSchema, schemaThrift, PHYSICAL_TYPE_IDS, type LeafColumn } from "./parquet-schema";
import { encodeStruct, i32, i64, list, struct, type ThriftValue } from "./thrift-compact";

export { parquetSchema } from "./parquet-schema";
export type { SnappyCompressor } from "./parquet-pages";

/** What writing Parquet needs from its ES-module-only dependency, loaded once per container. */
export interface ParquetCodec {
  readonly compress: SnappyCompressor;
}

/**
 * Loads hysnappy, an ES-module-only package, with dynamic `import()`.
 *
 * Why not `require()`: Lambda starts Node.js 20 and 22 with `--no-experimental-require-module`
 * (AWS Lambda Developer Guide, "Building Lambda functions with Node.js", experimental features that
 * Lambda disables), under which `require()` of an ES module throws `ERR_REQUIRE_ESM`; `import()`
 * loads ES modules from CommonJS on every supported runtime. It is written inside a function so
 * that Pulumi's closure serializer emits the call verbatim instead of capturing the module (or the
 * compressor's WASM instance) by value.
 *
 * @example
 * ```ts
 * const codec = await loadParquetCodec();
 * const file = parquetFileWriter(EVENTS, sink, codec);
 * ```
 */
export async function loadParquetCodec(): Promise<ParquetCodec> {
  // Resolved to a file URL first: under tsx (the tests' loader) a CommonJS module is evaluated from a
  // `data:` URL, against which a bare specifier in `import()` cannot be resolved.
  const snappy = (await import(pathToFileURL(require.resolve("hysnappy")).href)) as typeof import("hysnappy");
  return { compress: snappy.snappyCompressor() };
}

/**
 * Rows per row group (per partition file) and, by default, rows buffered across all partitions of a
 * conversion before the fullest is flushed early (see `convertRecords`). History of the choice in
 * bench/README.md; throughput is flat across sizes, memory and file size pull in opposite directions.
 */
export const DEFAULT_ROW_GROUP_ROWS = 50_000;

/** Where encoded bytes go: an S3 upload stream, a local file. `write` resolves when the sink can take more. */
export interface ByteSink {
  write(bytes: Uint8Array): Promise<void>;
  /** Completes the object. */
  end(): Promise<void>;
  /** Discards everything written: nothing becomes visible. */
  abort(): Promise<void>;
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

/** "PAR1". A function, not a module-level constant: Pulumi's closure serializer would capture a typed array as a plain object. */
const magic = (): Uint8Array => Uint8Array.of(0x50, 0x41, 0x52, 0x31);
const MAGIC_BYTES = 4;
const SNAPPY_CODEC = 1;
const CREATED_BY = "datalake processor";

/** A column chunk placed in the file: its encoding and where it starts. */
interface PlacedChunk {
  readonly leaf: LeafColumn;
  readonly encoded: EncodedChunk;
  readonly offset: number;
}

interface RowGroupMeta {
  readonly chunks: readonly PlacedChunk[];
  readonly rows: number;
  readonly offset: number;
}

/** Deprecated min/max (fields 1, 2) are written too where their signed order is right: numbers and booleans. */
function statisticsThrift(encoded: EncodedChunk): ThriftValue | undefined {
  const statistics = encoded.statistics;
  if (statistics === undefined) return undefined;
  const legacy = encoded.type !== "BYTE_ARRAY";
  return struct(
    [1, legacy ? statistics.max : undefined],
    [2, legacy ? statistics.min : undefined],
    [3, i64(statistics.nullCount)],
    [5, statistics.max],
    [6, statistics.min],
    [7, statistics.max !== undefined ? true : undefined],
    [8, statistics.min !== undefined ? true : undefined],
  );
}

function columnChunkThrift({ leaf, encoded, offset }: PlacedChunk): ThriftValue {
  const dataPageOffset = offset + (encoded.dictionaryPageBytes ?? 0);
  return struct(
    [2, i64(offset)],
    [
      3,
      struct(
        [1, i32(PHYSICAL_TYPE_IDS[encoded.type])],
        [2, list(encoded.encodings.map(i32))],
        [3, list([...leaf.path])],
        [4, i32(SNAPPY_CODEC)],
        [5, i64(encoded.values)],
        [6, i64(encoded.uncompressedBytes)],
        [7, i64(encoded.compressedBytes)],
        [9, i64(dataPageOffset)],
        [11, encoded.dictionaryPageBytes !== undefined ? i64(offset) : undefined],
        [12, statisticsThrift(encoded)],
        [13, list(encoded.encodingStats.map((entry) => struct([1, i32(entry.pageType)], [2, i32(entry.encoding)], [3, i32(entry.count)])))],
      ),
    ],
  );
}

/** The footer: FileMetaData (version 2, schema, row groups, column orders) in thrift's compact protocol. */
function fileMetaData(dataset: DatasetDefinition, rowGroups: readonly RowGroupMeta[]): Uint8Array {
  const leafCount = leafColumns(dataset).flat().length;
  const numRows = rowGroups.reduce((sum, group) => sum + group.rows, 0);
  return encodeStruct(
    struct(
      [1, i32(2)],
      [2, schemaThrift(parquetSchema(dataset))],
      [3, i64(numRows)],
      [
        4,
        list(
          rowGroups.map((group) =>
            struct(
              [1, list(group.chunks.map(columnChunkThrift))],
              [2, i64(group.chunks.reduce((sum, chunk) => sum + chunk.encoded.uncompressedBytes, 0))],
              [3, i64(group.rows)],
              [5, i64(group.offset)],
              [6, i64(group.chunks.reduce((sum, chunk) => sum + chunk.encoded.compressedBytes, 0))],
            ),
          ),
        ),
      ],
      [6, CREATED_BY],
      // TYPE_ORDER for every leaf: readers may then use min_value/max_value (parquet.thrift, ColumnOrder).
      [7, list(Array.from({ length: leafCount }, () => struct([1, struct()])))],
    ),
  );
}

/**
 * What the footer keeps of a chunk until the file ends: no page bytes, and min/max copied so that
 * they do not keep a larger buffer alive (a view into a pooled or page buffer would: measured before,
 * +25 MB RSS per 200 MB of input).
 */
function footerPart(encoded: EncodedChunk): EncodedChunk {
  const statistics = encoded.statistics;
  return {
    ...encoded,
    parts: [],
    ...(statistics
      ? {
          statistics: {
            nullCount: statistics.nullCount,
            ...(statistics.min ? { min: Uint8Array.prototype.slice.call(statistics.min) } : {}),
            ...(statistics.max ? { max: Uint8Array.prototype.slice.call(statistics.max) } : {}),
          },
        }
      : {}),
  };
}

/**
 * Opens a Parquet file on a sink. (A closure rather than a class: Pulumi's closure serializer
 * drops class field initializers.) Its column buffers take their arrays from `arrays`: pass one pool
 * to every file of a conversion (handlers/array-pool.ts).
 *
 * @example
 * ```ts
 * const file = parquetFileWriter(EVENTS, sink, await loadParquetCodec());
 * if (file.append(values)) await file.flushRowGroup();
 * await file.finish();
 * ```
 */
export function parquetFileWriter(dataset: DatasetDefinition, sink: ByteSink, codec: ParquetCodec, rowGroupRows: number = DEFAULT_ROW_GROUP_ROWS, arrays: ArrayPool = arrayPool()): ParquetFileWriter {
  const leaves = leafColumns(dataset);
  const statistics = dataset.columns.map((column) => column.type !== "map<string,string>");
  let buffers: ColumnBuffer[] = dataset.columns.map((column) => columnBuffer(column, arrays));
  const rowGroups: RowGroupMeta[] = [];
  let bufferedRows = 0;
  let rowCount = 0;
  let fileOffset = 0;
  let pendingWrite: Promise<void> = Promise.resolve();

  /** Queues bytes for the sink, in order; returns when the sink has taken them. */
  const write = (parts: readonly Uint8Array[]): Promise<void> => {
    const bytes = Buffer.concat(parts);
    fileOffset += bytes.length;
    pendingWrite = pendingWrite.then(() => sink.write(bytes));
    return pendingWrite;
  };

  const flushRowGroup = (): Promise<void> => {
    if (bufferedRows === 0) return pendingWrite;
    const rows = bufferedRows;
    bufferedRows = 0;
    const parts: Uint8Array[] = fileOffset === 0 ? [magic()] : [];
    let at = fileOffset + (fileOffset === 0 ? MAGIC_BYTES : 0);
    const groupOffset = at;
    const chunks: PlacedChunk[] = [];
    buffers.forEach((buffer, column) => {
      buffer.take().forEach((chunk, leafIndex) => {
        const leaf = leaves[column]![leafIndex]!;
        const encoded = encodeChunk(leaf, chunk, codec.compress, statistics[column]!);
        chunks.push({ leaf, encoded: footerPart(encoded), offset: at });
        parts.push(...encoded.parts);
        at += encoded.compressedBytes;
      });
    });
    rowGroups.push({ chunks, rows, offset: groupOffset });
    return write(parts);
  };

  return {
    get bufferedRows() {
      return bufferedRows;
    },
    get rowCount() {
      return rowCount;
    },
    append(values) {
      for (let index = 0; index < values.length; index++) buffers[index]!.push(values[index]!);
      bufferedRows += 1;
      rowCount += 1;
      return bufferedRows >= rowGroupRows;
    },
    flushRowGroup,
    async finish() {
      await flushRowGroup();
      const footer = fileMetaData(dataset, rowGroups);
      const length = new Uint8Array(4);
      new DataView(length.buffer).setUint32(0, footer.length, true);
      await write([...(fileOffset === 0 ? [magic()] : []), footer, length, magic()]);
      await sink.end();
    },
    async abort() {
      buffers = [];
      await pendingWrite.catch(() => undefined);
      await sink.abort();
    },
  };
}
