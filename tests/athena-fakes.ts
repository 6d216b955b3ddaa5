/**
 * Scripted stand-ins for the Athena and S3 clients: each `send` records the command (name and input)
 * in a shared call log and answers from a script, so tests can assert what was called, in what order,
 * without a network or timers.
 */
import type { GetQueryResultsCommandOutput, QueryExecutionState } from "@aws-sdk/client-athena";

export interface RecordedCommand {
  readonly client: "athena" | "s3";
  readonly command: string;
  readonly input: Record<string, unknown>;
}

interface CommandLike {
  readonly constructor: { readonly name: string };
  readonly input: object;
}

export type Responder = (input: Record<string, unknown>) => unknown;

/** A client whose `send` answers each command name from `responders`, recording every call in `log`. */
export function scriptedClient(client: RecordedCommand["client"], log: RecordedCommand[], responders: Readonly<Record<string, Responder>>) {
  return {
    async send(command: CommandLike): Promise<never> {
      const name = command.constructor.name;
      const input = command.input as Record<string, unknown>;
      log.push({ client, command: name, input });
      const responder = responders[name];
      if (!responder) throw new Error(`Unscripted ${client} command ${name}`);
      return responder(input) as never;
    },
  };
}

/** GetQueryExecution answers that walk through `states`, repeating the last one. */
export function executionStates(states: readonly (QueryExecutionState | { state: QueryExecutionState; reason: string })[], statementType = "DML"): Responder {
  let index = 0;
  return (input) => {
    const step = states[Math.min(index, states.length - 1)]!;
    index += 1;
    const { state, reason } = typeof step === "string" ? { state: step, reason: undefined } : step;
    return { QueryExecution: { QueryExecutionId: input.QueryExecutionId, StatementType: statementType, Status: { State: state, ...(reason ? { StateChangeReason: reason } : {}) } } };
  };
}

/** One GetQueryResults page: `rows` are text values; `header` adds Athena's column-name row first. */
export function resultPage(columns: readonly string[], rows: readonly (readonly (string | null)[])[], options: { header: boolean; nextToken?: string }): Partial<GetQueryResultsCommandOutput> {
  const toRow = (values: readonly (string | null)[]) => ({ Data: values.map((value) => (value === null ? {} : { VarCharValue: value })) });
  return {
    ResultSet: {
      ResultSetMetadata: { ColumnInfo: columns.map((name) => ({ Name: name, Type: "varchar" })) },
      Rows: [...(options.header ? [toRow(columns)] : []), ...rows.map(toRow)],
    },
    ...(options.nextToken ? { NextToken: options.nextToken } : {}),
  };
}

/** A clock that only moves when the code under test sleeps. */
export function fakeClock(start = 1_000_000) {
  let time = start;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => time,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      time += ms;
    },
  };
}
