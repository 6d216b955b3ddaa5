/**
 * Column buffers: the values of one row group, kept per leaf column in the compact form the page
 * encoder (handlers/parquet-pages.ts) writes from, never as an array of rows.
 *
 * - Numbers, timestamps and booleans go into growable typed arrays (unboxed, nothing for the GC to
 *   trace); optional columns keep only their present values plus one definition level per row.
 * - Strings are dictionary-encoded as they arrive (`stringLeaf`): a Map from value to index, reset per
 *   row group, so a low-cardinality column (event types, map keys and values) is one Int32Array of
 *   indexes and the parsed strings die young. A leaf whose distinct values exceed half of its slots
 *   (unique ids) switches to PLAIN bytes for the rest of the row group (handlers/plain-strings.ts),
 *   so its strings die young too.
 * - A `map<string,string>` goes straight into its key and value leaves with the Dremel levels of the
 *   three-level MAP layout, without an entry object per key.
 *
 * Arrays grow by doubling, taken from the conversion's array pool (handlers/array-pool.ts), and go
 * back to it when their row group is taken: a chunk is a view of them, valid until the next push to
 * a buffer of the same pool.
 *
 * Each kind of value is stored by its own function literal on purpose: V8 shares type feedback
 * between closures of one literal, and a single `set` storing into Int32Arrays, number arrays and
 * string arrays alike went megamorphic (measured in the second performance pass: 10.8 % of the
 * conversion's CPU).
 */
import type { ColumnDefinition } from "./datasets";
import type { CoercedValue } from "./coerce";
import { plainStringsBuilder, type PlainStrings } from "./plain-strings";
import { arrayPool, emptyArray, grown, released, type ArrayPool, type PooledKind } from "./array-pool";

/** The levels of one leaf in one row group. */
export interface LeafLevels {
  /** Rows of the row group. */
  readonly rows: number;
  /** Level slots: one per value, null or empty map (equals `rows` for a flat column). */
  readonly slots: number;
  /** Slots without a value. */
  readonly nulls: number;
  /** Definition level per slot; absent for a required flat column. */
  readonly definitionLevels?: Uint8Array;
  /** Repetition level per slot; only for map leaves. */
  readonly repetitionLevels?: Uint8Array;
}

/** One leaf column of a row group: its levels and its present values, in one of the encoder's forms. */
export type LeafChunk = LeafLevels &
  (
    | { readonly kind: "dictionary"; readonly entries: readonly string[]; readonly indexes: Int32Array }
    | ({ readonly kind: "plain" } & PlainStrings)
    | { readonly kind: "int32"; readonly values: Int32Array }
    | { readonly kind: "int64"; readonly values: BigInt64Array }
    | { readonly kind: "timestamp"; readonly values: Float64Array }
    | { readonly kind: "double"; readonly values: Float64Array }
    | { readonly kind: "boolean"; readonly values: Uint8Array }
  );

/** The buffered values of one column for the current row group. */
export interface ColumnBuffer {
  push(value: CoercedValue): void;
  /**
   * The row group's leaf chunks (one for a flat column, key and value for a map); the buffer starts
   * over and its arrays go back to the pool: encode the chunks before the next push to a buffer of
   * the same pool.
   */
  take(): LeafChunk[];
}

/** Distinct values tried before a leaf may give up its dictionary. */
const DICTIONARY_TRIAL_ENTRIES = 1000;

/** A string leaf: dictionary indexes while it pays, PLAIN bytes after. */
interface StringLeaf {
  /** A value, or undefined for a slot without one. */
  push(value: string | undefined): void;
  /** The present values as a chunk form; the leaf starts over. */
  take(): { kind: "dictionary"; entries: string[]; indexes: Int32Array } | ({ kind: "plain" } & PlainStrings);
}

/** Whether a sample of up to 1,000 values is more than half distinct (the same bar as `stringLeaf`'s). */
function mostlyDistinctStrings(count: number, valueAt: (index: number) => string): boolean {
  const samples = Math.min(count, DICTIONARY_TRIAL_ENTRIES);
  if (samples < 2) return false;
  const seen = new Set<string>();
  for (let sample = 0; sample < samples; sample++) seen.add(valueAt(Math.floor((sample * (count - 1)) / (samples - 1))));
  return seen.size * 2 > samples;
}

