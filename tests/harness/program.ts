/**
 * Runs the whole Pulumi program under mocks for a stack, with that stack's configuration as the CLI
 * passes it, and returns every registered resource and the stack outputs.
 *
 * @example
 * ```ts
 * const dev = await runProgram("dev");
 * const queue = dev.one("aws:sqs/queue:Queue", "datalake-processing");
 * expect(queue.inputs.receiveWaitTimeSeconds).toBe(20);
 * ```
 */
import * as pulumi from "@pulumi/pulumi";
import { join } from "node:path";
import { PROJECT_NAME, PROJECT_ROOT, stackConfig } from "./stack-config";
import { RecordedCall, RecordedResource, createMocks } from "./mocks";
import type { DatasetDefinition } from "../../handlers/datasets";

export interface ProgramRun {
  readonly stack: string;
  readonly config: Readonly<Record<string, string>>;
  readonly resources: readonly RecordedResource[];
  readonly calls: readonly RecordedCall[];
  /** Stack outputs, resolved. */
  readonly outputs: Readonly<Record<string, unknown>>;
  /** The program module itself, e.g. to reach a resource object. */
  readonly program: Record<string, unknown>;
  /** Every resource of a type, optionally only those whose name equals `name`. */
  all(type: string, name?: string): RecordedResource[];
  /** The one resource of a type and name; throws when there is not exactly one. */
  one(type: string, name?: string): RecordedResource;
  /** The protection options the program sent to the engine for a resource (mocks do not pass them to `newResource`). */
  options(resource: RecordedResource): ResourceProtection;
  /** The URN, parent and dependencies the program registered for a resource, as the engine (and a policy pack) sees them. */
  registration(resource: RecordedResource): ResourceRegistration;
}

/** `protect` and `retainOnDelete` as registered with the engine; `undefined` when the program left them unset. */
export interface ResourceProtection {
  readonly protect: boolean | undefined;
  readonly retainOnDelete: boolean | undefined;
}

/** What the engine learns about a resource besides its inputs: its URN, parent and the resources its inputs came from. */
export interface ResourceRegistration extends ResourceProtection {
  readonly urn: string;
  /** The parent's URN; undefined for the stack's direct children. */
  readonly parent: string | undefined;
  /** URNs of every resource this one depends on (`dependsOn` and input dependencies). */
  readonly dependencies: readonly string[];
  /** URNs of the resources each top-level input property's value came from. */
  readonly propertyDependencies: Readonly<Record<string, readonly string[]>>;
}

interface RegisterResourceRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getDependenciesList(): string[];
  getPropertydependenciesMap(): { forEach(callback: (value: { getUrnsList(): string[] }, key: string) => void): void };
  hasProtect(): boolean;
  getProtect(): boolean | undefined;
  hasRetainondelete(): boolean;
  getRetainondelete(): boolean | undefined;
}

interface RegisterResourceResponse {
  getUrn(): string;
}

interface ResourceMonitor {
  registerResource(request: RegisterResourceRequest, callback: (error: unknown, response?: RegisterResourceResponse) => void): unknown;
}

/**
 * Records every registration as the SDK sends it to the (mock) engine: the request carries
 * `protect`/`retainOnDelete`, the parent and the dependencies, which `MockResourceArgs` leaves out,
 * and the response the URN. Resource transforms cannot do this under mocks (`supportsTransforms` is
 * false there).
 */
function recordRegistrations(registrations: Map<string, ResourceRegistration>): void {
  const settings = require("@pulumi/pulumi/runtime/settings") as { getMonitor(): ResourceMonitor | undefined };
  const monitor = settings.getMonitor();
  if (!monitor) throw new Error("no resource monitor: call after setMocks");
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (request, callback) => {
    const propertyDependencies: Record<string, readonly string[]> = {};
    request.getPropertydependenciesMap().forEach((value, key) => {
      propertyDependencies[key] = value.getUrnsList();
    });
    const key = `${request.getType()}::${request.getName()}`;
    const recorded = {
      protect: request.hasProtect() ? request.getProtect() : undefined,
      retainOnDelete: request.hasRetainondelete() ? request.getRetainondelete() : undefined,
      parent: request.getParent() || undefined,
      dependencies: request.getDependenciesList(),
      propertyDependencies,
    };
    registrations.set(key, { ...recorded, urn: "" });
    return register(request, (error, response) => {
      if (response) registrations.set(key, { ...recorded, urn: response.getUrn() });
      callback(error, response);
    });
  };
}

let failure: unknown;
let guardInstalled = false;

