// The local Lambda host (tests/harness/local-function.ts) fails where Lambda fails: tiny hand-made
// uploads, laid out in a temp folder like real ones, run on the runtime's Node with Lambda's flags,
// resolve only what they pack and the runtime's pinned SDK, and are killed past their timeout or
// over their memory size, the next invocation starting a new sandbox.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { FunctionInitError, LocalFunction, type LocalFunctionOptions } from "./harness/local-function.js";
import { LOCAL_POWERTOOLS_VERSION, RUNTIME_SDK_VERSION } from "./harness/lambda-runtime.js";
import { POWERTOOLS_LAYER_VERSIONS, type PowertoolsVersion } from "../compute/powertools-layer.js";
import { PROJECT_ROOT } from "./harness/stack-config.js";

const started: LocalFunction[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((fn) => fn.stop()));
});

function options(overrides: Partial<LocalFunctionOptions> = {}): LocalFunctionOptions {
  return { functionName: "hand-made", runtime: "nodejs22.x", memorySizeMb: 256, timeoutSeconds: 10, environment: { AWS_REGION: "eu-west-1" }, ...overrides };
}

/** Starts an upload made of `indexJs` (CommonJS, exporting `handler`) and the project folders it packs. */
async function start(indexJs: string, overrides: Partial<LocalFunctionOptions> = {}, packedPaths: string[] = []): Promise<LocalFunction> {
  const fn = await LocalFunction.start({ indexJs, packedPaths }, options(overrides));
  started.push(fn);
  return fn;
}

async function initError(indexJs: string, overrides: Partial<LocalFunctionOptions> = {}, packedPaths: string[] = []): Promise<FunctionInitError> {
  const error = await start(indexJs, overrides, packedPaths).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(FunctionInitError);
  return error as FunctionInitError;
}

const REQUIRE_ESM_ONLY = `const snappy = require("hysnappy");\nexports.handler = async () => typeof snappy.snappyUncompress;\n`;

describe("the runtime's Node and Lambda's flags", () => {
  test("require() of an ES-module-only package fails the init with ERR_REQUIRE_ESM on nodejs22.x", async () => {
    // Prepare / Act: hysnappy is packed, so only the flags can stop it
    const error = await initError(REQUIRE_ESM_ONLY, {}, ["node_modules/hysnappy"]);
    // Assess
    expect(error.error).toMatchObject({ code: "ERR_REQUIRE_ESM" });
  });

  test("the same upload loads when the function's NODE_OPTIONS re-enables require(esm)", async () => {
    // Prepare
    const fn = await start(REQUIRE_ESM_ONLY, { environment: { AWS_REGION: "eu-west-1", NODE_OPTIONS: "--experimental-require-module" } }, ["node_modules/hysnappy"]);
    // Act
    const outcome = await fn.invoke<string>({});
    // Assess
    expect(outcome).toMatchObject({ ok: true, result: "function" });
  });

  test.each([
    ["nodejs22.x", "v22.", ["--no-experimental-require-module", "--no-experimental-detect-module", "--max-semi-space-size=4", "--max-old-space-size=231"]],
    ["nodejs24.x", "v24.", ["--max-semi-space-size=4", "--max-old-space-size=231"]],
  ])("%s runs on Node %s with Lambda's flags and environment", async (runtime, versionPrefix, execArgv) => {
    // Prepare
    const fn = await start(
      `exports.handler = async () => ({ version: process.version, execArgv: process.execArgv, cwd: process.cwd(), env: process.env });\n`,
      { runtime, environment: { AWS_REGION: "eu-west-1", POWERTOOLS_SERVICE_NAME: "hand" } },
    );
    // Act
    const outcome = await fn.invoke<{ version: string; execArgv: string[]; cwd: string; env: Record<string, string> }>({});
    // Assess
    if (!outcome.ok) throw new Error(outcome.error.message);
    const { version, env, cwd } = outcome.result;
    expect(version.startsWith(versionPrefix)).toBe(true);
    expect(outcome.result.execArgv).toEqual(execArgv);
    expect(env).toMatchObject({
      AWS_EXECUTION_ENV: `AWS_Lambda_${runtime}`,
      AWS_LAMBDA_FUNCTION_NAME: "hand-made",
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "256",
      AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
      AWS_REGION: "eu-west-1",
      TZ: ":UTC",
      LAMBDA_TASK_ROOT: cwd,
      POWERTOOLS_SERVICE_NAME: "hand",
    });
    expect(env.NODE_PATH).toBe(`${env.LAMBDA_RUNTIME_DIR}/node_modules:${env.LAMBDA_RUNTIME_DIR}:${cwd}`);
    expect(cwd.startsWith(PROJECT_ROOT)).toBe(false);
  });
});

