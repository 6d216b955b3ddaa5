/**
 * The Athena named queries saved in the workgroup: the seed's two analyses and the operational
 * view of rejected records. Named queries take no parameters, so each filters on an example day;
 * every one filters on the partition columns (`year`, `month`, `day`) so that partition projection
 * reads only the days asked for.
 */
import { dayPredicate, type CalendarDay } from "../handlers/curated";
import { REJECTED_TABLE } from "./tables";

export interface NamedQueryDefinition {
  /** Resource name suffix. */
  readonly key: string;
  readonly name: string;
  readonly description: string;
  readonly sql: string;
}

/** The day the saved queries filter on; users edit it in the console. */
export const EXAMPLE_DAY: CalendarDay = { year: 2026, month: 11, day: 1 };

/**
 * @example
 * ```ts
 * namedQueries("datalake_dev")[0].sql;
 * // SELECT event_type, count(*) AS events FROM datalake_dev.events WHERE year = 2026 AND month = 11 AND day = 1 GROUP BY event_type ORDER BY events DESC, event_type
 * ```
 */
export function namedQueries(database: string, day: CalendarDay = EXAMPLE_DAY): NamedQueryDefinition[] {
  const edit = "Edit the year, month and day in the WHERE clause.";
  return [
    {
      key: "events-per-type",
      name: "events per type for one day",
      description: `How many events of each type happened on one UTC day. ${edit}`,
      sql: `SELECT event_type, count(*) AS events FROM ${database}.events WHERE ${dayPredicate(day)} GROUP BY event_type ORDER BY events DESC, event_type`,
    },
    {
      key: "events-per-user",
      name: "events per user joined with users",
      description: `Events per user on one UTC day, with the user's email and country. ${edit}`,
      sql:
        `SELECT u.user_id, u.email, u.country, count(*) AS events ` +
        `FROM ${database}.events e JOIN ${database}.users u ON e.user_id = u.user_id ` +
        `WHERE ${dayPredicate(day, "e")} ` +
        `GROUP BY u.user_id, u.email, u.country ORDER BY events DESC, u.user_id LIMIT 100`,
    },
    {
      key: "rejected-per-day-and-reason",
      name: "rejected rows per day and reason",
      description: "Records the processor rejected, per dataset, UTC day and reason, over one month. Edit the year and month in the WHERE clause.",
      sql:
        `SELECT dataset, year, month, day, reason, count(*) AS rejected_rows ` +
        `FROM ${database}.${REJECTED_TABLE} WHERE year = ${day.year} AND month = ${day.month} ` +
        `GROUP BY dataset, year, month, day, reason ORDER BY year, month, day, rejected_rows DESC, dataset, reason`,
    },
  ];
}
