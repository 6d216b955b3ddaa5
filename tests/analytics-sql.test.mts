/**
 * The lake's tables and SQL, checked against an independent engine: DuckDB parses every named query
 * and the curated job's SELECTs (json_serialize_sql gives the syntax tree), then runs them over
 * in-memory tables built from the Glue table definitions, so a query that names a missing column or
 * a table that lacks one fails here.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { DATASETS } from "../handlers/datasets.js";
import { CURATED_AGGREGATES, EVENTS_DAILY_BY_TYPE } from "../handlers/curated.js";
import { EXAMPLE_DAY, executionParameters, namedQueries } from "../analytics/queries.js";
import { DUCKDB_TYPES } from "./harness/lake-reader.js";
import { lakeTables, type GlueTableDefinition } from "../analytics/tables.js";

const DATABASE = "datalake_dev";
const TABLES = lakeTables({ lakeBucket: "lake", projectionYears: { first: 2024, last: 2035 } });


function createTableSql(table: GlueTableDefinition): string {
  const columns = [...table.storageDescriptor.columns, ...table.partitionKeys].map((column) => {
    const type = DUCKDB_TYPES[column.type];
    if (!type) throw new Error(`No DuckDB type for ${column.type}`);
    return `"${column.name}" ${type}`;
  });
  return `CREATE TABLE ${DATABASE}."${table.name}" (${columns.join(", ")})`;
}

interface SyntaxNode {
  readonly [key: string]: unknown;
}

/** Every node of a DuckDB syntax tree (json_serialize_sql) matching `predicate`. */
function findNodes(node: unknown, predicate: (node: SyntaxNode) => boolean, found: SyntaxNode[] = []): SyntaxNode[] {
  if (Array.isArray(node)) node.forEach((child) => findNodes(child, predicate, found));
  else if (node && typeof node === "object") {
    if (predicate(node as SyntaxNode)) found.push(node as SyntaxNode);
    Object.values(node).forEach((child) => findNodes(child, predicate, found));
  }
  return found;
}

let connection: DuckDBConnection;

async function parse(sql: string): Promise<SyntaxNode> {
  const reader = await connection.runAndReadAll(`SELECT json_serialize_sql(${`'${sql.replace(/'/g, "''")}'`})`);
  const tree = JSON.parse(String(reader.getRows()[0]![0])) as { error: boolean; error_message?: string; statements: { node: SyntaxNode }[] };
  if (tree.error) throw new Error(`DuckDB could not parse: ${tree.error_message}\n${sql}`);
  expect(tree.statements).toHaveLength(1);
  return tree.statements[0]!.node;
}

/** The day the SQL tests' sample rows are about. */

/** Runs SQL; `parameters` fill its `?` placeholders as text, as Athena's `ExecutionParameters` do. */
async function rows(sql: string, parameters?: readonly string[]): Promise<Record<string, unknown>[]> {
  const reader = parameters ? await connection.runAndReadAll(sql, [...parameters]) : await connection.runAndReadAll(sql);
  return reader.getRowObjectsJson() as Record<string, unknown>[];
}

/** The columns compared with `?` placeholders in a WHERE clause, in placeholder order. */
function parameterColumns(where: unknown): string[] {
  const comparisons = findNodes(where, (node) => node.class === "COMPARISON" && node.type === "COMPARE_EQUAL");
  const byPlaceholder: Array<[number, string]> = [];
  for (const comparison of comparisons) {
    const left = comparison.left as SyntaxNode;
    const right = comparison.right as SyntaxNode;
    if (left.class === "COLUMN_REF" && right.class === "PARAMETER") {
      const names = left.column_names as string[];
      byPlaceholder.push([Number(right.identifier), names[names.length - 1]!]);
    }
  }
  return byPlaceholder.sort((a, b) => a[0] - b[0]).map(([, column]) => column);
}

