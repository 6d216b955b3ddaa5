/**
 * The bytes of a raw object as the readers take them: gunzipped when the object is gzip, whatever
 * its name or Content-Encoding says, member by member.
 *
 * Why not `zlib.createGunzip()`: it fails the whole stream on bytes after the last member ("incorrect
 * header check") and, streaming, drops the output of the write that held them (measured: 16 KB of
 * rows lost), while `gzip -d` accepts such files ("decompression OK, trailing garbage ignored").
 * Each member (RFC 1952 §2.2: "a series of members … one after another") is inflated raw here, its
 * CRC-32 and length checked, and what follows the last one is ignored and reported, as gzip does.
 * Trailing zero bytes (tape padding) are ignored silently, as both gzip and Node do.
 */
import { createInflateRaw, crc32 } from "node:zlib";
import { PermanentError } from "./errors";
import { asBuffer } from "./line-splitter";

const ID1 = 0x1f;
const ID2 = 0x8b;
const DEFLATE = 8;
const FHCRC = 0x02;
const FEXTRA = 0x04;
const FNAME = 0x08;
const FCOMMENT = 0x10;
/** Compressed bytes handed to inflate at once: bounds the output one write can produce (~1000× at most). */
const INFLATE_SLICE_BYTES = 16 * 1024;

export interface DecodeOptions {
  /** S3 said `Content-Encoding: gzip` (or `x-gzip`) or the key ends in `.gz`. */
  readonly declaredGzip: boolean;
  /** Called once when bytes that are not a gzip member follow the last member (they are ignored). */
  readonly onTrailingBytes?: (bytes: number) => void;
}

/** Whether bytes start with gzip's magic number (RFC 1952 §2.3.1: ID1 = 31, ID2 = 139). */
export function isGzipMagic(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === ID1 && bytes[1] === ID2;
}

function unreadable(detail: string): PermanentError {
  return new PermanentError(`Object is not readable gzip: ${detail}`, "unreadable_object");
}

/** Buffered reading over an async byte source, with bytes that can be put back. A closure (see parquet.ts). */
function byteReader(source: AsyncIterator<Uint8Array | string>) {
  let buffered: Buffer = Buffer.alloc(0);
  let ended = false;
  const more = async (): Promise<boolean> => {
    if (ended) return false;
    const next = await source.next();
    if (next.done) {
      ended = true;
      return false;
    }
    const chunk = asBuffer(next.value);
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    return true;
  };
  return {
    get buffered(): Buffer {
      return buffered;
    },
    /** Waits until `bytes` are buffered or the source ends; true when they are. */
    async need(bytes: number): Promise<boolean> {
      while (buffered.length < bytes) if (!(await more())) return false;
      return true;
    },
    /** The next chunk: what is buffered, else the next one read; undefined at the end. */
    async take(): Promise<Buffer | undefined> {
      if (buffered.length === 0 && !(await more())) return undefined;
      const taken = buffered;
      buffered = Buffer.alloc(0);
      return taken;
    },
    skip(bytes: number): void {
      buffered = buffered.subarray(bytes);
    },
    unshift(bytes: Buffer): void {
      buffered = buffered.length === 0 ? bytes : Buffer.concat([bytes, buffered]);
    },
    async indexOf(byte: number, from: number): Promise<number> {
      for (;;) {
        const at = buffered.indexOf(byte, from);
        if (at !== -1) return at;
        if (!(await more())) return -1;
      }
    },
    async drain(): Promise<{ bytes: number; allZero: boolean }> {
      let bytes = 0;
      let allZero = true;
      for (let chunk = await this.take(); chunk !== undefined; chunk = await this.take()) {
        bytes += chunk.length;
        if (allZero && chunk.some((byte) => byte !== 0)) allZero = false;
      }
      return { bytes, allZero };
    },
  };
}

type ByteReader = ReturnType<typeof byteReader>;

/** Reads a member header (RFC 1952 §2.3); returns false when the next bytes are not one. */
async function readHeader(reader: ByteReader): Promise<boolean> {
  if (!(await reader.need(10)) || !isGzipMagic(reader.buffered) || reader.buffered[2] !== DEFLATE) return false;
  const flags = reader.buffered[3]!;
  let at = 10;
  if (flags & FEXTRA) {
    if (!(await reader.need(at + 2))) throw unreadable("header cut short");
    at += 2 + reader.buffered.readUInt16LE(at);
  }
  for (const flag of [FNAME, FCOMMENT]) {
    if (!(flags & flag)) continue;
    const zero = await reader.indexOf(0, at);
    if (zero === -1) throw unreadable("header cut short");
    at = zero + 1;
  }
  if (flags & FHCRC) at += 2;
  if (!(await reader.need(at))) throw unreadable("header cut short");
  reader.skip(at);
  return true;
}

