/**
 * A minimal Athena query runner for the smoke test: start in a workgroup, poll with a deadline,
 * read the first page of results. Fails with Athena's own reason.
 */
import { GetQueryExecutionCommand, GetQueryResultsCommand, StartQueryExecutionCommand, type AthenaClient } from "@aws-sdk/client-athena";

export interface AthenaQuery {
  readonly sql: string;
  readonly workgroup: string;
  readonly database: string;
}

export interface PollTiming {
  /** Milliseconds until the wait gives up. */
  readonly deadlineMs: number;
  readonly pollIntervalMs: number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly now: () => number;
}

/**
 * Runs a query and returns its rows (header row first, as Athena returns them) as strings.
 *
 * @example const rows = await runAthenaQuery(athena, { sql: "SELECT 1", workgroup: "wg", database: "db" }, timing);
 */
export async function runAthenaQuery(athena: AthenaClient, query: AthenaQuery, timing: PollTiming): Promise<string[][]> {
  const started = await athena.send(
    new StartQueryExecutionCommand({ QueryString: query.sql, WorkGroup: query.workgroup, QueryExecutionContext: { Database: query.database } }),
  );
  const queryExecutionId = started.QueryExecutionId;
  if (!queryExecutionId) throw new Error("Athena started no query execution");
  const giveUpAt = timing.now() + timing.deadlineMs;
  for (;;) {
    const execution = await athena.send(new GetQueryExecutionCommand({ QueryExecutionId: queryExecutionId }));
    const status = execution.QueryExecution?.Status;
    if (status?.State === "SUCCEEDED") break;
    if (status?.State === "FAILED" || status?.State === "CANCELLED") {
      throw new Error(`Athena query ${queryExecutionId} ${status.State}: ${status.StateChangeReason ?? "no reason given"}`);
    }
    if (timing.now() >= giveUpAt) throw new Error(`Athena query ${queryExecutionId} not finished within ${timing.deadlineMs} ms (state ${status?.State ?? "unknown"})`);
    await timing.sleep(timing.pollIntervalMs);
  }
  const results = await athena.send(new GetQueryResultsCommand({ QueryExecutionId: queryExecutionId }));
  return (results.ResultSet?.Rows ?? []).map((row) => (row.Data ?? []).map((datum) => datum.VarCharValue ?? ""));
}
