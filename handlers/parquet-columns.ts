/**
 * Column buffers: the values of one row group, kept per leaf column in the compact form the page
 * encoder (handlers/parquet-pages.ts) writes from, never as an array of rows.
 *
 * - Numbers, timestamps and booleans go into growable typed arrays (unboxed, nothing for the GC to
 *   trace); optional columns keep only their present values plus one definition level per row.
 * - Strings are dictionary-encoded as they arrive (`stringLeaf`): a Map from value to index, reset per
 *   row group, so a low-cardinality column (event types, map keys and values) is one Int32Array of
 *   indexes and the parsed strings die young. A leaf whose distinct values exceed half of its slots
 *   (unique ids) switches to plain strings for the rest of the row group.
 * - A `map<string,string>` goes straight into its key and value leaves with the Dremel levels of the
 *   three-level MAP layout, without an entry object per key.
 *
 * Each kind of value is stored by its own function literal on purpose: V8 shares type feedback
 * between closures of one literal, and a single `set` storing into Int32Arrays, number arrays and
 * string arrays alike went megamorphic (measured in the second performance pass: 10.8 % of the
 * conversion's CPU).
 */
import type { ColumnDefinition } from "./datasets";
import type { CoercedValue } from "./coerce";

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
    | { readonly kind: "strings"; readonly values: readonly string[] }
    | { readonly kind: "int32"; readonly values: Int32Array }
    | { readonly kind: "int64"; readonly values: BigInt64Array }
    | { readonly kind: "timestamp"; readonly values: Float64Array }
    | { readonly kind: "double"; readonly values: Float64Array }
    | { readonly kind: "boolean"; readonly values: Uint8Array }
  );

/** The buffered values of one column for the current row group. */
export interface ColumnBuffer {
  push(value: CoercedValue): void;
  /** The row group's leaf chunks (one for a flat column, key and value for a map); the buffer starts over. */
  take(): LeafChunk[];
}

/** Distinct values tried before a leaf may give up its dictionary. */
const DICTIONARY_TRIAL_ENTRIES = 1000;

/** A string leaf: dictionary indexes while it pays, plain strings after. */
interface StringLeaf {
  /** A value, or undefined for a slot without one. */
  push(value: string | undefined): void;
  /** The present values as a chunk form; the leaf starts over. */
  take(): { kind: "dictionary"; entries: string[]; indexes: Int32Array } | { kind: "strings"; values: string[] };
}

/** Whether a sample of up to 1,000 strings is more than half distinct (the same bar as `stringLeaf`'s). */
function mostlyDistinctStrings(values: readonly string[]): boolean {
  const count = Math.min(values.length, DICTIONARY_TRIAL_ENTRIES);
  if (count < 2) return false;
  const seen = new Set<string>();
  for (let sample = 0; sample < count; sample++) seen.add(values[Math.floor((sample * (values.length - 1)) / (count - 1))]!);
  return seen.size * 2 > count;
}

function stringLeaf(): StringLeaf {
  let positions: Map<string, number> | undefined = new Map<string, number>();
  let entries: string[] = [];
  let indexes = new Int32Array(1024);
  let present = 0;
  let plain: string[] | undefined;
  // A leaf that went plain in its last row group starts the next one plain: unique ids would
  // otherwise pay a Map insertion for the first thousand values of every row group (most of a small
  // group's, when a file spans many days; measured: 20 % of the conversion's CPU in these lookups).
  let startPlain = false;
  const goPlain = (): string[] => {
    const strings = new Array<string>(present);
    for (let at = 0; at < present; at++) strings[at] = entries[indexes[at]!]!;
    positions = undefined;
    plain = strings;
    return strings;
  };
  return {
    push(value) {
      if (value === undefined) return;
      if (plain !== undefined) {
        plain.push(value);
        return;
      }
      let position = positions!.get(value);
      if (position === undefined) {
        position = entries.length;
        if (position >= DICTIONARY_TRIAL_ENTRIES && position * 2 > present) {
          goPlain().push(value);
          return;
        }
        positions!.set(value, position);
        entries.push(value);
      }
      if (present === indexes.length) {
        const larger = new Int32Array(present * 2);
        larger.set(indexes);
        indexes = larger;
      }
      indexes[present++] = position;
    },
    take() {
      const chunk = plain !== undefined ? { kind: "strings" as const, values: plain } : { kind: "dictionary" as const, entries, indexes: indexes.subarray(0, present) };
      // Back to a dictionary once a plain row group's values repeat again.
      startPlain = plain !== undefined && mostlyDistinctStrings(plain);
      positions = startPlain ? undefined : new Map<string, number>();
      entries = [];
      indexes = new Int32Array(startPlain ? 0 : 1024);
      present = 0;
      plain = startPlain ? [] : undefined;
      return chunk;
    },
  };
}

