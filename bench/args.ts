/**
 * The benchmarks' command lines (`npm run bench:processor`, `npm run bench:cold-start`) and environment
 * (`BENCH_MEMORY_MB`, `BENCH_ROW_GROUP_ROWS`, `BENCH_MAX_BUFFERED_ROWS`), checked before anything is
 * generated or built, with a message that says what is accepted.
 */
import { schema } from "../config/schema";

/** Issue 20: a 5 GB gzip JSON Lines object converts in one invocation. */
export const BIG_DEFAULT_MB = 5120;

export const BENCH_USAGE = `Usage: npm run bench:processor -- [SIZE_MB]... [--input FILE [--dataset NAME]]... [--help]
       npm run bench:processor -- bounds
       npm run bench:processor -- big [SIZE_MB]

Converts each input with DuckDB (threads=1) and with the processor, each in its own child process,
and prints wall and CPU time, the processor's peak RSS and both Parquet sizes, with the ratios to
DuckDB from the same run. Without arguments: the bench's own events (200 MB), events with 4-9
properties of mixed cardinality over 30 days (200 MB), and the bench's events at 1024 MB (generated
into bench/.data/ and reused).

Arguments:
  SIZE_MB          sizes of the generated inputs (both kinds), whole numbers from 1 to 10240
  --input FILE     a JSON Lines file of your own (repeatable), converted as --dataset
  --dataset NAME   the registered dataset (handlers/datasets.ts) the --input files hold (default: events)
  bounds           instead: memory bounds on hostile files (3,000 days sorted and shuffled, a 100 MB
                   line, a 2 GiB gzip bomb); peak RSS and time of each
  big [SIZE_MB]    instead: one gzip-compressed JSON Lines object of SIZE_MB uncompressed (default
                   ${BIG_DEFAULT_MB}) through the processor alone, as one invocation; time and peak RSS

Environment:
  BENCH_MEMORY_MB          the function memory the processor's heap options are derived for (128-10240; default: the stack default, ${schema.processorMemoryMb.default})
  BENCH_ROW_GROUP_ROWS     rows per Parquet row group (default: the processor's)
  BENCH_MAX_BUFFERED_ROWS  rows buffered before a row group is written (default: the processor's)

npm run clean removes bench/.data.`;

/** Wrong arguments: the benchmark prints the message and the usage, and exits 2. */
export class BenchUsageError extends Error {
  override readonly name = "BenchUsageError";
}

/** Inputs the benchmark generates: its own events (3 days, 2-3 properties) or mixed ones (30 days, 4-9 properties). */
export type GeneratedKind = "events" | "mixed";

export type BenchInput =
  | { readonly kind: "generated"; readonly generator: GeneratedKind; readonly sizeMb: number }
  | { readonly kind: "file"; readonly path: string; readonly dataset: string };

export interface BenchOptions {
  readonly inputs: readonly BenchInput[];
  readonly memoryMb: number;
  readonly rowGroupRows?: number;
  readonly maxBufferedRows?: number;
}

export type BenchCommand =
  | { readonly kind: "help" }
  | ({ readonly kind: "run" } & BenchOptions)
  | { readonly kind: "bounds"; readonly memoryMb: number }
  | { readonly kind: "big"; readonly sizeMb: number; readonly memoryMb: number };

/** The default run: both generated kinds at 200 MB, and the bench's events at 1 GB for peak RSS. */
export const DEFAULT_INPUTS: readonly BenchInput[] = [
  { kind: "generated", generator: "events", sizeMb: 200 },
  { kind: "generated", generator: "mixed", sizeMb: 200 },
  { kind: "generated", generator: "events", sizeMb: 1024 },
];
const MAX_SIZE_MB = 10_240;

function wholeNumber(text: string, what: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) throw new BenchUsageError(`${what} "${text}" must be a whole number from ${min} to ${max}`);
  return value;
}

function memoryOf(env: Readonly<Record<string, string | undefined>>): number {
  const memory = env.BENCH_MEMORY_MB === undefined ? undefined : schema.processorMemoryMb.parse(env.BENCH_MEMORY_MB);
  if (memory && !memory.ok) throw new BenchUsageError(`BENCH_MEMORY_MB "${env.BENCH_MEMORY_MB}" is not accepted; expected ${memory.expected}`);
  return memory?.ok ? memory.value : schema.processorMemoryMb.default;
}

/**
 * Reads the benchmark's arguments and environment. `datasets` are the registered dataset names.
 *
 * @example parseBenchArgs(["--input", "mine.jsonl"], {}, ["events"]); // { kind: "run", inputs: [{ kind: "file", path: "mine.jsonl", dataset: "events" }], memoryMb: 1024 }
 * @throws BenchUsageError naming the argument or variable and what it accepts.
 */
export function parseBenchArgs(argv: readonly string[], env: Readonly<Record<string, string | undefined>>, datasets: readonly string[] = ["events"]): BenchCommand {
  if (argv.includes("--help") || argv.includes("-h")) return { kind: "help" };
  const memoryMb = memoryOf(env);
  if (argv[0] === "bounds") {
    if (argv.length > 1) throw new BenchUsageError(`bounds takes no other argument (got "${argv[1]}")`);
    return { kind: "bounds", memoryMb };
  }
  if (argv[0] === "big") {
    if (argv.length > 2) throw new BenchUsageError(`big takes at most one size (got "${argv[2]}")`);
    return { kind: "big", sizeMb: argv[1] === undefined ? BIG_DEFAULT_MB : wholeNumber(argv[1], "SIZE_MB", 1, MAX_SIZE_MB), memoryMb };
  }
  const sizes: number[] = [];
  const files: string[] = [];
  let dataset = "events";
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index]!;
    if (arg === "--input" || arg === "--dataset") {
      const value = argv[++index];
      if (value === undefined || value.startsWith("-")) throw new BenchUsageError(`${arg} needs a value`);
      if (arg === "--input") files.push(value);
      else if (!datasets.includes(value)) throw new BenchUsageError(`--dataset "${value}" is not a registered dataset; expected one of ${datasets.join(", ")}`);
      else dataset = value;
    } else if (arg.startsWith("-")) {
      throw new BenchUsageError(`unknown option "${arg}"`);
    } else {
      sizes.push(wholeNumber(arg, "SIZE_MB", 1, MAX_SIZE_MB));
    }
  }
  const generated = sizes.flatMap((sizeMb): BenchInput[] => [
    { kind: "generated", generator: "events", sizeMb },
    { kind: "generated", generator: "mixed", sizeMb },
  ]);
  const inputs = [...generated, ...files.map((path): BenchInput => ({ kind: "file", path, dataset }))];
  const rows = (name: "BENCH_ROW_GROUP_ROWS" | "BENCH_MAX_BUFFERED_ROWS"): number | undefined =>
    env[name] === undefined ? undefined : wholeNumber(env[name]!, name, 1, 10_000_000);
  const rowGroupRows = rows("BENCH_ROW_GROUP_ROWS");
  const maxBufferedRows = rows("BENCH_MAX_BUFFERED_ROWS");
  return {
    kind: "run",
    inputs: inputs.length > 0 ? inputs : DEFAULT_INPUTS,
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
