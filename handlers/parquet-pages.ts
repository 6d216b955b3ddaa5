/**
 * Page encoding: one leaf chunk of a row group (handlers/parquet-columns.ts) to Parquet pages,
 * snappy-compressed, with the column chunk's metadata and statistics.
 *
 * Encodings, chosen per chunk:
 * - strings that stayed dictionary-encoded while buffering, and numbers whose sample repeats: a PLAIN
 *   dictionary page and one RLE_DICTIONARY data page (indexes bit-packed / run-length encoded);
 * - mostly distinct values (ids, timestamps to the millisecond): PLAIN data pages of about 1 MiB;
 * - levels (optional columns, map leaves): RLE / bit-packed hybrid, uncompressed, as DATA_PAGE_V2
 *   keeps them apart from the compressed values.
 * Statistics (null count, min and max as plain-encoded bytes, UTF-8 byte order for strings) are
 * written for every flat column: Athena and DuckDB skip row groups with them (Apache Parquet,
 * parquet.thrift, `Statistics`); map entries are not filtered on and get none.
 */
import type { LeafChunk } from "./parquet-columns";
import type { LeafColumn, PhysicalType } from "./parquet-schema";
import { encodeRleBitPackedHybrid } from "./rle-hybrid";
import { encodeStruct, i32, struct } from "./thrift-compact";

/** Compresses one page; share one between the files of a conversion (its WASM memory is reused). */
export type SnappyCompressor = (input: Uint8Array) => Uint8Array;

/** Encoding ids (parquet.thrift `Encoding`) and page types (`PageType`). */
export const ENCODING = { PLAIN: 0, RLE: 3, RLE_DICTIONARY: 8 } as const;
export const PAGE_TYPE = { DICTIONARY_PAGE: 2, DATA_PAGE_V2: 3 } as const;

/** Min and max as Parquet stores them: the plain encoding of the value (little-endian numbers, UTF-8 bytes). */
export interface ChunkStatistics {
  readonly nullCount: number;
  readonly min?: Uint8Array;
  readonly max?: Uint8Array;
}

/** A leaf chunk as bytes, with what the footer says about it. */
export interface EncodedChunk {
  readonly type: PhysicalType;
  readonly parts: readonly Uint8Array[];
  /** Bytes of `parts`, compressed as written. */
  readonly compressedBytes: number;
  readonly uncompressedBytes: number;
  /** Bytes of the dictionary page at the chunk's start (header included), when there is one. */
  readonly dictionaryPageBytes?: number;
  /** Level slots (Parquet's `num_values`). */
  readonly values: number;
  readonly encodings: readonly number[];
  readonly encodingStats: readonly { readonly pageType: number; readonly encoding: number; readonly count: number }[];
  readonly statistics?: ChunkStatistics;
}

/** Target size of a PLAIN data page. */
export const PLAIN_PAGE_BYTES = 1 << 20;
const SAMPLE_SIZE = 1000;
/** Above this share of distinct values in a sample, a dictionary cannot pay off. */
const DISTINCT_SHARE_FOR_PLAIN = 0.9;

/** Whether a sample of the values is mostly distinct (then PLAIN), else a dictionary pays. */
function mostlyDistinct(values: ArrayLike<number | bigint>): boolean {
  const count = Math.min(values.length, SAMPLE_SIZE);
  if (count < 2) return true;
  const seen = new Set<number | bigint>();
  for (let sample = 0; sample < count; sample++) seen.add(values[Math.floor((sample * (values.length - 1)) / (count - 1))]!);
  return seen.size / count > DISTINCT_SHARE_FOR_PLAIN;
}

function bitWidth(maxValue: number): number {
  return maxValue <= 0 ? 0 : 32 - Math.clz32(maxValue);
}

/** Pages of one chunk, appended in order; tracks sizes and encoding stats. */
interface PageList {
  readonly parts: Uint8Array[];
  compressed: number;
  uncompressed: number;
  readonly stats: Map<string, { pageType: number; encoding: number; count: number }>;
}

function pageList(): PageList {
  return { parts: [], compressed: 0, uncompressed: 0, stats: new Map() };
}

function countPage(pages: PageList, pageType: number, encoding: number): void {
  const key = `${pageType}:${encoding}`;
  const entry = pages.stats.get(key);
  if (entry) entry.count += 1;
  else pages.stats.set(key, { pageType, encoding, count: 1 });
}

/** A DICTIONARY_PAGE of the PLAIN-encoded entries. */
function appendDictionaryPage(pages: PageList, plain: Uint8Array, entries: number, compress: SnappyCompressor): number {
  const compressed = compress(plain);
  const header = encodeStruct(
    struct([1, i32(PAGE_TYPE.DICTIONARY_PAGE)], [2, i32(plain.length)], [3, i32(compressed.length)], [7, struct([1, i32(entries)], [2, i32(ENCODING.PLAIN)])]),
  );
  pages.parts.push(header, compressed);
  pages.compressed += header.length + compressed.length;
  pages.uncompressed += header.length + plain.length;
  countPage(pages, PAGE_TYPE.DICTIONARY_PAGE, ENCODING.PLAIN);
  return header.length + compressed.length;
}

