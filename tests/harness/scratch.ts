/**
 * Temporary folders of the local harness and the demo (function uploads, the Lambda runtime folder,
 * lake copies, TLS material): always under os.tmpdir(), never inside the repository, named
 * `datalake-<kind>-<pid>-XXXXXX`. Their owner removes them when it stops (`removeScratch`). Those
 * still there when the process ends (the runtime folder, whatever a failed test left) are removed
 * then: TLS material at once, the rest by a detached `rm -rf`, because a test worker gets half a
 * second between SIGTERM and SIGKILL and a function's upload takes longer than that to delete on a
 * busy machine. `npm run clean` removes the folders of processes that no longer run.
 *
 * @example
 * ```ts
 * const dir = scratchFolder("lake");   // /tmp/datalake-lake-4242-a1b2c3
 * …
 * removeScratch(dir);
 * ```
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { onProcessExit } from "./exit-cleanup";

/** Every scratch folder's name starts with this. */
export const SCRATCH_PREFIX = "datalake-";
const SCRATCH_NAME = /^datalake-[a-z][a-z0-9-]*?-(\d+)-[A-Za-z0-9]{6}$/;
/** Kinds whose folders hold private keys: removed synchronously, first, when the process ends. */
const KEY_MATERIAL = new Set(["tls"]);

/** Folders of this process not removed yet, with their kind. */
const owned = new Map<string, string>();
let exitHookInstalled = false;

/** Removes what is left: key material now, the rest in a process of its own that outlives this one. */
function removeOwnedAtExit(): void {
  const left = [...owned];
  owned.clear();
  for (const [dir] of left.filter(([, kind]) => KEY_MATERIAL.has(kind))) rmSync(dir, { recursive: true, force: true });
  const rest = left.filter(([, kind]) => !KEY_MATERIAL.has(kind)).map(([dir]) => dir);
  if (rest.length === 0) return;
  try {
    spawn("rm", ["-rf", "--", ...rest], { detached: true, stdio: "ignore" }).unref();
  } catch {
    for (const dir of rest) rmSync(dir, { recursive: true, force: true });
  }
}

/** A new folder under os.tmpdir(), removed at the latest when this process ends. */
export function scratchFolder(kind: string): string {
  if (!/^[a-z][a-z0-9-]*$/.test(kind)) throw new Error(`scratch kind "${kind}": lower case letters, digits and -`);
  if (!exitHookInstalled) {
    onProcessExit(removeOwnedAtExit);
    exitHookInstalled = true;
  }
  const dir = mkdtempSync(join(tmpdir(), `${SCRATCH_PREFIX}${kind}-${process.pid}-`));
  owned.set(dir, kind);
  return dir;
}

/** Removes a scratch folder now (its owner stopped). */
export function removeScratch(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  owned.delete(dir);
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Scratch folders under `root` whose process no longer runs: what a killed run left behind.
 *
 * @example leftoverScratch(); // ["/tmp/datalake-upload-datalake-ingest-913-Zx81Qa"]
 */
export function leftoverScratch(root: string = tmpdir()): string[] {
  return readdirSync(root)
    .map((name) => ({ name, pid: Number(SCRATCH_NAME.exec(name)?.[1]) }))
    .filter(({ pid }) => Number.isInteger(pid) && pid > 0 && pid !== process.pid && !isRunning(pid))
    .map(({ name }) => join(root, name));
}