function stringLeaf(pool: ArrayPool): StringLeaf {
  let positions = new Map<string, number>();
  let entries: string[] = [];
  let indexes = emptyArray("int32");
  let present = 0;
  // One builder for the leaf's life: its buffers come from the pool for every row group that goes plain.
  const strings = plainStringsBuilder(pool);
  // A leaf that went plain in its last row group starts the next one plain: unique ids would
  // otherwise pay a Map insertion for the first thousand values of every row group (most of a small
  // group's, when a file spans many days; measured: 20 % of the conversion's CPU in these lookups).
  let plain = false;
  const goPlain = (): void => {
    for (let at = 0; at < present; at++) strings.push(entries[indexes[at]!]!);
    positions = new Map<string, number>();
    entries = [];
    plain = true;
  };
  return {
    push(value) {
      if (value === undefined) return;
      if (plain) {
        strings.push(value);
        return;
      }
      let position = positions.get(value);
      if (position === undefined) {
        position = entries.length;
        if (position >= DICTIONARY_TRIAL_ENTRIES && position * 2 > present) {
          goPlain();
          strings.push(value);
          return;
        }
        positions.set(value, position);
        entries.push(value);
      }
      if (present === indexes.length) indexes = grown(pool, "int32", indexes, present);
      indexes[present++] = position;
    },
    take() {
      // Back to a dictionary once a plain row group's values repeat again.
      const staysPlain = plain && mostlyDistinctStrings(strings.count, strings.valueAt);
      const chunk = plain ? { kind: "plain" as const, ...strings.take() } : { kind: "dictionary" as const, entries, indexes: indexes.subarray(0, present) };
      plain = staysPlain;
      indexes = released(pool, "int32", indexes);
      positions = new Map<string, number>();
      entries = [];
      present = 0;
      return chunk;
    },
  };
}

/** Definition levels of an optional flat column: 1 present, 0 null; one byte each, grown by doubling. */
interface Definitions {
  add(present: boolean): void;
  take(): { rows: number; nulls: number; definitionLevels: Uint8Array };
}

function definitions(pool: ArrayPool): Definitions {
  let levels = emptyArray("uint8");
  let rows = 0;
  let nulls = 0;
  return {
    add(present) {
      if (rows === levels.length) levels = grown(pool, "uint8", levels, rows);
      levels[rows++] = present ? 1 : 0;
      if (!present) nulls += 1;
    },
    take() {
      const taken = { rows, nulls, definitionLevels: levels.subarray(0, rows) };
      levels = released(pool, "uint8", levels);
      rows = 0;
      nulls = 0;
      return taken;
    },
  };
}

/** Levels of a flat column's row group: none when required, the definitions when optional. */
function flatLevels(required: boolean, rows: number, optional: Definitions | undefined): LeafLevels {
  if (required || optional === undefined) return { rows, slots: rows, nulls: 0 };
  const taken = optional.take();
  return { rows: taken.rows, slots: taken.rows, nulls: taken.nulls, definitionLevels: taken.definitionLevels };
}

type FixedKind = "int32" | "int64" | "timestamp" | "double" | "boolean";
type FixedValues = { int32: Int32Array; int64: BigInt64Array; timestamp: Float64Array; double: Float64Array; boolean: Uint8Array };

/** The pooled array kind each fixed-width kind is stored in. */
const POOLED_KIND = { int32: "int32", timestamp: "float64", double: "float64", int64: "bigint64", boolean: "uint8" } as const satisfies { readonly [K in FixedKind]: PooledKind };

/**
 * How each fixed-width kind stores: one function literal per kind, so that each typed array store
 * site sees one array type (see the module header); the bookkeeping around it is shared.
 */
const FIXED_STORES: { readonly [K in FixedKind]: (values: FixedValues[K], at: number, value: CoercedValue) => void } = {
  int32: (values, at, value) => void (values[at] = value as number),
  // Epoch milliseconds, written as INT64 by the encoder (no BigInt per value).
  timestamp: (values, at, value) => void (values[at] = value as number),
  double: (values, at, value) => void (values[at] = value as number),
  int64: (values, at, value) => void (values[at] = typeof value === "bigint" ? value : BigInt(value as number)),
  boolean: (values, at, value) => void (values[at] = value === true ? 1 : 0),
};

/** A column of fixed-width values: the present values in a growable typed array, definitions when optional. */
function fixedBuffer<K extends FixedKind>(kind: K, required: boolean, pool: ArrayPool): ColumnBuffer {
  const store = FIXED_STORES[kind];
  const pooled: PooledKind = POOLED_KIND[kind];
  const optional = required ? undefined : definitions(pool);
  let values = emptyArray(pooled) as FixedValues[K];
  let count = 0;
  return {
    push(value) {
      optional?.add(value !== null);
      if (value === null) return;
      if (count === values.length) values = grown(pool, pooled, values, count) as FixedValues[K];
      store(values, count++, value);
    },
    take() {
      const chunk = { kind, values: values.subarray(0, count), ...flatLevels(required, count, optional) } as LeafChunk;
      values = released(pool, pooled, values) as FixedValues[K];
      count = 0;
      return [chunk];
    },
  };
}

