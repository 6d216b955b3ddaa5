/**
 * Clean runs: after a demo run and a test run, no temporary folder and no private key remains. Each
 * runs as a child process whose os.tmpdir() is a folder of this test's own, so the test lists exactly
 * the entries they created; the test run is tests/fixtures/cleanup-fixture.mts, which uses every part of
 * the harness that makes folders and leaves some running, as a failing test would.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { PROJECT_ROOT } from "./harness/stack-config.js";

/** Caches of the tools themselves (tsx keeps its compile cache in os.tmpdir()), not the project's folders. */
const TOOL_CACHES = /^tsx-\d+$/;
/** What the project names its temporary folders (tests/harness/scratch.ts). */
const OURS = /^datalake-/;

let isolated: string;
beforeAll(() => {
  isolated = mkdtempSync(join(tmpdir(), "cleanup-test-"));
});
afterAll(() => {
  rmSync(isolated, { recursive: true, force: true });
});

/** Runs a child with os.tmpdir() = the isolated folder; resolves with its exit code and output. */
function runIsolated(args: readonly string[], extraEnv: Readonly<Record<string, string>> = {}): Promise<{ code: number | null; output: string }> {
  // A nested vitest must not think it runs inside this one.
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("VITEST")));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: PROJECT_ROOT, env: { ...env, ...extraEnv, TMPDIR: isolated }, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.on("error", reject);
    child.on("exit", (code) => resolve({ code, output }));
  });
}

/**
 * The isolated folder's entries once the project's own have gone: a process that ends hands its
 * large folders to a detached `rm -rf` (tests/harness/scratch.ts), so they may take a moment.
 */
async function entriesAfterCleanup(): Promise<string[]> {
  for (let attempt = 0; attempt < 240 && readdirSync(isolated).some((name) => OURS.test(name)); attempt++) await new Promise((resolve) => setTimeout(resolve, 250));
  return readdirSync(isolated).filter((name) => !TOOL_CACHES.test(name));
}

/** Every `.pem` file of the repository outside node_modules and .git, by path. */
function pemFilesInRepository(folder: string = PROJECT_ROOT): string[] {
  return readdirSync(folder).flatMap((name) => {
    if (name === "node_modules" || name === ".git") return [];
    const path = join(folder, name);
    if (statSync(path).isDirectory()) return pemFilesInRepository(path);
    return name.endsWith(".pem") ? [path] : [];
  });
}

describe("clean runs", () => {
  test("the demo and a test run leave no temporary folder and no private key, in os.tmpdir() or in the repository", { timeout: 600_000 }, async () => {
    // Prepare
    const pemBefore = pemFilesInRepository();

    // Act: the demo, then a test run using every folder-making part of the harness
    const demo = await runIsolated(["--import", "tsx", join(PROJECT_ROOT, "scripts", "demo.ts")]);
    const afterDemo = await entriesAfterCleanup();
    const tests = await runIsolated([join(PROJECT_ROOT, "node_modules", "vitest", "vitest.mjs"), "run", "--config", "tests/fixtures/vitest.cleanup.config.mts"]);
    const afterTests = await entriesAfterCleanup();

    // Assess
    expect(demo.code, demo.output).toBe(0);
    expect(demo.output).toContain("done");
    expect(afterDemo).toEqual([]);
    expect(tests.code, tests.output).toBe(0);
    expect(tests.output).toMatch(/1 passed/);
    expect(afterTests).toEqual([]);
    expect(pemFilesInRepository()).toEqual(pemBefore);
  });
});
