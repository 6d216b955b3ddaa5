/**
 * Lays out a function's upload the way Lambda sees it: `__index.js` plus the packed folders, in a
 * folder outside the project, so `require` can find only what the upload packs. The AWS SDK v3
 * clients the runtime provides (and their dependencies) are offered through NODE_PATH, as the
 * Lambda Node.js runtime offers them.
 */
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { PROJECT_ROOT } from "./stack-config";
// The Lambda runtime's own packages: the SDK clients uploads leave out (and, below, everything they need).
import { RUNTIME_PROVIDED_PACKAGES } from "../../compute/lake-function";

export interface UploadPackage {
  readonly indexJs: string;
  /** Folders packed beside `__index.js`, relative to the project root (e.g. `node_modules/hyparquet`). */
  readonly packedPaths: readonly string[];
}

export interface MaterializedUpload {
  readonly dir: string;
  readonly indexPath: string;
  /** Uncompressed bytes of every file in the upload. */
  readonly bytes: number;
  readonly files: number;
}

function folderSize(path: string): { bytes: number; files: number } {
  const stat = statSync(path);
  if (!stat.isDirectory()) return { bytes: stat.size, files: 1 };
  let bytes = 0;
  let files = 0;
  for (const entry of readdirSync(path)) {
    const child = folderSize(join(path, entry));
    bytes += child.bytes;
    files += child.files;
  }
  return { bytes, files };
}

/**
 * Size of the upload as Lambda receives it: the folder zipped with deflate, as the Pulumi CLI
 * archives a function's code (python3's zipfile, which the emulator's machine has anyway).
 */
export function zippedSize(dir: string): number {
  const script = [
    "import io, os, sys, zipfile",
    "buffer = io.BytesIO()",
    "with zipfile.ZipFile(buffer, 'w', zipfile.ZIP_DEFLATED) as archive:",
    "    for root, _, files in os.walk(sys.argv[1]):",
    "        for name in files:",
    "            path = os.path.join(root, name)",
    "            archive.write(path, os.path.relpath(path, sys.argv[1]))",
    "print(len(buffer.getvalue()))",
  ].join("\n");
  return Number(execFileSync("python3", ["-c", script, dir]).toString().trim());
}

export function materializeUpload(upload: UploadPackage, name: string): MaterializedUpload {
  const dir = mkdtempSync(join(tmpdir(), `datalake-upload-${name}-`));
  const indexPath = join(dir, "__index.js");
  writeFileSync(indexPath, upload.indexJs);
  for (const packed of upload.packedPaths) {
    cpSync(join(PROJECT_ROOT, packed), join(dir, packed), { recursive: true, dereference: true });
  }
  const { bytes, files } = folderSize(dir);
  return { dir, indexPath, bytes, files };
}


function dependencyClosure(roots: readonly string[]): Set<string> {
  const seen = new Set<string>();
  const pending = [...roots];
  while (pending.length > 0) {
    const name = pending.pop()!;
    if (seen.has(name)) continue;
    const manifest = join(PROJECT_ROOT, "node_modules", name, "package.json");
    if (!existsSync(manifest)) continue;
    seen.add(name);
    const parsed = JSON.parse(readFileSync(manifest, "utf8")) as { dependencies?: Record<string, string> };
    pending.push(...Object.keys(parsed.dependencies ?? {}));
  }
  return seen;
}

let runtimeNodePath: string | undefined;

/** A NODE_PATH folder that links exactly the runtime-provided packages. */
export function runtimeModulesPath(): string {
  if (runtimeNodePath) return runtimeNodePath;
  const dir = join(mkdtempSync(join(tmpdir(), "datalake-runtime-")), "node_modules");
  for (const name of dependencyClosure(RUNTIME_PROVIDED_PACKAGES)) {
    const link = join(dir, name);
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(join(PROJECT_ROOT, "node_modules", name), link, "dir");
  }
  runtimeNodePath = dir;
  return dir;
}
