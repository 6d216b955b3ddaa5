/**
 * The partition list of a completion event (`processing.completed`, handlers/pipeline-events.ts),
 * bounded so that the event fits in one SNS message.
 *
 * Why: SNS refuses a message whose body and attributes exceed the topic's `MaximumMessageSize`,
 * 262,144 bytes by default ("By default, topics accept messages up to 256 KiB", Amazon SNS Developer
 * Guide, "Publishing large messages"). Listing every partition failed above about 1,300 of them, after
 * the Parquet was written, so the message was retried into the DLQ. The list keeps the first
 * partitions that fit in a budget well under that limit and says how many were left out; the Parquet
 * files of every partition are under `processed/<dataset>/` all the same.
 */

/** SNS's default maximum message size (body and attributes), in bytes. */
export const SNS_MESSAGE_LIMIT_BYTES = 262_144;
/** What the partition list may take: the rest of the event and its attributes stay far below 32 KiB. */
export const PARTITION_LIST_BUDGET_BYTES = SNS_MESSAGE_LIMIT_BYTES - 32 * 1024;

/** A partition a conversion wrote (handlers/convert.ts `PartitionOutput`). */
export interface WrittenPartition {
  /** `year=YYYY/month=MM/day=DD/`, or "" for an unpartitioned dataset. */
  readonly partition: string;
  readonly key: string;
  readonly rows: number;
  /** Every file of the partition, `key` first, when its rows took more than one. */
  readonly keys?: readonly string[];
}

/**
 * One partition as the event lists it: its path without the trailing slash (`year=2026/month=11/day=20`),
 * its first file's key and, when it took several, how many.
 */
export interface ListedPartition {
  readonly partition: string;
  readonly key: string;
  readonly rows: number;
  /** Files of the partition when more than one: `<name>.parquet`, `<name>-2.parquet`, … */
  readonly files?: number;
}

export interface BoundedPartitionList {
  readonly partitions: readonly ListedPartition[];
  /** Every partition written, listed or not. */
  readonly partitionCount: number;
  /** Partitions left out of `partitions` to fit the budget (absent when none). */
  readonly partitionsOmitted?: number;
}

/**
 * The first partitions whose JSON fits in `budgetBytes` (UTF-8), and the count of the others.
 *
 * @example
 * ```ts
 * const listed = boundedPartitionList(result.partitions);
 * // JSON.stringify(listed.partitions) is at most PARTITION_LIST_BUDGET_BYTES bytes
 * ```
 */
export function boundedPartitionList(
  partitions: readonly WrittenPartition[],
  budgetBytes: number = PARTITION_LIST_BUDGET_BYTES,
): BoundedPartitionList {
  const listed: ListedPartition[] = [];
  let used = 2;
  for (const { partition, key, rows, keys } of partitions) {
    const entry: ListedPartition = { partition: partition.replace(/\/$/, ""), key, rows, ...(keys !== undefined && keys.length > 1 ? { files: keys.length } : {}) };
    const size = Buffer.byteLength(JSON.stringify(entry)) + 1;
    if (used + size > budgetBytes) break;
    used += size;
    listed.push(entry);
  }
  const omitted = partitions.length - listed.length;
  return { partitions: listed, partitionCount: partitions.length, ...(omitted > 0 ? { partitionsOmitted: omitted } : {}) };
}
