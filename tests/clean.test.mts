/**
 * `npm run clean`: the benchmark's data, the repository's `.tmp`, and the temporary folders of
 * processes that no longer run go; the folders of running processes stay.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { clean } from "../scripts/clean.js";

const folders: string[] = [];
afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

function folder(prefix: string): string {
  const path = mkdtempSync(join(tmpdir(), prefix));
  folders.push(path);
  return path;
}

/** The pid of a process that has ended. */
function endedPid(): number {
  const child = spawnSync(process.execPath, ["-e", ""]);
  return child.pid!;
}

describe("npm run clean", () => {
  test("removes bench/.data, .tmp and the scratch folders of ended processes, and nothing else", () => {
    // Prepare
    const project = folder("clean-project-");
    const temporary = folder("clean-tmp-");
    mkdirSync(join(project, "bench", ".data"), { recursive: true });
    writeFileSync(join(project, "bench", ".data", "events-200mb.jsonl"), "{}");
    mkdirSync(join(project, ".tmp", "tls"), { recursive: true });
    mkdirSync(join(project, "handlers"));
    const dead = `datalake-upload-datalake-ingest-${endedPid()}-Ab12Cd`;
    const alive = `datalake-lambda-runtime-${process.pid}-Ef34Gh`;
    for (const name of [dead, alive, "not-ours-123-abcdef"]) mkdirSync(join(temporary, name));

    // Act
    const removed = clean(project, temporary);

    // Assess
    expect(removed.sort()).toEqual([join(project, ".tmp"), join(project, "bench", ".data"), join(temporary, dead)].sort());
    expect(existsSync(join(project, "bench"))).toBe(true);
    expect(existsSync(join(project, "handlers"))).toBe(true);
    expect(readdirSync(temporary).sort()).toEqual([alive, "not-ours-123-abcdef"].sort());
  });

  test("finds nothing to do in a clean tree", () => {
    expect(clean(folder("clean-project-"), folder("clean-tmp-"))).toEqual([]);
  });
});
