/**
 * Benchmark of the functions' uploads and cold initialization (not a test: it prints figures).
 * `npm run bench:cold-start` runs the Pulumi program under mocks for the dev stack, takes each
 * function's upload exactly as Pulumi serializes it (`__index.js` plus the packed packages), and
 * prints its size (unzipped and zipped, largest packages first) and its init time: module load plus
 * the callback factory, measured inside a fresh process of the runtime's Node.js with Lambda's flags
 * and environment (tests/harness/local-function.ts), the minimum and median of several starts.
 *
 *   npm run bench:cold-start                 # 9 starts per function
 *   npm run bench:cold-start -- --runs 15
 *
 * Process start-up is not counted (Lambda's own bootstrap differs from this host's); what is counted
 * is what the upload loads at init, the runtime's SDK clients included. So that the project's share
 * can be told from the SDK's, the same is measured for an upload that only requires the SDK clients
 * the function requires (at the runtime directory's pinned version, tests/lambda-runtime/sdk).
 */
import { loadavg } from "node:os";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { runProgram } from "../tests/harness/program";
import { functionPackage, localFunctionOptions } from "../tests/harness/lambda";
import { LocalFunction, type LocalFunctionOptions } from "../tests/harness/local-function";
import { materializeUpload, removeUpload, zippedSize, type UploadPackage } from "../tests/harness/upload";
import { RUNTIME_SDK_VERSION } from "../tests/harness/lambda-runtime";
import { COLD_START_USAGE, BenchUsageError, parseColdStartArgs } from "./args";

const FUNCTION_TYPE = "aws:lambda/function:Function";
const KB = 1024;

/** Values the local host needs that the mocks leave out (credentials are never used: no request is sent). */
const HOST_ENVIRONMENT = { AWS_REGION: "eu-west-1", AWS_ACCESS_KEY_ID: "bench", AWS_SECRET_ACCESS_KEY: "bench" } as const;

/** Bytes under each top-level entry of an upload folder (`__index.js`, `node_modules/<package>`). */
function packageSizes(dir: string): [string, number][] {
  const bytesOf = (path: string): number => {
    const stat = statSync(path);
    if (!stat.isDirectory()) return stat.size;
    return readdirSync(path).reduce((sum, entry) => sum + bytesOf(join(path, entry)), 0);
  };
  const entries: [string, number][] = [];
  for (const entry of readdirSync(dir)) {
    if (entry !== "node_modules") {
      entries.push([entry, bytesOf(join(dir, entry))]);
      continue;
    }
    for (const name of readdirSync(join(dir, entry))) {
      const scoped = name.startsWith("@") ? readdirSync(join(dir, entry, name)).map((inner) => `${name}/${inner}`) : [name];
      for (const packageName of scoped) entries.push([packageName, bytesOf(join(dir, entry, packageName))]);
    }
  }
  return entries.sort((a, b) => b[1] - a[1]);
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** The init time of a fresh sandbox of an upload, and the runtime SDK clients its init loaded. */
async function coldStart(upload: UploadPackage, options: LocalFunctionOptions): Promise<{ ms: number; sdkClients: readonly string[] }> {
  const local = await LocalFunction.start(upload, options);
  const started = { ms: local.handlerLoadMs, sdkClients: local.sdkClientsAtInit };
  await local.stop();
  return started;
}

const minMedian = (times: readonly number[]): string => `${Math.min(...times).toFixed(0)} / ${median(times).toFixed(0)}`;

async function main(): Promise<void> {
  let runs: number;
  try {
    const command = parseColdStartArgs(process.argv.slice(2));
    if (command.kind === "help") {
      console.log(COLD_START_USAGE);
      return;
    }
    runs = command.runs;
  } catch (error) {
    if (!(error instanceof BenchUsageError)) throw error;
    console.error(`error: ${error.message}\n\n${COLD_START_USAGE}`);
    process.exitCode = 2;
    return;
  }
  const run = await runProgram("dev");
  const load = loadavg().map((value) => value.toFixed(2)).join(" ");
  console.log(`dev stack, runtime SDK ${RUNTIME_SDK_VERSION}, ${runs} fresh processes per function, load average ${load}`);
  console.log("| function | runtime | upload (unzipped) | zipped | largest parts | init min / median (ms) | its SDK clients alone, min / median (ms) |");
  console.log("| --- | --- | --- | --- | --- | --- | --- |");
  for (const fn of run.all(FUNCTION_TYPE)) {
    const upload = await functionPackage(fn);
    const laid = materializeUpload(upload, fn.name);
    const zipped = zippedSize(laid.dir);
    const parts = packageSizes(laid.dir)
      .slice(0, 3)
      .map(([name, bytes]) => `${name} ${(bytes / KB).toFixed(0)} KB`)
      .join(", ");
    removeUpload(laid);
    const options = localFunctionOptions(fn, HOST_ENVIRONMENT);
    // The clients its init loads (a client required later, e.g. Glue's at the first heavy object, is not counted).
    const first = await coldStart(upload, options);
    const clients = first.sdkClients;
    const sdkOnly: UploadPackage = { indexJs: `${clients.map((name) => `require(${JSON.stringify(name)});`).join("\n")}\nexports.handler = async () => null;\n`, packedPaths: [] };
    // Interleaved, so that both see the same machine.
    const times: number[] = [first.ms];
    const sdkTimes: number[] = [];
    for (let index = 0; index < runs; index++) {
      if (index > 0) times.push((await coldStart(upload, options)).ms);
      sdkTimes.push((await coldStart(sdkOnly, options)).ms);
    }
    console.log(
      `| ${fn.name} | ${options.runtime} | ${(laid.bytes / KB / KB).toFixed(2)} MB | ${(zipped / KB / KB).toFixed(2)} MB | ${parts} | ${minMedian(times)} | ${minMedian(sdkTimes)} (${clients.map((name) => name.replace("@aws-sdk/", "")).join(", ")}) |`,
    );
  }
}

main().then(
  () => process.exit(),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