/** One DATA_PAGE_V2: uncompressed levels, then the compressed values. */
function appendDataPage(
  pages: PageList,
  page: { rows: number; slots: number; nulls: number; encoding: number; repetition?: Uint8Array; definition?: Uint8Array; values: Uint8Array },
  compress: SnappyCompressor,
): void {
  const compressed = compress(page.values);
  const repetitionBytes = page.repetition?.length ?? 0;
  const definitionBytes = page.definition?.length ?? 0;
  const header = encodeStruct(
    struct(
      [1, i32(PAGE_TYPE.DATA_PAGE_V2)],
      [2, i32(repetitionBytes + definitionBytes + page.values.length)],
      [3, i32(repetitionBytes + definitionBytes + compressed.length)],
      [8, struct([1, i32(page.slots)], [2, i32(page.nulls)], [3, i32(page.rows)], [4, i32(page.encoding)], [5, i32(definitionBytes)], [6, i32(repetitionBytes)])],
    ),
  );
  pages.parts.push(header);
  if (page.repetition) pages.parts.push(page.repetition);
  if (page.definition) pages.parts.push(page.definition);
  pages.parts.push(compressed);
  pages.compressed += header.length + repetitionBytes + definitionBytes + compressed.length;
  pages.uncompressed += header.length + repetitionBytes + definitionBytes + page.values.length;
  countPage(pages, PAGE_TYPE.DATA_PAGE_V2, page.encoding);
}

/** The chunk's levels, RLE / bit-packed encoded (absent when the leaf has none). */
function encodedLevels(leaf: LeafColumn, chunk: LeafChunk): { repetition?: Uint8Array; definition?: Uint8Array } {
  return {
    ...(chunk.repetitionLevels && leaf.maxRepetitionLevel > 0 ? { repetition: encodeRleBitPackedHybrid(chunk.repetitionLevels, bitWidth(leaf.maxRepetitionLevel)) } : {}),
    ...(chunk.definitionLevels && leaf.maxDefinitionLevel > 0 ? { definition: encodeRleBitPackedHybrid(chunk.definitionLevels, bitWidth(leaf.maxDefinitionLevel)) } : {}),
  };
}

function widerBounds(a: { min: Buffer; max: Buffer } | undefined, b: { min: Buffer; max: Buffer } | undefined): { min: Buffer; max: Buffer } | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return { min: Buffer.compare(b.min, a.min) < 0 ? b.min : a.min, max: Buffer.compare(b.max, a.max) > 0 ? b.max : a.max };
}

/** Fixed-width values as PLAIN little-endian bytes. */
function plainFixed(chunk: LeafChunk & { kind: "int32" | "int64" | "timestamp" | "double" | "boolean" }): Uint8Array {
  const values = chunk.values;
  if (chunk.kind === "boolean") {
    // PLAIN BOOLEAN: bit-packed, least significant bit first.
    const packed = new Uint8Array(Math.ceil(values.length / 8));
    for (let index = 0; index < values.length; index++) if (values[index]) packed[index >>> 3]! |= 1 << (index & 7);
    return packed;
  }
  if (chunk.kind === "timestamp") {
    // INT64 from epoch milliseconds without a BigInt per value: exact two's complement halves below 2^53.
    const bytes = new Uint8Array(values.length * 8);
    const view = new DataView(bytes.buffer);
    for (let index = 0; index < values.length; index++) {
      const millis = values[index] as number;
      const high = Math.floor(millis / 4_294_967_296);
      view.setUint32(index * 8, millis - high * 4_294_967_296, true);
      view.setInt32(index * 8 + 4, high, true);
    }
    return bytes;
  }
  const typed = values as Int32Array | BigInt64Array | Float64Array;
  const bytes = new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength);
  if (new Uint8Array(new Uint32Array([1]).buffer)[0] === 1) return bytes;
  // Big-endian machines (none of Lambda's): swap each value's bytes.
  const swapped = new Uint8Array(bytes.length);
  const width = typed.BYTES_PER_ELEMENT;
  for (let at = 0; at < bytes.length; at += width) for (let byte = 0; byte < width; byte++) swapped[at + byte] = bytes[at + width - 1 - byte]!;
  return swapped;
}

