/**
 * The dataset registry: one definition per dataset, the single source for the processor's
 * validation, the Parquet schema and the Glue tables. Pure module, captured by the Lambda closures.
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
}

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

export const DATASETS: readonly DatasetDefinition[] = [EVENTS, USERS];

/** The names of all registered datasets, e.g. for the SNS subscription's filter policy. */
export const DATASET_NAMES: readonly string[] = DATASETS.map((dataset) => dataset.name);

export function findDataset(name: string): DatasetDefinition | undefined {
  return DATASETS.find((dataset) => dataset.name === name);
}
