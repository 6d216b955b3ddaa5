/**
 * The curated zone job: for one UTC day, rebuild every curated aggregate from `processed/` with
 * Athena. Each aggregate's day prefix is emptied first and then filled by one `UNLOAD`, so a rerun
 * (a retry, a backfill) replaces the day instead of adding to it.
 *
 * Pure of Pulumi: the analytics layer's callback builds the clients and delegates here.
 */
import { DeleteObjectsCommand, ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";
import { runStatement, type AthenaSender } from "./athena";
import type { ColumnType } from "./datasets";
import type { LogSink } from "./log";
import { dailyPartition, datasetPrefix } from "../storage/zones";

/** A UTC calendar day. */
export interface CalendarDay {
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

export interface CuratedColumn {
  readonly name: string;
  readonly type: ColumnType;
  readonly description: string;
}

/** One curated table: its columns and the daily query that produces exactly those columns. */
export interface CuratedAggregate {
  /** Folder under `curated/` and Glue table name. */
  readonly name: string;
  readonly description: string;
  readonly columns: readonly CuratedColumn[];
  /** The SELECT for one day. It must filter on the source's partition columns so projection prunes. */
  select(database: string, day: CalendarDay): string;
}

/** The partition predicate of a date-partitioned table for one day, e.g. `year = 2026 AND month = 11 AND day = 1`. */
export function dayPredicate(day: CalendarDay, alias?: string): string {
  const column = (name: string) => (alias ? `${alias}.${name}` : name);
  return `${column("year")} = ${day.year} AND ${column("month")} = ${day.month} AND ${column("day")} = ${day.day}`;
}

export const EVENTS_DAILY_BY_TYPE: CuratedAggregate = {
  name: "events_daily_by_type",
  description: "Per UTC day and event type: how many events, from how many distinct users.",
  columns: [
    { name: "event_type", type: "string", description: "What happened, e.g. page_view, purchase." },
    { name: "events", type: "bigint", description: "Events of this type that day." },
    { name: "users", type: "bigint", description: "Distinct users with at least one such event that day." },
  ],
  select: (database, day) =>
    `SELECT event_type, count(*) AS events, count(DISTINCT user_id) AS users FROM ${database}.events WHERE ${dayPredicate(day)} GROUP BY event_type`,
};

export const CURATED_AGGREGATES: readonly CuratedAggregate[] = [EVENTS_DAILY_BY_TYPE];

/** `2026-11-01` → `{ year: 2026, month: 11, day: 1 }`; undefined unless it is a real calendar day. */
export function parseCalendarDay(text: string): CalendarDay | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match) return undefined;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const instant = new Date(Date.UTC(year, month - 1, day));
  if (instant.getUTCFullYear() !== year || instant.getUTCMonth() !== month - 1 || instant.getUTCDate() !== day) return undefined;
  return { year, month, day };
}

export function formatCalendarDay(day: CalendarDay): string {
  return `${String(day.year).padStart(4, "0")}-${String(day.month).padStart(2, "0")}-${String(day.day).padStart(2, "0")}`;
}

/** The event the job takes: EventBridge's scheduled event (has `time`), or `{ "day": "YYYY-MM-DD" }` for a backfill. */
export interface CuratedJobEvent {
  readonly day?: unknown;
  /** Set by EventBridge on scheduled events: the scheduled time, identical across retries. */
  readonly time?: unknown;
}

/** Thrown for an event the job can never handle (a retry would fail the same way). */
export class InvalidCuratedJobEvent extends Error {
  constructor(message: string) {
    super(message);
    // Pulumi serializes classes as functions, where super(message) no longer sets the message.
    this.message = message;
    this.name = "InvalidCuratedJobEvent";
  }
}

/**
 * The day to build: the event's `day`, or else the UTC day before the scheduled time (`time`), or
 * before `now` when the event has neither. Using the scheduled time keeps a retry on the same day
 * even when it runs after midnight.
 */
export function dayToBuild(event: CuratedJobEvent | null | undefined, now: Date): CalendarDay {
  if (event?.day !== undefined) {
    const day = typeof event.day === "string" ? parseCalendarDay(event.day) : undefined;
    if (!day) throw new InvalidCuratedJobEvent(`Event field day ${JSON.stringify(event.day)} is not accepted; expected a date as YYYY-MM-DD, e.g. 2026-11-01`);
    return day;
  }
  const scheduled = typeof event?.time === "string" ? new Date(event.time) : now;
  const reference = Number.isNaN(scheduled.getTime()) ? now : scheduled;
  const yesterday = new Date(Date.UTC(reference.getUTCFullYear(), reference.getUTCMonth(), reference.getUTCDate() - 1));
  return { year: yesterday.getUTCFullYear(), month: yesterday.getUTCMonth() + 1, day: yesterday.getUTCDate() };
}