function stringBuffer(required: boolean, pool: ArrayPool): ColumnBuffer {
  const leaf = stringLeaf(pool);
  const optional = required ? undefined : definitions(pool);
  let rows = 0;
  return {
    push(value) {
      optional?.add(value !== null);
      rows += 1;
      if (value !== null) leaf.push(value as string);
    },
    take() {
      const chunk: LeafChunk = { ...leaf.take(), ...flatLevels(required, rows, optional) };
      rows = 0;
      return [chunk];
    },
  };
}

/**
 * An optional map<string,string> (MAP → repeated key_value → required key, optional value): per
 * entry a key and a value slot; a null map (level 0) or an empty one (level 1) takes one empty slot.
 * Levels are 0–3, one byte each, grown by doubling.
 */
function mapBuffer(pool: ArrayPool): ColumnBuffer {
  const keys = stringLeaf(pool);
  const values = stringLeaf(pool);
  let keyDefinitions = emptyArray("uint8");
  let valueDefinitions = emptyArray("uint8");
  let repetitions = emptyArray("uint8");
  let slots = 0;
  let rows = 0;
  let emptySlots = 0;
  let nullValues = 0;
  const grow = (): void => {
    keyDefinitions = grown(pool, "uint8", keyDefinitions, slots);
    valueDefinitions = grown(pool, "uint8", valueDefinitions, slots);
    repetitions = grown(pool, "uint8", repetitions, slots);
  };
  return {
    push(value) {
      const map = value as Record<string, string | null> | null;
      rows += 1;
      let repetition = 0;
      if (map !== null) {
        // for…in rather than Object.keys: no array per row.
        for (const key in map) {
          const entry = map[key];
          if (slots === keyDefinitions.length) grow();
          keys.push(key);
          const present = entry !== null && entry !== undefined;
          values.push(present ? entry : undefined);
          if (!present) nullValues += 1;
          keyDefinitions[slots] = 2;
          valueDefinitions[slots] = present ? 3 : 2;
          repetitions[slots] = repetition;
          repetition = 1;
          slots += 1;
        }
      }
      if (repetition === 0) {
        if (slots === keyDefinitions.length) grow();
        const level = map === null ? 0 : 1;
        keyDefinitions[slots] = level;
        valueDefinitions[slots] = level;
        repetitions[slots] = 0;
        slots += 1;
        emptySlots += 1;
      }
    },
    take() {
      const repetitionLevels = repetitions.subarray(0, slots);
      const chunks: LeafChunk[] = [
        { ...keys.take(), rows, slots, nulls: emptySlots, definitionLevels: keyDefinitions.subarray(0, slots), repetitionLevels },
        { ...values.take(), rows, slots, nulls: emptySlots + nullValues, definitionLevels: valueDefinitions.subarray(0, slots), repetitionLevels },
      ];
      keyDefinitions = released(pool, "uint8", keyDefinitions);
      valueDefinitions = released(pool, "uint8", valueDefinitions);
      repetitions = released(pool, "uint8", repetitions);
      slots = 0;
      rows = 0;
      emptySlots = 0;
      nullValues = 0;
      return chunks;
    },
  };
}

/**
 * The buffer of one dataset column, its arrays from `pool` (share one between the files of a conversion).
 *
 * @example
 * ```ts
 * const buffer = columnBuffer({ name: "user_id", type: "int", required: true, description: "" });
 * buffer.push(7);
 * buffer.take(); // [{ kind: "int32", values: Int32Array [7], rows: 1, slots: 1, nulls: 0 }]
 * ```
 */
export function columnBuffer(column: ColumnDefinition, pool: ArrayPool = arrayPool()): ColumnBuffer {
  switch (column.type) {
    case "int":
    case "date":
      return fixedBuffer("int32", column.required, pool);
    case "timestamp":
      return fixedBuffer("timestamp", column.required, pool);
    case "double":
      return fixedBuffer("double", column.required, pool);
    case "bigint":
      return fixedBuffer("int64", column.required, pool);
    case "boolean":
      return fixedBuffer("boolean", column.required, pool);
    case "string":
      return stringBuffer(column.required, pool);
    case "map<string,string>":
      return mapBuffer(pool);
  }
}
