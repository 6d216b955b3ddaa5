/**
 * Adding a dataset touches one place: a throwaway dataset appended to the registry (and nothing
 * else) gets its Glue table, its place in the processing queue's filter policy, the rejected-row
 * ratio and the rejected table's projection, a freshness alarm, generated sample rows, and a working
 * path through the pipeline into its table. Every registered dataset's generated sample goes through
 * the same path, so a dataset added to `handlers/datasets.ts` is tested without an edit here.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { DATASETS, registryProblems, type DatasetDefinition } from "../../handlers/datasets.js";
import { runProgram, type ProgramRun } from "../harness/program.js";
import { startEndpoint, type AwsEndpoint } from "../harness/emulator.js";
import { LocalPipeline } from "../harness/local-pipeline.js";
import { PARQUET_AS_READ, parquetSchema, type LakeSnapshot } from "../harness/lake-reader.js";
import { FORMAT_EXTENSIONS, encodeRows, sampleRows } from "../harness/sample-data.js";

const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";
const TABLE = "aws:glue/catalogTable:CatalogTable";
const DAY = "2026-11-01";

/** A dataset no one will ever ship, with a column of every type the registry knows. */
function throwawayDataset(): DatasetDefinition {
  return {
    name: "throwaway_readings",
    description: "Sensor readings that exist only in this test.",
    columns: [
      { name: "reading_id", type: "string", required: true, description: "Unique id of the reading." },
      { name: "sensor", type: "int", required: true, description: "Sensor number." },
      { name: "sequence", type: "bigint", required: false, description: "Sensor's own counter." },
      { name: "value", type: "double", required: true, description: "The measured value." },
      { name: "calibrated", type: "boolean", required: false, description: "Whether the sensor was calibrated." },
      { name: "read_at", type: "timestamp", required: true, description: "When it was read (UTC)." },
      { name: "service_day", type: "date", required: false, description: "The sensor's last service day." },
      { name: "labels", type: "map<string,string>", required: false, description: "Free-form labels." },
    ],
    partitionColumn: "read_at",
    formats: ["jsonl", "csv"],
    maxSilenceHours: 6,
  };
}

const THROWAWAY = throwawayDataset();
let endpoint: AwsEndpoint;
let run: ProgramRun;
let pipeline: LocalPipeline | undefined;
let lake: LakeSnapshot | undefined;

beforeAll(async () => {
  endpoint = await startEndpoint();
  run = await runProgram("dev", {}, { extraDatasets: [THROWAWAY] });
});
afterEach(async () => {
  lake?.close();
  lake = undefined;
  await pipeline?.stop();
  pipeline = undefined;
});
afterAll(async () => {
  await endpoint?.stop();
});

describe("a dataset added to the registry, and nowhere else", () => {
  test("keeps the registry's rules", () => {
    expect(registryProblems([...DATASETS, THROWAWAY])).toEqual([]);
  });

  test("gets its Glue table with the registry's columns, partitioned by the day of its partition column", () => {
    const table = run.one(TABLE, `datalake-table-${THROWAWAY.name}`).inputs;

    expect(table.name).toBe(THROWAWAY.name);
    expect(table.storageDescriptor.location).toMatch(new RegExp(`/processed/${THROWAWAY.name}/$`));
    expect(table.storageDescriptor.columns.map((column: { name: string; type: string }) => [column.name, column.type])).toEqual(
      THROWAWAY.columns.map((column) => [column.name, column.type]),
    );
    expect(table.partitionKeys.map((key: { name: string }) => key.name)).toEqual(["year", "month", "day"]);
  });

  test("is let through the processing queue's filter policy and projected in the rejected table", () => {
    const subscription = run.one("aws:sns/topicSubscription:TopicSubscription", "datalake-ingest-to-processing").inputs;
    const rejected = run.one(TABLE, "datalake-table-rejected").inputs;

    expect(JSON.parse(subscription.filterPolicy).dataset).toContain(THROWAWAY.name);
    expect(rejected.parameters["projection.dataset.values"].split(",")).toContain(THROWAWAY.name);
  });

  test("is counted in the rejected-row ratio and watched by its own freshness alarm", () => {
    const ratio = run.one(ALARM, "datalake-rejected-rows").inputs.metricQueries as { metric?: { dimensions: Record<string, string> } }[];
    const freshness = run.one(ALARM, `datalake-${THROWAWAY.name}-freshness`).inputs;

    expect(ratio.map((query) => query.metric?.dimensions.dataset)).toContain(THROWAWAY.name);
    expect(freshness).toMatchObject({ metricName: "RowsRead", dimensions: { service: "processor", dataset: THROWAWAY.name }, evaluationPeriods: THROWAWAY.maxSilenceHours, treatMissingData: "missing" });
  });

  test("every registered dataset's generated rows, in every format it accepts, land in its table with its declared schema", async () => {
    // Prepare: rows generated from each dataset's columns, one file per accepted format
    pipeline = await LocalPipeline.start(endpoint, run);
    const registered = [...DATASETS, THROWAWAY];
    const landed = new Map<string, number>();
    for (const dataset of registered) {
      for (const format of dataset.formats) {
        const rows = sampleRows(dataset, { count: 6, day: DAY, idPrefix: `${format}-batch` });
        await pipeline.land(`raw/${dataset.name}/generated.${FORMAT_EXTENSIONS[format]}`, encodeRows(dataset, rows, format));
        landed.set(dataset.name, (landed.get(dataset.name) ?? 0) + rows.length);
      }
    }

    // Act
    const report = await pipeline.drive();
    lake = await pipeline.snapshot();

    // Assess: every object processed, every row in its table, none rejected, schemas as declared
    const objects = registered.reduce((sum, dataset) => sum + dataset.formats.length, 0);
    expect(report.processing).toMatchObject({ deleted: objects, reportedFailures: 0, failedInvocations: 0 });
    for (const dataset of registered) {
      const [row] = await lake.rows(`SELECT count(*) AS n FROM datalake_dev.${dataset.name}`);
      expect(Number(row?.n), dataset.name).toBe(landed.get(dataset.name));
      const file = lake.keys.find((key) => key.startsWith(`processed/${dataset.name}/`) && key.endsWith(".parquet"))!;
      expect(await parquetSchema(lake, file), dataset.name).toEqual(Object.fromEntries(dataset.columns.map((column) => [column.name, PARQUET_AS_READ[column.type]])));
    }
    expect(await lake.rows("SELECT * FROM datalake_dev.rejected")).toEqual([]);
    const days = await lake.rows(`SELECT DISTINCT year, month, day FROM datalake_dev.${THROWAWAY.name}`);
    expect(days.map((day) => [Number(day.year), Number(day.month), Number(day.day)])).toEqual([[2026, 11, 1]]);
  });
});
