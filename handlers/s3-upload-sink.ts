/**
 * A streaming byte sink into one S3 object, built from `@aws-sdk/client-s3` commands alone.
 *
 * Why not `@aws-sdk/lib-storage`: the Lambda runtime provides `client-s3` at its own (older, unknown)
 * version, while lib-storage would be uploaded at the version it was tested with; lib-storage calls
 * client configuration that only recent clients have. This sink uses only commands that every
 * client-s3 v3 release has (PutObject and the multipart upload commands), so it runs on the runtime's
 * client as it is; the local function host runs it on the oldest SDK version the README supports.
 *
 * Small outputs are one PutObject; larger ones a multipart upload of `partSize` parts, with at most
 * one part in flight while the next one fills, so memory stays at two parts. No encryption header
 * is sent: the bucket's default encryption (SSE-KMS with the lake key) applies, which the lake's
 * bucket policy accepts. `abort` cancels the multipart upload, so a failed conversion leaves no
 * object and no stored parts. `stage` uploads what is buffered as the last part without completing
 * the upload (a multipart upload's last part may be smaller than 5 MiB), so a file closed early holds
 * no memory and still becomes visible only at `end`.
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
  type CompletedPart,
  type S3Client,
} from "@aws-sdk/client-s3";
import type { StagingSink } from "./partition-writers";

/** S3's smallest part (all parts but the last), 5 MiB (Amazon S3 multipart upload limits). */
export const MIN_PART_BYTES = 5 * 1024 * 1024;
export const DEFAULT_PART_BYTES = 8 * 1024 * 1024;

/**
 * Each part carries a CRC32 that S3 verifies, and the upload is created with the same algorithm so
 * that completion checks every part's checksum. Stated explicitly because SDK releases differ in
 * their defaults (from 3.729 the client adds a checksum to every UploadPart by itself, older ones
 * none), and the runtime's SDK version is not ours to choose.
 */
const PART_CHECKSUM = "CRC32";

export interface S3UploadTarget {
  readonly bucket: string;
  readonly key: string;
  readonly contentType: string;
  /** Bytes per part of a multipart upload; at least `MIN_PART_BYTES`. */
  readonly partSize?: number;
}

/**
 * Collects written chunks until a part is full, without copying them until then. A closure, not a
 * class: Pulumi's closure serializer drops class field initializers.
 */
function partBuffer(): { add(chunk: Uint8Array): void; readonly bytes: number; take(): Buffer } {
  let chunks: Uint8Array[] = [];
  let bytes = 0;
  return {
    add(chunk) {
      chunks.push(chunk);
      bytes += chunk.byteLength;
    },
    get bytes() {
      return bytes;
    },
    take() {
      const part = Buffer.concat(chunks, bytes);
      chunks = [];
      bytes = 0;
      return part;
    },
  };
}

/**
 * Opens a sink that writes `target.key` in `target.bucket`.
 *
 * @example
 * ```ts
 * const sink = s3UploadSink(s3, { bucket: "lake", key: "processed/events/x.parquet", contentType: PARQUET_CONTENT_TYPE });
 * await sink.write(bytes);
 * await sink.end(); // or sink.abort() on failure
 * ```
 */
export function s3UploadSink(s3: Pick<S3Client, "send">, target: S3UploadTarget): StagingSink & { stage(): Promise<void> } {
  const partSize = Math.max(target.partSize ?? DEFAULT_PART_BYTES, MIN_PART_BYTES);
  const buffer = partBuffer();
  const parts: CompletedPart[] = [];
  let uploadId: string | undefined;
  let inFlight: Promise<void> = Promise.resolve();
  let failed: unknown;

  const startUpload = async (): Promise<string> => {
    const created = await s3.send(
      new CreateMultipartUploadCommand({ Bucket: target.bucket, Key: target.key, ContentType: target.contentType, ChecksumAlgorithm: PART_CHECKSUM }),
    );
    if (!created.UploadId) throw new Error(`S3 returned no upload id for ${target.key}`);
    return created.UploadId;
  };

  const uploadPart = async (id: string, partNumber: number, body: Buffer): Promise<void> => {
    const uploaded = await s3.send(
      new UploadPartCommand({ Bucket: target.bucket, Key: target.key, UploadId: id, PartNumber: partNumber, Body: body, ChecksumAlgorithm: PART_CHECKSUM }),
    );
    parts[partNumber - 1] = { PartNumber: partNumber, ETag: uploaded.ETag, ...(uploaded.ChecksumCRC32 ? { ChecksumCRC32: uploaded.ChecksumCRC32 } : {}) };
  };

  /** Hands a full part to S3 once the previous one is stored: at most one part in flight. */
  const sendPart = async (body: Buffer): Promise<void> => {
    await inFlight;
    if (failed !== undefined) throw failed;
    uploadId ??= await startUpload();
    const id = uploadId;
    const partNumber = parts.length + 1;
    parts.length = partNumber;
    inFlight = uploadPart(id, partNumber, body).catch((error: unknown) => {
      failed = error;
    });
  };

  let staged = false;
  return {
    async write(bytes) {
      if (failed !== undefined) throw failed;
      if (staged) throw new Error(`Write after stage to ${target.key}`);
      buffer.add(bytes);
      if (buffer.bytes >= partSize) await sendPart(buffer.take());
    },
    async stage() {
      staged = true;
      if (buffer.bytes > 0 || parts.length === 0) await sendPart(buffer.take());
      await inFlight;
      if (failed !== undefined) throw failed;
    },
    async end() {
      if (uploadId === undefined && parts.length === 0) {
        await s3.send(new PutObjectCommand({ Bucket: target.bucket, Key: target.key, ContentType: target.contentType, Body: buffer.take() }));
        return;
      }
      if (buffer.bytes > 0) await sendPart(buffer.take());
      await inFlight;
      if (failed !== undefined) throw failed;
      await s3.send(
        new CompleteMultipartUploadCommand({ Bucket: target.bucket, Key: target.key, UploadId: uploadId, MultipartUpload: { Parts: parts } }),
      );
    },
    async abort() {
      await inFlight;
      if (uploadId === undefined) return;
      await s3.send(new AbortMultipartUploadCommand({ Bucket: target.bucket, Key: target.key, UploadId: uploadId })).catch(() => undefined);
    },
  };
}
