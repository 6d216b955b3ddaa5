/**
 * Typed arrays recycled between the row groups of one conversion: the column buffers
 * (handlers/parquet-columns.ts) of every open Parquet file take their arrays from one pool and give
 * them back once their row group is encoded.
 *
 * Why: a row group's arrays live until it is written, longer than a young collection, so their
 * backing stores were only freed by old-generation collections, and allocating them anew for every
 * row group of every partition brought one of those every few row groups (31 per 200 MB of events;
 * 5 with the pool: bench/README.md, issue 20). A pool shared by the conversion's files, rather than
 * arrays kept by each file, keeps memory bounded by the rows buffered across all partitions (plus the
 * pool's cap), not by the largest row group each open file ever had.
 *
 * Capacities are powers of two from `MIN_CAPACITY`; arrays come back with stale contents (callers
 * write before they read).
 */

export interface PooledArrays {
  readonly int32: Int32Array;
  readonly uint8: Uint8Array;
  readonly float64: Float64Array;
  readonly bigint64: BigInt64Array;
}

export type PooledKind = keyof PooledArrays;

export interface ArrayPool {
  /** An array of at least `length` elements (a power of two, at least `MIN_CAPACITY`). */
  get<K extends PooledKind>(kind: K, length: number): PooledArrays[K];
  /** Gives an array back; dropped when the pool already holds its cap in bytes. */
  put(kind: PooledKind, array: PooledArrays[PooledKind]): void;
  /** Bytes held for reuse. */
  readonly pooledBytes: number;
}

/** Smallest capacity handed out. */
export const MIN_CAPACITY = 1024;
/** Bytes a pool keeps for reuse at most: the arrays of a few large row groups. */
export const DEFAULT_POOL_BYTES = 16 * 1024 * 1024;

const CONSTRUCTORS: { readonly [K in PooledKind]: new (length: number) => PooledArrays[K] } = {
  int32: Int32Array,
  uint8: Uint8Array,
  float64: Float64Array,
  bigint64: BigInt64Array,
};

function capacityFor(length: number): number {
  return length <= MIN_CAPACITY ? MIN_CAPACITY : 2 ** Math.ceil(Math.log2(length));
}

/** An array of no elements: a buffer's state before its first value and after its row group is taken. */
export function emptyArray<K extends PooledKind>(kind: K): PooledArrays[K] {
  return new CONSTRUCTORS[kind](0);
}

/**
 * Gives `array` back to the pool and returns the empty array its holder starts its next row group with.
 *
 * @example values = released(pool, "int32", values);
 */
export function released<K extends PooledKind>(pool: ArrayPool, kind: K, array: PooledArrays[K]): PooledArrays[K] {
  pool.put(kind, array);
  return emptyArray(kind);
}

/**
 * A pool of typed arrays.
 *
 * @example
 * ```ts
 * const pool = arrayPool();
 * const levels = pool.get("uint8", 3000); // Uint8Array(4096)
 * pool.put("uint8", levels);
 * pool.get("uint8", 4096) === levels; // true
 * ```
 */
export function arrayPool(maxBytes: number = DEFAULT_POOL_BYTES): ArrayPool {
  // Free arrays by kind and capacity.
  const free = new Map<string, PooledArrays[PooledKind][]>();
  let pooledBytes = 0;
  return {
    get<K extends PooledKind>(kind: K, length: number): PooledArrays[K] {
      const capacity = capacityFor(length);
      const reused = free.get(`${kind}:${capacity}`)?.pop() as PooledArrays[K] | undefined;
      if (reused === undefined) return new CONSTRUCTORS[kind](capacity);
      pooledBytes -= reused.byteLength;
      return reused;
    },
    put(kind, array) {
      // Only whole arrays of the pool's capacities: a view would alias the array it is part of.
      const whole = array.byteOffset === 0 && array.byteLength === array.buffer.byteLength;
      if (!whole || pooledBytes + array.byteLength > maxBytes || array.length < MIN_CAPACITY || (array.length & (array.length - 1)) !== 0) return;
      const key = `${kind}:${array.length}`;
      const arrays = free.get(key);
      if (arrays === undefined) free.set(key, [array]);
      else arrays.push(array);
      pooledBytes += array.byteLength;
    },
    get pooledBytes() {
      return pooledBytes;
    },
  };
}

/**
 * `array` (its first `used` elements) moved into one of twice its capacity, or of `atLeast` elements
 * if more, from the pool; the old one goes back to the pool.
 *
 * @example values = grown(pool, "int32", values, count);
 */
export function grown<K extends PooledKind>(pool: ArrayPool, kind: K, array: PooledArrays[K], used: number, atLeast = 0): PooledArrays[K] {
  const larger = pool.get(kind, Math.max(array.length * 2, atLeast));
  (larger as Int32Array).set((array as Int32Array).subarray(0, used));
  pool.put(kind, array);
  return larger;
}
