// The Parquet writer's parts on their own (handlers/thrift-compact.ts, handlers/parquet-schema.ts,
// handlers/parquet-columns.ts); whole files are read back by DuckDB in tests/convert.test.mts and
// tests/duckdb-equality.test.mts.
import { describe, expect, test } from "vitest";
import { encodeStruct, i32, i64, list, struct } from "../handlers/thrift-compact.js";
import { leafColumns } from "../handlers/parquet-schema.js";
import { columnBuffer } from "../handlers/parquet-columns.js";
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
    expect(first).toMatchObject({ kind: "strings", rows: 1500 });
    expect(second).toMatchObject({ kind: "strings", rows: 10 });
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
