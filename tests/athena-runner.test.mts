import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { AthenaClient, CreateWorkGroupCommand } from "@aws-sdk/client-athena";
import { clientConfig, startEndpoint, type AwsEndpoint } from "./harness/emulator.js";
import { AthenaQueryError, backoffDelays, fetchResults, runQuery, runStatement } from "../handlers/athena.js";
import { executionStates, fakeClock, resultPage, scriptedClient, type RecordedCommand } from "./athena-fakes.js";

const QUERY = { sql: "SELECT event_type, count(*) AS events FROM datalake_dev.events GROUP BY event_type", workGroup: "datalake-dev", database: "datalake_dev" };

describe("backoffDelays", () => {
  test("doubles from the initial delay and stays at the cap", () => {
    const next = backoffDelays({ initialDelayMs: 100, maxDelayMs: 700, backoffFactor: 2 });
    expect(Array.from({ length: 6 }, () => next())).toEqual([100, 200, 400, 700, 700, 700]);
  });
});

describe("runQuery", () => {
  test("starts in the workgroup, polls with backoff until SUCCEEDED, and returns typed rows without the header", async () => {
    // Prepare
    const log: RecordedCommand[] = [];
    const clock = fakeClock();
    const athena = scriptedClient("athena", log, {
      StartQueryExecutionCommand: () => ({ QueryExecutionId: "q-1" }),
      GetQueryExecutionCommand: executionStates(["QUEUED", "RUNNING", "RUNNING", "SUCCEEDED"]),
      GetQueryResultsCommand: () => resultPage(["event_type", "events"], [["page_view", "3"], ["purchase", null]], { header: true }),
    });

    // Act
    const result = await runQuery(athena as never, QUERY, { deadline: clock.now() + 60_000, now: clock.now, sleep: clock.sleep, initialDelayMs: 250 });

    // Assess
    expect(result.queryExecutionId).toBe("q-1");
    expect(result.columns).toEqual(["event_type", "events"]);
    expect(result.rows).toEqual([
      { event_type: "page_view", events: "3" },
      { event_type: "purchase", events: null },
    ]);
    expect(clock.sleeps).toEqual([250, 500, 1000]);
    expect(log[0]).toEqual({
      client: "athena",
      command: "StartQueryExecutionCommand",
      input: { QueryString: QUERY.sql, WorkGroup: "datalake-dev", QueryExecutionContext: { Database: "datalake_dev" } },
    });
    expect(log.map((call) => call.command)).toEqual([
      "StartQueryExecutionCommand",
      ...Array(4).fill("GetQueryExecutionCommand"),
      "GetQueryResultsCommand",
    ]);
  });

  test("reads every page, dropping the header row of the first page only", async () => {
    // Prepare
    const log: RecordedCommand[] = [];
    const clock = fakeClock();
    const pages: Record<string, ReturnType<typeof resultPage>> = {
      first: resultPage(["n"], [["1"], ["2"]], { header: true, nextToken: "t2" }),
      t2: resultPage(["n"], [["n"], ["3"]], { header: false, nextToken: "t3" }),
      t3: resultPage(["n"], [["4"]], { header: false }),
    };
    const athena = scriptedClient("athena", log, {
      StartQueryExecutionCommand: () => ({ QueryExecutionId: "q-pages" }),
      GetQueryExecutionCommand: executionStates(["SUCCEEDED"]),
      GetQueryResultsCommand: (input) => pages[(input.NextToken as string | undefined) ?? "first"],
    });

    // Act
    const result = await runQuery(athena as never, QUERY, { deadline: clock.now() + 1_000, now: clock.now, sleep: clock.sleep });

    // Assess: a later row that happens to equal the header is data
    expect(result.rows.map((row) => row.n)).toEqual(["1", "2", "n", "3", "4"]);
    expect(log.filter((call) => call.command === "GetQueryResultsCommand").map((call) => call.input.NextToken)).toEqual([undefined, "t2", "t3"]);
    expect(clock.sleeps).toEqual([]);
  });

  test("fails with Athena's own reason when the query FAILED, without reading results", async () => {
    // Prepare
    const log: RecordedCommand[] = [];
    const clock = fakeClock();
    const reason = "COLUMN_NOT_FOUND: line 1:8: Column 'event_kind' cannot be resolved";
    const athena = scriptedClient("athena", log, {
      StartQueryExecutionCommand: () => ({ QueryExecutionId: "q-bad" }),
      GetQueryExecutionCommand: executionStates(["RUNNING", { state: "FAILED", reason }]),
    });

    // Act
    const outcome = runQuery(athena as never, QUERY, { deadline: clock.now() + 60_000, now: clock.now, sleep: clock.sleep });

    // Assess
    await expect(outcome).rejects.toThrow(`Athena query q-bad failed: ${reason}`);
    await expect(outcome).rejects.toMatchObject({ name: "AthenaQueryError", state: "FAILED", reason, queryExecutionId: "q-bad" });
    expect(log.some((call) => call.command === "GetQueryResultsCommand")).toBe(false);
  });

  test("fails when the query was CANCELLED", async () => {
    const clock = fakeClock();
    const athena = scriptedClient("athena", [], {
      StartQueryExecutionCommand: () => ({ QueryExecutionId: "q-cancelled" }),
      GetQueryExecutionCommand: executionStates([{ state: "CANCELLED", reason: "Query cancelled by user" }]),
    });
    const outcome = runQuery(athena as never, QUERY, { deadline: clock.now() + 60_000, now: clock.now, sleep: clock.sleep });
    await expect(outcome).rejects.toThrow("Athena query q-cancelled was cancelled: Query cancelled by user");
    await expect(outcome).rejects.toBeInstanceOf(AthenaQueryError);
  });

  test("stops the query and fails with TIMEOUT when it outlives its deadline", async () => {
    // Prepare: a query that never leaves RUNNING, a 10 s deadline
    const log: RecordedCommand[] = [];
    const clock = fakeClock();
    const deadline = clock.now() + 10_000;
    const athena = scriptedClient("athena", log, {
      StartQueryExecutionCommand: () => ({ QueryExecutionId: "q-slow" }),
      GetQueryExecutionCommand: executionStates(["RUNNING"]),
      StopQueryExecutionCommand: () => ({}),
    });

    // Act
    const outcome = runStatement(athena as never, QUERY, { deadline, now: clock.now, sleep: clock.sleep, initialDelayMs: 1_000, maxDelayMs: 4_000 });

    // Assess: slept 1 + 2 + 4 s, the next 4 s pause would pass the deadline
    await expect(outcome).rejects.toMatchObject({ state: "TIMEOUT", queryExecutionId: "q-slow" });
    await expect(outcome).rejects.toThrow(/did not finish before its deadline \(last state RUNNING\)/);
    expect(clock.sleeps).toEqual([1_000, 2_000, 4_000]);
    expect(clock.now()).toBeLessThanOrEqual(deadline);
    expect(log.at(-1)).toEqual({ client: "athena", command: "StopQueryExecutionCommand", input: { QueryExecutionId: "q-slow" } });
  });
});

