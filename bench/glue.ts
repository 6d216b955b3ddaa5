/**
 * Benchmark of the Glue job's conversion on a local Spark, next to the processor and DuckDB in the
 * same run (not a test: it prints figures). `npm run bench:glue` runs `bench/processor.ts` on the
 * 1 GB events file (generating it into bench/.data/ when missing; processor and DuckDB, each in its
 * own child process), then the job's conversion (`glue/datalake_glue`, local[N] on this machine's
 * cores) on the same file, and prints MB/s of each and the ratio to DuckDB.
 *
 *   npm run bench:glue                  # 1024 MB, Spark on 2 cores with a 2 GB heap
 *   npm run bench:glue -- 200           # another size (MB)
 *   BENCH_SPARK_CORES=4 BENCH_SPARK_MEMORY_MB=4096 npm run bench:glue
 *
 * Spark's figure is given twice: for the whole run (the session's start included, as a job run
 * would pay it) and for the conversion alone.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, symlinkSync } from "node:fs";
import { basename, join } from "node:path";
import { EVENTS } from "../handlers/datasets";
import { glueObjectSpec } from "../handlers/glue-objects";
import { runGlueLocally } from "../tests/harness/glue-runner";
import { benchEvents, writeGenerated } from "./inputs";

const DATA_DIR = join(__dirname, ".data");
const MB = 1024 * 1024;

interface Row {
  readonly converter: string;
  /** MB/s of wall clock, and per CPU-second (steadier on a shared machine). */
  readonly mbPerSecond: number;
  readonly mbPerCpuSecond: number;
  readonly detail: string;
}

/** The bench's events JSON Lines of `sizeMb`, generated into bench/.data/ when missing (bench/inputs.ts). */
async function eventsFile(sizeMb: number): Promise<string> {
  const path = join(DATA_DIR, `events-${sizeMb}mb.jsonl`);
  if (!existsSync(path) || statSync(path).size < sizeMb * MB) await writeGenerated(path, benchEvents(), sizeMb * MB);
  return path;
}

/** Runs bench/processor.ts on the file and reads its processor and DuckDB figures from its table row. */
function processorAndDuckDb(path: string): Row[] {
  const run = spawnSync(process.execPath, ["--import", "tsx", join(__dirname, "processor.ts"), "--input", path], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  if (run.status !== 0) throw new Error(`bench/processor.ts failed with status ${run.status}`);
  process.stdout.write(run.stdout);
  // | input | wall ratio | CPU ratio | processor MB/s (wall, per CPU-second) | DuckDB MB/s (…) | peak RSS, processor / DuckDB | Parquet … |
  const cells = run.stdout
    .split("\n")
    .find((line) => line.startsWith(`| ${basename(path)} |`))
    ?.split("|")
    .map((cell) => cell.trim());
  if (cells === undefined) throw new Error(`bench/processor.ts printed no row for ${basename(path)}`);
  const rates = (cell: string) => cell.split(",").map((value) => Number(value.trim()));
  const [oursWall, oursCpu] = rates(cells[4]!);
  const [duckWall, duckCpu] = rates(cells[5]!);
  const [oursRss, duckRss] = cells[6]!.replace(" MB", "").split("/").map((value) => value.trim());
  return [
    { converter: "DuckDB (threads=1)", mbPerSecond: duckWall!, mbPerCpuSecond: duckCpu!, detail: `peak RSS ${duckRss} MB` },
    { converter: "processor", mbPerSecond: oursWall!, mbPerCpuSecond: oursCpu!, detail: `peak RSS ${oursRss} MB, Parquet ${cells[7]}` },
  ];
}

function directoryBytes(root: string): number {
  if (!existsSync(root)) return 0;
  return readdirSync(root, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .reduce((total, entry) => total + statSync(join(entry.parentPath, entry.name)).size, 0);
}

/** Converts the file with the job's conversion on local Spark, as one object of a run. */
async function spark(sizeMb: number): Promise<Row[]> {
  const input = join(DATA_DIR, `events-${sizeMb}mb.jsonl`);
  const root = join(DATA_DIR, "glue");
  rmSync(root, { recursive: true, force: true });
  const key = `raw/events/events-${sizeMb}mb.jsonl`;
  mkdirSync(join(root, "raw", "raw", "events"), { recursive: true });
  symlinkSync(input, join(root, "raw", key));
  const inputBytes = statSync(input).size;
  const message = { bucket: "bench", key, size: inputBytes, etag: "bench", eventTime: "2026-11-01T00:00:00Z", dataset: EVENTS.name };
  const cores = Number(process.env.BENCH_SPARK_CORES ?? 2);
  const memoryMb = Number(process.env.BENCH_SPARK_MEMORY_MB ?? 2048);
  const run = await runGlueLocally({
    objects: [glueObjectSpec(message, { format: "jsonl", gzip: false })],
    storage: { kind: "files", rawRoot: join(root, "raw"), lakeRoot: join(root, "lake") },
    workDir: join(root, "work"),
    cores,
    memoryMb,
  });
  const result = run.results[0]!;
  if (result.status !== "converted") throw new Error(`Spark did not convert the file: ${JSON.stringify(result)}`);
  const outputBytes = directoryBytes(join(root, "lake", "processed"));
  rmSync(root, { recursive: true, force: true });
  const inputMb = inputBytes / MB;
  const conversionSeconds = run.seconds - run.sessionSeconds;
  const detail = `local[${cores}], ${memoryMb} MB heap, ${result.rowsWritten} rows, Parquet/raw ${((100 * outputBytes) / inputBytes).toFixed(1)} %`;
  const perCpu = run.cpuSeconds > 0 ? inputMb / run.cpuSeconds : Number.NaN;
  return [
    { converter: "Glue job conversion, local Spark (whole run)", mbPerSecond: inputMb / run.seconds, mbPerCpuSecond: perCpu, detail: `${detail}, ${run.seconds.toFixed(1)} s incl. ${run.sessionSeconds.toFixed(1)} s session start, ${run.cpuSeconds.toFixed(0)} CPU s` },
    { converter: "Glue job conversion, local Spark (conversion)", mbPerSecond: inputMb / conversionSeconds, mbPerCpuSecond: perCpu, detail: `${conversionSeconds.toFixed(1)} s` },
  ];
}

async function main(): Promise<void> {
  const sizes = (process.argv.length > 2 ? process.argv.slice(2) : ["1024"]).map(Number);
  for (const sizeMb of sizes) {
    const rows = [...processorAndDuckDb(await eventsFile(sizeMb)), ...(await spark(sizeMb))];
    const duck = rows.find((row) => row.converter.startsWith("DuckDB"))!;
    console.log();
    console.log(`| input | converter | MB/s (wall) | MB/s (CPU) | ratio to DuckDB (wall) | detail |`);
    console.log(`| --- | --- | --- | --- | --- | --- |`);
    for (const row of rows) {
      console.log(`| ${sizeMb} MB | ${row.converter} | ${row.mbPerSecond.toFixed(1)} | ${row.mbPerCpuSecond.toFixed(1)} | ${(row.mbPerSecond / duck.mbPerSecond).toFixed(2)} | ${row.detail} |`);
    }
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
