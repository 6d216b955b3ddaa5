/**
 * Benchmark of the processor's conversion against DuckDB on the same input (not a test: it prints
 * figures). `npm run bench:processor` generates events JSON Lines (200 MB and 1 GB by default, into
 * bench/.data/, reused when present), then runs each converter in its own child process (so that
 * peak RSS is the converter's alone) and prints MB/s, peak RSS and the ratio to DuckDB.
 *
 *   npm run bench:processor                 # 200 MB and 1024 MB
 *   npm run bench:processor -- 200          # sizes in MB
 *   npm run bench:processor -- bounds       # memory bounds on hostile files (issue 16): 3,000 days,
 *                                           # a 100 MB line, a 2 GiB gzip bomb; peak RSS and time
 *   npm run bench:processor -- --help       # arguments and environment variables (bench/args.ts)
 *   BENCH_ROW_GROUP_ROWS=20000 BENCH_MAX_BUFFERED_ROWS=20000 npm run bench:processor -- 200
 */
import { spawnSync } from "node:child_process";
import { createReadStream, createWriteStream, existsSync, mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { once } from "node:events";
import { createGzip } from "node:zlib";
import { dirname, join } from "node:path";
import { convertRecords } from "../handlers/convert";
import { EVENTS } from "../handlers/datasets";
import { loadParquetCodec } from "../handlers/parquet";
import { fileSinks } from "../tests/harness/file-sinks";
import { processorNodeOptions } from "../compute/node-options";
import { BENCH_USAGE, BenchUsageError, parseBenchArgs } from "./args";
import { schema } from "../config/schema";

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
}

const EVENT_TYPES = ["page_view", "click", "add_to_cart", "purchase", "search", "sign_in"];
const PAGES = ["/", "/home", "/pricing", "/docs/getting-started", "/cart", "/checkout", "/search", "/account/settings"];
const DEVICES = ["desktop", "mobile", "tablet"];

/** Events spread over three UTC days, 2-3 properties each; about 230 bytes a line. */
async function generateEvents(path: string, targetBytes: number): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  const out = createWriteStream(path);
  const start = Date.UTC(2026, 10, 20);
  let written = 0;
  let index = 0;
  let seed = 42;
  const random = (): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  while (written < targetBytes) {
    const lines: string[] = [];
    for (let batch = 0; batch < 10_000; batch++, index++) {
      const timestamp = new Date(start + Math.floor(random() * 3 * 86_400_000)).toISOString();
      const type = EVENT_TYPES[index % EVENT_TYPES.length]!;
      const properties: Record<string, string> = { page: PAGES[Math.floor(random() * PAGES.length)]!, device: DEVICES[index % 3]! };
      if (type === "purchase") properties.amount = (random() * 200).toFixed(2);
      if (type === "search") properties.query = `term ${Math.floor(random() * 5000)}`;
      lines.push(
        JSON.stringify({
          event_id: `evt-${index.toString(16).padStart(12, "0")}-${Math.floor(random() * 0xffffffff).toString(16)}`,
          user_id: Math.floor(random() * 100_000) + 1,
          event_timestamp: timestamp,
          event_type: type,
          properties,
        }),
      );
    }
    const chunk = `${lines.join("\n")}\n`;
    written += Buffer.byteLength(chunk);
    if (!out.write(chunk)) await once(out, "drain");
  }
  out.end();
  await once(out, "finish");
}

/** Writes `chunks` to `path` (through gzip when asked), awaiting drain: generated inputs never sit in memory. */
async function writeChunks(path: string, chunks: Iterable<Buffer | string>, gzip = false): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  const file = createWriteStream(path);
  const out = gzip ? createGzip({ level: 9 }) : file;
  if (gzip) out.pipe(file);
  for (const chunk of chunks) if (!out.write(chunk)) await once(out, "drain");
  out.end();
  await once(file, "finish");
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
  console.log(`node ${process.version}, processor NODE_OPTIONS for ${memoryMb} MB: ${processorNodeOptions(memoryMb)}`);
  console.log(row(["input", "input bytes", "time (s)", "CPU (s)", "peak RSS MB", "read", "written", "rejected", "Parquet files"]));
  console.log(row(["---", "---", "---", "---", "---", "---", "---", "---", "---"]));
  for (const which of Object.keys(BOUND_CASES) as BoundCase[]) {
    const spec = BOUND_CASES[which];
    const input = join(DATA_DIR, spec.file);
    if (!existsSync(input)) await writeChunks(input, spec.chunks(), spec.gzip);
    const run = spawnSync(process.execPath, [script, "--bound-child", which, input, join(DATA_DIR, `out-${which}`)], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], env: childEnvironment("processor", memoryMb) });
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

