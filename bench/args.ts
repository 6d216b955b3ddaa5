/**
 * The benchmark's command line (`npm run bench:processor -- [SIZE_MB]... [--help]`) and environment
 * (`BENCH_MEMORY_MB`, `BENCH_ROW_GROUP_ROWS`, `BENCH_MAX_BUFFERED_ROWS`), checked before anything is
 * generated or built, with a message that says what is accepted.
 */
import { schema } from "../config/schema";

export const BENCH_USAGE = `Usage: npm run bench:processor -- [SIZE_MB]... [--help]
       npm run bench:processor -- bounds

Generates events JSON Lines of each size (default: 200 and 1024 MB; kept in bench/.data/ and reused),
converts each with DuckDB (threads=1) and with the processor, each in its own child process, and prints
MB/s (wall and CPU), peak RSS, Parquet size and the ratio to DuckDB.

Arguments:
  SIZE_MB          input sizes in MB, whole numbers from 1 to 10240
  bounds           instead: memory bounds on hostile files (3,000 days sorted and shuffled, a 100 MB
                   line, a 2 GiB gzip bomb); peak RSS and time of each

Environment:
  BENCH_MEMORY_MB          the function memory the processor's heap options are derived for (128-10240; default: the stack default, ${schema.processorMemoryMb.default})
  BENCH_ROW_GROUP_ROWS     rows per Parquet row group (default: the processor's)
  BENCH_MAX_BUFFERED_ROWS  rows buffered before a row group is written (default: the processor's)

npm run clean removes bench/.data.`;

/** Wrong arguments: the benchmark prints the message and the usage, and exits 2. */
export class BenchUsageError extends Error {
  override readonly name = "BenchUsageError";
}

export interface BenchOptions {
  readonly sizesMb: readonly number[];
  readonly memoryMb: number;
  readonly rowGroupRows?: number;
  readonly maxBufferedRows?: number;
}

export type BenchCommand =
  | { readonly kind: "help" }
  | ({ readonly kind: "run" } & BenchOptions)
  | { readonly kind: "bounds"; readonly memoryMb: number };

export const DEFAULT_SIZES_MB = [200, 1024] as const;
const MAX_SIZE_MB = 10_240;

function wholeNumber(text: string, what: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) throw new BenchUsageError(`${what} "${text}" must be a whole number from ${min} to ${max}`);
  return value;
}

/**
 * Reads the benchmark's arguments and environment.
 *
 * @example parseBenchArgs(["200"], {}); // { kind: "run", sizesMb: [200], memoryMb: 1024 }
 * @throws BenchUsageError naming the argument or variable and what it accepts.
 */
export function parseBenchArgs(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): BenchCommand {
  if (argv.includes("--help") || argv.includes("-h")) return { kind: "help" };
  const option = argv.find((arg) => arg.startsWith("-"));
  if (option) throw new BenchUsageError(`unknown option "${option}"`);
  const memory = env.BENCH_MEMORY_MB === undefined ? undefined : schema.processorMemoryMb.parse(env.BENCH_MEMORY_MB);
  if (memory && !memory.ok) throw new BenchUsageError(`BENCH_MEMORY_MB "${env.BENCH_MEMORY_MB}" is not accepted; expected ${memory.expected}`);
  const memoryMb = memory?.ok ? memory.value : schema.processorMemoryMb.default;
  if (argv[0] === "bounds") {
    if (argv.length > 1) throw new BenchUsageError(`bounds takes no other argument (got "${argv[1]}")`);
    return { kind: "bounds", memoryMb };
  }
  const sizesMb = argv.length > 0 ? argv.map((arg) => wholeNumber(arg, "SIZE_MB", 1, MAX_SIZE_MB)) : [...DEFAULT_SIZES_MB];
  const rows = (name: "BENCH_ROW_GROUP_ROWS" | "BENCH_MAX_BUFFERED_ROWS"): number | undefined =>
    env[name] === undefined ? undefined : wholeNumber(env[name]!, name, 1, 10_000_000);
  const rowGroupRows = rows("BENCH_ROW_GROUP_ROWS");
  const maxBufferedRows = rows("BENCH_MAX_BUFFERED_ROWS");
  return {
    kind: "run",
    sizesMb,
    memoryMb,
    ...(rowGroupRows !== undefined ? { rowGroupRows } : {}),
    ...(maxBufferedRows !== undefined ? { maxBufferedRows } : {}),
  };
}

export const DEFAULT_COLD_START_RUNS = 9;

export const COLD_START_USAGE = `Usage: npm run bench:cold-start -- [--runs N] [--help]

Runs the Pulumi program under mocks (dev stack), and for each function prints its upload's size
(unzipped and zipped, largest parts) and its init time (module load plus the callback factory) in
fresh processes of the runtime's Node.js with Lambda's flags: minimum and median.

Arguments:
  --runs N         fresh processes per function, a whole number from 3 to 101 (default ${DEFAULT_COLD_START_RUNS})`;

export type ColdStartCommand = { readonly kind: "help" } | { readonly kind: "run"; readonly runs: number };

/**
 * Reads `npm run bench:cold-start`'s arguments.
 *
 * @example parseColdStartArgs(["--runs", "15"]); // { kind: "run", runs: 15 }
 * @throws BenchUsageError naming the argument and what it accepts.
 */
export function parseColdStartArgs(argv: readonly string[]): ColdStartCommand {
  if (argv.includes("--help") || argv.includes("-h")) return { kind: "help" };
  let runs = DEFAULT_COLD_START_RUNS;
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index]!;
    if (arg !== "--runs") throw new BenchUsageError(`unknown argument "${arg}"`);
    const value = argv[++index];
    if (value === undefined) throw new BenchUsageError("--runs needs a number");
    runs = wholeNumber(value, "--runs", 3, 101);
  }
  return { kind: "run", runs };
}