/** A failed closure serialization surfaces only as an unhandled rejection: record it so the run fails instead of hanging. */
function installRejectionGuard(): void {
  if (guardInstalled) return;
  guardInstalled = true;
  process.on("unhandledRejection", (reason) => {
    failure = reason;
  });
}

function isProjectModule(path: string): boolean {
  return path.startsWith(PROJECT_ROOT) && !path.includes(`${join(PROJECT_ROOT, "node_modules")}`) && !path.includes(`${join("tests", "harness")}`);
}

async function resolveOutput(value: unknown): Promise<unknown> {
  if (pulumi.Output.isInstance(value)) {
    return new Promise((resolve) => (value as pulumi.Output<unknown>).apply((resolved) => resolve(resolved)));
  }
  return value;
}

const DEADLINE_MS = 45_000;

export interface RunProgramOptions {
  /**
   * Datasets appended to the registry for this run only, as if `handlers/datasets.ts` listed them
   * after its own: the program (Glue tables, filter policy, alarms) and the functions' uploads (whose
   * closures capture the registry) see them; modules loaded before or after the run do not.
   */
  readonly extraDatasets?: readonly DatasetDefinition[];
}

type RegistryModule = typeof import("../../handlers/datasets");

/**
 * Appends datasets to the freshly loaded registry module, which index.ts is about to require: the
 * registry's lists are plain arrays, so this is what an edit of `DATASETS` amounts to.
 */
function extendRegistry(extra: readonly DatasetDefinition[]): void {
  const registry = require(join(PROJECT_ROOT, "handlers", "datasets.ts")) as RegistryModule;
  (registry.DATASETS as DatasetDefinition[]).push(...extra);
  (registry.DATASET_NAMES as string[]).push(...extra.map((dataset) => dataset.name));
  const names = registry.DATASETS.map((dataset) => dataset.name);
  if (JSON.stringify(names) !== JSON.stringify(registry.DATASET_NAMES)) throw new Error("extendRegistry: DATASET_NAMES no longer follows DATASETS; update the harness");
}

/**
 * @param stack - a stack with a `Pulumi.<stack>.yaml` file.
 * @param overrides - qualified config keys to set (any JSON value) or remove (`undefined`).
 * @throws the program's own error (e.g. `ConfigError`), or any unhandled rejection during the run.
 */
export async function runProgram(stack: string, overrides: Readonly<Record<string, unknown>> = {}, options: RunProgramOptions = {}): Promise<ProgramRun> {
  installRejectionGuard();
  failure = undefined;
  const config = stackConfig(stack, overrides);
  const region = config["aws:region"] ?? "us-east-1";
  const availabilityZones = Number(config["datalake:availabilityZones"] ?? "2");
  const resources: RecordedResource[] = [];
  const calls: RecordedCall[] = [];

  pulumi.runtime.setAllConfig(config);
  await pulumi.runtime.setMocks(createMocks(resources, calls, { region, availabilityZones }), PROJECT_NAME, stack, false);
  const registrations = new Map<string, ResourceRegistration>();
  recordRegistrations(registrations);
  for (const path of Object.keys(require.cache)) if (isProjectModule(path)) delete require.cache[path];
  if (options.extraDatasets?.length) extendRegistry(options.extraDatasets);

  const program = require(join(PROJECT_ROOT, "index.ts")) as Record<string, unknown>;
  const settled = (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Program for stack ${stack} did not settle in ${DEADLINE_MS} ms`)), DEADLINE_MS);
  });
  try {
    await Promise.race([settled, deadline]);
  } finally {
    clearTimeout(timer);
  }
  // Let rejections raised during the last RPCs reach the guard.
  await new Promise((resolve) => setImmediate(resolve));
  if (failure !== undefined) throw failure;

  const outputs: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(program)) outputs[key] = await resolveOutput(value);

  const registrationOf = (resource: RecordedResource): ResourceRegistration => {
    const recorded = registrations.get(`${resource.type}::${resource.name}`);
    if (!recorded) throw new Error(`No registration recorded for ${resource.type} ${resource.name}`);
    return recorded;
  };
  const all = (type: string, name?: string) => resources.filter((resource) => resource.type === type && (name === undefined || resource.name === name));
  return {
    stack,
    config,
    resources,
    calls,
    outputs,
    program,
    all,
    one(type, name) {
      const found = all(type, name);
      if (found.length !== 1) {
        throw new Error(`Expected one ${type}${name ? ` named ${name}` : ""}, found ${found.length}: ${found.map((r) => r.name).join(", ")}`);
      }
      return found[0]!;
    },
    options(resource) {
      const { protect, retainOnDelete } = registrationOf(resource);
      return { protect, retainOnDelete };
    },
    registration: registrationOf,
  };
}
