/**
 * A small, typed Athena query runner: start a query in a workgroup, wait for it with exponential
 * backoff until a deadline, read its results page by page. The client, the clock and the sleep are
 * passed in, so the same code runs in Lambda, in tools and against scripted responses in tests.
 *
 * @example
 * ```ts
 * const athena = new AthenaClient({});
 * const { rows } = await runQuery(athena, { sql: "SELECT 1 AS one", workGroup: "datalake-dev" }, { deadline: Date.now() + 60_000 });
 * rows; // [{ one: "1" }]
 * ```
 */
import {
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
  type AthenaClient,
  type QueryExecution,
} from "@aws-sdk/client-athena";

/** The one method of the client the runner uses, so tests can script it. */
export type AthenaSender = Pick<AthenaClient, "send">;

export interface AthenaQuery {
  readonly sql: string;
  /** The workgroup decides the engine, the results location and their encryption (it is enforced). */
  readonly workGroup: string;
  /** Default database for unqualified table names. */
  readonly database?: string;
  /** Makes a retried start return the first execution instead of starting another (Athena keeps it 24 h). */
  readonly clientRequestToken?: string;
}

export interface WaitOptions {
  /** Epoch milliseconds after which the runner stops the query and throws `AthenaQueryTimeoutError`. */
  readonly deadline: number;
  /** First pause between status checks; doubles (by `backoffFactor`) up to `maxDelayMs`. */
  readonly initialDelayMs?: number;
  readonly maxDelayMs?: number;
  readonly backoffFactor?: number;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** One result row, column name → value as Athena returns it (text), `null` for SQL NULL. */
export type ResultRow = Readonly<Record<string, string | null>>;

export interface QueryResult {
  readonly queryExecutionId: string;
  readonly execution: QueryExecution;
  readonly columns: readonly string[];
  readonly rows: readonly ResultRow[];
}

/** A query that ended in FAILED or CANCELLED, or outlived its deadline. The message is Athena's own reason. */
export class AthenaQueryError extends Error {
  constructor(
    message: string,
    readonly queryExecutionId: string,
    readonly state: "FAILED" | "CANCELLED" | "TIMEOUT",
    /** Athena's `StateChangeReason`, verbatim. */
    readonly reason?: string,
  ) {
    super(message);
    // Pulumi serializes classes as functions, where super(message) no longer sets the message.
    this.message = message;
    this.name = "AthenaQueryError";
  }
}

const DEFAULTS = { initialDelayMs: 500, maxDelayMs: 10_000, backoffFactor: 2 } as const;

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts a query and returns its execution id. */
export async function startQuery(athena: AthenaSender, query: AthenaQuery): Promise<string> {
  const response = await athena.send(
    new StartQueryExecutionCommand({
      QueryString: query.sql,
      WorkGroup: query.workGroup,
      ...(query.database ? { QueryExecutionContext: { Database: query.database } } : {}),
      ...(query.clientRequestToken ? { ClientRequestToken: query.clientRequestToken } : {}),
    }),
  );
  if (!response.QueryExecutionId) throw new Error("Athena did not return a query execution id");
  return response.QueryExecutionId;
}

/** The pauses between status checks: initial, ×factor each time, capped. */
export function backoffDelays(options: Pick<WaitOptions, "initialDelayMs" | "maxDelayMs" | "backoffFactor">): () => number {
  let next = options.initialDelayMs ?? DEFAULTS.initialDelayMs;
  const max = options.maxDelayMs ?? DEFAULTS.maxDelayMs;
  const factor = options.backoffFactor ?? DEFAULTS.backoffFactor;
  return () => {
    const current = Math.min(next, max);
    next = current * factor;
    return current;
  };
}

/**
 * Polls until the query SUCCEEDED and returns its execution. Throws `AthenaQueryError` with Athena's
 * `StateChangeReason` on FAILED or CANCELLED; on the deadline, asks Athena to stop the query (so it
 * stops scanning) and throws a TIMEOUT error.
 */
export async function waitForQuery(athena: AthenaSender, queryExecutionId: string, options: WaitOptions): Promise<QueryExecution> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? realSleep;
  const nextDelay = backoffDelays(options);
  for (;;) {
    const { QueryExecution: execution } = await athena.send(new GetQueryExecutionCommand({ QueryExecutionId: queryExecutionId }));
    const state = execution?.Status?.State;
    const reason = execution?.Status?.StateChangeReason;
    if (state === "SUCCEEDED") return execution!;
    if (state === "FAILED") {
      throw new AthenaQueryError(`Athena query ${queryExecutionId} failed: ${reason ?? "no reason given"}`, queryExecutionId, "FAILED", reason);
    }
    if (state === "CANCELLED") {
      throw new AthenaQueryError(`Athena query ${queryExecutionId} was cancelled${reason ? `: ${reason}` : ""}`, queryExecutionId, "CANCELLED", reason);
    }
    const delay = nextDelay();
    if (now() + delay > options.deadline) {
      try {
        await athena.send(new StopQueryExecutionCommand({ QueryExecutionId: queryExecutionId }));
      } catch {
        // Best effort: the timeout below is the error that matters.
      }
      throw new AthenaQueryError(`Athena query ${queryExecutionId} did not finish before its deadline (last state ${state ?? "unknown"})`, queryExecutionId, "TIMEOUT");
    }
    await sleep(delay);
  }
}

