/**
 * Runs a function's serialized closure, the exact `__index.js` that Pulumi packs into the upload,
 * in a child Node process with the function's environment, as the Lambda runtime would.
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { RecordedResource } from "./mocks";
import { PROJECT_ROOT } from "./stack-config";

const RESULT_MARKER = "__LAMBDA_RESULT__";

export interface FunctionPackage {
  /** The serialized closure: the upload's `__index.js`. */
  readonly indexJs: string;
  /** Folders packed beside it (`node_modules/<package>`), relative to the project root. */
  readonly packedPaths: readonly string[];
}

interface ArchiveLike {
  readonly assets: Promise<Record<string, { text?: Promise<string>; path?: Promise<string> }>>;
}

/** The upload Pulumi builds for a `CallbackFunction`, read from its recorded `code` input. */
export async function functionPackage(fn: RecordedResource): Promise<FunctionPackage> {
  const archive = fn.inputs.code as ArchiveLike;
  const assets = await archive.assets;
  const index = assets["__index.js"];
  if (!index?.text) throw new Error(`${fn.name} has no serialized __index.js`);
  const packedPaths: string[] = [];
  for (const [name, asset] of Object.entries(assets)) {
    if (name !== "__index.js" && asset.path) packedPaths.push(await asset.path);
  }
  return { indexJs: await index.text, packedPaths };
}

/** Serializes a factory as `CallbackFunction` does (`pulumi.runtime.serializeFunction`). */
export async function serializeFactory(factory: () => unknown): Promise<string> {
  const serialized = await pulumi.runtime.serializeFunction(factory, { exportName: "handler", isFactoryFunction: true, allowSecrets: false });
  return serialized.text;
}

export interface InvokeOptions {
  readonly functionName: string;
  readonly environment: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
}

export type InvokeOutcome<R> = { readonly ok: true; readonly result: R; readonly logs: string } | { readonly ok: false; readonly error: { name: string; message: string }; readonly logs: string };

/**
 * Writes `indexJs` under the project's `.tmp/` (so `require` finds node_modules as in the upload)
 * and invokes its `handler` once in a fresh Node process.
 */
export async function invokeInChildProcess<R>(indexJs: string, event: unknown, options: InvokeOptions): Promise<InvokeOutcome<R>> {
  const base = join(PROJECT_ROOT, ".tmp", "lambda");
  mkdirSync(base, { recursive: true });
  const dir = mkdtempSync(join(base, `${options.functionName}-`));
  const modulePath = join(dir, "__index.js");
  const eventPath = join(dir, "event.json");
  writeFileSync(modulePath, indexJs);
  writeFileSync(eventPath, JSON.stringify(event));
  const timeoutMs = options.timeoutMs ?? 30_000;
  const child = spawn(process.execPath, [join(PROJECT_ROOT, "tests", "harness", "invoke-child.cjs"), modulePath, eventPath, options.functionName, String(timeoutMs)], {
    env: { PATH: process.env.PATH ?? "", ...options.environment },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs + 5_000);
    child.on("close", (exitCode) => {
      clearTimeout(timer);
      resolve(exitCode);
    });
  });
  const line = stdout.split("\n").find((candidate) => candidate.startsWith(RESULT_MARKER));
  const logs = `${stdout}\n${stderr}`;
  if (!line) throw new Error(`${options.functionName} exited with ${code} and no result:\n${logs}`);
  const parsed = JSON.parse(line.slice(RESULT_MARKER.length)) as { ok: true; result: R } | { ok: false; error: { name: string; message: string } };
  return { ...parsed, logs };
}