describe("fetchResults", () => {
  test("gives no columns and no rows for a statement without a result set", async () => {
    const athena = scriptedClient("athena", [], { GetQueryResultsCommand: () => ({ ResultSet: { Rows: [], ResultSetMetadata: { ColumnInfo: [] } } }) });
    expect(await fetchResults(athena as never, "q-unload", { headerRow: true })).toEqual({ columns: [], rows: [] });
  });

  test("keeps the first row of a DDL statement's results, which has no header", async () => {
    const log: RecordedCommand[] = [];
    const clock = fakeClock();
    const athena = scriptedClient("athena", log, {
      StartQueryExecutionCommand: () => ({ QueryExecutionId: "q-show" }),
      GetQueryExecutionCommand: executionStates(["SUCCEEDED"], "DDL"),
      GetQueryResultsCommand: () => resultPage(["tab_name"], [["events"], ["users"]], { header: false }),
    });
    const result = await runQuery(athena as never, { sql: "SHOW TABLES", workGroup: "datalake-dev" }, { deadline: clock.now() + 1_000, now: clock.now, sleep: clock.sleep });
    expect(result.rows).toEqual([{ tab_name: "events" }, { tab_name: "users" }]);
  });
});

describe("runQuery against the local endpoint", () => {
  let endpoint: AwsEndpoint;
  beforeAll(async () => {
    endpoint = await startEndpoint();
  });
  afterAll(async () => {
    await endpoint?.stop();
  });

  test("speaks the real Athena API: starts in the workgroup and reads typed rows", async () => {
    // Prepare: the workgroup, and the result the emulator will serve for the next query
    const athena = new AthenaClient(clientConfig(endpoint));
    await athena.send(new CreateWorkGroupCommand({ Name: "datalake-dev" }));
    const cell = (value: string) => ({ VarCharValue: value });
    const queued = await endpoint.motoApi("/moto-api/static/athena/query-results", {
        region: endpoint.region,
        results: [
          {
            column_info: [{ Name: "event_type", Type: "varchar" }, { Name: "events", Type: "bigint" }],
            rows: [{ Data: [cell("event_type"), cell("events")] }, { Data: [cell("page_view"), cell("3")] }, { Data: [cell("purchase"), {}] }],
          },
        ],
    });
    expect(queued.status).toBe(201);

    // Act
    const result = await runQuery(athena, QUERY, { deadline: Date.now() + 10_000, initialDelayMs: 10 });

    // Assess
    expect(result.columns).toEqual(["event_type", "events"]);
    expect(result.rows).toEqual([
      { event_type: "page_view", events: "3" },
      { event_type: "purchase", events: null },
    ]);
    expect(result.execution.Query).toBe(QUERY.sql);
  });
});
