/**
 * `npm run demo`: the whole pipeline of the dev stack on this machine, without an AWS account.
 *
 * Starts moto_server on 127.0.0.1, runs the Pulumi program under mocks for the dev stack, creates the
 * data plane it declares in the emulator, lands sample data under raw/, runs the functions' exact
 * uploads as the Lambda service would, then shows what landed where and the seed's queries' answers
 * (read with DuckDB, since the emulator's Athena runs no SQL). Every temporary folder it makes (TLS
 * material, uploads, the runtime folder, lake copies) is under os.tmpdir() and removed when it ends.
 */
import { runProgram } from "../tests/harness/program";
import { MissingToolError, startEndpoint, type AwsEndpoint } from "../tests/harness/emulator";
import { DEFAULT_LANDING_DAY, LocalPipeline, PRINCIPALS } from "../tests/harness/local-pipeline";
import { executionParameters, namedQueries } from "../analytics/queries";
import { parseCalendarDay } from "../handlers/curated";
import { DATASETS, DATASET_NAMES } from "../handlers/datasets";
import {
  EVENT_COLUMNS,
  FORMAT_EXTENSIONS,
  SAMPLE_USERS,
  UNREGISTERED_DATASET,
  USER_COLUMNS,
  csv,
  encodeRows,
  gzip,
  jsonLines,
  sampleEvents,
  sampleRows,
} from "../tests/harness/sample-data";

const STACK = "dev";
const DAY = "2026-11-01";
/** The events' day for the per-day queries; rejected records sit under the day their object landed (`DEFAULT_LANDING_DAY`). */
const QUERY_DAY = parseCalendarDay(DAY)!;
/** Datasets with hand-written samples for the seed's named queries; every other registered dataset gets generated rows. */
const HAND_WRITTEN_SAMPLES = new Set(["events", "users"]);

const started = Date.now();
function step(message: string): void {
  const seconds = ((Date.now() - started) / 1000).toFixed(1).padStart(5);
  console.log(`[${seconds}s] ${message}`);
}

function table(rows: Record<string, unknown>[]): string {
  if (rows.length === 0) return "  (no rows)";
  const columns = Object.keys(rows[0]!);
  const text = (value: unknown) => (value === null || value === undefined ? "NULL" : typeof value === "object" ? JSON.stringify(value) : String(value));
  const widths = columns.map((column) => Math.max(column.length, ...rows.map((row) => text(row[column]).length)));
  const line = (cells: string[]) => "  " + cells.map((cell, index) => cell.padEnd(widths[index]!)).join("  ");
  return [line(columns), line(widths.map((width) => "-".repeat(width))), ...rows.map((row) => line(columns.map((column) => text(row[column]))))].join("\n");
}

