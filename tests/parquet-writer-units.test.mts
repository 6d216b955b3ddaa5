// The Parquet writer's parts on their own (handlers/thrift-compact.ts, handlers/parquet-schema.ts,
// handlers/parquet-columns.ts); whole files are read back by DuckDB in tests/convert.test.mts and
// tests/duckdb-equality.test.mts.
import { describe, expect, test } from "vitest";
import { encodeStruct, i32, i64, list, struct } from "../handlers/thrift-compact.js";
import { leafColumns } from "../handlers/parquet-schema.js";
import { columnBuffer } from "../handlers/parquet-columns.js";
import { plainStringsBuilder } from "../handlers/plain-strings.js";
import { arrayPool, grown, MIN_CAPACITY } from "../handlers/array-pool.js";
import { EVENTS } from "../handlers/datasets.js";

describe("thrift compact protocol", () => {
  test("writes field headers as id deltas, zigzag varints and length-prefixed strings", () => {
    expect([...encodeStruct(struct([1, i32(3)], [2, "a"]))]).toEqual([0x15, 0x06, 0x18, 0x01, 0x61, 0x00]);
  });

  test("writes a field id more than 15 after the previous one in long form, and negative numbers zigzagged", () => {
    // type I32 (5) alone, then zigzag(20) = 40, then zigzag(-1) = 1
    expect([...encodeStruct(struct([20, i32(-1)]))]).toEqual([0x05, 40, 0x01, 0x00]);
  });

  test("writes 64-bit integers beyond 32 bits and booleans in the type nibble", () => {
    // 2^33 zigzagged is 2^34: varint 0x80 0x80 0x80 0x80 0x40
    expect([...encodeStruct(struct([1, i64(2 ** 33)], [2, true], [3, false]))]).toEqual([0x16, 0x80, 0x80, 0x80, 0x80, 0x40, 0x11, 0x12, 0x00]);
  });

  test("writes lists of 15 or more elements with their size after the header", () => {
    const bytes = encodeStruct(struct([1, list(Array.from({ length: 16 }, () => i32(0)))]));
    expect([...bytes.subarray(0, 3)]).toEqual([0x19, 0xf5, 16]);
    expect(bytes.length).toBe(3 + 16 + 1);
  });
});

describe("leaf columns of the events schema", () => {
  test("a map has a key leaf (one repetition and two definition levels) and an optional value leaf (three)", () => {
    const leaves = leafColumns(EVENTS).map((column) => column.map((leaf) => [leaf.path.join("."), leaf.maxDefinitionLevel, leaf.maxRepetitionLevel]));
    expect(leaves).toEqual([
      [["event_id", 0, 0]],
      [["user_id", 0, 0]],
      [["event_timestamp", 0, 0]],
      [["event_type", 0, 0]],
      [
        ["properties.key_value.key", 2, 1],
        ["properties.key_value.value", 3, 1],
      ],
    ]);
  });
});

describe("column buffers", () => {
  test("an optional column keeps only its present values and a definition level per row", () => {
    const buffer = columnBuffer({ name: "n", type: "int", required: false, description: "" });
    for (const value of [1, null, 3]) buffer.push(value);
    const [chunk] = buffer.take();
    expect(chunk).toMatchObject({ kind: "int32", rows: 3, slots: 3, nulls: 1 });
    expect([...(chunk!.kind === "int32" ? chunk!.values : [])]).toEqual([1, 3]);
    expect([...chunk!.definitionLevels!]).toEqual([1, 0, 1]);
  });

  test("a map's leaves get one slot per entry and one empty slot for a null or empty map", () => {
    const buffer = columnBuffer({ name: "m", type: "map<string,string>", required: false, description: "" });
    const maps: (Record<string, string | null> | null)[] = [{ a: "1", b: null }, null, {}];
    for (const value of maps) buffer.push(value);
    const [keys, values] = buffer.take();
    expect(keys).toMatchObject({ kind: "dictionary", entries: ["a", "b"], rows: 3, slots: 4, nulls: 2 });
    expect([...keys!.definitionLevels!, ...keys!.repetitionLevels!]).toEqual([2, 2, 0, 1, 0, 1, 0, 0]);
    expect(values).toMatchObject({ kind: "dictionary", entries: ["1"], nulls: 3 });
    expect([...values!.definitionLevels!]).toEqual([3, 2, 0, 1]);
  });

  test("a string leaf goes plain once mostly distinct, starts its next row group plain, and goes back to a dictionary when values repeat", () => {
    // Prepare
    const buffer = columnBuffer({ name: "id", type: "string", required: true, description: "" });
    const group = (values: readonly string[]) => {
      for (const value of values) buffer.push(value);
      return buffer.take()[0];
    };
    // Act
    const first = group(Array.from({ length: 1500 }, (_, index) => `id-${index}`));
    const second = group(Array.from({ length: 10 }, (_, index) => `id-${index % 2}`));
    const third = group(["x", "x", "x"]);
    // Assess
    expect(first).toMatchObject({ kind: "plain", rows: 1500 });
    expect(second).toMatchObject({ kind: "plain", rows: 10 });
    expect(third).toMatchObject({ kind: "dictionary", entries: ["x"] });
  });

  test("a string leaf of repeated values stays a dictionary of first-seen order", () => {
    const buffer = columnBuffer({ name: "type", type: "string", required: true, description: "" });
    for (const value of ["b", "a", "b"]) buffer.push(value);
    const [chunk] = buffer.take();
    expect(chunk).toMatchObject({ kind: "dictionary", entries: ["b", "a"] });
    expect([...(chunk!.kind === "dictionary" ? chunk!.indexes : [])]).toEqual([0, 1, 0]);
  });
});

