// The Node.js command line Lambda starts a function with (tests/harness/lambda-node-arguments.ts):
// each rule of Lambda's experimental-feature table, its re-enable rule, the heap sizes the
// bootstrap derives from memory, and how the function's own NODE_OPTIONS is kept.
import { describe, expect, test } from "vitest";
import { processorNodeOptions } from "../compute/node-options.js";
import { EXPERIMENTAL_FEATURE_RULES, bootstrapHeapFlags, lambdaNodeArguments } from "./harness/lambda-node-arguments.js";

const HEAP_1024 = ["--max-semi-space-size=17", "--max-old-space-size=922"];

describe("experimental features Lambda disables", () => {
  test("nodejs22.x runs Node 22 with require(esm) and module detection off, then the heap sizes", () => {
    // Prepare / Act
    const args = lambdaNodeArguments({ runtime: "nodejs22.x", memoryMb: 1024 });
    // Assess
    expect(args.nodeMajor).toBe(22);
    expect(args.execArgv).toEqual(["--no-experimental-require-module", "--no-experimental-detect-module", ...HEAP_1024]);
  });

  test("nodejs20.x runs Node 20 with require(esm) off but module detection left alone", () => {
    const args = lambdaNodeArguments({ runtime: "nodejs20.x", memoryMb: 1024 });
    expect(args.nodeMajor).toBe(20);
    expect(args.execArgv).toEqual(["--no-experimental-require-module", ...HEAP_1024]);
  });

  test("nodejs24.x runs Node 24 with neither flag", () => {
    const args = lambdaNodeArguments({ runtime: "nodejs24.x", memoryMb: 1024 });
    expect(args.nodeMajor).toBe(24);
    expect(args.execArgv).toEqual(HEAP_1024);
  });

  test.each(EXPERIMENTAL_FEATURE_RULES.map((rule) => [rule.reEnableFlag, rule] as const))("%s in NODE_OPTIONS drops only its own disable flag", (_flag, rule) => {
    // Prepare
    const runtime = rule.runtimes.at(-1)!;
    const others = EXPERIMENTAL_FEATURE_RULES.filter((other) => other !== rule && other.runtimes.includes(runtime)).map((other) => other.disableFlag);
    // Act
    const args = lambdaNodeArguments({ runtime, nodeOptions: `--enable-source-maps ${rule.reEnableFlag}`, memoryMb: 1024 });
    // Assess
    expect(args.execArgv).not.toContain(rule.disableFlag);
    expect(args.execArgv).toEqual([...others, ...HEAP_1024]);
  });

  test("a disable flag the function sets itself does not count as re-enabling", () => {
    const args = lambdaNodeArguments({ runtime: "nodejs22.x", nodeOptions: "--no-experimental-require-module", memoryMb: 1024 });
    expect(args.execArgv).toContain("--no-experimental-require-module");
  });

  test("an unknown runtime is refused rather than guessed", () => {
    expect(() => lambdaNodeArguments({ runtime: "nodejs18.x", memoryMb: 1024 })).toThrow(/Unknown Lambda Node.js runtime "nodejs18.x"/);
  });
});

describe("the function's NODE_OPTIONS", () => {
  test("stays as declared, in its order, and is not repeated on the command line", () => {
    // Prepare
    const nodeOptions = "--enable-source-maps  --experimental-require-module --stack-trace-limit=50";
    // Act
    const args = lambdaNodeArguments({ runtime: "nodejs22.x", nodeOptions, memoryMb: 256 });
    // Assess
    expect(args.nodeOptions).toBe(nodeOptions);
    expect(args.execArgv.filter((flag) => nodeOptions.includes(flag))).toEqual([]);
    expect(args.execArgv[0]).toBe("--no-experimental-detect-module");
  });
});

describe("heap sizes from the function's memory", () => {
  test.each([
    [128, ["--max-semi-space-size=2", "--max-old-space-size=116"]],
    [256, ["--max-semi-space-size=4", "--max-old-space-size=231"]],
    [1024, HEAP_1024],
    [10_240, ["--max-semi-space-size=170", "--max-old-space-size=9216"]],
  ])("%i MB: new space a tenth, a sixth of it per semi-space, the old space the rest", (memoryMb, expected) => {
    expect(bootstrapHeapFlags(memoryMb)).toEqual(expected);
    expect(lambdaNodeArguments({ runtime: "nodejs24.x", memoryMb }).execArgv).toEqual(expected);
  });

  test.each(["--max-old-space-size=2048", "--max_old_space_size=2048", "--max-semi-space-size=16", "--max_semi_space_size=16"])(
    "are left to the function when its NODE_OPTIONS has %s",
    (option) => {
      const args = lambdaNodeArguments({ runtime: "nodejs24.x", nodeOptions: option, memoryMb: 1024 });
      expect(args.execArgv).toEqual([]);
    },
  );

  test("the processor's declared options replace both derived sizes", () => {
    const args = lambdaNodeArguments({ runtime: "nodejs22.x", nodeOptions: processorNodeOptions(1024), memoryMb: 1024 });
    expect(args.execArgv).toEqual(["--no-experimental-require-module", "--no-experimental-detect-module"]);
  });

  test("a memory size Lambda would not accept is refused", () => {
    expect(() => lambdaNodeArguments({ runtime: "nodejs22.x", memoryMb: 64 })).toThrow(/at least 128 MB/);
  });
});
