/**
 * Conversion of one raw object to partitioned Parquet.
 *
 * `convertRecords` is the engine (byte stream in, sinks out; no AWS), shared by the processor, the
 * tests and bench/processor.ts. `convertObject` wraps it for S3: it reads the exact object version the
 * message names, writes through streaming multipart uploads, reconciles the counts, logs them and
 * emits them as metrics. Whether its outputs become the key's mirror is decided afterwards
 * (handlers/apply-change.ts), which also announces the change.
 */
import { PassThrough, type Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { s3UploadSink } from "./s3-upload-sink";
import type { DatasetDefinition } from "./datasets";
import type { ObjectLandedMessage } from "./ingest";
import type { VersionOutputs } from "./apply-change";
import type { LogSink } from "./log";
import { recordCoercer, type CoercedValue, type Rejection, type RejectionReason } from "./coerce";
import { DEFAULT_ROW_GROUP_ROWS, parquetFileWriter, type ByteSink, type ParquetCodec, type ParquetFileWriter } from "./parquet";
import { readCsv, readJsonLines, type RecordVisitor } from "./record-readers";
import { outputName, processedKey, rawEncoding, rejectedRecordsKey, type RawEncoding, type RejectedRecordLine } from "./outputs";
import { PermanentError, permanentCause } from "./errors";
import { dailyPartition } from "../storage/zones";

export const PARQUET_CONTENT_TYPE = "application/vnd.apache.parquet";
export const JSON_LINES_CONTENT_TYPE = "application/x-ndjson";

/** Opens a sink for an output key. */
export type SinkFactory = (key: string, contentType: string) => ByteSink;

export interface ConversionOptions {
  readonly dataset: DatasetDefinition;
  readonly encoding: RawEncoding;
  /** The output name derived from the source object (see `outputName`). */
  readonly name: string;
  /** The source object's key, kept with every rejected record. */
  readonly sourceKey: string;
  /** When the object landed: the day partition of its rejected records. */
  readonly landedAt: Date;
  readonly openSink: SinkFactory;
  /** The Parquet writer's modules (see `loadParquetCodec`). */
  readonly codec: ParquetCodec;
  readonly rowGroupRows?: number;
  /**
   * Rows buffered across all partitions before the fullest partition is flushed early: bounds memory
   * for an object that spans many days, whatever their number.
   */
  readonly maxBufferedRows?: number;
}

export interface PartitionOutput {
  /** `year=YYYY/month=MM/day=DD/`, or "" for an unpartitioned dataset. */
  readonly partition: string;
  readonly key: string;
  readonly rows: number;
}

export interface ConversionCounts {
  readonly rowsRead: number;
  readonly rowsWritten: number;
  readonly rowsRejected: number;
}

export interface ConversionResult extends ConversionCounts {
  readonly partitions: readonly PartitionOutput[];
  /** The rejected-records object, when any record was rejected. */
  readonly rejectedKey?: string;
  readonly rejectedByReason: Readonly<Partial<Record<RejectionReason, number>>>;
}

/** Rejected lines are written in chunks of about this size. */
const REJECTED_CHUNK_CHARS = 256 * 1024;
const MILLIS_PER_DAY = 86_400_000;

/** Collects rejected records as JSON Lines (line number, reason, detail, column, raw record). */
interface RejectedWriter {
  readonly key: string;
  readonly count: number;
  readonly byReason: Readonly<Partial<Record<RejectionReason, number>>>;
  add(line: number, rejection: Rejection, raw: unknown): Promise<void> | undefined;
  finish(): Promise<void>;
  abort(): Promise<void>;
}

/** The output is opened at the first rejection: a clean object leaves nothing in `rejected/`. */
function rejectedWriter(key: string, sourceKey: string, openSink: SinkFactory): RejectedWriter {
  let sink: ByteSink | undefined;
  let chunk: string[] = [];
  let chunkChars = 0;
  let count = 0;
  const byReason: Partial<Record<RejectionReason, number>> = {};
  const flush = async (): Promise<void> => {
    if (chunk.length === 0) return;
    sink ??= openSink(key, JSON_LINES_CONTENT_TYPE);
    const text = `${chunk.join("\n")}\n`;
    chunk = [];
    chunkChars = 0;
    await sink.write(Buffer.from(text, "utf8"));
  };
  return {
    key,
    get count() {
      return count;
    },
    byReason,
    add(line, rejection, raw) {
      count += 1;
      byReason[rejection.reason] = (byReason[rejection.reason] ?? 0) + 1;
      const entry = JSON.stringify({
        source_key: sourceKey,
        line_number: line,
        reason: rejection.reason,
        ...(rejection.column ? { column: rejection.column } : {}),
        detail: rejection.detail,
        record: typeof raw === "string" ? raw : JSON.stringify(raw),
      } satisfies RejectedRecordLine);
      chunk.push(entry);
      chunkChars += entry.length + 1;
      return chunkChars >= REJECTED_CHUNK_CHARS ? flush() : undefined;
    },
    async finish() {
      await flush();
      await sink?.end();
    },
    async abort() {
      await sink?.abort();
    },
  };
}

function decompressIfNeeded(input: Readable, encoding: RawEncoding): Readable {
  if (!encoding.gzip) return input;
  const gunzip = createGunzip();
  input.on("error", (error) => gunzip.destroy(error));
  return input.pipe(gunzip);
}

/** The day an object landed, from the ingest message's event time (falls back to the epoch when unreadable, never to "now", which would break idempotency). */
export function landedAt(message: Pick<ObjectLandedMessage, "eventTime">): Date {
  const parsed = new Date(message.eventTime);
  return Number.isNaN(parsed.getTime()) ? new Date(0) : parsed;
}

/**
 * Converts a raw byte stream to Parquet files, one per partition, and rejected records to one JSON
 * Lines file. Everything is aborted (nothing becomes visible) when the conversion fails.
 *
 * @throws PermanentError("unreadable_object") when the stream is not valid gzip.
 * @example
 * ```ts
 * const result = await convertRecords(createReadStream("events.jsonl"), {
 *   dataset: EVENTS, encoding: { format: "jsonl", gzip: false }, name: "events-1", openSink: fileSinks("out/"), codec: await loadParquetCodec(),
 * });
 * // result.rowsWritten + result.rowsRejected === result.rowsRead
 * ```
 */
export async function convertRecords(input: Readable, options: ConversionOptions): Promise<ConversionResult> {
  const { dataset, name, openSink } = options;
  const rowGroupRows = options.rowGroupRows ?? DEFAULT_ROW_GROUP_ROWS;
  // One row group's worth across all partitions: see DEFAULT_ROW_GROUP_ROWS for the measurements.
  const maxBufferedRows = options.maxBufferedRows ?? rowGroupRows;
  const coerce = recordCoercer(dataset);
  const partitionIndex = dataset.partitionColumn === undefined ? -1 : dataset.columns.findIndex((column) => column.name === dataset.partitionColumn);
  const files = new Map<string, ParquetFileWriter>();
  const partitionOfDay = new Map<number, string>();
  const rejected = rejectedWriter(rejectedRecordsKey(dataset.name, name, options.landedAt), options.sourceKey, openSink);
  const values: CoercedValue[] = new Array<CoercedValue>(dataset.columns.length);
  let rowsRead = 0;
  let rowsWritten = 0;
  let bufferedRows = 0;

  const fileFor = (partition: string): ParquetFileWriter => {
    let file = files.get(partition);
    if (file === undefined) {
      file = parquetFileWriter(dataset, openSink(processedKey(dataset.name, partition, name), PARQUET_CONTENT_TYPE), options.codec, rowGroupRows);
      files.set(partition, file);
    }
    return file;
  };

  const partitionOf = (row: readonly CoercedValue[]): string => {
    if (partitionIndex < 0) return "";
    const day = Math.floor((row[partitionIndex] as number) / MILLIS_PER_DAY);
    let partition = partitionOfDay.get(day);
    if (partition === undefined) {
      partition = dailyPartition(new Date(day * MILLIS_PER_DAY));
      partitionOfDay.set(day, partition);
    }
    return partition;
  };

  const flush = async (file: ParquetFileWriter): Promise<void> => {
    bufferedRows -= file.bufferedRows;
    await file.flushRowGroup();
  };

  const flushFullest = async (): Promise<void> => {
    let fullest: ParquetFileWriter | undefined;
    for (const file of files.values()) if (fullest === undefined || file.bufferedRows > fullest.bufferedRows) fullest = file;
    if (fullest !== undefined) await flush(fullest);
  };

  const visitor: RecordVisitor = {
    record(record, line, raw) {
      rowsRead += 1;
      const rejection = coerce(record, values);
      if (rejection !== undefined) return rejected.add(line, rejection, raw());
      const file = fileFor(partitionOf(values));
      rowsWritten += 1;
      bufferedRows += 1;
      if (file.append(values)) return flush(file);
      if (bufferedRows >= maxBufferedRows) return flushFullest();
      return undefined;
    },
    unreadable(line, rejection, raw) {
      rowsRead += 1;
      return rejected.add(line, rejection, raw);
    },
  };

  const stream = decompressIfNeeded(input, options.encoding);
  try {
    await (options.encoding.format === "csv" ? readCsv(stream, visitor) : readJsonLines(stream, visitor));
    for (const file of files.values()) await file.finish();
    await rejected.finish();
  } catch (error) {
    await Promise.allSettled([...[...files.values()].map((file) => file.abort()), rejected.abort()]);
    const cause = permanentCause(error);
    throw cause ?? error;
  }
  const partitions = [...files.entries()]
    .map(([partition, file]) => ({ partition, key: processedKey(dataset.name, partition, name), rows: file.rowCount }))
    .sort((left, right) => left.partition.localeCompare(right.partition));
  return {
    rowsRead,
    rowsWritten,
    rowsRejected: rejected.count,
    partitions,
    ...(rejected.count > 0 ? { rejectedKey: rejected.key } : {}),
    rejectedByReason: rejected.byReason,
  };
}

/** The metrics surface the processor needs; Powertools `Metrics` satisfies it (EMF). */
export interface CountMetrics {
  addDimension(name: string, value: string): void;
  addMetric(name: string, unit: "Count", value: number): void;
  publishStoredMetrics(): void;
}

export interface ConvertDependencies {
  readonly s3: S3Client;
  readonly logger: LogSink;
  readonly metrics: CountMetrics;
  /** Defaults to `s3UploadSink` on the source bucket. */
  readonly openSink?: SinkFactory;
  /** The Parquet writer's modules, loaded once per container (see `loadParquetCodec`). */
  readonly codec: ParquetCodec;
  readonly rowGroupRows?: number;
}

async function openSource(s3: S3Client, message: ObjectLandedMessage): Promise<{ body: Readable; contentEncoding?: string; contentType?: string }> {
  try {
    const response = await s3.send(
      new GetObjectCommand({
        Bucket: message.bucket,
        Key: message.key,
        // Read exactly the version the message names; without versioning, refuse a replaced object
        // (its own notification converts it under its own name).
        ...(message.versionId ? { VersionId: message.versionId } : message.etag ? { IfMatch: `"${message.etag.replace(/"/g, "")}"` } : {}),
      }),
    );
    const body = (response.Body as Readable | undefined) ?? new PassThrough().end();
    return {
      body: body as Readable,
      ...(response.ContentEncoding ? { contentEncoding: response.ContentEncoding } : {}),
      ...(response.ContentType ? { contentType: response.ContentType } : {}),
    };
  } catch (error) {
    throw permanentCause(error) ?? error;
  }
}

/**
 * The lake keys a conversion wrote and its counts, as the mirror records and announces them.
 *
 * @example versionOutputs(result).outputs // ["processed/events/year=2026/month=11/day=20/a-….parquet", "rejected/events/…/a-….jsonl"]
 */
export function versionOutputs(result: ConversionResult): VersionOutputs {
  return {
    outputs: [...result.partitions.map((output) => output.key), ...(result.rejectedKey ? [result.rejectedKey] : [])],
    partitions: result.partitions.map((output) => output.partition),
    rowsRead: result.rowsRead,
    rowsWritten: result.rowsWritten,
    rowsRejected: result.rowsRejected,
  };
}

/**
 * Converts the object version a message names and reports it: logs and metrics of the reconciled counts.
 *
 * @throws PermanentError for an object that can never be converted (missing, replaced, unsupported
 *   format, not gzip); any other error is transient.
 */
export async function convertObject(message: ObjectLandedMessage, dataset: DatasetDefinition, deps: ConvertDependencies): Promise<ConversionResult> {
  const source = await openSource(deps.s3, message);
  const encoding = rawEncoding(message.key, source.contentEncoding, source.contentType);
  if (encoding === undefined || !dataset.formats.includes(encoding.format)) {
    source.body.destroy();
    throw new PermanentError(
      `Object ${message.key} is not in an accepted format of ${dataset.name} (${dataset.formats.join(", ")}); content type ${source.contentType ?? "none"}`,
      "unsupported_format",
    );
  }
  const name = outputName(message);
  const openSink = deps.openSink ?? ((key: string, contentType: string) => s3UploadSink(deps.s3, { bucket: message.bucket, key, contentType }));
  const result = await convertRecords(source.body, {
    dataset,
    encoding,
    name,
    sourceKey: message.key,
    landedAt: landedAt(message),
    openSink,
    codec: deps.codec,
    ...(deps.rowGroupRows ? { rowGroupRows: deps.rowGroupRows } : {}),
  });
  if (result.rowsWritten + result.rowsRejected !== result.rowsRead) {
    // Cannot happen unless the engine is broken; fail loudly (transient, so the message is kept).
    throw new Error(`Counts do not reconcile for ${message.key}: read ${result.rowsRead}, written ${result.rowsWritten}, rejected ${result.rowsRejected}`);
  }
  const counts = { rowsRead: result.rowsRead, rowsWritten: result.rowsWritten, rowsRejected: result.rowsRejected };
  deps.logger.info("Converted object", {
    key: message.key,
    dataset: dataset.name,
    ...counts,
    partitions: result.partitions.map((output) => output.key),
    rejectedByReason: result.rejectedByReason,
    ...(result.rejectedKey ? { rejectedKey: result.rejectedKey } : {}),
  });
  deps.metrics.addDimension("dataset", dataset.name);
  deps.metrics.addMetric("RowsRead", "Count", counts.rowsRead);
  deps.metrics.addMetric("RowsWritten", "Count", counts.rowsWritten);
  deps.metrics.addMetric("RowsRejected", "Count", counts.rowsRejected);
  deps.metrics.publishStoredMetrics();
  return result;
}