export interface FetchOptions {
  /**
   * Whether the first row of the first page holds the column names, as Athena returns for DML
   * statements (SELECT, UNLOAD, CTAS: `StatementType` "DML") and not for DDL or utility statements.
   */
  readonly headerRow: boolean;
  readonly pageSize?: number;
}

/**
 * Reads every page of a finished query's results, dropping Athena's header row when there is one so
 * that `rows` holds data only. Statements without a result set (UNLOAD) give no rows.
 */
export async function fetchResults(athena: AthenaSender, queryExecutionId: string, options: FetchOptions): Promise<Pick<QueryResult, "columns" | "rows">> {
  const rows: ResultRow[] = [];
  let columns: string[] = [];
  let nextToken: string | undefined;
  let first = true;
  do {
    const page = await athena.send(new GetQueryResultsCommand({ QueryExecutionId: queryExecutionId, MaxResults: options.pageSize ?? 1000, NextToken: nextToken }));
    if (first) columns = (page.ResultSet?.ResultSetMetadata?.ColumnInfo ?? []).map((column) => column.Name ?? "");
    const pageRows = page.ResultSet?.Rows ?? [];
    pageRows.forEach((row, index) => {
      if (first && index === 0 && options.headerRow) return;
      const values = (row.Data ?? []).map((datum) => datum.VarCharValue ?? null);
      rows.push(Object.fromEntries(columns.map((name, column) => [name, values[column] ?? null])));
    });
    first = false;
    nextToken = page.NextToken;
  } while (nextToken);
  return { columns, rows };
}

/** Starts a query, waits for it and reads its results. */
export async function runQuery(athena: AthenaSender, query: AthenaQuery, options: WaitOptions): Promise<QueryResult> {
  const queryExecutionId = await startQuery(athena, query);
  const execution = await waitForQuery(athena, queryExecutionId, options);
  const { columns, rows } = await fetchResults(athena, queryExecutionId, { headerRow: execution.StatementType === "DML" });
  return { queryExecutionId, execution, columns, rows };
}

/** Starts a statement that returns no rows (UNLOAD, DDL) and waits for it. */
export async function runStatement(athena: AthenaSender, query: AthenaQuery, options: WaitOptions): Promise<{ queryExecutionId: string; execution: QueryExecution }> {
  const queryExecutionId = await startQuery(athena, query);
  const execution = await waitForQuery(athena, queryExecutionId, options);
  return { queryExecutionId, execution };
}