describe("what the function can require", () => {
  test("a package only the project's node_modules has is not found", async () => {
    // Prepare: fast-check (a test library) is installed in the project, and the upload does not pack it
    expect(existsSync(join(PROJECT_ROOT, "node_modules", "fast-check"))).toBe(true);
    // Act
    const error = await initError(`const fc = require("fast-check");\nexports.handler = async () => typeof fc;\n`);
    // Assess
    expect(error.error).toMatchObject({ name: "Runtime.ImportModuleError", code: "MODULE_NOT_FOUND" });
  });

  test("the runtime's SDK clients resolve from the runtime directory at the pinned version", async () => {
    // Prepare
    const projectVersion = (JSON.parse(readFileSync(join(PROJECT_ROOT, "node_modules", "@aws-sdk", "client-s3", "package.json"), "utf8")) as { version: string }).version;
    const fn = await start(
      `exports.handler = async () => ["s3", "sqs", "sns", "athena"].map((name) => ({\n` +
        `  version: require("@aws-sdk/client-" + name + "/package.json").version,\n` +
        `  inRuntimeDir: require.resolve("@aws-sdk/client-" + name).startsWith(process.env.LAMBDA_RUNTIME_DIR + "/node_modules/"),\n` +
        `}));\n`,
    );
    // Act
    const outcome = await fn.invoke<{ version: string; inRuntimeDir: boolean }[]>({});
    // Assess
    expect(outcome).toMatchObject({ ok: true, result: Array(4).fill({ version: RUNTIME_SDK_VERSION, inRuntimeDir: true }) });
    expect(RUNTIME_SDK_VERSION).not.toBe(projectVersion);
  });
});

describe("timeout", () => {
  const HANDLER =
    `const bornPid = process.pid;\n` +
    `exports.handler = async (event, context) => {\n` +
    `  if (event.hang) await new Promise((resolve) => setTimeout(resolve, 600000));\n` +
    `  return { pid: bornPid, remainingMs: context.getRemainingTimeInMillis() };\n` +
    `};\n`;

  test("an invocation past the timeout kills the sandbox, and the next one starts a new one with a new init", async () => {
    // Prepare
    const fn = await start(HANDLER, { timeoutSeconds: 1 });
    const first = await fn.invoke<{ pid: number; remainingMs: number }>({});
    // Act
    const hung = await fn.invoke({ hang: true });
    const after = await fn.invoke<{ pid: number; remainingMs: number }>({});
    // Assess
    expect(hung).toMatchObject({ ok: false, error: { name: "Sandbox.Timedout", message: "Task timed out after 1.00 seconds" } });
    if (!first.ok || !after.ok) throw new Error("the invocations around the timeout should succeed");
    expect(after.result.pid).not.toBe(first.result.pid);
    expect(after.report.initDurationMs).toBeDefined();
    expect(first.result.remainingMs).toBeGreaterThan(0);
    expect(first.result.remainingMs).toBeLessThanOrEqual(1000);
    expect(fn.summary).toMatchObject({ invocations: 3, failures: 1, timeouts: 1, coldStarts: 2, timeoutSeconds: 1 });
  });
});

