/**
 * Parity of the Glue job's Spark conversion with the processor's: every case of
 * tests/glue-parity-cases.ts is converted by the processor's engine and by the job's conversion on a
 * local pyspark (one Spark session for all cases), both with `PARITY_LIMITS`, and DuckDB reads what
 * each wrote. Both must write the same lake keys, the same Parquet schema and types, the same rows per
 * partition, the same rejected records (reason, line, column, record; the detail too, except where it
 * is the JSON parser's own wording) and the same counts, or reject the same objects whole for the same
 * reason. One difference is by design: where the processor rolled a partition into `<name>-2.parquet`…
 * (a file over more days than it keeps open), the job writes one file for it; such a case
 * (`rollsPartitions`) is compared on the rows of each partition, every other case on its exact files.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { glueContract } from "../handlers/glue-contract.js";
import { glueObjectSpec, type GlueObjectResult } from "../handlers/glue-objects.js";
import { rawEncoding } from "../handlers/outputs.js";
import { runGlueLocally, type GlueObjectSummary } from "./harness/glue-runner.js";
import { convertWithProcessor, landedMessage, oneFilePerPartition, parquetFacts, rejectedRecords, type ParquetFacts } from "./harness/parity.js";
import { ENGINE_WORDED_REASONS, PARITY_CASES, PARITY_DATASETS, PARITY_LIMITS, type ParityCase } from "./glue-parity-cases.js";

const root = mkdtempSync(join(tmpdir(), "datalake-parity-"));
const processorRoot = join(root, "processor");
const glueRoot = join(root, "glue");
const processorResults = new Map<string, GlueObjectResult>();
const glueResults = new Map<string, GlueObjectSummary>();

beforeAll(async () => {
  const specs = [];
  for (const parityCase of PARITY_CASES) {
    const message = landedMessage(parityCase.dataset, parityCase.key, parityCase.body);
    const rawPath = join(root, "raw", parityCase.key);
    mkdirSync(dirname(rawPath), { recursive: true });
    writeFileSync(rawPath, parityCase.body);
    processorResults.set(parityCase.id, await convertWithProcessor(parityCase.dataset, message, parityCase.body, processorRoot, PARITY_LIMITS));
    specs.push(glueObjectSpec(message, rawEncoding(parityCase.key)!));
  }
  const run = await runGlueLocally({
    objects: specs,
    contract: glueContract(PARITY_DATASETS, PARITY_LIMITS),
    storage: { kind: "files", rawRoot: join(root, "raw"), lakeRoot: glueRoot },
    workDir: join(root, "work"),
  });
  run.results.forEach((summary, index) => glueResults.set(PARITY_CASES[index]!.id, summary));
}, 600_000);

/** A rejected record with its engine-worded detail blanked. */
function comparable(record: Record<string, unknown>): Record<string, unknown> {
  return ENGINE_WORDED_REASONS.includes(String(record.reason)) ? { ...record, detail: "(parser's own wording)" } : record;
}

/** The rows of several Parquet files, as one sorted list. */
function rowsOf(files: readonly ParquetFacts[]): string[] {
  return files.flatMap((facts) => facts.rows).sort();
}

describe.each(PARITY_CASES)("$id ($covers)", (parityCase: ParityCase) => {
  test("same outcome, lake keys and counts", () => {
    // Prepare
    const processor = processorResults.get(parityCase.id)!;
    // Act
    const glue = glueResults.get(parityCase.id)!;
    // Assess
    expect(glue.status).toBe(processor.status);
    if (processor.status === "rejected" && glue.status === "rejected") {
      expect(glue.reason).toBe(processor.reason);
      return;
    }
    const rolled = processor.status === "converted" && processor.partitions.some((partition) => partition.keys !== undefined);
    // A case says whether the processor rolls files; only then are files compared one per partition.
    expect(rolled).toBe(parityCase.rollsPartitions === true);
    expect(glue).toEqual({ key: parityCase.key, ...(rolled ? oneFilePerPartition(processor) : processor) });
  });

  test("same Parquet schema, types and rows per partition", async () => {
    // Prepare
    const processor = processorResults.get(parityCase.id)!;
    const partitions = processor.status === "converted" ? processor.partitions : [];
    for (const partition of partitions) {
      // Act: the processor's files of the partition, and the job's one file (named as the processor's first)
      const expected = await Promise.all((partition.keys ?? [partition.key]).map((key) => parquetFacts(join(processorRoot, key))));
      const actual = await parquetFacts(join(glueRoot, partition.key));
      // Assess
      for (const facts of expected) {
        expect(actual.schema, partition.key).toEqual(facts.schema);
        expect(actual.columns, partition.key).toEqual(facts.columns);
      }
      expect(actual.rows, partition.key).toEqual(rowsOf(expected));
    }
  });

  test("same rejected records", () => {
    // Prepare
    const processor = processorResults.get(parityCase.id)!;
    const rejectedKey = processor.status === "converted" ? processor.outputs.find((key) => key.startsWith("rejected/")) : undefined;
    if (rejectedKey === undefined) return;
    // Act
    const expected = rejectedRecords(join(processorRoot, rejectedKey)).map(comparable);
    const actual = rejectedRecords(join(glueRoot, rejectedKey)).map(comparable);
    // Assess
    expect(actual).toEqual(expected);
  });
});