beforeAll(async () => {
  const instance = await DuckDBInstance.create(":memory:");
  connection = await instance.connect();
  await connection.run(`CREATE SCHEMA ${DATABASE}`);
  for (const table of TABLES) await connection.run(createTableSql(table));
  // Two days of events by three users; user 3 has no users row.
  await connection.run(`INSERT INTO ${DATABASE}.events VALUES
    ('e1', 1, TIMESTAMP '2026-11-01 08:00:00', 'page_view', MAP {'path': '/'}, 2026, 11, 1),
    ('e2', 1, TIMESTAMP '2026-11-01 08:01:00', 'page_view', NULL, 2026, 11, 1),
    ('e3', 2, TIMESTAMP '2026-11-01 09:00:00', 'page_view', NULL, 2026, 11, 1),
    ('e4', 2, TIMESTAMP '2026-11-01 09:05:00', 'purchase', MAP {'sku': 'A1'}, 2026, 11, 1),
    ('e5', 3, TIMESTAMP '2026-11-02 10:00:00', 'purchase', NULL, 2026, 11, 2)`);
  await connection.run(`INSERT INTO ${DATABASE}.users VALUES
    (1, 'ada@example.com', 'Ada', 'GB', TIMESTAMP '2026-01-01 00:00:00'),
    (2, 'lin@example.com', 'Lin', 'SG', NULL)`);
  await connection.run(`INSERT INTO ${DATABASE}.rejected VALUES
    ('raw/events/a.jsonl', 3, 'missing_required_field', '{"event_id":"x"}', 'events', 2026, 11, 1),
    ('raw/events/a.jsonl', 7, 'missing_required_field', '{}', 'events', 2026, 11, 1),
    ('raw/events/b.csv', 2, 'invalid_timestamp', 'x,y', 'events', 2026, 11, 2),
    ('raw/users/u.jsonl', 1, 'invalid_int', '{"user_id":"a"}', 'users', 2026, 11, 2),
    ('raw/events/old.jsonl', 1, 'invalid_timestamp', '{}', 'events', 2026, 10, 31)`);
});

afterAll(() => {
  connection?.closeSync();
});

describe("the named queries", () => {
  const queries = namedQueries(DATABASE);

  test("are the seed's two analyses and the rejected-rows view", () => {
    expect(queries.map((query) => query.name)).toEqual(["events per type for one day", "events per user joined with users", "rejected rows per day and reason"]);
  });

  test.each(queries.map((query) => [query.name, query] as const))("%s: SELECT … FROM <database>.<table> … WHERE <partition columns> … GROUP BY …", async (_, query) => {
    const tree = await parse(query.sql);
    expect(tree.type).toBe("SELECT_NODE");
    const tables = findNodes(tree.from_table, (node) => node.type === "BASE_TABLE");
    expect(tables.length).toBeGreaterThan(0);
    for (const table of tables) {
      expect(table.schema_name).toBe(DATABASE);
      expect(TABLES.map((candidate) => candidate.name)).toContain(table.table_name);
    }
    expect((tree.group_expressions as unknown[]).length).toBeGreaterThan(0);
    // Each placeholder is a partition column, in the order the query declares its parameters.
    expect(parameterColumns(tree.where_clause)).toEqual(query.parameters);
  });

  test("no day is written into a saved query: every partition filter is a parameter", () => {
    for (const query of queries) expect(query.sql).not.toMatch(/\b(year|month|day)\s*=\s*\d/);
  });

  test("the per-day analyses filter on the day's partition of events, so projection reads one day", () => {
    for (const query of queries.slice(0, 2)) expect(query.parameters).toEqual(["year", "month", "day"]);
    expect(executionParameters(queries[0]!, EXAMPLE_DAY)).toEqual(["2026", "11", "1"]);
    expect(executionParameters(queries[2]!, EXAMPLE_DAY)).toEqual(["2026", "11"]);
  });

  test("events per type for one day counts only that day", async () => {
    expect(await rows(queries[0]!.sql, executionParameters(queries[0]!, EXAMPLE_DAY))).toEqual([
      { event_type: "page_view", events: "3" },
      { event_type: "purchase", events: "1" },
    ]);
  });

  test("events per user joins users on user_id", async () => {
    expect(await rows(queries[1]!.sql, executionParameters(queries[1]!, EXAMPLE_DAY))).toEqual([
      { user_id: 1, email: "ada@example.com", country: "GB", events: "2" },
      { user_id: 2, email: "lin@example.com", country: "SG", events: "2" },
    ]);
  });

  test("rejected rows per day and reason counts the month's rejections per dataset, day and reason", async () => {
    expect(await rows(queries[2]!.sql, executionParameters(queries[2]!, EXAMPLE_DAY))).toEqual([
      { dataset: "events", year: 2026, month: 11, day: 1, reason: "missing_required_field", rejected_rows: "2" },
      { dataset: "events", year: 2026, month: 11, day: 2, reason: "invalid_timestamp", rejected_rows: "1" },
      { dataset: "users", year: 2026, month: 11, day: 2, reason: "invalid_int", rejected_rows: "1" },
    ]);
  });
});

