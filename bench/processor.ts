/**
 * Benchmark of the processor's conversion against DuckDB on the same input (not a test: it prints
 * figures). Each converter runs in its own child process (so that peak RSS is the converter's
 * alone), in the same run, so that the ratios hold while this shared machine's speed drifts.
 *
 *   npm run bench:processor                          # bench events 200 MB, mixed events 200 MB, bench events 1 GB
 *   npm run bench:processor -- 200                   # sizes in MB of both generated kinds
 *   npm run bench:processor -- --input FILE [--dataset NAME]   # your own JSON Lines
 *   npm run bench:processor -- bounds                # memory bounds on hostile files (issue 16)
 *   npm run bench:processor -- big                   # a 5 GB gzip JSON Lines object in one conversion (issue 20)
 *   npm run bench:processor -- --help                # arguments and environment variables (bench/args.ts)
 */
import { spawnSync } from "node:child_process";
import { createReadStream, existsSync, mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { loadavg } from "node:os";
import { basename, join } from "node:path";
import { convertRecords } from "../handlers/convert";
import { decodedBytes } from "../handlers/gzip-members";
import { DEFAULT_MAX_RECORD_BYTES, readRecords } from "../handlers/record-readers";
import { recordCoercer, type CoercedValue } from "../handlers/coerce";
import { fileSinks } from "../tests/harness/file-sinks";
import { DATASETS, EVENTS, findDataset, type DatasetDefinition } from "../handlers/datasets";
import { duckDbConversion } from "./duckdb";
import { loadParquetCodec } from "../handlers/parquet";
import { processorNodeOptions } from "../compute/node-options";
import { BENCH_USAGE, BenchUsageError, parseBenchArgs, type BenchInput, type BenchOptions } from "./args";
import { EVENT_TYPES, PAGES, benchEvents, mixedEvents, writeGenerated } from "./inputs";
import { schema } from "../config/schema";
import { nodeBinary } from "../tests/harness/lambda-runtime";

const BENCH_DIR = __dirname;
const DATA_DIR = join(BENCH_DIR, ".data");
const MB = 1024 * 1024;
/**
 * Read chunks of 64 KiB (fs streams' default), the order of what the processor gets from an S3
 * response body or from gunzip (16–64 KiB). With 1 MiB chunks, every chunk became a 1 MiB string,
 * too large for V8's young generation, so allocated straight into the old one: peak RSS measured
 * 207–215 MB with 1 MiB chunks, 164–165 MB with 64 KiB, same throughput (200 MB input).
 */
const READ_CHUNK_BYTES = 64 * 1024;

interface RunFigures {
  readonly converter: string;
  readonly seconds: number;
  /** User + system CPU seconds of the conversion: steadier than wall time on a shared machine. */
  readonly cpuSeconds: number;
  readonly inputBytes: number;
  readonly outputBytes: number;
  readonly peakRssBytes: number;
  readonly rows?: number;
  readonly rejected?: number;
}

/** The hostile inputs of `bounds`, generated once into bench/.data/. */
const BOUND_CASES = {
  /** 3,000 days of 2024-2032, 100 events each, sorted by day as an export is. */
  "days-sorted": {
    file: "days-3000-sorted.jsonl",
    gzip: false,
    *chunks(): Generator<string> {
      for (let day = 0; day < 3000; day++) {
        const base = Date.UTC(2024, 0, 1) + day * 86_400_000;
        const lines: string[] = [];
        for (let index = 0; index < 100; index++) {
          lines.push(JSON.stringify({ event_id: `evt-${day}-${index}`, user_id: index + 1, event_timestamp: new Date(base + index * 60_000).toISOString(), event_type: EVENT_TYPES[index % EVENT_TYPES.length], properties: { page: PAGES[index % PAGES.length] } }));
        }
        yield `${lines.join("\n")}\n`;
      }
    },
  },
  /** The same 3,000 days, 3 events each, shuffled: every row lands on a day whose file was closed. */
  "days-shuffled": {
    file: "days-3000-shuffled.jsonl",
    gzip: false,
    *chunks(): Generator<string> {
      let seed = 7;
      const order = Array.from({ length: 9000 }, (_, index) => index);
      for (let index = order.length - 1; index > 0; index--) {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        const other = seed % (index + 1);
        [order[index], order[other]] = [order[other]!, order[index]!];
      }
      const lines = order.map((row) => JSON.stringify({ event_id: `evt-${row}`, user_id: row + 1, event_timestamp: new Date(Date.UTC(2024, 0, 1) + (row % 3000) * 86_400_000 + row * 1000).toISOString(), event_type: "click" }));
      yield `${lines.join("\n")}\n`;
    },
  },
  /** One 100 MB line (a JSON object whose string never ends on this line), then one valid event. */
  "line-100mb": {
    file: "line-100mb.jsonl",
    gzip: false,
    *chunks(): Generator<string> {
      yield '{"event_id":"';
      const block = "x".repeat(MB);
      for (let index = 0; index < 100; index++) yield block;
      yield `"}\n${JSON.stringify({ event_id: "after", user_id: 1, event_timestamp: "2026-11-20T10:00:00Z", event_type: "click" })}\n`;
    },
  },
  /** 2 GiB of zero bytes, gzip-compressed to about 2 MB: one line no reader may hold. */
  "gzip-bomb-2gib": {
    file: "bomb-2gib.jsonl.gz",
    gzip: true,
    *chunks(): Generator<Buffer> {
      const zeros = Buffer.alloc(MB);
      for (let index = 0; index < 2048; index++) yield zeros;
    },
  },
} as const;

type BoundCase = keyof typeof BOUND_CASES;

/** Child mode for `bounds`: one hostile input through convertRecords, as the Lambda would run it. */
async function runBound(which: BoundCase, input: string, outDir: string): Promise<void> {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const cpuBefore = process.cpuUsage();
  const started = process.hrtime.bigint();
  const result = await convertRecords(createReadStream(input, { highWaterMark: READ_CHUNK_BYTES }), {
    dataset: EVENTS,
    encoding: { format: "jsonl", gzip: BOUND_CASES[which].gzip },
    name: "bench",
    sourceKey: `raw/events/${BOUND_CASES[which].file}`,
    landedAt: new Date("2026-11-01T00:00:00Z"),
    openSink: fileSinks(outDir),
    codec: await loadParquetCodec(),
    partitionYears: { first: schema.athenaProjectionFirstYear.default, last: schema.athenaProjectionLastYear.default },
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuBefore);
  const files = readdirSync(outDir, { recursive: true }).filter((name) => String(name).endsWith(".parquet")).length;
  process.stdout.write(
    `${JSON.stringify({ which, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, peakRssBytes: process.resourceUsage().maxRSS * 1024, inputBytes: statSync(input).size, rowsRead: result.rowsRead, rowsWritten: result.rowsWritten, rowsRejected: result.rowsRejected, rejectedByReason: result.rejectedByReason, partitions: result.partitions.length, files })}\n`,
  );
  rmSync(outDir, { recursive: true, force: true });
}

/** `bounds`: each hostile input in its own child process with the Lambda's heap options; prints peak RSS and time. */
async function bounds(script: string, memoryMb: number): Promise<void> {
  console.log(machineLine(memoryMb));
  console.log(row(["input", "input bytes", "time (s)", "CPU (s)", "peak RSS MB", "read", "written", "rejected", "Parquet files"]));
  console.log(row(["---", "---", "---", "---", "---", "---", "---", "---", "---"]));
  for (const which of Object.keys(BOUND_CASES) as BoundCase[]) {
    const spec = BOUND_CASES[which];
    const input = join(DATA_DIR, spec.file);
    if (!existsSync(input)) await writeGenerated(input, spec.chunks(), Number.POSITIVE_INFINITY, spec.gzip);
    const run = spawnSync(childBinary("processor"), [script, "--bound-child", which, input, join(DATA_DIR, `out-${which}`)], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], env: childEnvironment("processor", memoryMb) });
    if (run.status !== 0) throw new Error(`${which} failed with status ${run.status}`);
    const figures = JSON.parse(run.stdout.trim().split("\n").pop()!) as { seconds: number; cpuSeconds: number; peakRssBytes: number; inputBytes: number; rowsRead: number; rowsWritten: number; rowsRejected: number; rejectedByReason: Record<string, number>; files: number };
    const rejected = `${figures.rowsRejected}${figures.rowsRejected > 0 ? ` (${Object.entries(figures.rejectedByReason).map(([reason, count]) => `${reason} ${count}`).join(", ")})` : ""}`;
    console.log(row([which, String(figures.inputBytes), figures.seconds.toFixed(1), figures.cpuSeconds.toFixed(1), (figures.peakRssBytes / MB).toFixed(0), String(figures.rowsRead), String(figures.rowsWritten), rejected, String(figures.files)]));
  }
}

