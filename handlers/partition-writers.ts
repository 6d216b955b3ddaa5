/**
 * The Parquet files of one conversion, one per day partition, with a bounded number open at a time.
 *
 * Why: each open file holds a 1 MiB encode buffer and typed arrays for a row group; one per day
 * measured 788 MB for a file of 1,000 days and 5.1 GB for 3,000, on a 1,024 MB function. Here at most
 * `maxOpenFiles` are open; opening one more closes the least recently used, whose bytes are then
 * uploaded but not yet made visible (`ByteSink.stage`: the multipart upload is completed with the
 * others at the end, or aborted with them, so a failed conversion still leaves nothing behind). A
 * partition that comes back after its file was closed gets a new file, `<name>-2.parquet`,
 * `<name>-3.parquet`…, in the same folder: Athena reads every file of a partition.
 *
 * Rows whose partition year is outside the Athena partition projection are refused here
 * (`out_of_range`): they would be written where no query sees them.
 */
import { arrayPool } from "./array-pool";
import type { CoercedValue, Rejection } from "./coerce";
import type { DatasetDefinition } from "./datasets";
import { parquetFileWriter, type ByteSink, type ParquetCodec, type ParquetFileWriter } from "./parquet";
import { dailyPartition } from "../storage/zones";
import { MILLIS_PER_DAY } from "./civil-time";


/**
 * Files open at once by default. Sorted files (an export, one day after another) need one; this
 * leaves room for late and early events. Measured in bench/processor.ts (`bounds`).
 */
export const DEFAULT_MAX_OPEN_FILES = 32;

/**
 * Row group size of a partition's later files. A partition that comes back after its file was closed
 * means rows arrive shuffled across many days, so its files stay small: buffers sized for a full row
 * group (typed arrays of `rowGroupRows` per column) would be allocated and dropped for a few rows each.
 */
export const ROLLED_FILE_ROW_GROUP_ROWS = 4096;

/**
 * Closed files whose footer and staged upload may still be in flight: closing one (on S3, a
 * CreateMultipartUpload and an UploadPart) overlaps the next rows instead of stalling them; each in
 * flight holds at most its last part. Completing the files at the end runs as many at once.
 */
export const CLOSING_CONCURRENCY = 4;