async function main(): Promise<void> {
  let endpoint: AwsEndpoint | undefined;
  let pipeline: LocalPipeline | undefined;
  try {
    step("starting moto_server on 127.0.0.1 (TLS)…");
    endpoint = await startEndpoint();
    step(`emulator at ${endpoint.url}`);

    step(`running the Pulumi program for stack "${STACK}" under mocks…`);
    const run = await runProgram(STACK);
    step(`the program declares ${run.resources.length} resources`);

    step("creating the declared data plane (buckets, queues, topics, subscriptions, notification) and starting the functions' uploads…");
    pipeline = await LocalPipeline.start(endpoint, run);
    step(`lake bucket ${pipeline.lakeBucket}; queues ${Object.values(pipeline.plane.queues).map((queue) => queue.declaredName).join(", ")}`);
    for (const note of pipeline.plane.skipped) step(`not applied in the emulator: ${note}`);

    const events = [...sampleEvents("2026-10-31", 4, "oct31"), ...sampleEvents(DAY, 12, "nov01"), ...sampleEvents("2026-11-02", 6, "nov02")];
    const landings: Array<[string, string | Buffer, string?]> = [
      ["raw/events/2026-11-01 web.jsonl", jsonLines(events.slice(0, 10)) + '{"event_id":"broken", "user_id": "not a number"}\n'],
      ["raw/events/app export.csv", csv(events.slice(10, 16), EVENT_COLUMNS), "text/csv"],
      ["raw/events/backfill.jsonl.gz", gzip(jsonLines(events.slice(16)))],
      ["raw/users/users.jsonl", jsonLines(SAMPLE_USERS.slice(0, 2))],
      ["raw/users/more users.csv", csv(SAMPLE_USERS.slice(2), USER_COLUMNS), "text/csv"],
      [`raw/${UNREGISTERED_DATASET}/unregistered.jsonl`, '{"order_id": 1}\n'],
      ["raw/events/", ""],
      // Every other registered dataset: rows generated from its columns, in each format it accepts.
      ...DATASETS.filter((dataset) => !HAND_WRITTEN_SAMPLES.has(dataset.name)).flatMap((dataset) =>
        dataset.formats.map((format): [string, string] => [`raw/${dataset.name}/sample.${FORMAT_EXTENSIONS[format]}`, encodeRows(dataset, sampleRows(dataset, { count: 5, day: DAY, idPrefix: format }), format)]),
      ),
    ];
    for (const [key, body, contentType] of landings) {
      await pipeline.land(key, Buffer.from(body), contentType ? { ContentType: contentType } : {});
      step(`landed s3://${pipeline.lakeBucket}/${key} (${Buffer.byteLength(body)} bytes)`);
    }

    step("delivering S3 notifications to ingest and polling the processing queue for the processor…");
    const report = await pipeline.drive();
    step(
      `ingest: ${report.notifications.invocations} invocations, ${report.notifications.failures} failed; ` +
        `processor: ${report.processing.invocations} batches, ${report.processing.deleted} messages done, ${report.processing.reportedFailures} retried`,
    );
    for (const fn of [pipeline.ingest, pipeline.processor]) {
      const { invocations, maxDurationMs, maxPeakRssMb, memorySizeMb, coldStarts } = fn.summary;
      step(`${fn.functionName}: ${invocations} invocations, ${coldStarts} cold starts, longest ${Math.round(maxDurationMs)} ms, peak RSS ${Math.round(maxPeakRssMb)} of ${memorySizeMb} MB`);
    }
    if (pipeline.policy) {
      const judged = pipeline.policy.decisions.filter((decision) => decision.principal !== PRINCIPALS.admin);
      step(`policy endpoint: ${judged.length} requests judged against the declared policies, ${pipeline.policy.denials().length} denied`);
    }

    const lake = await pipeline.snapshot();
    try {
      console.log("\nWhat landed where:");
      for (const key of lake.keys) console.log(`  s3://${pipeline.lakeBucket}/${key}`);

      console.log("\nRows per table:");
      for (const name of [...DATASET_NAMES, "rejected"]) {
        const [row] = await lake.rows(`SELECT count(*) AS n FROM datalake_dev.${name}`);
        console.log(`  datalake_dev.${name}: ${row?.n}`);
      }

      for (const query of run.all("aws:athena/namedQuery:NamedQuery")) {
        const definition = namedQueries(String(run.outputs.glueDatabaseName)).find((candidate) => candidate.name === query.inputs.name)!;
        const parameters = executionParameters(definition, definition.key === "rejected-per-day-and-reason" ? DEFAULT_LANDING_DAY : QUERY_DAY);
        console.log(`\nNamed query "${query.inputs.name}" with execution parameters [${parameters.join(", ")}]:\n  ${query.inputs.query}`);
        console.log(table(await lake.rows(String(query.inputs.query), parameters)));
      }
      const deadLetters = await pipeline.deadLetters();
      console.log(`\nDead-letter queue: ${deadLetters.length} message(s).`);
      console.log(
        `The unregistered dataset (raw/${UNREGISTERED_DATASET}/) was announced but filtered out of the processing queue; the ingest log reported it at error level.`,
      );
    } finally {
      lake.close();
    }
    step("done");
  } finally {
    await pipeline?.stop();
    await endpoint?.stop();
  }
}

main().catch((error: unknown) => {
  // A missing tool is a setup step, said in one line; anything else is a bug, shown with its stack.
  const detail = error instanceof MissingToolError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error);
  console.error(`demo failed: ${detail}`);
  process.exitCode = 1;
});
