/**
 * A first run without the emulator installed: one line naming the install command, no stack trace.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { MOTO_INSTALL, MissingToolError, startEndpoint } from "./harness/emulator.js";
import { PROJECT_ROOT } from "./harness/stack-config.js";

/** A PATH on which no tool is found. */
let emptyPath: string;
beforeAll(() => {
  emptyPath = mkdtempSync(join(tmpdir(), "empty-path-"));
});
afterAll(() => {
  rmSync(emptyPath, { recursive: true, force: true });
});

describe("without moto_server on PATH", () => {
  test("startEndpoint fails with MissingToolError naming the install command", async () => {
    const saved = process.env.PATH;
    process.env.PATH = emptyPath;
    try {
      const starting = startEndpoint();
      await expect(starting).rejects.toThrow(MissingToolError);
      await expect(starting).rejects.toThrow(`moto_server is not on PATH: the local AWS endpoint needs it; install it with ${MOTO_INSTALL}`);
    } finally {
      process.env.PATH = saved;
    }
  });

  test("npm run demo prints one line that names the install command, without a stack trace, and exits 1", async () => {
    // Act
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, ["--import", "tsx", join(PROJECT_ROOT, "scripts", "demo.ts")], { cwd: PROJECT_ROOT, env: { ...process.env, PATH: emptyPath } });
      let out = "";
      let err = "";
      child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
      child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
      child.on("error", reject);
      child.on("exit", (exitCode) => resolve({ code: exitCode, stdout: out, stderr: err }));
    });

    // Assess
    expect(code).toBe(1);
    expect(stderr).toBe(`demo failed: moto_server is not on PATH: the local AWS endpoint needs it; install it with ${MOTO_INSTALL}\n`);
    expect(stdout).not.toMatch(/\n\s+at /);
  });
});