function directoryBytes(root: string): number {
  if (!existsSync(root)) return 0;
  let total = 0;
  for (const entry of readdirSync(root, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += statSync(join(entry.parentPath, entry.name)).size;
  }
  return total;
}

type ConverterFigures = Omit<RunFigures, "peakRssBytes" | "cpuSeconds">;

/** What a child converts: its input, the dataset it holds, whether it is gzip. */
interface ChildJob {
  readonly input: string;
  readonly outDir: string;
  readonly dataset: string;
  readonly gzip: boolean;
}

function datasetOf(name: string): DatasetDefinition {
  const dataset = findDataset(name);
  if (dataset === undefined) throw new Error(`unknown dataset ${name}`);
  return dataset;
}

async function runProcessor(job: ChildJob): Promise<ConverterFigures> {
  // The row settings as the parent validated them (the child sees the same environment).
  const settings = parseBenchArgs([], process.env);
  const rows: Pick<BenchOptions, "rowGroupRows" | "maxBufferedRows"> = settings.kind === "run" ? settings : {};
  const dataset = datasetOf(job.dataset);
  const started = process.hrtime.bigint();
  const result = await convertRecords(createReadStream(job.input, { highWaterMark: READ_CHUNK_BYTES }), {
    dataset,
    encoding: { format: "jsonl", gzip: job.gzip },
    name: "bench",
    sourceKey: `raw/${dataset.name}/${basename(job.input)}`,
    landedAt: new Date("2026-11-01T00:00:00Z"),
    openSink: fileSinks(job.outDir),
    codec: await loadParquetCodec(),
    partitionYears: { first: schema.athenaProjectionFirstYear.default, last: schema.athenaProjectionLastYear.default },
    ...(rows.rowGroupRows !== undefined ? { rowGroupRows: rows.rowGroupRows } : {}),
    ...(rows.maxBufferedRows !== undefined ? { maxBufferedRows: rows.maxBufferedRows } : {}),
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.rowsWritten + result.rowsRejected !== result.rowsRead) throw new Error("counts do not reconcile");
  const parquetBytes = directoryBytes(join(job.outDir, "processed"));
  return { converter: "processor", seconds, inputBytes: statSync(job.input).size, outputBytes: parquetBytes, rows: result.rowsWritten, rejected: result.rowsRejected };
}

/**
 * The processor's first stages alone, on the same input: `read` decodes, splits and parses every
 * record (handlers/record-readers.ts) and drops it; `coerce` also validates and coerces it as the
 * conversion does (handlers/coerce.ts), without buffering or writing Parquet. Their CPU against
 * the whole conversion's shows where its time goes, and against DuckDB's, how close any converter
 * built on these stages can come.
 */
async function runStage(stage: "read" | "coerce", job: ChildJob): Promise<ConverterFigures> {
  const dataset = datasetOf(job.dataset);
  const coerce = recordCoercer(dataset);
  const values = new Array<CoercedValue>(dataset.columns.length);
  let rows = 0;
  let rejected = 0;
  const started = process.hrtime.bigint();
  const bytes = decodedBytes(createReadStream(job.input, { highWaterMark: READ_CHUNK_BYTES }), { declaredGzip: job.gzip });
  await readRecords(bytes, { format: "jsonl", maxRecordBytes: DEFAULT_MAX_RECORD_BYTES, columns: dataset.columns }, {
    record(record, _line, source) {
      rows += 1;
      if (stage === "coerce" && coerce(record, values, source.json ? source : undefined) !== undefined) rejected += 1;
    },
    unreadable() {
      rejected += 1;
    },
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { converter: stage, seconds, inputBytes: statSync(job.input).size, outputBytes: 0, rows, rejected };
}

async function runDuckDb(job: ChildJob): Promise<ConverterFigures> {
  const { DuckDBInstance } = await import("@duckdb/node-api");
  const instance = await DuckDBInstance.create(":memory:", { threads: "1" });
  const connection = await instance.connect();
  const started = process.hrtime.bigint();
  await connection.run(duckDbConversion(datasetOf(job.dataset), job.input, job.outDir, job.gzip));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  connection.closeSync();
  instance.closeSync();
  return { converter: "DuckDB (threads=1)", seconds, inputBytes: statSync(job.input).size, outputBytes: directoryBytes(job.outDir) };
}

/** Child mode: run one converter and print its figures as JSON, with this process's peak RSS. */
async function child(which: string, job: ChildJob): Promise<void> {
  rmSync(job.outDir, { recursive: true, force: true });
  mkdirSync(job.outDir, { recursive: true });
  const cpuBefore = process.cpuUsage();
  const figures = which === "duckdb" ? await runDuckDb(job) : which === "read" || which === "coerce" ? await runStage(which, job) : await runProcessor(job);
  const cpu = process.cpuUsage(cpuBefore);
  const peakRssBytes = process.resourceUsage().maxRSS * 1024;
  process.stdout.write(`${JSON.stringify({ ...figures, cpuSeconds: (cpu.user + cpu.system) / 1e6, peakRssBytes })}\n`);
}

/**
 * The children run this file compiled to one plain JavaScript file (npm packages left as
 * `require`s), as the Lambda runs Pulumi's serialized closure: under tsx, its loader thread and
 * compile cache added 40–50 MB to the processor's peak RSS (288–304 MB with tsx, 249 MB without,
 * same code, 200 MB input), which the Lambda never pays.
 */
async function buildChildScript(): Promise<string> {
  const { build } = await import("esbuild");
  const outfile = join(DATA_DIR, "processor-bench.cjs");
  await build({ entryPoints: [__filename], outfile, bundle: true, platform: "node", format: "cjs", target: "node20", packages: "external", logLevel: "warning" });
  return outfile;
}

/** The processor runs with its Lambda's NODE_OPTIONS for `memoryMb` (compute/node-options.ts); DuckDB without. */
function childEnvironment(which: string, memoryMb: number): NodeJS.ProcessEnv {
  return which === "processor" ? { ...process.env, NODE_OPTIONS: processorNodeOptions(memoryMb) } : process.env;
}

/**
 * The processor runs on the Node.js of the stack's default Lambda runtime (tests/lambda-runtime/node,
 * as the function host runs it), DuckDB's binding on this machine's Node.js.
 */
function childBinary(which: string): string {
  return which === "processor" ? nodeBinary(schema.lambdaRuntime.default) : process.execPath;
}

function runChild(script: string, which: string, job: Omit<ChildJob, "outDir">, memoryMb: number): RunFigures {
  const outDir = join(DATA_DIR, `out-${which}`);
  const run = spawnSync(childBinary(which), [script, "--child", which, job.input, outDir, job.dataset, String(job.gzip)], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    env: childEnvironment(which, memoryMb),
  });
  if (run.status !== 0) throw new Error(`${which} failed with status ${run.status}`);
  const line = run.stdout.trim().split("\n").pop()!;
  rmSync(outDir, { recursive: true, force: true });
  return JSON.parse(line) as RunFigures;
}

function row(cells: readonly string[]): string {
  return `| ${cells.join(" | ")} |`;
}

const GENERATORS = { events: benchEvents, mixed: mixedEvents } as const;
const INPUT_LABELS = { events: "bench events", mixed: "mixed events, 30 days" } as const;

/** The file an input names, generated into bench/.data/ when missing or shorter than asked. */
async function inputFile(input: BenchInput): Promise<{ path: string; label: string; dataset: string }> {
  if (input.kind === "file") return { path: input.path, label: basename(input.path), dataset: input.dataset };
  const path = join(DATA_DIR, `${input.generator}-${input.sizeMb}mb.jsonl`);
  if (!existsSync(path) || statSync(path).size < input.sizeMb * MB) await writeGenerated(path, GENERATORS[input.generator](), input.sizeMb * MB);
  return { path, label: `${INPUT_LABELS[input.generator]}, ${input.sizeMb} MB`, dataset: "events" };
}

function machineLine(memoryMb: number): string {
  const runtimeNode = spawnSync(childBinary("processor"), ["--version"], { encoding: "utf8" }).stdout.trim();
  return `processor on node ${runtimeNode} (${schema.lambdaRuntime.default}), DuckDB on node ${process.version}, processor NODE_OPTIONS for ${memoryMb} MB: ${processorNodeOptions(memoryMb)}, load average ${loadavg().map((value) => value.toFixed(2)).join(" ")}`;
}

/** The comparison table: one row per input, the ratios from this run. */
async function compare(script: string, inputs: readonly BenchInput[], memoryMb: number): Promise<void> {
  console.log(machineLine(memoryMb));
  console.log(row(["input", "processor / DuckDB, wall", "CPU", "processor MB/s (wall, per CPU-second)", "DuckDB MB/s (wall, per CPU-second)", "peak RSS, processor / DuckDB", "Parquet, processor vs DuckDB (% of raw)"]));
  console.log(row(["---", "---", "---", "---", "---", "---", "---"]));
  const stages: string[] = [];
  for (const input of inputs) {
    const { path, label, dataset } = await inputFile(input);
    const job = { input: path, dataset, gzip: false };
    const duck = runChild(script, "duckdb", job, memoryMb);
    const ours = runChild(script, "processor", job, memoryMb);
    const read = runChild(script, "read", job, memoryMb);
    const coerced = runChild(script, "coerce", job, memoryMb);
    const cpu = (figures: RunFigures) => `${figures.cpuSeconds.toFixed(2)} (${(duck.cpuSeconds / figures.cpuSeconds).toFixed(2)}×)`;
    stages.push(row([label, cpu(read), cpu(coerced), cpu(ours), duck.cpuSeconds.toFixed(2)]));
    const rate = (figures: RunFigures) => `${(figures.inputBytes / MB / figures.seconds).toFixed(1)}, ${(figures.inputBytes / MB / figures.cpuSeconds).toFixed(1)}`;
    const share = (figures: RunFigures) => `${((100 * figures.outputBytes) / figures.inputBytes).toFixed(2)} %`;
    console.log(
      row([
        label,
        `${(duck.seconds / ours.seconds).toFixed(2)}×`,
        `${(duck.cpuSeconds / ours.cpuSeconds).toFixed(2)}×`,
        rate(ours),
        rate(duck),
        `${(ours.peakRssBytes / MB).toFixed(0)} / ${(duck.peakRssBytes / MB).toFixed(0)} MB`,
        `${share(ours)} vs ${share(duck)} (${ours.outputBytes >= duck.outputBytes ? "+" : ""}${((100 * (ours.outputBytes - duck.outputBytes)) / duck.outputBytes).toFixed(1)} %)`,
      ]),
    );
  }
  console.log("\nWhere the processor's CPU goes: its stages alone, CPU seconds (ratio to DuckDB's per CPU-second)");
  console.log(row(["input", "read and parse", "+ validate and coerce", "whole conversion (+ Parquet)", "DuckDB (threads=1)"]));
  console.log(row(["---", "---", "---", "---", "---"]));
  for (const line of stages) console.log(line);
}

/** `big`: one gzip-compressed JSON Lines object of `sizeMb` (uncompressed) through the processor alone. */
async function big(script: string, sizeMb: number, memoryMb: number): Promise<void> {
  const path = join(DATA_DIR, `events-${sizeMb}mb.jsonl.gz`);
  // Level 6 (gzip's default, what most exporters write); generated once and reused.
  if (!existsSync(path)) await writeGenerated(path, benchEvents(), sizeMb * MB, true, 6);
  console.log(machineLine(memoryMb));
  const figures = runChild(script, "processor", { input: path, dataset: "events", gzip: true }, memoryMb);
  console.log(row(["input", "gzip bytes", "uncompressed MB", "time (s)", "CPU (s)", "MB/s (uncompressed, wall)", "peak RSS", "rows written"]));
  console.log(row(["---", "---", "---", "---", "---", "---", "---", "---"]));
  console.log(
    row([
      basename(path),
      String(figures.inputBytes),
      String(sizeMb),
      figures.seconds.toFixed(1),
      figures.cpuSeconds.toFixed(1),
      (sizeMb / figures.seconds).toFixed(1),
      `${(figures.peakRssBytes / MB).toFixed(0)} MB`,
      String(figures.rows),
    ]),
  );
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  // Internal: the compiled script run as one converter's child process.
  if (args[0] === "--child") return child(args[1]!, { input: args[2]!, outDir: args[3]!, dataset: args[4]!, gzip: args[5] === "true" });
  if (args[0] === "--bound-child") return runBound(args[1] as BoundCase, args[2]!, args[3]!);
  let command;
  try {
    command = parseBenchArgs(args, process.env, DATASETS.map((dataset) => dataset.name));
  } catch (error) {
    if (!(error instanceof BenchUsageError)) throw error;
    console.error(`error: ${error.message}\n\n${BENCH_USAGE}`);
    process.exitCode = 2;
    return;
  }
  if (command.kind === "help") {
    console.log(BENCH_USAGE);
    return;
  }
  const script = await buildChildScript();
  if (command.kind === "bounds") return bounds(script, command.memoryMb);
  if (command.kind === "big") return big(script, command.sizeMb, command.memoryMb);
  return compare(script, command.inputs, command.memoryMb);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
