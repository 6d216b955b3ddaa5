/**
 * The processor's S3 sink, built from client-s3 commands alone: one PutObject for small outputs, a
 * multipart upload with at most one part in flight for large ones, and nothing left behind on abort.
 * Against moto for the wire behaviour, and against a recording client for the ordering.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { CreateBucketCommand, GetObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { MIN_PART_BYTES, s3UploadSink } from "../handlers/s3-upload-sink.js";
import { clientConfig, startEndpoint, type AwsEndpoint } from "./harness/emulator.js";

const BUCKET = "sink-bucket";
let endpoint: AwsEndpoint;
let s3: S3Client;

beforeAll(async () => {
  endpoint = await startEndpoint();
  s3 = new S3Client(clientConfig(endpoint));
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET, CreateBucketConfiguration: { LocationConstraint: "eu-west-1" } }));
});
afterAll(async () => {
  await endpoint?.stop();
});

/** `count` bytes of a repeating pattern, so that parts differ and order mistakes show. */
const bytes = (count: number, seed = 0): Uint8Array => Uint8Array.from({ length: count }, (_, index) => (index * 31 + seed) % 251);

async function stored(key: string): Promise<{ body: Buffer; etag: string }> {
  const object = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return { body: Buffer.from(await object.Body!.transformToByteArray()), etag: object.ETag! };
}

describe("s3UploadSink on the emulator", () => {
  test("a small output is one PutObject with its content type", async () => {
    const sink = s3UploadSink(s3, { bucket: BUCKET, key: "small.parquet", contentType: "application/vnd.apache.parquet" });
    await sink.write(bytes(1000));
    await sink.write(bytes(24, 7));
    await sink.end();

    const { body, etag } = await stored("small.parquet");
    expect(body).toEqual(Buffer.concat([bytes(1000), bytes(24, 7)]));
    expect(etag).not.toMatch(/-\d+"$/);
  });

  test("a large output is a multipart upload whose parts reassemble the exact bytes, in order", async () => {
    const chunks = Array.from({ length: 23 }, (_, index) => bytes(512 * 1024, index));
    const sink = s3UploadSink(s3, { bucket: BUCKET, key: "large.parquet", contentType: "application/vnd.apache.parquet", partSize: MIN_PART_BYTES });
    for (const chunk of chunks) await sink.write(chunk);
    await sink.end();

    const { body, etag } = await stored("large.parquet");
    expect(body.equals(Buffer.concat(chunks))).toBe(true);
    // 11.5 MiB in 5 MiB parts: three parts, which S3 shows in the ETag of a multipart object.
    expect(etag).toMatch(/-3"$/);
  });

  test("abort after parts were stored leaves neither an object nor an open upload", async () => {
    const sink = s3UploadSink(s3, { bucket: BUCKET, key: "aborted.parquet", contentType: "application/vnd.apache.parquet", partSize: MIN_PART_BYTES });
    await sink.write(bytes(MIN_PART_BYTES));
    await sink.write(bytes(10));
    await sink.abort();

    const listed = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: "aborted" }));
    expect(listed.KeyCount ?? 0).toBe(0);
    const uploads = await s3.send(new ListMultipartUploadsCommand({ Bucket: BUCKET }));
    expect((uploads.Uploads ?? []).filter((upload) => upload.Key === "aborted.parquet")).toEqual([]);
  });
});

describe("s3UploadSink's ordering", () => {
  test("keeps at most one part in flight and completes with every part in order", async () => {
    // Prepare: a client that records commands and holds each UploadPart until released
    const log: string[] = [];
    let inFlight = 0;
    let mostInFlight = 0;
    const client = {
      send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
        const name = command.constructor.name.replace(/Command$/, "");
        log.push(name === "UploadPart" ? `UploadPart ${command.input.PartNumber}` : name);
        if (name === "CreateMultipartUpload") return { UploadId: "u1" };
        if (name === "UploadPart") {
          inFlight += 1;
          mostInFlight = Math.max(mostInFlight, inFlight);
          await new Promise((resolve) => setImmediate(resolve));
          inFlight -= 1;
          return { ETag: `"etag-${command.input.PartNumber}"` };
        }
        if (name === "CompleteMultipartUpload") log.push(JSON.stringify(command.input.MultipartUpload));
        return {};
      },
    } as unknown as S3Client;
    const sink = s3UploadSink(client, { bucket: "b", key: "k", contentType: "x", partSize: MIN_PART_BYTES });

    // Act: three full parts and a short last one
    for (let part = 0; part < 3; part += 1) await sink.write(bytes(MIN_PART_BYTES));
    await sink.write(bytes(5));
    await sink.end();

    // Assess
    expect(mostInFlight).toBe(1);
    expect(log).toEqual([
      "CreateMultipartUpload",
      "UploadPart 1",
      "UploadPart 2",
      "UploadPart 3",
      "UploadPart 4",
      "CompleteMultipartUpload",
      JSON.stringify({ Parts: [1, 2, 3, 4].map((number) => ({ PartNumber: number, ETag: `"etag-${number}"` })) }),
    ]);
  });

  test("a failed part fails the next write or the end, and nothing is completed", async () => {
    const sent: string[] = [];
    const client = {
      send: async (command: { constructor: { name: string } }) => {
        const name = command.constructor.name.replace(/Command$/, "");
        sent.push(name);
        if (name === "CreateMultipartUpload") return { UploadId: "u1" };
        if (name === "UploadPart") throw Object.assign(new Error("SlowDown"), { name: "SlowDown" });
        return {};
      },
    } as unknown as S3Client;
    const sink = s3UploadSink(client, { bucket: "b", key: "k", contentType: "x", partSize: MIN_PART_BYTES });

    await sink.write(bytes(MIN_PART_BYTES));
    await expect(sink.end()).rejects.toThrow("SlowDown");
    await sink.abort();

    expect(sent).not.toContain("CompleteMultipartUpload");
    expect(sent.at(-1)).toBe("AbortMultipartUpload");
  });
});