/** Min and max of fixed-width values, plain-encoded. */
function fixedBounds(chunk: LeafChunk & { kind: "int32" | "int64" | "timestamp" | "double" | "boolean" }): { min: Uint8Array; max: Uint8Array } | undefined {
  const values = chunk.values;
  if (values.length === 0) return undefined;
  let minAt = 0;
  let maxAt = 0;
  for (let index = 1; index < values.length; index++) {
    if (values[index]! < values[minAt]!) minAt = index;
    else if (values[index]! > values[maxAt]!) maxAt = index;
  }
  const one = (at: number): Uint8Array => plainFixed({ ...chunk, values: values.subarray(at, at + 1) } as typeof chunk);
  if (chunk.kind === "boolean") return { min: Uint8Array.of(values[minAt] as number), max: Uint8Array.of(values[maxAt] as number) };
  return { min: one(minAt), max: one(maxAt) };
}

/**
 * Distinct fixed-width values in first-seen order and each value's index, or undefined as soon as
 * there are more than `maxEntries` (past which the dictionary cannot pay: no need to finish it).
 */
function numberDictionary(values: Int32Array | BigInt64Array | Float64Array, maxEntries: number): { entries: number; indexes: Int32Array; entryIndexes: Int32Array } | undefined {
  const positions = new Map<number | bigint, number>();
  const indexes = new Int32Array(values.length);
  const firstSeen: number[] = [];
  for (let index = 0; index < values.length; index++) {
    const value = values[index]!;
    let position = positions.get(value);
    if (position === undefined) {
      position = positions.size;
      if (position >= maxEntries) return undefined;
      positions.set(value, position);
      firstSeen.push(index);
    }
    indexes[index] = position;
  }
  return { entries: firstSeen.length, indexes, entryIndexes: Int32Array.from(firstSeen) };
}

/**
 * Whether a dictionary beats PLAIN for fixed-width values: its entries plus bit-packed indexes must
 * take less than half the plain bytes, since snappy about halves plain numbers with repeats while it
 * finds little to compress in bit-packed indexes (measured: user ids with 11,000 distinct values in
 * 1.1 million rows took 1.83 MB as dictionaries, 1.61 MB plain).
 */
function dictionaryPays(entries: number, values: number, width: number): boolean {
  const dictionaryBytes = entries * width + Math.ceil((values * bitWidth(entries - 1)) / 8);
  return dictionaryBytes * 2 < values * width;
}

/** The most dictionary entries that can still pay (see `dictionaryPays`) for `values` values of `width` bytes. */
function maxPayingEntries(values: number, width: number): number {
  let most = 1;
  for (let indexBits = 1; indexBits <= 32; indexBits++) {
    const entries = Math.floor((values * width - 2 * Math.ceil((values * indexBits) / 8)) / (2 * width));
    if (entries > most && bitWidth(entries - 1) <= indexBits) most = entries;
  }
  return most;
}

function dictionaryIndexPage(indexes: Int32Array, entries: number): Uint8Array {
  const width = bitWidth(entries - 1);
  const encoded = encodeRleBitPackedHybrid(indexes, width);
  const data = new Uint8Array(1 + encoded.length);
  data[0] = width;
  data.set(encoded, 1);
  return data;
}

function result(type: PhysicalType, chunk: LeafChunk, pages: PageList, statistics: ChunkStatistics | undefined, dictionaryPageBytes?: number): EncodedChunk {
  const encodingStats = [...pages.stats.values()];
  const levels = chunk.definitionLevels !== undefined || chunk.repetitionLevels !== undefined ? [ENCODING.RLE] : [];
  const encodings = [...new Set([...levels, ...encodingStats.map((entry) => entry.encoding)])].sort((a, b) => a - b);
  return {
    type,
    parts: pages.parts,
    compressedBytes: pages.compressed,
    uncompressedBytes: pages.uncompressed,
    ...(dictionaryPageBytes !== undefined ? { dictionaryPageBytes } : {}),
    values: chunk.slots,
    encodings,
    encodingStats,
    ...(statistics ? { statistics } : {}),
  };
}

/**
 * Encodes one leaf chunk of a row group.
 *
 * @example
 * ```ts
 * const [leaf] = leafColumns(EVENTS)[1]!; // user_id
 * const encoded = encodeChunk(leaf, { kind: "int32", values: Int32Array.of(7, 9), rows: 2, slots: 2, nulls: 0 }, compress, true);
 * // encoded.parts: one PLAIN DATA_PAGE_V2; encoded.statistics: { nullCount: 0, min: [7,0,0,0], max: [9,0,0,0] }
 * ```
 */
