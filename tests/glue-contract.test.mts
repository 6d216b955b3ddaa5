/**
 * The contract handed to the Glue job says what the TypeScript does: its wording, limits, layout and
 * field order are checked against the coercer, the readers, the output naming and a conversion's
 * rejected lines.
 */
import { Readable } from "node:stream";
import { describe, expect, test } from "vitest";
import { describe as describeValue, recordCoercer, type CoercedValue } from "../handlers/coerce.js";
import { convertRecords } from "../handlers/convert.js";
import { DATASETS, EVENTS, USERS, type DatasetDefinition } from "../handlers/datasets.js";
import { PARTITION_TEMPLATE, REJECTED_FIELDS, glueContract, type GlueContract } from "../handlers/glue-contract.js";
import { loadParquetCodec } from "../handlers/parquet.js";
import type { RawEncoding } from "../handlers/outputs.js";
import { dailyPartition } from "../storage/zones.js";
import { memoryStore } from "./harness/sinks.js";

/** A value that never fits any column type but a string's. */
const NOT_A_VALUE = [1, 2];

/** A contract template with its `{name}` placeholders filled, as the job fills them. */
function fill(template: string, values: Readonly<Record<string, string | number>>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in values ? String(values[name]) : whole));
}

/** Every wording template of a contract: a detail the processor writes must be one of them, filled. */
function templates(contract: GlueContract): string[] {
  const { messages } = contract.coercion;
  return [
    messages.missingRequired,
    messages.invalidValue,
    messages.loneSurrogate,
    messages.mapKeyRepeated,
    messages.keyRepeated,
    ...Object.values(contract.reading.messages),
    contract.partition.outOfRange,
  ];
}

function templatePattern(template: string): RegExp {
  const escaped = template.replace(/[.*+?^$()|[\]\\]/g, "\\$&");
  return new RegExp(`^${escaped.replace(/\\?\{\w+\\?\}|\{\w+\}/g, "[^]*?")}$`);
}

const codec = await loadParquetCodec();

