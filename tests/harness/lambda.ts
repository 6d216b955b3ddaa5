/**
 * From a function the program declares (an `aws:lambda/function:Function` recorded under mocks) to
 * that function running on the local host as Lambda would run it: its upload, as Pulumi builds it,
 * and the host's options taken from the declaration itself (runtime, memory size, timeout,
 * environment with NODE_OPTIONS, logging, layers), so no caller can run it with settings it does not have.
 */
import type { RecordedResource } from "./mocks";
import { LocalFunction, type Invocation, type LocalFunctionOptions } from "./local-function";
import type { UploadPackage } from "./upload";

const FUNCTION_TYPE = "aws:lambda/function:Function";

interface ArchiveLike {
  readonly assets: Promise<Record<string, { text?: Promise<string>; path?: Promise<string> }>>;
}

/** The function's inputs the host reads (as `aws.lambda.Function` takes them; Lambda's defaults apply when absent). */
interface DeclaredFunctionInputs {
  readonly runtime?: string;
  readonly memorySize?: number;
  readonly timeout?: number;
  readonly environment?: { readonly variables?: Readonly<Record<string, string>> };
  readonly loggingConfig?: { readonly logFormat?: string; readonly logGroup?: string; readonly applicationLogLevel?: string };
  readonly layers?: readonly string[];
}

function declaredFunction(fn: RecordedResource): DeclaredFunctionInputs {
  if (fn.type !== FUNCTION_TYPE) throw new Error(`${fn.name} is a ${fn.type}, not a ${FUNCTION_TYPE}`);
  return fn.inputs as DeclaredFunctionInputs;
}

/** The upload Pulumi builds for a `CallbackFunction`, read from its recorded `code` input. */
export async function functionPackage(fn: RecordedResource): Promise<UploadPackage> {
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

/**
 * The host's options for a declared function: its runtime, memory size, timeout and logging as
 * declared, and its declared variables (NODE_OPTIONS included) with `environment` laid over them
 * (the local endpoint's variables, resources' local names).
 */
export function localFunctionOptions(fn: RecordedResource, environment: Readonly<Record<string, string>> = {}): LocalFunctionOptions {
  const declared = declaredFunction(fn);
  if (!declared.runtime) throw new Error(`${fn.name} declares no runtime`);
  const logging = declared.loggingConfig;
  return {
    functionName: fn.name,
    runtime: declared.runtime,
    memorySizeMb: Number(declared.memorySize ?? 128),
    timeoutSeconds: Number(declared.timeout ?? 3),
    environment: { ...(declared.environment?.variables ?? {}), ...environment },
    layers: declared.layers ?? [],
    ...(logging?.logGroup
      ? { logging: { logGroup: logging.logGroup, ...(logging.logFormat ? { format: logging.logFormat } : {}), ...(logging.applicationLogLevel ? { applicationLogLevel: logging.applicationLogLevel } : {}) } }
      : {}),
  };
}

/** Starts a declared function warm on the local host, from its own upload and declaration. */
export async function startFunction(fn: RecordedResource, environment: Readonly<Record<string, string>> = {}): Promise<LocalFunction> {
  return LocalFunction.start(await functionPackage(fn), localFunctionOptions(fn, environment));
}

export type InvokeOutcome<R> = Invocation<R> & { readonly logs: string };

/** Invokes a declared function once in a fresh sandbox, as a cold Lambda execution environment would. */
export async function invokeInChildProcess<R>(fn: RecordedResource, event: unknown, environment: Readonly<Record<string, string>> = {}): Promise<InvokeOutcome<R>> {
  const local = await startFunction(fn, environment);
  try {
    const outcome = await local.invoke<R>(event);
    return { ...outcome, logs: local.logs };
  } finally {
    await local.stop();
  }
}