async function runProcessor(input: string, outDir: string): Promise<ConverterFigures> {
  const rowGroupRows = process.env.BENCH_ROW_GROUP_ROWS ? Number(process.env.BENCH_ROW_GROUP_ROWS) : undefined;
  const started = process.hrtime.bigint();
  const result = await convertRecords(createReadStream(input, { highWaterMark: READ_CHUNK_BYTES }), {
    dataset: EVENTS,
    encoding: { format: "jsonl", gzip: false },
    name: "bench",
    sourceKey: "raw/events/bench.jsonl",
    landedAt: new Date("2026-11-01T00:00:00Z"),
    openSink: fileSinks(outDir),
    codec: await loadParquetCodec(),
    ...(rowGroupRows ? { rowGroupRows } : {}),
    ...(process.env.BENCH_MAX_BUFFERED_ROWS ? { maxBufferedRows: Number(process.env.BENCH_MAX_BUFFERED_ROWS) } : {}),
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.rowsWritten + result.rowsRejected !== result.rowsRead) throw new Error("counts do not reconcile");
  return { converter: "processor (hyparquet-writer)", seconds, inputBytes: statSync(input).size, outputBytes: directoryBytes(outDir), rows: result.rowsWritten };
}

async function runDuckDb(input: string, outDir: string): Promise<ConverterFigures> {
  const { DuckDBInstance } = await import("@duckdb/node-api");
  const instance = await DuckDBInstance.create(":memory:", { threads: "1" });
  const connection = await instance.connect();
  const started = process.hrtime.bigint();
  // The same conversion: typed columns, a day partition per file, snappy Parquet.
  await connection.run(`
    COPY (
      SELECT *, year(event_timestamp) AS year, month(event_timestamp) AS month, day(event_timestamp) AS day
      FROM read_json('${input}', format = 'newline_delimited', columns = {
        event_id: 'VARCHAR', user_id: 'INTEGER', event_timestamp: 'TIMESTAMPTZ', event_type: 'VARCHAR', properties: 'MAP(VARCHAR, VARCHAR)'
      })
    ) TO '${outDir}' (FORMAT parquet, COMPRESSION snappy, PARTITION_BY (year, month, day), OVERWRITE_OR_IGNORE)`);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  connection.closeSync();
  instance.closeSync();
  return { converter: "DuckDB (threads=1)", seconds, inputBytes: statSync(input).size, outputBytes: directoryBytes(outDir) };
}

/** Child mode: run one converter and print its figures as JSON, with this process's peak RSS. */
async function child(which: string, input: string, outDir: string): Promise<void> {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const cpuBefore = process.cpuUsage();
  const figures = which === "duckdb" ? await runDuckDb(input, outDir) : await runProcessor(input, outDir);
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

function runChild(script: string, which: string, input: string, memoryMb: number): RunFigures {
  const outDir = join(DATA_DIR, `out-${which}`);
  const run = spawnSync(process.execPath, [script, "--child", which, input, outDir], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], env: childEnvironment(which, memoryMb) });
  if (run.status !== 0) throw new Error(`${which} failed with status ${run.status}`);
  const line = run.stdout.trim().split("\n").pop()!;
  rmSync(outDir, { recursive: true, force: true });
  return JSON.parse(line) as RunFigures;
}

function row(cells: readonly string[]): string {
  return `| ${cells.join(" | ")} |`;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  // Internal: the compiled script run as one converter's child process.
  if (args[0] === "--child") return child(args[1]!, args[2]!, args[3]!);
  if (args[0] === "--bound-child") return runBound(args[1] as BoundCase, args[2]!, args[3]!);
  let command;
  try {
    command = parseBenchArgs(args, process.env);
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
  if (command.kind === "bounds") return bounds(await buildChildScript(), command.memoryMb);
  const { sizesMb: sizes, memoryMb } = command;
  const script = await buildChildScript();
  console.log(`node ${process.version}, row group rows: ${command.rowGroupRows ?? "default"}, processor NODE_OPTIONS for ${memoryMb} MB: ${processorNodeOptions(memoryMb)}`);
  console.log(row(["input", "converter", "MB/s (wall)", "MB/s (CPU)", "peak RSS MB", "Parquet / raw", "ratio to DuckDB (wall)", "ratio (CPU)"]));
  console.log(row(["---", "---", "---", "---", "---", "---", "---", "---"]));
  for (const sizeMb of sizes) {
    const input = join(DATA_DIR, `events-${sizeMb}mb.jsonl`);
    if (!existsSync(input) || statSync(input).size < sizeMb * MB) await generateEvents(input, sizeMb * MB);
    const duck = runChild(script, "duckdb", input, memoryMb);
    const ours = runChild(script, "processor", input, memoryMb);
    for (const figures of [duck, ours]) {
      const throughput = figures.inputBytes / MB / figures.seconds;
      const duckThroughput = duck.inputBytes / MB / duck.seconds;
      const cpuThroughput = figures.inputBytes / MB / figures.cpuSeconds;
      const duckCpuThroughput = duck.inputBytes / MB / duck.cpuSeconds;
      console.log(
        row([
          `${sizeMb} MB`,
          figures.converter,
          throughput.toFixed(1),
          cpuThroughput.toFixed(1),
          (figures.peakRssBytes / MB).toFixed(0),
          `${((100 * figures.outputBytes) / figures.inputBytes).toFixed(1)} %`,
          (throughput / duckThroughput).toFixed(2),
          (cpuThroughput / duckCpuThroughput).toFixed(2),
        ]),
      );
    }
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
