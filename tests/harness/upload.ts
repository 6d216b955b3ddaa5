/**
 * Lays out a function's upload the way Lambda sees it (its `/var/task`): `__index.js` plus the packed
 * folders, in a folder outside the project, so `require` can find only what the upload packs (the
 * local host adds the runtime's own SDK clients through NODE_PATH: tests/harness/lambda-runtime.ts).
 * Also measures the upload as Lambda receives it.
 */
import { execFileSync } from "node:child_process";
import { cpSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PROJECT_ROOT } from "./stack-config";
import { removeScratch, scratchFolder } from "./scratch";

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

/**
 * Copies the upload into a new scratch folder under os.tmpdir(); `removeUpload` (or the end of the
 * process) deletes it.
 */
export function materializeUpload(upload: UploadPackage, name: string): MaterializedUpload {
  const dir = scratchFolder(`upload-${name.toLowerCase().replace(/[^a-z0-9-]/g, "-")}`);
  try {
    const indexPath = join(dir, "__index.js");
    writeFileSync(indexPath, upload.indexJs);
    for (const packed of upload.packedPaths) {
      cpSync(join(PROJECT_ROOT, packed), join(dir, packed), { recursive: true, dereference: true });
    }
    const { bytes, files } = folderSize(dir);
    return { dir, indexPath, bytes, files };
  } catch (error) {
    removeScratch(dir);
    throw error;
  }
}

/** Deletes a laid-out upload. */
export function removeUpload(upload: Pick<MaterializedUpload, "dir">): void {
  removeScratch(upload.dir);
}
