/**
 * The benchmark's arguments and environment are checked before anything is generated, and
 * `--help` documents them.
 */
import { describe, expect, test } from "vitest";
import { BENCH_USAGE, BIG_DEFAULT_MB, BenchUsageError, COLD_START_USAGE, DEFAULT_COLD_START_RUNS, DEFAULT_INPUTS, parseBenchArgs, parseColdStartArgs } from "../bench/args.js";

describe("npm run bench:processor arguments", () => {
  test("default to the bench's events and the mixed events at 200 MB, and the bench's events at 1 GB, with the stack's processor memory", () => {
    expect(parseBenchArgs([], {})).toEqual({ kind: "run", inputs: DEFAULT_INPUTS, memoryMb: 1024 });
    expect(DEFAULT_INPUTS).toEqual([
      { kind: "generated", generator: "events", sizeMb: 200 },
      { kind: "generated", generator: "mixed", sizeMb: 200 },
      { kind: "generated", generator: "events", sizeMb: 1024 },
    ]);
  });

  test("read sizes and the environment's settings", () => {
    expect(parseBenchArgs(["50"], { BENCH_MEMORY_MB: "2048", BENCH_ROW_GROUP_ROWS: "20000", BENCH_MAX_BUFFERED_ROWS: "5000" })).toEqual({
      kind: "run",
      inputs: [
        { kind: "generated", generator: "events", sizeMb: 50 },
        { kind: "generated", generator: "mixed", sizeMb: 50 },
      ],
      memoryMb: 2048,
      rowGroupRows: 20000,
      maxBufferedRows: 5000,
    });
  });

  test("take any JSON Lines file as a registered dataset", () => {
    expect(parseBenchArgs(["--input", "mine.jsonl", "--input", "/data/b.jsonl", "--dataset", "users"], {}, ["events", "users"])).toEqual({
      kind: "run",
      inputs: [
        { kind: "file", path: "mine.jsonl", dataset: "users" },
        { kind: "file", path: "/data/b.jsonl", dataset: "users" },
      ],
      memoryMb: 1024,
    });
  });

  test("bounds and big are their own modes; big defaults to 5 GB uncompressed", () => {
    expect(parseBenchArgs(["bounds"], {})).toEqual({ kind: "bounds", memoryMb: 1024 });
    expect(parseBenchArgs(["big"], {})).toEqual({ kind: "big", sizeMb: BIG_DEFAULT_MB, memoryMb: 1024 });
    expect(BIG_DEFAULT_MB).toBe(5120);
    expect(parseBenchArgs(["big", "300"], { BENCH_MEMORY_MB: "2048" })).toEqual({ kind: "big", sizeMb: 300, memoryMb: 2048 });
  });

  test("--help asks for the usage, which names every argument and variable", () => {
    expect(parseBenchArgs(["200", "--help"], {})).toEqual({ kind: "help" });
    for (const name of ["SIZE_MB", "--input FILE", "--dataset NAME", "bounds", "big", "BENCH_MEMORY_MB", "BENCH_ROW_GROUP_ROWS", "BENCH_MAX_BUFFERED_ROWS", "--help"]) expect(BENCH_USAGE).toContain(name);
  });

  test.each<[string[], Record<string, string>, string]>([
    [["0"], {}, 'SIZE_MB "0" must be a whole number from 1 to 10240'],
    [["1.5"], {}, 'SIZE_MB "1.5" must be a whole number from 1 to 10240'],
    [["huge"], {}, 'SIZE_MB "huge" must be a whole number from 1 to 10240'],
    [["--sizes=200"], {}, 'unknown option "--sizes=200"'],
    [["--input"], {}, "--input needs a value"],
    [["--input", "a.jsonl", "--dataset", "orders"], {}, '--dataset "orders" is not a registered dataset; expected one of events'],
    [["big", "1", "2"], {}, 'big takes at most one size (got "2")'],
    [[], { BENCH_MEMORY_MB: "64" }, 'BENCH_MEMORY_MB "64" is not accepted; expected an integer from 128 to 10240'],
    [[], { BENCH_ROW_GROUP_ROWS: "-1" }, 'BENCH_ROW_GROUP_ROWS "-1" must be a whole number from 1 to 10000000'],
  ])("refuse %j %j: %s", (argv, env, message) => {
    expect(() => parseBenchArgs(argv, env)).toThrow(BenchUsageError);
    expect(() => parseBenchArgs(argv, env)).toThrow(message);
  });
});

describe("npm run bench:cold-start arguments", () => {
  test("default to 9 fresh processes per function; --runs sets them", () => {
    expect(parseColdStartArgs([])).toEqual({ kind: "run", runs: DEFAULT_COLD_START_RUNS });
    expect(parseColdStartArgs(["--runs", "15"])).toEqual({ kind: "run", runs: 15 });
    expect(parseColdStartArgs(["--help"])).toEqual({ kind: "help" });
    expect(COLD_START_USAGE).toContain("--runs N");
  });

  test.each<[string[], string]>([
    [["--runs"], "--runs needs a number"],
    [["--runs", "2"], '--runs "2" must be a whole number from 3 to 101'],
    [["7"], 'unknown argument "7"'],
  ])("refuse %j: %s", (argv, message) => {
    expect(() => parseColdStartArgs(argv)).toThrow(BenchUsageError);
    expect(() => parseColdStartArgs(argv)).toThrow(message);
  });
});