/** Definition levels of an optional flat column: 1 present, 0 null; one byte each, grown by doubling. */
interface Definitions {
  add(present: boolean): void;
  take(): { rows: number; nulls: number; definitionLevels: Uint8Array };
}

function definitions(): Definitions {
  let levels = new Uint8Array(1024);
  let rows = 0;
  let nulls = 0;
  return {
    add(present) {
      if (rows === levels.length) {
        const larger = new Uint8Array(rows * 2);
        larger.set(levels);
        levels = larger;
      }
      levels[rows++] = present ? 1 : 0;
      if (!present) nulls += 1;
    },
    take() {
      const taken = { rows, nulls, definitionLevels: levels.subarray(0, rows) };
      levels = new Uint8Array(1024);
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

/**
 * How each fixed-width kind allocates and stores: one function literal per kind, so that each typed
 * array store site sees one array type (see the module header); the bookkeeping around it is shared.
 */
const FIXED_KINDS: { readonly [K in FixedKind]: { create(length: number): FixedValues[K]; store(values: FixedValues[K], at: number, value: CoercedValue): void } } = {
  int32: { create: (length) => new Int32Array(length), store: (values, at, value) => void (values[at] = value as number) },
  // Epoch milliseconds, written as INT64 by the encoder (no BigInt per value).
  timestamp: { create: (length) => new Float64Array(length), store: (values, at, value) => void (values[at] = value as number) },
  double: { create: (length) => new Float64Array(length), store: (values, at, value) => void (values[at] = value as number) },
  int64: { create: (length) => new BigInt64Array(length), store: (values, at, value) => void (values[at] = typeof value === "bigint" ? value : BigInt(value as number)) },
  boolean: { create: (length) => new Uint8Array(length), store: (values, at, value) => void (values[at] = value === true ? 1 : 0) },
};

/** A column of fixed-width values: the present values in a growable typed array, definitions when optional. */
function fixedBuffer<K extends FixedKind>(kind: K, required: boolean): ColumnBuffer {
  const { create, store } = FIXED_KINDS[kind];
  const optional = required ? undefined : definitions();
  let values = create(1024);
  let count = 0;
  return {
    push(value) {
      optional?.add(value !== null);
      if (value === null) return;
      if (count === values.length) {
        const larger = create(count * 2);
        (larger as Int32Array).set(values as Int32Array);
        values = larger;
      }
      store(values, count++, value);
    },
    take() {
      const chunk = { kind, values: values.subarray(0, count), ...flatLevels(required, count, optional) } as LeafChunk;
      values = create(1024);
      count = 0;
      return [chunk];
    },
  };
}

function stringBuffer(required: boolean): ColumnBuffer {
  const leaf = stringLeaf();
  const optional = required ? undefined : definitions();
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
function mapBuffer(): ColumnBuffer {
  const keys = stringLeaf();
  const values = stringLeaf();
  let keyDefinitions = new Uint8Array(1024);
  let valueDefinitions = new Uint8Array(1024);
  let repetitions = new Uint8Array(1024);
  let slots = 0;
  let rows = 0;
  let emptySlots = 0;
  let nullValues = 0;
  const grow = (): void => {
    const capacity = keyDefinitions.length * 2;
    const grown = (levels: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> => {
      const larger = new Uint8Array(capacity);
      larger.set(levels);
      return larger;
    };
    keyDefinitions = grown(keyDefinitions);
    valueDefinitions = grown(valueDefinitions);
    repetitions = grown(repetitions);
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
      keyDefinitions = new Uint8Array(1024);
      valueDefinitions = new Uint8Array(1024);
      repetitions = new Uint8Array(1024);
      slots = 0;
      rows = 0;
      emptySlots = 0;
      nullValues = 0;
      return chunks;
    },
  };
}

/**
 * The buffer of one dataset column.
 *
 * @example
 * ```ts
 * const buffer = columnBuffer({ name: "user_id", type: "int", required: true, description: "" });
 * buffer.push(7);
 * buffer.take(); // [{ kind: "int32", values: Int32Array [7], rows: 1, slots: 1, nulls: 0 }]
 * ```
 */
export function columnBuffer(column: ColumnDefinition): ColumnBuffer {
  switch (column.type) {
    case "int":
    case "date":
      return fixedBuffer("int32", column.required);
    case "timestamp":
      return fixedBuffer("timestamp", column.required);
    case "double":
      return fixedBuffer("double", column.required);
    case "bigint":
      return fixedBuffer("int64", column.required);
    case "boolean":
      return fixedBuffer("boolean", column.required);
    case "string":
      return stringBuffer(column.required);
    case "map<string,string>":
      return mapBuffer();
  }
}
