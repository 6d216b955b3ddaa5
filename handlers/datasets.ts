/**
 * The dataset registry: one definition per dataset, the single source for everything a dataset
 * needs. Adding an entry to `DATASETS` is the whole change (README, "Add a dataset"): the processor
 * validates and converts its records, the analytics layer builds its Glue table, messaging lets its
 * objects through the processing queue's filter policy, observability counts its rows in the
 * rejected-row ratio and, with `maxSilenceHours`, alarms when it stops arriving; the demo and the
 * tests generate its sample rows from its columns. `registryProblems` states the rules an entry must
 * keep; the program (index.ts) refuses to preview a registry that breaks them. Pure module, captured by the
 * Lambda closures.
 */

/** Column types, named as Athena/Glue names them. */
export type ColumnType = "string" | "int" | "bigint" | "double" | "boolean" | "timestamp" | "date" | "map<string,string>";

export type RawFormat = "jsonl" | "csv";

export interface ColumnDefinition {
  readonly name: string;
  readonly type: ColumnType;
  /** A record without a value here is rejected. */
  readonly required: boolean;
  readonly description: string;
}

export interface DatasetDefinition {
  /** Folder name under every zone: `raw/<name>/`, `processed/<name>/`. Lowercase, digits and `_`. */
  readonly name: string;
  readonly description: string;
  readonly columns: readonly ColumnDefinition[];
  /** The timestamp column whose UTC day partitions the processed data, or undefined for an unpartitioned dataset. */
  readonly partitionColumn?: string;
  /** Raw formats accepted under `raw/<name>/`. */
  readonly formats: readonly RawFormat[];
  /**
   * Hours without a row read (the processor's `RowsRead`) after which the dataset's freshness alarm
   * notifies, once the dataset has arrived at least once; unset, the dataset has no freshness alarm.
   * A whole number from 1 to {@link MAX_SILENCE_HOURS}.
   */
  readonly maxSilenceHours?: number;
}

/** CloudWatch evaluates an hourly alarm over at most 7 days (Period × EvaluationPeriods ≤ 604,800 s). */
export const MAX_SILENCE_HOURS = 168;

export const EVENTS: DatasetDefinition = {
  name: "events",
  description: "Product events, one per user action.",
  columns: [
    { name: "event_id", type: "string", required: true, description: "Unique id of the event." },
    { name: "user_id", type: "int", required: true, description: "The user who acted (users.user_id)." },
    { name: "event_timestamp", type: "timestamp", required: true, description: "When the event happened (UTC)." },
    { name: "event_type", type: "string", required: true, description: "What happened, e.g. page_view, purchase." },
    { name: "properties", type: "map<string,string>", required: false, description: "Free-form attributes of the event." },
  ],
  partitionColumn: "event_timestamp",
  formats: ["jsonl", "csv"],
  // Product events arrive all day: a day without any is an incident upstream.
  maxSilenceHours: 24,
};

export const USERS: DatasetDefinition = {
  name: "users",
  description: "Registered users; joined with events by user_id.",
  columns: [
    { name: "user_id", type: "int", required: true, description: "Unique id of the user." },
    { name: "email", type: "string", required: true, description: "Email address." },
    { name: "name", type: "string", required: false, description: "Display name." },
    { name: "country", type: "string", required: false, description: "ISO 3166-1 alpha-2 country code." },
    { name: "signup_timestamp", type: "timestamp", required: false, description: "When the user signed up (UTC)." },
  ],
  formats: ["jsonl", "csv"],
};

/** The registry: add a dataset here (and nowhere else). */
export const DATASETS: readonly DatasetDefinition[] = [EVENTS, USERS];

/** The names of all registered datasets, e.g. for the SNS subscription's filter policy. */
export const DATASET_NAMES: readonly string[] = DATASETS.map((dataset) => dataset.name);

export function findDataset(name: string): DatasetDefinition | undefined {
  return DATASETS.find((dataset) => dataset.name === name);
}

/** Dataset names: folder names under every zone, Glue table names and a message attribute value. */
const DATASET_NAME = /^[a-z][a-z0-9_]{0,63}$/;
/** Glue column names as Athena reads them: lower case. */
const COLUMN_NAME = /^[a-z_][a-z0-9_]{0,127}$/;
/** Partition keys of the processed and rejected tables: a column may not take their names. */
const RESERVED_COLUMNS = ["year", "month", "day", "dataset"];

/**
 * Every way the registry breaks its rules, one sentence each; empty when it is sound.
 *
 * @example
 * ```ts
 * registryProblems([{ ...EVENTS, maxSilenceHours: 0 }]);
 * // ["events: maxSilenceHours 0 is not a whole number of hours from 1 to 168"]
 * ```
 */
export function registryProblems(datasets: readonly DatasetDefinition[]): string[] {
  const problems: string[] = [];
  const names = datasets.map((dataset) => dataset.name);
  for (const name of new Set(names.filter((candidate, index) => names.indexOf(candidate) !== index))) problems.push(`${name}: registered more than once`);
  for (const dataset of datasets) {
    const problem = (text: string) => problems.push(`${dataset.name}: ${text}`);
    if (!DATASET_NAME.test(dataset.name)) problem(`the name must be lower case letters, digits and _, starting with a letter (${DATASET_NAME})`);
    if (dataset.columns.length === 0) problem("declares no columns");
    if (dataset.formats.length === 0) problem("accepts no raw format");
    const columnNames = dataset.columns.map((column) => column.name);
    for (const column of dataset.columns) {
      if (!COLUMN_NAME.test(column.name)) problem(`column ${column.name} must be lower case letters, digits and _ (${COLUMN_NAME})`);
      if (RESERVED_COLUMNS.includes(column.name)) problem(`column ${column.name} has the name of a partition key (${RESERVED_COLUMNS.join(", ")}); rename it`);
    }
    for (const name of new Set(columnNames.filter((candidate, index) => columnNames.indexOf(candidate) !== index))) problem(`column ${name} is declared more than once`);
    if (dataset.partitionColumn !== undefined) {
      const partition = dataset.columns.find((column) => column.name === dataset.partitionColumn);
      if (!partition) problem(`partitionColumn ${dataset.partitionColumn} is not one of its columns`);
      else if (partition.type !== "timestamp" || !partition.required) problem(`partitionColumn ${dataset.partitionColumn} must be a required timestamp column`);
    }
    const silence = dataset.maxSilenceHours;
    if (silence !== undefined && !(Number.isInteger(silence) && silence >= 1 && silence <= MAX_SILENCE_HOURS)) {
      problem(`maxSilenceHours ${silence} is not a whole number of hours from 1 to ${MAX_SILENCE_HOURS}`);
    }
  }
  return problems;
}

