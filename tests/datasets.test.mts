/**
 * The dataset registry's rules (`registryProblems`), which the program checks before anything else,
 * and the sample rows generated from a dataset's columns.
 */
import { describe, expect, test } from "vitest";
import { DATASETS, EVENTS, MAX_SILENCE_HOURS, USERS, registryProblems, type DatasetDefinition } from "../handlers/datasets.js";
import { encodeRows, sampleRows } from "./harness/sample-data.js";
import { runProgram } from "./harness/program.js";

/** A valid dataset to break one rule at a time. */
function dataset(overrides: Partial<DatasetDefinition> = {}): DatasetDefinition {
  return {
    name: "orders",
    description: "Orders.",
    columns: [
      { name: "order_id", type: "string", required: true, description: "Id." },
      { name: "ordered_at", type: "timestamp", required: true, description: "When." },
    ],
    partitionColumn: "ordered_at",
    formats: ["jsonl"],
    ...overrides,
  };
}

describe("registryProblems", () => {
  test("the shipped registry keeps every rule", () => {
    expect(registryProblems(DATASETS)).toEqual([]);
  });

  test.each<[string, Partial<DatasetDefinition>, RegExp]>([
    ["an upper-case name", { name: "Orders" }, /^Orders: the name must be lower case/],
    ["no formats", { formats: [] }, /^orders: accepts no raw format$/],
    ["a column named like a partition key", { columns: [...dataset().columns, { name: "day", type: "int", required: false, description: "d" }] }, /^orders: column day has the name of a partition key/],
    ["a partition column that is not a column", { partitionColumn: "created_at" }, /^orders: partitionColumn created_at is not one of its columns$/],
    ["a partition column that is not a required timestamp", { partitionColumn: "order_id" }, /^orders: partitionColumn order_id must be a required timestamp column$/],
    ["maxSilenceHours of 0", { maxSilenceHours: 0 }, new RegExp(`^orders: maxSilenceHours 0 is not a whole number of hours from 1 to ${MAX_SILENCE_HOURS}$`)],
    ["maxSilenceHours past CloudWatch's 7 days", { maxSilenceHours: MAX_SILENCE_HOURS + 1 }, /maxSilenceHours 169/],
    ["fractional maxSilenceHours", { maxSilenceHours: 1.5 }, /maxSilenceHours 1.5/],
  ])("names %s", (_, overrides, expected) => {
    const problems = registryProblems([dataset(overrides)]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(expected);
  });

  test("names a dataset registered twice and a column declared twice", () => {
    const twice = dataset({ columns: [...dataset().columns, dataset().columns[0]!] });
    expect(registryProblems([twice, dataset()])).toEqual(["orders: registered more than once", "orders: column order_id is declared more than once"]);
  });
});

describe("the program with an invalid registry", () => {
  test("stops before declaring anything, naming every problem", async () => {
    const broken = dataset({ name: "orders", partitionColumn: "order_id", maxSilenceHours: 500 });

    const previewed = runProgram("dev", {}, { extraDatasets: [broken] });

    await expect(previewed).rejects.toThrow(
      "Invalid dataset registry (handlers/datasets.ts):\n  - orders: partitionColumn order_id must be a required timestamp column\n  - orders: maxSilenceHours 500 is not a whole number of hours from 1 to 168",
    );
  });
});

describe("sampleRows", () => {
  test("gives every required column a value, leaves optional ones out of every fourth row, and puts timestamps on the day", () => {
    const rows = sampleRows(USERS, { count: 4, day: "2026-10-31", idPrefix: "t" });

    expect(rows[0]).toEqual({ user_id: 1, email: "t-email-0", name: "t-name-0", country: "t-country-0", signup_timestamp: "2026-10-31T00:00:00Z" });
    expect(rows[3]).toEqual({ user_id: 4, email: "t-email-3" });
  });

  test("are distinct across batches by their prefix", () => {
    const ids = (prefix: string) => sampleRows(EVENTS, { count: 3, idPrefix: prefix }).map((row) => row.event_id);
    expect(ids("a")).not.toEqual(ids("b"));
  });

  test("encode as CSV with a header of every column, missing values as empty fields", () => {
    const csv = encodeRows(USERS, sampleRows(USERS, { count: 4, idPrefix: "t" }), "csv").split("\n");
    expect(csv[0]).toBe("user_id,email,name,country,signup_timestamp");
    expect(csv[4]).toBe("4,t-email-3,,,");
  });
});