describe("the curated aggregates", () => {
  test.each(CURATED_AGGREGATES.map((aggregate) => [aggregate.name, aggregate] as const))("%s: its SELECT yields exactly its table's columns", async (_, aggregate) => {
    const reader = await connection.runAndReadAll(aggregate.select(DATABASE, EXAMPLE_DAY));
    const table = TABLES.find((candidate) => candidate.name === aggregate.name)!;
    expect(reader.columnNames()).toEqual(table.storageDescriptor.columns.map((column) => column.name));
  });

  test("events_daily_by_type counts events and distinct users of one day", async () => {
    const result = await rows(`${EVENTS_DAILY_BY_TYPE.select(DATABASE, EXAMPLE_DAY)} ORDER BY event_type`);
    expect(result).toEqual([
      { event_type: "page_view", events: "3", users: "2" },
      { event_type: "purchase", events: "1", users: "1" },
    ]);
  });
});

describe("every registry column type", () => {
  test("is an Athena DDL type the tables can declare", () => {
    for (const dataset of DATASETS) for (const column of dataset.columns) expect(Object.keys(DUCKDB_TYPES)).toContain(column.type);
  });
});

describe("lakeTables", () => {
  const years = { first: 2024, last: 2035 };
  const column = (name: string) => ({ name, type: "string" as const, required: false, description: name });

  test("a dataset that gains a column gains it in its table, in the registry's order", () => {
    const extended = { ...DATASETS[0]!, columns: [...DATASETS[0]!.columns, column("session_id")] };
    const table = lakeTables({ lakeBucket: "lake", projectionYears: years, datasets: [extended, ...DATASETS.slice(1)] })[0]!;
    expect(table.storageDescriptor.columns.map((candidate) => candidate.name)).toEqual([...DATASETS[0]!.columns.map((candidate) => candidate.name), "session_id"]);
  });

  test("refuses a partitioned dataset with a column named like a partition key", () => {
    const clashing = { ...DATASETS[0]!, columns: [...DATASETS[0]!.columns, column("day")] };
    expect(() => lakeTables({ lakeBucket: "lake", projectionYears: years, datasets: [clashing] })).toThrow("Table events: column day has the name of a partition key; rename it in the registry");
  });

  test("refuses two tables with one name", () => {
    const clashing = { ...DATASETS[0]!, name: "rejected", partitionColumn: undefined };
    expect(() => lakeTables({ lakeBucket: "lake", projectionYears: years, datasets: [clashing] })).toThrow("Two lake tables are named rejected");
  });
});

describe("the README", () => {
  test("shows every named query with its exact SQL, as saved in dev", async () => {
    const { readFileSync } = await import("node:fs");
    const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
    for (const query of namedQueries(DATABASE)) expect(readme).toContain(`| ${query.name} | \`${query.sql}\` |`);
  });
});
