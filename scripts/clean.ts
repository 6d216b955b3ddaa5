/**
 * `npm run clean`: removes what runs leave behind: the benchmark's generated inputs (`bench/.data`),
 * the repository's own scratch folder (`.tmp`: test reports, logs), and the temporary folders under
 * os.tmpdir() of demo and test processes that no longer run (a run killed before it could clean up;
 * folders of running processes are left alone). Prints each path it removes.
 */
import { existsSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { leftoverScratch } from "../tests/harness/scratch";

/** Folders of the repository that only runs create. */
export const GENERATED_FOLDERS = ["bench/.data", ".tmp"] as const;

/**
 * Removes the leftovers and returns their paths.
 *
 * @example clean("/src/datalake"); // ["/src/datalake/bench/.data", "/tmp/datalake-lake-913-Zx81Qa"]
 */
export function clean(root: string, temporaryRoot: string = tmpdir()): string[] {
  const targets = [...GENERATED_FOLDERS.map((folder) => join(root, folder)).filter((path) => existsSync(path)), ...leftoverScratch(temporaryRoot)];
  for (const path of targets) rmSync(path, { recursive: true, force: true });
  return targets;
}

if (require.main === module) {
  const removed = clean(resolve(__dirname, ".."));
  for (const path of removed) console.log(`removed ${path}`);
  console.log(removed.length === 0 ? "nothing to clean" : `removed ${removed.length} path(s)`);
}
