/**
 * The contract handed to the Glue job says what the TypeScript does: its wording, limits, layout and
 * field order are checked against the coercer, the output naming and a conversion's rejected lines.
 */
import { Readable } from "node:stream";
import { describe, expect, test } from "vitest";
import { recordCoercer, type CoercedValue } from "../handlers/coerce.js";
import { convertRecords } from "../handlers/convert.js";
import { DATASETS, EVENTS } from "../handlers/datasets.js";
import { DESCRIBE_LIMITS, PARTITION_TEMPLATE, REJECTED_FIELDS, REJECTION_MESSAGES, glueContract } from "../handlers/glue-contract.js";
import { loadParquetCodec } from "../handlers/parquet.js";
import { dailyPartition } from "../storage/zones.js";
import { memoryStore } from "./harness/sinks.js";

/** A value that never fits any column type but a string's. */
const NOT_A_VALUE = [1, 2];

describe("glueContract", () => {
  test("carries every dataset of the registry with its columns, types and partition column", () => {
    // Act
    const contract = glueContract();
    // Assess
    expect(Object.keys(contract.datasets)).toEqual(DATASETS.map((dataset) => dataset.name));
    expect(contract.datasets.events!.columns.map((column) => [column.name, column.type, column.required])).toEqual(EVENTS.columns.map((column) => [column.name, column.type, column.required]));
    expect(contract.datasets.events!.partitionColumn).toBe("event_timestamp");
    expect(contract.datasets.users!.partitionColumn).toBeNull();
  });

  test.each(DATASETS.flatMap((dataset) => dataset.columns.filter((column) => column.required).map((column) => [`${dataset.name}.${column.name}`, dataset, column] as const)))(
    "the missing-value wording is the coercer's (%s)",
    (_label, dataset, column) => {
      // Prepare
      const out: CoercedValue[] = [];
      const record = Object.fromEntries(dataset.columns.filter((other) => other.name !== column.name).map((other) => [other.name, "x"]));
      // Act
      const rejection = recordCoercer({ ...dataset, columns: [column] })(record, out);
      // Assess
      expect(rejection?.detail).toBe(REJECTION_MESSAGES.missingRequired.replace("{column}", column.name));
    },
  );

  test.each(DATASETS.flatMap((dataset) => dataset.columns.filter((column) => column.type !== "string").map((column) => [`${dataset.name}.${column.name}`, dataset, column] as const)))(
    "the invalid-value wording is the coercer's (%s)",
    (_label, dataset, column) => {
      // Prepare
      const out: CoercedValue[] = [];
      const expected = glueContract().datasets[dataset.name]!.columns.find((candidate) => candidate.name === column.name)!.expected;
      // Act
      const rejection = recordCoercer({ ...dataset, columns: [column] })({ [column.name]: NOT_A_VALUE }, out);
      // Assess
      expect(rejection?.detail).toBe(REJECTION_MESSAGES.invalidValue.replace("{column}", column.name).replace("{expected}", expected).replace("{value}", "[1,2]"));
    },
  );

  test("long values are quoted as the coercer cuts them", () => {
    // Prepare
    const out: CoercedValue[] = [];
    const long = "y".repeat(200);
    // Act
    const rejection = recordCoercer({ ...EVENTS, columns: [EVENTS.columns[1]!] })({ user_id: long }, out);
    // Assess
    const quoted = JSON.stringify(long).slice(0, DESCRIBE_LIMITS.keep) + DESCRIBE_LIMITS.ellipsis;
    expect(rejection?.detail.endsWith(`got ${quoted}`)).toBe(true);
    expect(quoted.length).toBe(DESCRIBE_LIMITS.maxLength);
  });

  test.each(["2026-11-20T10:00:00Z", "0099-01-05T00:00:00Z", "1970-01-01T00:00:00Z", "2400-02-29T23:59:59Z"])("the partition template writes dailyPartition's path (%s)", (instant) => {
    // Prepare
    const date = new Date(instant);
    const { widths } = PARTITION_TEMPLATE;
    // Act
    const path = PARTITION_TEMPLATE.template
      .replace("{year}", String(date.getUTCFullYear()).padStart(widths.year, "0"))
      .replace("{month}", String(date.getUTCMonth() + 1).padStart(widths.month, "0"))
      .replace("{day}", String(date.getUTCDate()).padStart(widths.day, "0"));
    // Assess
    expect(path).toBe(dailyPartition(date));
  });

  test("rejected lines have the contract's field order", async () => {
    // Prepare
    const store = memoryStore();
    const input = Readable.from([Buffer.from('{"event_id":"e","user_id":"x","event_timestamp":"2026-11-20T10:00:00Z","event_type":"a"}\n[1]\n')]);
    // Act
    const result = await convertRecords(input, {
      dataset: EVENTS,
      encoding: { format: "jsonl", gzip: false },
      name: "n",
      sourceKey: "raw/events/n.jsonl",
      landedAt: new Date("2026-11-20T00:00:00Z"),
      openSink: store.openSink,
      codec: await loadParquetCodec(),
    });
    // Assess
    const lines = store.objects.get(result.rejectedKey!)!.toString("utf8").trim().split("\n").map((line) => Object.keys(JSON.parse(line) as object));
    expect(lines[0]).toEqual([...REJECTED_FIELDS]);
    expect(lines[1]).toEqual(REJECTED_FIELDS.filter((field) => field !== "column"));
  });
});