describe("PLAIN strings built as they arrive", () => {
  /** The values back from the PLAIN layout: each a 4-byte little-endian length, then its UTF-8 bytes. */
  function decodePlain(bytes: Uint8Array, ends: Int32Array): string[] {
    const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const values: string[] = [];
    for (let index = 0, at = 0; index < ends.length; at = ends[index++]!) {
      const length = buffer.readUInt32LE(at);
      expect(at + 4 + length).toBe(ends[index]);
      values.push(buffer.toString("utf8", at + 4, at + 4 + length));
    }
    return values;
  }

  test("ASCII and non-ASCII values keep their order and bytes, past the initial capacity", () => {
    // Prepare: enough values to grow both the byte buffer and the ends, some of them multi-byte
    const values = Array.from({ length: 5000 }, (_, index) => (index % 7 === 0 ? `Zürich-${index}-日本` : `evt-${index.toString(16).padStart(12, "0")}`));
    const builder = plainStringsBuilder(arrayPool());
    // Act
    for (const value of values) builder.push(value);
    const sampled = builder.valueAt(4998);
    const taken = builder.take();
    // Assess
    expect(decodePlain(taken.bytes, taken.ends)).toEqual(values);
    expect(sampled).toBe(values[4998]);
    expect(Buffer.from(taken.min!).toString("utf8")).toBe([...values].sort()[0]);
    expect(builder.take().ends).toHaveLength(0);
  });

  test("min and max follow UTF-8 byte order, also where UTF-16 order differs (a surrogate pair against U+FFFD)", () => {
    // Prepare: "\u{1F600}" is F0 9F 98 80 in UTF-8, above "\uFFFD" (EF BF BD), though below it in UTF-16 (D83D < FFFD)
    const builder = plainStringsBuilder(arrayPool());
    // Act
    for (const value of ["\uFFFD", "\u{1F600}", "a"]) builder.push(value);
    const { min, max } = builder.take();
    // Assess
    expect(Buffer.from(min!).toString("utf8")).toBe("a");
    expect(Buffer.from(max!).toString("utf8")).toBe("\u{1F600}");
  });

  test("an empty string is a zero length and bounds nothing away", () => {
    const builder = plainStringsBuilder(arrayPool());
    builder.push("");
    builder.push("b");
    const { bytes, ends, min, max } = builder.take();
    expect([...bytes]).toEqual([0, 0, 0, 0, 1, 0, 0, 0, 0x62]);
    expect([...ends]).toEqual([4, 9]);
    expect([...min!]).toEqual([]);
    expect([...max!]).toEqual([0x62]);
  });
});

describe("the array pool the column buffers share", () => {
  test("hands out power-of-two capacities and takes back only whole arrays of its own (a view would alias its array)", () => {
    // Prepare
    const pool = arrayPool();
    // Act
    const small = pool.get("int32", 10);
    const large = pool.get("int32", 3000);
    pool.put("int32", large);
    pool.put("int32", large.subarray(0, 2048));
    // Assess
    expect([small.length, large.length]).toEqual([MIN_CAPACITY, 4096]);
    expect(pool.pooledBytes).toBe(4096 * 4);
    expect(pool.get("int32", 4096)).toBe(large);
    expect(pool.get("float64", 4096)).not.toBe(large);
  });

  test("grows an array with its contents and keeps the smaller one for the next row group", () => {
    const pool = arrayPool();
    const first = pool.get("uint8", 1);
    first.set([1, 2, 3]);
    const larger = grown(pool, "uint8", first, 3);
    expect([...larger.subarray(0, 3)]).toEqual([1, 2, 3]);
    expect(larger.length).toBe(2 * MIN_CAPACITY);
    expect(pool.get("uint8", 1)).toBe(first);
  });

  test("keeps no more than its cap", () => {
    const pool = arrayPool(8 * 1024);
    for (let index = 0; index < 10; index++) pool.put("float64", new Float64Array(MIN_CAPACITY));
    expect(pool.pooledBytes).toBe(8 * 1024);
  });

  test("a column buffer's arrays go back to the pool when its row group is taken, and the next row group reuses them", () => {
    // Prepare: an optional int column (values and definition levels)
    const pool = arrayPool();
    const buffer = columnBuffer({ name: "n", type: "int", required: false, description: "" }, pool);
    for (let index = 0; index < 2000; index++) buffer.push(index % 5 === 0 ? null : index);
    // Act
    const [first] = buffer.take();
    const pooledAfterTake = pool.pooledBytes;
    buffer.push(7);
    const [second] = buffer.take();
    // Assess
    expect(first).toMatchObject({ kind: "int32", rows: 2000, nulls: 400 });
    expect(pooledAfterTake).toBeGreaterThan(0);
    expect(second).toMatchObject({ kind: "int32", rows: 1, nulls: 0 });
    expect([...(second as { values: Int32Array }).values]).toEqual([7]);
  });
});
