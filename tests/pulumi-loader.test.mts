/**
 * `pulumi preview` loads a TypeScript program with ts-node (type-checking) and tsconfig.json, not with
 * the tsx loader the other tests use: a compiler option or a type error that only ts-node rejects
 * would otherwise surface on a user's first preview.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { PROJECT_ROOT, stackConfig } from "./harness/stack-config.js";

describe("the program as `pulumi preview` loads it", () => {
  test.each(["dev", "prod"])("compiles with Pulumi's ts-node and registers its resources for %s", (stack) => {
    // Act: a plain Node process, as the Pulumi language host starts it
    const child = spawnSync(process.execPath, [join(PROJECT_ROOT, "tests", "harness", "pulumi-ts-node.cjs"), JSON.stringify(stackConfig(stack)), stack], {
      cwd: PROJECT_ROOT,
      env: { PATH: process.env.PATH ?? "" },
      encoding: "utf8",
      timeout: 240_000,
    });
    // Assess
    expect(child.stderr.replace(/\(node:\d+\) .*Warning[\s\S]*?--trace-warnings[^\n]*\n/g, "")).not.toMatch(/error|Error/);
    expect(child.status).toBe(0);
    const registered = Number(/REGISTERED (\d+)/.exec(child.stdout)?.[1]);
    expect(registered).toBeGreaterThan(100);
  }, 300_000);
});
