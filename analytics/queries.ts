/**
 * The Athena named queries saved in the workgroup: the seed's two analyses and the operational
 * view of rejected records. Each is an Athena parameterized query: `?` placeholders on the
 * partition columns (`year`, `month`, `day`), given at run time as `ExecutionParameters` (or typed
 * into the console's parameter fields). No day is written into the SQL, so a saved query never
 * goes stale, and every query filters on the partition columns so that partition projection reads
 * only the days asked for.
 */
import type { CalendarDay } from "../handlers/curated";
import { REJECTED_TABLE } from "./tables";

/** A partition column a named query filters on, in placeholder order. */
export type QueryParameter = "year" | "month" | "day";

export interface NamedQueryDefinition {
  /** Resource name suffix. */
  readonly key: string;
  readonly name: string;
  readonly description: string;
  readonly sql: string;
  /** What each `?` placeholder stands for, in order. */
  readonly parameters: readonly QueryParameter[];
}

const DAY_PARAMETERS: readonly QueryParameter[] = ["year", "month", "day"];
/** The day the queries' descriptions give as an example of their parameters. */
export const EXAMPLE_DAY: CalendarDay = { year: 2026, month: 11, day: 1 };
const describeParameters = (parameters: readonly QueryParameter[]): string =>
  `Run with execution parameters ${parameters.join(", ")} (integers, e.g. ${executionParameters({ parameters }, EXAMPLE_DAY).join(", ")}).`;

/**
 * @example
 * ```ts
 * namedQueries("datalake_dev")[0].sql;
 * // SELECT event_type, count(*) AS events FROM datalake_dev.events WHERE year = ? AND month = ? AND day = ? GROUP BY event_type ORDER BY events DESC, event_type
 * ```
 */
export function namedQueries(database: string): NamedQueryDefinition[] {
  return [
    {
      key: "events-per-type",
      name: "events per type for one day",
      description: `How many events of each type happened on one UTC day. ${describeParameters(DAY_PARAMETERS)}`,
      sql: `SELECT event_type, count(*) AS events FROM ${database}.events WHERE year = ? AND month = ? AND day = ? GROUP BY event_type ORDER BY events DESC, event_type`,
      parameters: DAY_PARAMETERS,
    },
    {
      key: "events-per-user",
      name: "events per user joined with users",
      description: `Events per user on one UTC day, with the user's email and country. ${describeParameters(DAY_PARAMETERS)}`,
      sql:
        `SELECT u.user_id, u.email, u.country, count(*) AS events ` +
        `FROM ${database}.events e JOIN ${database}.users u ON e.user_id = u.user_id ` +
        `WHERE e.year = ? AND e.month = ? AND e.day = ? ` +
        `GROUP BY u.user_id, u.email, u.country ORDER BY events DESC, u.user_id LIMIT 100`,
      parameters: DAY_PARAMETERS,
    },
    {
      key: "rejected-per-day-and-reason",
      name: "rejected rows per day and reason",
      description: `Records the processor rejected, per dataset, UTC day and reason, over one month. ${describeParameters(["year", "month"])}`,
      sql:
        `SELECT dataset, year, month, day, reason, count(*) AS rejected_rows ` +
        `FROM ${database}.${REJECTED_TABLE} WHERE year = ? AND month = ? ` +
        `GROUP BY dataset, year, month, day, reason ORDER BY year, month, day, rejected_rows DESC, dataset, reason`,
      parameters: ["year", "month"],
    },
  ];
}

/**
 * The `ExecutionParameters` of a named query for one day: Athena substitutes each as written, so
 * integers go as their decimal text.
 *
 * @example executionParameters(namedQueries("d")[2]!, { year: 2026, month: 11, day: 1 }) // ["2026", "11"]
 */
export function executionParameters(query: Pick<NamedQueryDefinition, "parameters">, day: CalendarDay): string[] {
  return query.parameters.map((parameter) => String(day[parameter]));
}
