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
 * is what the project controls: what the upload loads at init, the runtime's SDK clients included.
 */
import { loadavg } from "node:os";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { runProgram } from "../tests/harness/program";
import { functionPackage, localFunctionOptions } from "../tests/harness/lambda";
import { LocalFunction } from "../tests/harness/local-function";
import { materializeUpload, removeUpload, zippedSize } from "../tests/harness/upload";
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
  console.log("| function | runtime | upload (unzipped) | zipped | largest parts | init min / median (ms) |");
  console.log("| --- | --- | --- | --- | --- | --- |");
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
    const times: number[] = [];
    for (let index = 0; index < runs; index++) {
      const local = await LocalFunction.start(upload, options);
      times.push(local.handlerLoadMs);
      await local.stop();
    }
    console.log(
      `| ${fn.name} | ${options.runtime} | ${(laid.bytes / KB / KB).toFixed(2)} MB | ${(zipped / KB / KB).toFixed(2)} MB | ${parts} | ${Math.min(...times).toFixed(0)} / ${median(times).toFixed(0)} |`,
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
