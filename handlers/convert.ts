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
import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { s3UploadSink } from "./s3-upload-sink";
import type { DatasetDefinition } from "./datasets";
import type { ObjectLandedMessage } from "./ingest";
import type { VersionOutputs } from "./apply-change";
import type { LogSink } from "./log";
import { recordCoercer, type CoercedValue, type Rejection, type RejectionReason } from "./coerce";
import { DEFAULT_ROW_GROUP_ROWS, type ByteSink, type ParquetCodec } from "./parquet";
import { DEFAULT_MAX_RECORD_BYTES, readRecords, type RecordVisitor } from "./record-readers";
import { outputName, processedKey, rawEncoding, rejectedRecordsKey, type RawEncoding, type RejectedRecordLine } from "./outputs";
import { PermanentError, permanentCause } from "./errors";
import { decodedBytes } from "./gzip-members";
import { partitionWriters, type PartitionYears, type StagingSink } from "./partition-writers";
import { boundedPartitionList, type WrittenPartition } from "./completion-event";

export const PARQUET_CONTENT_TYPE = "application/vnd.apache.parquet";
export const JSON_LINES_CONTENT_TYPE = "application/x-ndjson";

/** Opens a sink for an output key (one that can `stage` lets early-closed files hold no memory). */
export type SinkFactory = (key: string, contentType: string) => StagingSink;

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
  /** Longest record (line, CSV record, JSON array element) read, in bytes (`processorMaxRecordKb`); default 1 MiB. */
  readonly maxRecordBytes?: number;
  /** Years Athena's partition projection covers: rows dated outside are rejected as `out_of_range`. */
  readonly partitionYears?: PartitionYears;
  /** Parquet files open at once (see `handlers/partition-writers.ts`). */
  readonly maxOpenFiles?: number;
}

/** A partition the conversion wrote: its files and rows. */
export type PartitionOutput = WrittenPartition;

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
  /** Bytes after the last gzip member, ignored as `gzip -d` ignores them. */
  readonly ignoredTrailingBytes?: number;
}

/**
 * The detail of a `validation_error` (a defect of the engine, kept with the record): the error's text,
 * cut (exported for the Glue job's contract, handlers/glue-contract.ts).
 */
export const VALIDATION_ERROR_WORDING = {
  threw: (error: string) => `validating the record threw: ${error}`,
  errorChars: 200,
} as const;

/** Rejected lines are written in chunks of about this size. */
const REJECTED_CHUNK_CHARS = 256 * 1024;