/** Inflates one member's deflate data, yielding its output; leaves the reader just after the data. */
async function* inflateMember(reader: ByteReader): AsyncGenerator<Buffer, { crc: number; length: number }> {
  const inflate = createInflateRaw();
  const output: Buffer[] = [];
  let finished = false;
  inflate.on("data", (bytes: Buffer) => output.push(bytes));
  const ended = new Promise<void>((resolve, reject) => {
    inflate.once("end", () => ((finished = true), resolve()));
    inflate.once("error", reject);
  });
  // Observed through the write callbacks and `await ended`; never an unhandled rejection.
  ended.catch(() => undefined);
  let crc = 0;
  let length = 0;
  let fed = 0;
  const drainOutput = function* (): Generator<Buffer> {
    for (const bytes of output.splice(0)) {
      crc = crc32(bytes, crc);
      length += bytes.length;
      yield bytes;
    }
  };
  try {
    for (;;) {
      const chunk = await reader.take();
      if (chunk === undefined) throw unreadable("unexpected end of file");
      for (let at = 0; at < chunk.length; at += INFLATE_SLICE_BYTES) {
        const slice = chunk.subarray(at, at + INFLATE_SLICE_BYTES);
        await new Promise<void>((resolve, reject) => inflate.write(slice, (error) => (error ? reject(error) : resolve())));
        fed += slice.length;
        if (inflate.bytesWritten < fed || finished) {
          // The deflate data ended inside this slice: what inflate did not take is the trailer.
          await ended;
          yield* drainOutput();
          reader.unshift(Buffer.concat([slice.subarray(slice.length - (fed - inflate.bytesWritten)), chunk.subarray(at + slice.length)]));
          return { crc, length };
        }
        yield* drainOutput();
      }
    }
  } finally {
    inflate.destroy();
  }
}

async function* gunzipMembers(reader: ByteReader, options: DecodeOptions): AsyncGenerator<Buffer> {
  for (let members = 0; ; members++) {
    if (members > 0) {
      if (!(await reader.need(1))) return;
      if (!(await readHeader(reader))) {
        const rest = await reader.drain();
        if (!rest.allZero) options.onTrailingBytes?.(rest.bytes);
        return;
      }
    } else if (!(await readHeader(reader))) throw unreadable("no gzip header");
    const inflated = inflateMember(reader);
    let step = await inflated.next();
    while (!step.done) {
      yield step.value;
      step = await inflated.next();
    }
    if (!(await reader.need(8))) throw unreadable("unexpected end of file");
    const expectedCrc = reader.buffered.readUInt32LE(0);
    const expectedLength = reader.buffered.readUInt32LE(4);
    reader.skip(8);
    if (expectedCrc !== step.value.crc >>> 0 || expectedLength !== step.value.length % 2 ** 32) throw unreadable("incorrect data check");
  }
}

/**
 * The object's bytes, gunzipped when they start with gzip's magic number (a `.jsonl` holding gzip
 * is read; `Content-Encoding` and `.gz` are only hints, as Node's `Unzip` treats them).
 *
 * @throws PermanentError("unreadable_object") when declared gzip is not gzip, or a member is corrupt
 *   or cut short.
 * @example
 * ```ts
 * for await (const bytes of decodedBytes(body, { declaredGzip: true, onTrailingBytes: (n) => log(n) })) { … }
 * ```
 */
export async function* decodedBytes(input: AsyncIterable<Uint8Array | string>, options: DecodeOptions): AsyncGenerator<Buffer> {
  const reader = byteReader(input[Symbol.asyncIterator]());
  await reader.need(2);
  if (isGzipMagic(reader.buffered)) {
    yield* gunzipMembers(reader, options);
    return;
  }
  if (options.declaredGzip && reader.buffered.length > 0) throw unreadable("no gzip header (the object is declared gzip)");
  for (let chunk = await reader.take(); chunk !== undefined; chunk = await reader.take()) yield chunk;
}
