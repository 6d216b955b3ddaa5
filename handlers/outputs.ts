/**
 * Names of the processor's outputs and the raw format of a source object. Pure module.
 */
import { createHash } from "node:crypto";
import type { RawFormat } from "./datasets";
import { dailyPartition, datasetPrefix } from "../storage/zones";

/** The identity of one version of a source object. */
export interface SourceObject {
  readonly bucket: string;
  readonly key: string;
  readonly etag: string;
  readonly versionId?: string;
}

/** How a raw object is encoded: its format and whether it is gzip-compressed. */
export interface RawEncoding {
  readonly format: RawFormat;
  /** Declared gzip (the bytes decide: see `handlers/gzip-members.ts`). */
  readonly gzip: boolean;
  /** A `.json` object (or `application/json`): a top-level JSON array is read element by element. */
  readonly jsonDocument?: boolean;
}

/**
 * The output name of a source object version: a readable stem of the file name plus a hash of
 * bucket, key and version id (or ETag when the bucket is not versioned). The same object version
 * always gets the same name, so a redelivered message or a replay overwrites its own outputs instead
 * of adding rows; different objects (or versions) never share a name.
 *
 * @example outputName({ bucket: "lake", key: "raw/events/day 1.jsonl.gz", etag: "abc" }) // "day_1-3f0c…" (stem + 16 hex digits)
 */
export function outputName(source: SourceObject): string {
  const file = source.key.slice(source.key.lastIndexOf("/") + 1);
  const stem = file.replace(/\.gz$/i, "").replace(/\.(jsonl|ndjson|json|csv)$/i, "");
  const readable = stem.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").replace(/[^A-Za-z0-9._-]+/g, "_").replace(/^[._]+|_+$/g, "").slice(0, 80) || "object";
  const identity = [source.bucket, source.key, source.versionId ? `v:${source.versionId}` : `e:${source.etag.replace(/"/g, "")}`].join("\u0000");
  const digest = createHash("sha256").update(identity).digest("hex").slice(0, 16);
  return `${readable}-${digest}`;
}

/** `processed/<dataset>/year=YYYY/month=MM/day=DD/<name>.parquet`, or without the partition for unpartitioned datasets. */
export function processedKey(dataset: string, partition: string, name: string): string {
  return `${datasetPrefix("processed", dataset)}${partition}${name}.parquet`;
}

/**
 * `rejected/<dataset>/year=YYYY/month=MM/day=DD/<name>.jsonl`: one JSON Lines file of rejected
 * records per source object version, in the partition of the day the object landed (the message's
 * event time, so a redelivery writes the same key). The analytics layer's `rejected` table reads it.
 *
 * @example rejectedRecordsKey("events", "day_1-3f0c…", new Date("2026-11-01T08:00:00Z")) // "rejected/events/year=2026/month=11/day=01/day_1-3f0c….jsonl"
 */
export function rejectedRecordsKey(dataset: string, name: string, landedAt: Date): string {
  return `${datasetPrefix("rejected", dataset)}${dailyPartition(landedAt)}${name}.jsonl`;
}

/**
 * One line of a rejected-records file, with the field names the `rejected` Glue table declares.
 * `record` is the raw record as text, as read: the JSON line or array element, the CSV record's
 * lines; a line over `processorMaxRecordKb` keeps its first KiB, and bytes that are not UTF-8 show
 * as U+FFFD.
 */
export interface RejectedRecordLine {
  readonly source_key: string;
  readonly line_number: number;
  readonly reason: string;
  readonly column?: string;
  readonly detail: string;
  readonly record: string;
}

const FORMAT_BY_EXTENSION: Readonly<Record<string, RawFormat>> = { jsonl: "jsonl", ndjson: "jsonl", json: "jsonl", csv: "csv" };
const FORMAT_BY_CONTENT_TYPE: Readonly<Record<string, RawFormat>> = {
  "application/x-ndjson": "jsonl",
  "application/jsonl": "jsonl",
  "application/x-jsonlines": "jsonl",
  "application/json": "jsonl",
  "text/csv": "csv",
};

/**
 * The raw encoding of an object: declared gzip when S3 says `Content-Encoding: gzip` or `x-gzip`
 * (RFC 9110 §8.4.1.3: a recipient SHOULD consider "x-gzip" equivalent to "gzip") or the key ends in
 * `.gz`; the format from the extension, else from the content type.
 *
 * @returns undefined when the format cannot be told.
 * @example rawEncoding("raw/events/a.csv.gz") // { format: "csv", gzip: true }
 */
export function rawEncoding(key: string, contentEncoding?: string, contentType?: string): RawEncoding | undefined {
  const lower = key.toLowerCase();
  const gzipExtension = lower.endsWith(".gz");
  const gzip = gzipExtension || (contentEncoding ?? "").toLowerCase().split(",").some((token) => token.trim() === "gzip" || token.trim() === "x-gzip");
  const base = gzipExtension ? lower.slice(0, -3) : lower;
  const dot = base.lastIndexOf(".");
  const byExtension = dot > base.lastIndexOf("/") ? FORMAT_BY_EXTENSION[base.slice(dot + 1)] : undefined;
  const byContentType = FORMAT_BY_CONTENT_TYPE[(contentType ?? "").split(";")[0]!.trim().toLowerCase()];
  const format = byExtension ?? byContentType;
  if (format === undefined) return undefined;
  const extension = dot > base.lastIndexOf("/") ? base.slice(dot + 1) : "";
  const jsonDocument = extension === "json" || (byExtension === undefined && (contentType ?? "").split(";")[0]!.trim().toLowerCase() === "application/json");
  return jsonDocument ? { format, gzip, jsonDocument } : { format, gzip };
}
