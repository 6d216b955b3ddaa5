/**
 * Strings of a PLAIN-encoded leaf, written into Parquet's PLAIN BYTE_ARRAY layout (each value's
 * 4-byte little-endian length, then its UTF-8 bytes) as they arrive, instead of being kept as
 * JavaScript strings until the row group is written.
 *
 * Why: mostly distinct strings (event ids) were the bulk of what the column buffers kept alive between
 * row groups, so each of them survived young collections, was promoted, and was traced again by every
 * old-generation collection before its row group was written (bench/README.md, issue 20). Bytes in an
 * ArrayBuffer are not traced, the strings die young, and a page is then a view of the buffer: no copy
 * at encoding time. The buffers come from the conversion's array pool (handlers/array-pool.ts).
 *
 * Min and max (Parquet compares UTF8 values as unsigned bytes) are kept as strings while values arrive:
 * JavaScript's `<` compares UTF-16 code units, the same order as UTF-8 bytes except between surrogate
 * pairs and U+E000–U+FFFF, so a leaf that saw a surrogate computes them from the bytes when taken.
 */
import { emptyArray, grown, released, type ArrayPool } from "./array-pool";
import { asBuffer } from "./line-splitter";

/** PLAIN BYTE_ARRAY values of one leaf in one row group. */
export interface PlainStrings {
  /** The values in PLAIN layout. */
  readonly bytes: Uint8Array;
  /** Where each value ends in `bytes` (its length prefix starts where the previous one ends). */
  readonly ends: Int32Array;
  /** Least and greatest value as UTF-8 bytes; absent when there are no values. */
  readonly min?: Uint8Array;
  readonly max?: Uint8Array;
}

export interface PlainStringsBuilder {
  push(value: string): void;
  /** Values pushed since the last `take`. */
  readonly count: number;
  /** The value at `index`, decoded again (for sampling). */
  valueAt(index: number): string;
  /**
   * The values pushed so far; the builder starts over and its arrays go back to the pool: the views
   * are valid until the next push to a buffer of the same pool.
   */
  take(): PlainStrings;
}

/** A UTF-16 code unit takes at most 3 UTF-8 bytes (a surrogate pair: 4 bytes for 2 units). */
const MAX_UTF8_PER_UNIT = 3;

function hasSurrogate(value: string): boolean {
  return /[\uD800-\uDFFF]/.test(value);
}

/** Min and max by unsigned bytes, read from the PLAIN layout. */
function byteBounds(bytes: Buffer, ends: Int32Array): { min: Uint8Array; max: Uint8Array } {
  let min = bytes.subarray(4, ends[0]!);
  let max = min;
  for (let index = 1; index < ends.length; index++) {
    const value = bytes.subarray(ends[index - 1]! + 4, ends[index]!);
    if (Buffer.compare(value, min) < 0) min = value;
    else if (Buffer.compare(value, max) > 0) max = value;
  }
  return { min: Uint8Array.from(min), max: Uint8Array.from(max) };
}

/**
 * A builder of PLAIN BYTE_ARRAY values, its arrays from `pool`.
 *
 * @example
 * ```ts
 * const ids = plainStringsBuilder(arrayPool());
 * ids.push("evt-1");
 * ids.push("evt-0");
 * const { bytes, ends, min, max } = ids.take();
 * // bytes: 05 00 00 00 "evt-1" 05 00 00 00 "evt-0"; ends: [9, 18]; min: "evt-0"; max: "evt-1" (UTF-8)
 * ```
 */
export function plainStringsBuilder(pool: ArrayPool): PlainStringsBuilder {
  let bytes = emptyArray("uint8");
  let ends = emptyArray("int32");
  let count = 0;
  let used = 0;
  let min = "";
  let max = "";
  let surrogates = false;

  return {
    push(value) {
      const length = value.length;
      const needed = used + 4 + MAX_UTF8_PER_UNIT * length;
      if (needed > bytes.length) bytes = grown(pool, "uint8", bytes, used, needed);
      if (count === ends.length) ends = grown(pool, "int32", ends, count);
      const start = used + 4;
      let at = start;
      let unit = 0;
      // ASCII byte by byte (ids, codes, URLs): cheaper than a native call per short value.
      for (; unit < length; unit++) {
        const code = value.charCodeAt(unit);
        if (code >= 0x80) break;
        bytes[at++] = code;
      }
      if (unit < length) {
        at = start + asBuffer(bytes).write(value, start, "utf8");
        if (!surrogates && hasSurrogate(value)) surrogates = true;
      }
      const written = at - start;
      bytes[used] = written & 0xff;
      bytes[used + 1] = (written >>> 8) & 0xff;
      bytes[used + 2] = (written >>> 16) & 0xff;
      bytes[used + 3] = written >>> 24;
      used = at;
      ends[count] = at;
      if (count === 0) min = max = value;
      else if (value < min) min = value;
      else if (value > max) max = value;
      count += 1;
    },
    get count() {
      return count;
    },
    valueAt(index) {
      const start = (index === 0 ? 0 : ends[index - 1]!) + 4;
      return asBuffer(bytes).toString("utf8", start, ends[index]!);
    },
    take() {
      const taken = { bytes: bytes.subarray(0, used), ends: ends.subarray(0, count) };
      const bounds = count === 0 ? {} : surrogates ? byteBounds(asBuffer(taken.bytes), taken.ends) : { min: Buffer.from(min, "utf8"), max: Buffer.from(max, "utf8") };
      bytes = released(pool, "uint8", bytes);
      ends = released(pool, "int32", ends);
      count = 0;
      used = 0;
      min = max = "";
      surrogates = false;
      return { ...taken, ...bounds };
    },
  };
}