describe("memory", () => {
  const HANDLER =
    `const held = [];\n` +
    `exports.handler = async (event) => {\n` +
    `  // Buffers live outside the V8 heap: only the sandbox's memory limit stops them.\n` +
    `  for (let i = 0; i < event.chunks; i++) {\n` +
    `    held.push(Buffer.alloc(16 * 1024 * 1024, 1));\n` +
    `    await new Promise((resolve) => setImmediate(resolve));\n` +
    `  }\n` +
    `  const total = held.length * 16;\n` +
    `  held.length = 0;\n` +
    `  return { heldMb: total };\n` +
    `};\n`;

  test("an invocation that grows past the memory size is killed as out of memory, and the next one starts a new sandbox", async () => {
    // Prepare
    const fn = await start(HANDLER, { memorySizeMb: 128 });
    // Act: up to 512 MB, four times the memory size
    const outOfMemory = await fn.invoke({ chunks: 32 });
    const after = await fn.invoke({ chunks: 0 });
    // Assess
    expect(outOfMemory).toMatchObject({ ok: false, error: { name: "Runtime.OutOfMemory" }, report: { memorySizeMb: 128 } });
    expect(outOfMemory.report.peakRssMb).toBeGreaterThan(128);
    expect(after).toMatchObject({ ok: true, result: { heldMb: 0 } });
    expect(after.report.initDurationMs).toBeDefined();
    expect(fn.summary).toMatchObject({ invocations: 2, failures: 1, outOfMemory: 1, coldStarts: 2, memorySizeMb: 128 });
  });

  test("each invocation reports its peak RSS against the memory size", async () => {
    // Prepare
    const fn = await start(HANDLER, { memorySizeMb: 512 });
    // Act: 64 MB held at once
    const outcome = await fn.invoke({ chunks: 4 });
    // Assess
    expect(outcome).toMatchObject({ ok: true, result: { heldMb: 64 }, report: { memorySizeMb: 512 } });
    expect(outcome.report.peakRssMb).toBeGreaterThan(64);
    expect(outcome.report.peakRssMb).toBeLessThan(512);
    expect(fn.summary.maxPeakRssMb).toBe(outcome.report.peakRssMb);
  });
});

describe("the Powertools layer", () => {
  const LOAD_LOGGER = `const { Logger } = require("@aws-lambda-powertools/logger");\nconst entry = require.resolve("@aws-lambda-powertools/logger");\nconst version = JSON.parse(require("node:fs").readFileSync(entry.slice(0, entry.indexOf("/lib/")) + "/package.json", "utf8")).version;\nexports.handler = async () => ({ version, logger: typeof Logger, nodePath: process.env.NODE_PATH });\n`;
  const layerArn = (layerVersion: number) => `arn:aws:lambda:eu-west-1:094274105915:layer:AWSLambdaPowertoolsTypeScriptV2:${layerVersion}`;
  const pinnedLayer = POWERTOOLS_LAYER_VERSIONS[LOCAL_POWERTOOLS_VERSION as PowertoolsVersion];

  test("an upload without Powertools fails its init when the function declares no layer", async () => {
    // Act
    const error = await initError(LOAD_LOGGER);
    // Assess
    expect(error.error.message).toContain("@aws-lambda-powertools/logger");
  });

  test("the declared layer provides Powertools at its version, from /opt/nodejs/node_modules on NODE_PATH before the runtime's SDK", async () => {
    // Prepare
    const fn = await start(LOAD_LOGGER, { layers: [layerArn(pinnedLayer)] });
    // Act
    const outcome = await fn.invoke<{ version: string; logger: string; nodePath: string }>({});
    // Assess
    if (!outcome.ok) throw new Error(outcome.error.message);
    expect(outcome.result).toMatchObject({ version: LOCAL_POWERTOOLS_VERSION, logger: "function" });
    const paths = outcome.result.nodePath.split(":");
    expect(paths[0]).toMatch(/\/nodejs\/node22\/node_modules$/);
    expect(paths[1]).toMatch(/\/nodejs\/node_modules$/);
    expect(paths[2]).toMatch(/lambda-runtime[^/]*\/node_modules$/);
  });

  test("a layer version that carries another Powertools than the local tree is refused, naming both pins", async () => {
    // Prepare: another layer number the table knows
    const other = Object.values(POWERTOOLS_LAYER_VERSIONS).find((layerVersion) => layerVersion !== pinnedLayer)!;
    // Act / Assess
    await expect(start(LOAD_LOGGER, { layers: [layerArn(other)] })).rejects.toThrow(/installs 2\.\d+\.\d+: pin the same version in both \(datalake:powertoolsVersion/);
  });

  test("a layer the host cannot provide is refused", async () => {
    await expect(start(LOAD_LOGGER, { layers: ["arn:aws:lambda:eu-west-1:123456789012:layer:my-team-tools:3"] })).rejects.toThrow(/only AWS's Powertools layer is emulated/);
  });
});
