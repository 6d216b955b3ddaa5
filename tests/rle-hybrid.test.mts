import { describe, expect, test } from "vitest";
import { ByteWriter } from "hyparquet-writer";
import { writeRleBitPackedHybrid } from "hyparquet-writer/src/encoding.js";
import { encodeRleBitPackedHybrid } from "../handlers/rle-hybrid.js";

/** The reference: hyparquet-writer's encoder (what readers of our files have been reading). */
function reference(values: ArrayLike<number>, bitWidth: number): Uint8Array {
  const writer = new ByteWriter();
  writeRleBitPackedHybrid(writer, values as number[], bitWidth);
  return writer.getBytes();
}

/** Deterministic pseudo-random values with runs, so that both RLE and bit-packed groups occur. */
function valuesWithRuns(count: number, distinct: number, seed: number): Int32Array {
  const values = new Int32Array(count);
  let state = seed;
  const next = (): number => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32;
  for (let at = 0; at < count; ) {
    const value = Math.floor(next() * distinct);
    const run = next() < 0.3 ? 8 + Math.floor(next() * 20) : 1;
    for (let index = 0; index < run && at < count; index++) values[at++] = value;
  }
  return values;
}

describe("encodeRleBitPackedHybrid", () => {
  test.each([
    [0, 0, 1],
    [1, 1, 0],
    [7, 2, 1],
    [8, 2, 1],
    [1000, 2, 1],
    [1001, 4, 2],
    [5000, 1000, 10],
    [3333, 20_000, 15],
    [2048, 5_000_000, 23],
  ])("matches hyparquet-writer's bytes for %i values below %i at bit width %i", (count, distinct, bitWidth) => {
    const values = valuesWithRuns(count, distinct, count + bitWidth);
    expect(Buffer.from(encodeRleBitPackedHybrid(values, bitWidth))).toEqual(Buffer.from(reference(values, bitWidth)));
  });

  test("encodes a run of 8 equal values as one RLE run", () => {
    expect([...encodeRleBitPackedHybrid(new Uint8Array(8).fill(1), 1)]).toEqual([16, 1]);
  });
});