export function encodeChunk(leaf: LeafColumn, chunk: LeafChunk, compress: SnappyCompressor, withStatistics: boolean): EncodedChunk {
  const type = leaf.element.type;
  const pages = pageList();
  const levels = encodedLevels(leaf, chunk);
  const single = { rows: chunk.rows, slots: chunk.slots, nulls: chunk.nulls, ...levels };
  if (chunk.kind === "dictionary" && chunk.entries.length > 0) {
    const encoded = chunk.entries.map((entry) => Buffer.from(entry, "utf8"));
    let bounds: { min: Buffer; max: Buffer } | undefined;
    if (withStatistics) for (const bytes of encoded) bounds = widerBounds(bounds, { min: bytes, max: bytes });
    const plain = Buffer.allocUnsafe(encoded.reduce((sum, bytes) => sum + 4 + bytes.length, 0));
    let at = 0;
    for (const bytes of encoded) {
      plain.writeUInt32LE(bytes.length, at);
      plain.set(bytes, at + 4);
      at += 4 + bytes.length;
    }
    const dictionaryPageBytes = appendDictionaryPage(pages, plain, encoded.length, compress);
    appendDataPage(pages, { ...single, encoding: ENCODING.RLE_DICTIONARY, values: dictionaryIndexPage(chunk.indexes, chunk.entries.length) }, compress);
    return result(type, chunk, pages, withStatistics ? { nullCount: chunk.nulls, ...bounds } : undefined, dictionaryPageBytes);
  }
  if (chunk.kind === "dictionary" || chunk.kind === "plain") {
    const { bytes, ends } = chunk.kind === "plain" ? chunk : { bytes: new Uint8Array(0), ends: new Int32Array(0) };
    const bounds = chunk.kind === "plain" && chunk.min !== undefined && chunk.max !== undefined ? { min: chunk.min, max: chunk.max } : {};
    // Levels cannot be split between pages here: a chunk with levels is one page; required strings are paged.
    const paged = levels.definition === undefined && levels.repetition === undefined;
    for (let start = 0; start < ends.length || start === 0; ) {
      const startByte = start === 0 ? 0 : ends[start - 1]!;
      let end = start;
      if (paged) while (end < ends.length && ends[end]! - startByte < PLAIN_PAGE_BYTES) end += 1;
      else end = ends.length;
      // The value that crosses the page size still belongs to this page (at least one value per page).
      if (paged && end < ends.length) end += 1;
      const values = bytes.subarray(startByte, end === 0 ? 0 : ends[end - 1]!);
      appendDataPage(pages, paged ? { rows: end - start, slots: end - start, nulls: 0, encoding: ENCODING.PLAIN, values } : { ...single, encoding: ENCODING.PLAIN, values }, compress);
      if (end >= ends.length) break;
      start = end;
    }
    return result(type, chunk, pages, withStatistics ? { nullCount: chunk.nulls, ...bounds } : undefined);
  }
  const bounds = withStatistics ? fixedBounds(chunk) : undefined;
  const statistics = withStatistics ? { nullCount: chunk.nulls, ...bounds } : undefined;
  const dictionary =
    chunk.kind !== "boolean" && chunk.values.length > 0 && !mostlyDistinct(chunk.values)
      ? numberDictionary(chunk.values, maxPayingEntries(chunk.values.length, chunk.values.BYTES_PER_ELEMENT))
      : undefined;
  if (chunk.kind !== "boolean" && dictionary !== undefined && dictionaryPays(dictionary.entries, chunk.values.length, chunk.values.BYTES_PER_ELEMENT)) {
    const entryValues = chunk.values.constructor === Int32Array ? new Int32Array(dictionary.entries) : chunk.values instanceof BigInt64Array ? new BigInt64Array(dictionary.entries) : new Float64Array(dictionary.entries);
    for (let entry = 0; entry < dictionary.entries; entry++) entryValues[entry] = chunk.values[dictionary.entryIndexes[entry]!]!;
    const dictionaryPageBytes = appendDictionaryPage(pages, plainFixed({ ...chunk, values: entryValues } as typeof chunk), dictionary.entries, compress);
    appendDataPage(pages, { ...single, encoding: ENCODING.RLE_DICTIONARY, values: dictionaryIndexPage(dictionary.indexes, dictionary.entries) }, compress);
    return result(type, chunk, pages, statistics, dictionaryPageBytes);
  }
  const plain = plainFixed(chunk);
  const paged = levels.definition === undefined && chunk.kind !== "boolean";
  const width = plain.length / Math.max(1, chunk.values.length);
  const rowsPerPage = paged ? Math.max(1, Math.floor(PLAIN_PAGE_BYTES / width)) : Number.POSITIVE_INFINITY;
  for (let start = 0; start < chunk.values.length || start === 0; start += rowsPerPage) {
    const end = Math.min(chunk.values.length, start + rowsPerPage);
    const page = paged ? { rows: end - start, slots: end - start, nulls: 0 } : single;
    appendDataPage(pages, { ...page, ...(paged ? {} : levels), encoding: ENCODING.PLAIN, values: paged ? plain.subarray(start * width, end * width) : plain }, compress);
    if (end >= chunk.values.length) break;
  }
  return result(type, chunk, pages, statistics);
}