/** The rejected lines of a conversion of `body` with the given limits. */
async function rejectedLines(dataset: DatasetDefinition, encoding: RawEncoding, body: string | Buffer, limits: { maxRecordBytes: number; first: number; last: number }): Promise<Record<string, unknown>[]> {
  const store = memoryStore();
  const result = await convertRecords(Readable.from([Buffer.from(body)]), {
    dataset,
    encoding,
    name: "n",
    sourceKey: `raw/${dataset.name}/n`,
    landedAt: new Date("2026-11-20T00:00:00Z"),
    openSink: store.openSink,
    codec,
    maxRecordBytes: limits.maxRecordBytes,
    partitionYears: { first: limits.first, last: limits.last },
  });
  return store.objects.get(result.rejectedKey!)!.toString("utf8").trim().split("\n").map((line) => JSON.parse(line) as Record<string, unknown>);
}

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

  test("carries the limits it is given, and the engine's defaults otherwise", () => {
    // Act
    const given = glueContract(DATASETS, { maxRecordBytes: 4096, partitionYears: { first: 2024, last: 2035 } });
    const defaults = glueContract();
    // Assess
    expect([given.reading.maxRecordBytes, given.partition.years]).toEqual([4096, { first: 2024, last: 2035 }]);
    expect([defaults.reading.maxRecordBytes, defaults.partition.years]).toEqual([1024 * 1024, null]);
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
      expect(rejection?.detail).toBe(fill(glueContract().coercion.messages.missingRequired, { column: column.name }));
    },
  );

  test.each(DATASETS.flatMap((dataset) => dataset.columns.filter((column) => column.type !== "string").map((column) => [`${dataset.name}.${column.name}`, dataset, column] as const)))(
    "the invalid-value wording is the coercer's (%s)",
    (_label, dataset, column) => {
      // Prepare
      const out: CoercedValue[] = [];
      const contract = glueContract();
      const expected = contract.datasets[dataset.name]!.columns.find((candidate) => candidate.name === column.name)!.expected;
      const value = fill(contract.coercion.describe.array, { count: NOT_A_VALUE.length });
      // Act
      const rejection = recordCoercer({ ...dataset, columns: [column] })({ [column.name]: NOT_A_VALUE }, out);
      // Assess
      expect(rejection?.detail).toBe(fill(contract.coercion.messages.invalidValue, { column: column.name, expected, value }));
    },
  );

  test("values are described with the contract's wording: one item, many keys, cut keys, cut strings", () => {
    // Prepare
    const { describe } = glueContract().coercion;
    const keys = ["a", "k".repeat(25), "c", "d"];
    const long = "y".repeat(200);
    // Act
    const described = [describeValue([7]), describeValue(Object.fromEntries(keys.map((key) => [key, 1]))), describeValue(long)];
    // Assess
    const shown = [`"a"`, JSON.stringify(`${"k".repeat(describe.keyChars)}${describe.keyEllipsis}`), `"c"`].join(describe.keySeparator);
    expect(described).toEqual([
      describe.arrayOfOne,
      fill(describe.object, { keys: shown, more: fill(describe.moreKeys, { count: keys.length }) }),
      JSON.stringify(long).slice(0, describe.maxChars - describe.ellipsis.length) + describe.ellipsis,
    ]);
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
    // Act
    const lines = await rejectedLines(EVENTS, { format: "jsonl", gzip: false }, '{"event_id":"e","user_id":"x","event_timestamp":"2026-11-20T10:00:00Z","event_type":"a"}\n[1]\n', { maxRecordBytes: 4096, first: 2000, last: 2100 });
    // Assess
    expect(Object.keys(lines[0]!)).toEqual([...REJECTED_FIELDS]);
    expect(Object.keys(lines[1]!)).toEqual(REJECTED_FIELDS.filter((field) => field !== "column"));
  });

  test("every detail the processor's readers, coercer and partition writers write is a template of the contract, filled", async () => {
    // Prepare: one rejection of each kind the job words from the contract
    const limits = { maxRecordBytes: 1024, first: 2000, last: 2100 };
    const event = (fields: string) => `{"event_id":"e","user_id":1,"event_timestamp":"2026-11-20T10:00:00Z","event_type":"a"${fields}}`;
    const jsonLines = Buffer.concat([
      Buffer.from(
        [
          "[1]",
          `{"event_id":"${"L".repeat(2000)}"}`,
          event(',"event_id":"again"'),
          '{"event_id":"\\ud800","user_id":1,"event_timestamp":"2026-11-20T10:00:00Z","event_type":"a"}',
          '{"event_id":"e","user_id":1,"event_timestamp":"1999-11-20T10:00:00Z","event_type":"a"}',
          '{"user_id":1}',
          '{"event_id":"e","user_id":[1,2],"event_timestamp":"2026-11-20T10:00:00Z","event_type":"a"}',
          "",
        ].join("\n"),
      ),
      Buffer.from([0x7b, 0xff, 0x7d, 0x0a]),
    ]);
    const array = Buffer.concat([Buffer.from(`[${event("")},,"x",${event(',"properties":{"k":"1","k":"2"}')},"`), Buffer.from([0xff]), Buffer.from('"] trailing')]);
    const arrayTooLarge = `[{"event_id":"${"L".repeat(2000)}"}]`;
    const csv = ['user_id,email,user_id', "1,a,1", ""].join("\n");
    const csvRows = ["user_id,email,name", '1,"a"b,c', '2,a"b,c', "3,a", '6,"a\nb"', `4,"${"x\n".repeat(600)}",c`, '5,"open', ""].join("\n");
    const headerless = "1,2\n";
    const mapText = 'event_id,user_id,event_timestamp,event_type,properties\ne,1,2026-11-20T10:00:00Z,a,"{""k"":""1"",""k"":""2""}"\n';
    const contract = glueContract(DATASETS, { maxRecordBytes: limits.maxRecordBytes, partitionYears: { first: limits.first, last: limits.last } });
    const patterns = templates(contract).map(templatePattern);
    // Act
    const details = [
      ...(await rejectedLines(EVENTS, { format: "jsonl", gzip: false }, jsonLines, limits)),
      ...(await rejectedLines(EVENTS, { format: "jsonl", gzip: false, jsonDocument: true }, array, limits)),
      ...(await rejectedLines(EVENTS, { format: "jsonl", gzip: false, jsonDocument: true }, arrayTooLarge, limits)),
      ...(await rejectedLines(USERS, { format: "csv", gzip: false }, csv, limits)),
      ...(await rejectedLines(USERS, { format: "csv", gzip: false }, csvRows, limits)),
      ...(await rejectedLines(USERS, { format: "csv", gzip: false }, headerless, limits)),
      ...(await rejectedLines(EVENTS, { format: "csv", gzip: false }, mapText, limits)),
    ]
      // JSON.parse's own messages are the engine's wording, not the contract's.
      .filter((line) => line.reason !== "malformed_json" || [contract.reading.messages.elementEmpty, contract.reading.messages.afterArray].includes(String(line.detail)))
      .map((line) => String(line.detail));
    // Assess: each detail is a template filled, and each template was produced
    for (const detail of details) expect(patterns.some((pattern) => pattern.test(detail)), detail).toBe(true);
    templates(contract).forEach((template, index) => expect(details.some((detail) => patterns[index]!.test(detail)), template).toBe(true));
  });
});