/** `curated/<aggregate>/year=YYYY/month=MM/day=DD/` */
export function curatedDayPrefix(aggregate: Pick<CuratedAggregate, "name">, day: CalendarDay): string {
  return `${datasetPrefix("curated", aggregate.name)}${dailyPartition(new Date(Date.UTC(day.year, day.month - 1, day.day)))}`;
}

/** The UNLOAD that writes one aggregate's day as Parquet into its (empty) day prefix. */
export function unloadStatement(aggregate: CuratedAggregate, args: { readonly database: string; readonly lakeBucket: string; readonly day: CalendarDay }): string {
  const target = `s3://${args.lakeBucket}/${curatedDayPrefix(aggregate, args.day)}`;
  return `UNLOAD (${aggregate.select(args.database, args.day)}) TO '${target}' WITH (format = 'PARQUET', compression = 'SNAPPY')`;
}

type S3Sender = Pick<S3Client, "send">;

/** Deletes every object under `prefix` (1000 per request) and returns how many were deleted. */
export async function emptyPrefix(s3: S3Sender, bucket: string, prefix: string): Promise<number> {
  let deleted = 0;
  let continuationToken: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: continuationToken }));
    const keys = (page.Contents ?? []).flatMap((object) => (object.Key ? [{ Key: object.Key }] : []));
    if (keys.length > 0) {
      const result = await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys, Quiet: true } }));
      const errors = result.Errors ?? [];
      if (errors.length > 0) {
        const first = errors[0]!;
        throw new Error(`Could not delete ${errors.length} object(s) under s3://${bucket}/${prefix}: ${first.Key} ${first.Code} ${first.Message ?? ""}`.trim());
      }
      deleted += keys.length;
    }
    continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (continuationToken);
  return deleted;
}

export interface CuratedJobDependencies {
  readonly athena: AthenaSender;
  readonly s3: S3Sender;
  readonly logger: LogSink;
  readonly lakeBucket: string;
  readonly database: string;
  readonly workGroup: string;
  /** Epoch milliseconds by which every query must have finished (the function's own timeout, less a margin). */
  readonly deadline: number;
  readonly aggregates?: readonly CuratedAggregate[];
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface CuratedAggregateResult {
  readonly aggregate: string;
  readonly prefix: string;
  readonly removedObjects: number;
  readonly queryExecutionId: string;
}

export interface CuratedJobResult {
  readonly day: string;
  readonly aggregates: readonly CuratedAggregateResult[];
}

/**
 * Rebuilds every curated aggregate for `day`: empties the day prefix, then UNLOADs into it. Fails
 * with Athena's own error message when a query fails, so the invocation fails and is retried, then
 * lands on the job's failure destination.
 *
 * @example
 * ```ts
 * await buildCuratedDay({ year: 2026, month: 11, day: 1 }, { athena, s3, logger, lakeBucket, database: "datalake_dev", workGroup: "datalake-dev", deadline: Date.now() + 600_000 });
 * ```
 */
export async function buildCuratedDay(day: CalendarDay, deps: CuratedJobDependencies): Promise<CuratedJobResult> {
  const results: CuratedAggregateResult[] = [];
  for (const aggregate of deps.aggregates ?? CURATED_AGGREGATES) {
    const prefix = curatedDayPrefix(aggregate, day);
    const removedObjects = await emptyPrefix(deps.s3, deps.lakeBucket, prefix);
    const sql = unloadStatement(aggregate, { database: deps.database, lakeBucket: deps.lakeBucket, day });
    // No ClientRequestToken: a retry must run the UNLOAD again, since it has just emptied the prefix.
    const { queryExecutionId } = await runStatement(
      deps.athena,
      { sql, workGroup: deps.workGroup, database: deps.database },
      { deadline: deps.deadline, ...(deps.now ? { now: deps.now } : {}), ...(deps.sleep ? { sleep: deps.sleep } : {}) },
    );
    deps.logger.info("Built curated aggregate", { aggregate: aggregate.name, day: formatCalendarDay(day), prefix, removedObjects, queryExecutionId });
    results.push({ aggregate: aggregate.name, prefix, removedObjects, queryExecutionId });
  }
  return { day: formatCalendarDay(day), aggregates: results };
}

/** The job's entry: picks the day from the event, then builds it. */
export async function handleCuratedJob(event: CuratedJobEvent | null | undefined, deps: CuratedJobDependencies): Promise<CuratedJobResult> {
  const now = deps.now ?? Date.now;
  const day = dayToBuild(event, new Date(now()));
  deps.logger.info("Building curated day", { day: formatCalendarDay(day), backfill: event?.day !== undefined });
  return buildCuratedDay(day, deps);
}