/** Collects rejected records as JSON Lines (line number, reason, detail, column, raw record). */
interface RejectedWriter {
  readonly key: string;
  readonly count: number;
  readonly byReason: Readonly<Partial<Record<RejectionReason, number>>>;
  add(line: number, rejection: Rejection, raw: string): Promise<void> | undefined;
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
        record: raw,
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

/** The day an object landed, from the ingest message's event time (falls back to the epoch when unreadable, never to "now", which would break idempotency). */
export function landedAt(message: Pick<ObjectLandedMessage, "eventTime">): Date {
  const parsed = new Date(message.eventTime);
  return Number.isNaN(parsed.getTime()) ? new Date(0) : parsed;
}

/**
 * Converts a raw byte stream to Parquet files, one per partition, and rejected records to one JSON
 * Lines file. Everything is aborted (nothing becomes visible) when the conversion fails.
 *
 * Every physical record is counted once, read or rejected with its raw text, so `rowsRead =
 * rowsWritten + rowsRejected` holds by construction; no record can throw out of validation.
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
  const writers = partitionWriters({
    dataset,
    codec: options.codec,
    rowGroupRows,
    maxBufferedRows,
    ...(options.maxOpenFiles ? { maxOpenFiles: options.maxOpenFiles } : {}),
    ...(options.partitionYears ? { partitionYears: options.partitionYears } : {}),
    // A partition's later files (after its file was closed to bound memory): `<name>-2`, `<name>-3`…
    openFile: (partition, sequence) => {
      const key = processedKey(dataset.name, partition, sequence === 0 ? name : `${name}-${sequence + 1}`);
      return { key, sink: openSink(key, PARQUET_CONTENT_TYPE) };
    },
  });
  const rejected = rejectedWriter(rejectedRecordsKey(dataset.name, name, options.landedAt), options.sourceKey, openSink);
  const values: CoercedValue[] = new Array<CoercedValue>(dataset.columns.length);
  let rowsRead = 0;
  let rowsWritten = 0;
  let ignoredTrailingBytes: number | undefined;

  const visitor: RecordVisitor = {
    record(record, line, source) {
      rowsRead += 1;
      let rejection: Rejection | undefined;
      try {
        rejection = coerce(record, values, source.json ? source : undefined) ?? writers.refuse(values);
      } catch (error) {
        // A defect, not the record's fault; keeping the record here keeps every other row of the file.
        rejection = { reason: "validation_error", detail: VALIDATION_ERROR_WORDING.threw(String(error).slice(0, VALIDATION_ERROR_WORDING.errorChars)) };
      }
      if (rejection !== undefined) return rejected.add(line, rejection, source.text());
      rowsWritten += 1;
      return writers.append(values);
    },
    unreadable(line, rejection, raw) {
      rowsRead += 1;
      return rejected.add(line, rejection, raw);
    },
  };

  const bytes = decodedBytes(input, { declaredGzip: options.encoding.gzip, onTrailingBytes: (count) => (ignoredTrailingBytes = count) });
  let files: Awaited<ReturnType<typeof writers.finish>>;
  try {
    await readRecords(bytes, { format: options.encoding.format, jsonDocument: options.encoding.jsonDocument ?? false, maxRecordBytes: options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES, columns: dataset.columns }, visitor);
    files = await writers.finish();
    await rejected.finish();
  } catch (error) {
    await Promise.allSettled([writers.abort(), rejected.abort()]);
    const cause = permanentCause(error);
    throw cause ?? error;
  }
  const partitions = files.map(({ partition, rows, keys }) => ({ partition, key: keys[0]!, rows, ...(keys.length > 1 ? { keys } : {}) }));
  return {
    rowsRead,
    rowsWritten,
    rowsRejected: rejected.count,
    partitions,
    ...(rejected.count > 0 ? { rejectedKey: rejected.key } : {}),
    rejectedByReason: rejected.byReason,
    ...(ignoredTrailingBytes !== undefined ? { ignoredTrailingBytes } : {}),
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
  /** `processorMaxRecordKb` in bytes; default 1 MiB. */
  readonly maxRecordBytes?: number;
  /** Athena's partition projection years (`athenaProjectionFirstYear/LastYear`); unset, no row is `out_of_range`. */
  readonly partitionYears?: PartitionYears;
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
    // Every file of every partition: a partition closed to bound memory wrote `<name>-2.parquet`, … too.
    outputs: [...result.partitions.flatMap((output) => output.keys ?? [output.key]), ...(result.rejectedKey ? [result.rejectedKey] : [])],
    partitions: result.partitions,
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
    ...(deps.maxRecordBytes ? { maxRecordBytes: deps.maxRecordBytes } : {}),
    ...(deps.partitionYears ? { partitionYears: deps.partitionYears } : {}),
  });
  if (result.rowsWritten + result.rowsRejected !== result.rowsRead) {
    // Cannot happen unless the engine is broken; fail loudly (transient, so the message is kept).
    throw new Error(`Counts do not reconcile for ${message.key}: read ${result.rowsRead}, written ${result.rowsWritten}, rejected ${result.rowsRejected}`);
  }
  const counts = { rowsRead: result.rowsRead, rowsWritten: result.rowsWritten, rowsRejected: result.rowsRejected };
  // Bounded: a file of thousands of days would otherwise overflow the SNS message and the log event.
  const listed = boundedPartitionList(result.partitions);
  if (result.ignoredTrailingBytes !== undefined) {
    deps.logger.warn("Ignored bytes after the last gzip member", { key: message.key, bytes: result.ignoredTrailingBytes });
  }
  deps.logger.info("Converted object", {
    key: message.key,
    dataset: dataset.name,
    ...counts,
    partitions: listed.partitions.map((output) => output.key),
    partitionCount: listed.partitionCount,
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
