/**
 * Runs a function's serialized closure, the exact `__index.js` that Pulumi packs into the upload,
 * in a child Node process with the function's environment, as the Lambda runtime would.
 */
import type { RecordedResource } from "./mocks";
import { LocalFunction, type Invocation } from "./local-function";
import type { UploadPackage } from "./upload";

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

export interface InvokeOptions {
  readonly functionName: string;
  readonly environment: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
}

export type InvokeOutcome<R> = Invocation<R> & { readonly logs: string };

/**
 * Invokes a function once in a fresh Node process, as a cold Lambda container would.
 *
 * @param code - the whole upload (run from a folder holding only what it packs; preferred), or just
 *   the serialized `__index.js` (run inside the project).
 */
export async function invokeInChildProcess<R>(code: UploadPackage | string, event: unknown, options: InvokeOptions): Promise<InvokeOutcome<R>> {
  const fn = await LocalFunction.start(code, options);
  try {
    const outcome = await fn.invoke<R>(event);
    return { ...outcome, logs: fn.logs };
  } finally {
    await fn.stop();
  }
}