/** Runs `tasks` with at most `limit` at once; rejects with the first failure once all have settled. */
async function inPool(tasks: readonly (() => Promise<void>)[], limit: number): Promise<void> {
  let next = 0;
  const failures: unknown[] = [];
  const worker = async (): Promise<void> => {
    while (next < tasks.length) {
      const task = tasks[next++]!;
      await task().catch((error: unknown) => void failures.push(error));
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  if (failures.length > 0) throw failures[0];
}

/** The wording of an `out_of_range` rejection (exported for the Glue job's contract, handlers/glue-contract.ts). */
export const PARTITION_WORDING = {
  outOfRange: (column: string, year: number | string, first: number | string, last: number | string) =>
    `${column} is in ${year}, outside the years Athena's partition projection covers (${first}-${last}, athenaProjectionFirstYear/LastYear): the row would be invisible to queries`,
} as const;

/** Years whose partitions Athena sees (the tables' partition projection), inclusive. */
export interface PartitionYears {
  readonly first: number;
  readonly last: number;
}

/**
 * A sink that can also stage: upload everything written so far without making the object visible
 * (`end` then makes it visible, `abort` discards it). Sinks without `stage` keep their bytes until `end`.
 */
export interface StagingSink extends ByteSink {
  stage?(): Promise<void>;
}

/** The Parquet output of one partition: its first file, and how many it took (`files` > 1 when rolled). */
export interface PartitionFiles {
  /** `year=YYYY/month=MM/day=DD/`, or "" for an unpartitioned dataset. */
  readonly partition: string;
  readonly rows: number;
  /** Keys of the partition's files, in the order they were written. */
  readonly keys: readonly string[];
}

export interface PartitionWritersOptions {
  readonly dataset: DatasetDefinition;
  readonly codec: ParquetCodec;
  readonly rowGroupRows: number;
  /** Rows buffered across all open files before the fullest one is flushed early. */
  readonly maxBufferedRows: number;
  readonly maxOpenFiles?: number;
  /** When set, rows of other years are refused as `out_of_range`. */
  readonly partitionYears?: PartitionYears;
  /** The key of a partition's `sequence`-th file (0 first) and a sink to it. */
  readonly openFile: (partition: string, sequence: number) => { readonly key: string; readonly sink: StagingSink };
}

export interface PartitionWriters {
  /** Why the row cannot be written (`out_of_range`), or undefined. Call before `append`. */
  refuse(values: readonly CoercedValue[]): Rejection | undefined;
  /** Appends a coerced row; returns a promise when it flushed a row group or closed a file. */
  append(values: readonly CoercedValue[]): Promise<void> | undefined;
  /** Completes every file and lists them by partition. */
  finish(): Promise<PartitionFiles[]>;
  /** Discards every file: nothing becomes visible. */
  abort(): Promise<void>;
}

/** One partition's state: its name, whether it may be written, its open file and its closed ones. */
interface Partition {
  readonly name: string;
  readonly refusal?: Rejection;
  open?: { readonly writer: ParquetFileWriter; lastUsed: number };
  readonly keys: string[];
  /** Sinks of closed files: staged, made visible by `finish`. */
  readonly closed: StagingSink[];
  rows: number;
}

/**
 * A sink whose `end` only stages the bytes (see `ByteSink.stage`), so a closed file becomes visible
 * with the others when the conversion succeeds.
 */
function deferredSink(sink: StagingSink): ByteSink {
  return {
    write: (bytes) => sink.write(bytes),
    end: async () => {
      await sink.stage?.();
    },
    abort: () => sink.abort(),
  };
}

/**
 * Opens the partition writers of one conversion (a closure: see `parquetFileWriter`).
 *
 * @example
 * ```ts
 * const writers = partitionWriters({ dataset: EVENTS, codec, rowGroupRows, maxBufferedRows, openFile });
 * const refusal = writers.refuse(values); if (refusal === undefined) await writers.append(values);
 * const files = await writers.finish();
 * ```
 */
export function partitionWriters(options: PartitionWritersOptions): PartitionWriters {
  const { dataset, codec, rowGroupRows, maxBufferedRows, partitionYears } = options;
  const maxOpenFiles = Math.max(1, options.maxOpenFiles ?? DEFAULT_MAX_OPEN_FILES);
  // One pool for every file's column buffers: memory follows the rows buffered across partitions.
  const arrays = arrayPool();
  const partitionIndex = dataset.partitionColumn === undefined ? -1 : dataset.columns.findIndex((column) => column.name === dataset.partitionColumn);
  const byDay = new Map<number, Partition>();
  const open = new Set<Partition>();
  const sinks = new Map<Partition, StagingSink>();
  let tick = 0;
  let bufferedRows = 0;
  // The last row's day and partition: consecutive rows mostly share one (no lookup, no allocation).
  let lastDay = NaN;
  let lastPartition: Partition | undefined;

  const partitionOf = (values: readonly CoercedValue[]): Partition => {
    const day = partitionIndex < 0 ? 0 : Math.floor((values[partitionIndex] as number) / MILLIS_PER_DAY);
    if (day === lastDay) return lastPartition!;
    let partition = byDay.get(day);
    if (partition === undefined) {
      const start = new Date(day * MILLIS_PER_DAY);
      const year = start.getUTCFullYear();
      const outside = partitionIndex >= 0 && partitionYears !== undefined && (year < partitionYears.first || year > partitionYears.last);
      partition = {
        name: partitionIndex < 0 ? "" : dailyPartition(start),
        ...(outside
          ? {
              refusal: {
                reason: "out_of_range",
                column: dataset.partitionColumn!,
                detail: PARTITION_WORDING.outOfRange(dataset.partitionColumn!, year, partitionYears!.first, partitionYears!.last),
              },
            }
          : {}),
        keys: [],
        closed: [],
        rows: 0,
      };
      byDay.set(day, partition);
    }
    lastDay = day;
    lastPartition = partition;
    return partition;
  };

  const flush = async (partition: Partition): Promise<void> => {
    const writer = partition.open!.writer;
    bufferedRows -= writer.bufferedRows;
    await writer.flushRowGroup();
  };

  const flushFullest = async (): Promise<void> => {
    let fullest: Partition | undefined;
    for (const partition of open) if (fullest === undefined || partition.open!.writer.bufferedRows > fullest.open!.writer.bufferedRows) fullest = partition;
    if (fullest !== undefined) await flush(fullest);
  };

  /** Closes the least recently used file: its bytes are staged, its buffers freed. */
  /** Files being closed, at most CLOSING_CONCURRENCY: their footers written and uploads staged. */
  const closing = new Set<Promise<void>>();
  const closeLeastRecent = async (): Promise<void> => {
    let oldest: Partition | undefined;
    for (const partition of open) if (oldest === undefined || partition.open!.lastUsed < oldest.open!.lastUsed) oldest = partition;
    if (oldest === undefined) return;
    const writer = oldest.open!.writer;
    bufferedRows -= writer.bufferedRows;
    open.delete(oldest);
    oldest.open = undefined;
    oldest.closed.push(sinks.get(oldest)!);
    sinks.delete(oldest);
    const closed: Promise<void> = writer.finish().finally(() => closing.delete(closed));
    // Awaited by the next close, `finish` or `abort`; handled now so a failure never goes unhandled.
    closed.catch(() => undefined);
    closing.add(closed);
    if (closing.size >= CLOSING_CONCURRENCY) await Promise.race(closing);
  };

  const openFor = (partition: Partition): ParquetFileWriter => {
    const { key, sink } = options.openFile(partition.name, partition.keys.length);
    partition.keys.push(key);
    sinks.set(partition, sink);
    const groupRows = partition.keys.length > 1 ? Math.min(rowGroupRows, ROLLED_FILE_ROW_GROUP_ROWS) : rowGroupRows;
    const writer = parquetFileWriter(dataset, deferredSink(sink), codec, groupRows, arrays);
    partition.open = { writer, lastUsed: tick };
    open.add(partition);
    return writer;
  };

  const appendTo = (partition: Partition, values: readonly CoercedValue[]): Promise<void> | undefined => {
    const writer = partition.open!.writer;
    partition.open!.lastUsed = ++tick;
    partition.rows += 1;
    bufferedRows += 1;
    if (writer.append(values)) return flush(partition);
    if (bufferedRows >= maxBufferedRows) return flushFullest();
    return undefined;
  };

  return {
    refuse(values) {
      return partitionOf(values).refusal;
    },
    append(values) {
      const partition = partitionOf(values);
      if (partition.open !== undefined) return appendTo(partition, values);
      if (open.size < maxOpenFiles) {
        openFor(partition);
        return appendTo(partition, values);
      }
      return closeLeastRecent().then(() => {
        openFor(partition);
        return appendTo(partition, values);
      });
    },
    async finish() {
      await Promise.all(closing);
      for (const partition of [...open]) {
        await partition.open!.writer.finish();
        partition.closed.push(sinks.get(partition)!);
        partition.open = undefined;
      }
      open.clear();
      const written = [...byDay.values()].filter((partition) => partition.keys.length > 0).sort((left, right) => left.name.localeCompare(right.name));
      await inPool(written.flatMap((partition) => partition.closed.map((sink) => () => sink.end())), CLOSING_CONCURRENCY);
      return written.map((partition) => ({ partition: partition.name, rows: partition.rows, keys: partition.keys }));
    },
    async abort() {
      await Promise.allSettled(closing);
      // An open file's writer aborts its own sink; closed files are aborted through theirs.
      const closed = [...byDay.values()].flatMap((partition) => partition.closed);
      await Promise.allSettled([...[...open].map((partition) => partition.open!.writer.abort()), ...closed.map((sink) => sink.abort())]);
    },
  };
}
