/**
 * The Glue tables of the lake, as plain definitions generated from the dataset registry and the
 * curated aggregates: one Parquet table per dataset over `processed/<dataset>/`, one JSON Lines
 * table over `rejected/`, one Parquet table per curated aggregate over `curated/<name>/`.
 *
 * Date-partitioned tables use partition projection over the Hive-style layout
 * `year=YYYY/month=MM/day=DD/` (storage/zones.ts). The `projection.*` keys and
 * `storage.location.template` are table-level parameters: Athena ignores them in the storage
 * descriptor's parameters. The three keys are integers because AWS's `date` projection type cannot
 * span a date split over several partition keys, so the year range is finite and comes from config.
 */
import { DATASETS, type ColumnType, type DatasetDefinition } from "../handlers/datasets";
import { CURATED_AGGREGATES, type CuratedAggregate } from "../handlers/curated";
import { ZONES, datasetPrefix } from "../storage/zones";

export interface GlueColumn {
  readonly name: string;
  readonly type: string;
  readonly comment: string;
}

/** The subset of `aws.glue.CatalogTableArgs` the lake's tables set, as plain values. */
export interface GlueTableDefinition {
  readonly name: string;
  readonly description: string;
  readonly tableType: "EXTERNAL_TABLE";
  readonly parameters: Readonly<Record<string, string>>;
  readonly partitionKeys: readonly GlueColumn[];
  readonly storageDescriptor: {
    readonly location: string;
    readonly inputFormat: string;
    readonly outputFormat: string;
    readonly serDeInfo: { readonly serializationLibrary: string; readonly parameters: Readonly<Record<string, string>> };
    readonly columns: readonly GlueColumn[];
  };
}

export interface ProjectionYears {
  readonly first: number;
  readonly last: number;
}

export interface LakeTablesArgs {
  readonly lakeBucket: string;
  readonly projectionYears: ProjectionYears;
  readonly datasets?: readonly DatasetDefinition[];
  readonly aggregates?: readonly CuratedAggregate[];
}

export const PARQUET_FORMAT = {
  inputFormat: "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
  outputFormat: "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
  serializationLibrary: "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
} as const;

export const JSON_LINES_FORMAT = {
  inputFormat: "org.apache.hadoop.mapred.TextInputFormat",
  outputFormat: "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
  serializationLibrary: "org.openx.data.jsonserde.JsonSerDe",
} as const;

/** The partition keys of the daily layout, in path order. */
export const DAILY_PARTITION_KEYS: readonly GlueColumn[] = [
  { name: "year", type: "int", comment: "UTC year of the partition (year=YYYY)." },
  { name: "month", type: "int", comment: "UTC month of the partition, 1-12 (month=MM)." },
  { name: "day", type: "int", comment: "UTC day of month of the partition, 1-31 (day=DD)." },
];

/** Name of the table over `rejected/`. */
export const REJECTED_TABLE = "rejected";

/**
 * The columns of the rejected-records table: the fields the processor writes for each rejected
 * record, one JSON object per line, under `rejected/<dataset>/year=/month=/day=/`. The record's
 * `dataset` field is read from the path (partition key `dataset`) instead, since a table may not have
 * a column and a partition key of the same name. Missing fields read as NULL; unknown fields are
 * ignored.
 */
export const REJECTED_COLUMNS: readonly GlueColumn[] = [
  { name: "source_key", type: "string", comment: "Key of the raw object the record came from." },
  { name: "line_number", type: "bigint", comment: "1-based line of the record in the raw object (CSV: counting the header)." },
  { name: "reason", type: "string", comment: "Why the record was rejected, e.g. missing_required_field." },
  { name: "record", type: "string", comment: "The raw record as it was read, as text." },
];

const s3Url = (bucket: string, key: string): string => `s3://${bucket}/${key}`;

/** `projection.*` and `storage.location.template` for the daily layout under `location` (ending in `/`). */
export function dailyProjectionParameters(location: string, years: ProjectionYears, extraPrefix = ""): Record<string, string> {
  return {
    "projection.enabled": "true",
    "projection.year.type": "integer",
    "projection.year.range": `${years.first},${years.last}`,
    "projection.month.type": "integer",
    "projection.month.range": "1,12",
    "projection.month.digits": "2",
    "projection.day.type": "integer",
    "projection.day.range": "1,31",
    "projection.day.digits": "2",
    "storage.location.template": `${location}${extraPrefix}year=\${year}/month=\${month}/day=\${day}/`,
  };
}

function registryColumns(columns: readonly { readonly name: string; readonly type: ColumnType; readonly description: string }[]): GlueColumn[] {
  return columns.map((column) => ({ name: column.name, type: column.type, comment: column.description }));
}

function assertNoPartitionClash(table: string, columns: readonly GlueColumn[], partitionKeys: readonly GlueColumn[]): void {
  const clash = columns.find((column) => partitionKeys.some((key) => key.name === column.name));
  if (clash) throw new Error(`Table ${table}: column ${clash.name} has the name of a partition key; rename it in the registry`);
}

function parquetTable(args: {
  readonly name: string;
  readonly description: string;
  readonly location: string;
  readonly columns: readonly GlueColumn[];
  readonly years: ProjectionYears | undefined;
}): GlueTableDefinition {
  const partitionKeys = args.years ? DAILY_PARTITION_KEYS : [];
  assertNoPartitionClash(args.name, args.columns, partitionKeys);
  return {
    name: args.name,
    description: args.description,
    tableType: "EXTERNAL_TABLE",
    parameters: {
      EXTERNAL: "TRUE",
      classification: "parquet",
      ...(args.years ? dailyProjectionParameters(args.location, args.years) : {}),
    },
    partitionKeys,
    storageDescriptor: {
      location: args.location,
      inputFormat: PARQUET_FORMAT.inputFormat,
      outputFormat: PARQUET_FORMAT.outputFormat,
      serDeInfo: { serializationLibrary: PARQUET_FORMAT.serializationLibrary, parameters: { "serialization.format": "1" } },
      columns: args.columns,
    },
  };
}

/** One table per dataset over `processed/<dataset>/`, its columns exactly the registry's. */
export function datasetTable(dataset: DatasetDefinition, args: Pick<LakeTablesArgs, "lakeBucket" | "projectionYears">): GlueTableDefinition {
  return parquetTable({
    name: dataset.name,
    description: dataset.description,
    location: s3Url(args.lakeBucket, datasetPrefix("processed", dataset.name)),
    columns: registryColumns(dataset.columns),
    years: dataset.partitionColumn ? args.projectionYears : undefined,
  });
}

/** One table per curated aggregate over `curated/<name>/`, its columns exactly what the job's UNLOAD writes. */
export function curatedTable(aggregate: CuratedAggregate, args: Pick<LakeTablesArgs, "lakeBucket" | "projectionYears">): GlueTableDefinition {
  return parquetTable({
    name: aggregate.name,
    description: aggregate.description,
    location: s3Url(args.lakeBucket, datasetPrefix("curated", aggregate.name)),
    columns: registryColumns(aggregate.columns),
    years: args.projectionYears,
  });
}

/** The table over `rejected/`, partitioned by dataset (enum of the registry's) and day. */
export function rejectedTable(args: LakeTablesArgs): GlueTableDefinition {
  const datasets = args.datasets ?? DATASETS;
  const location = s3Url(args.lakeBucket, ZONES.rejected);
  const partitionKeys: GlueColumn[] = [{ name: "dataset", type: "string", comment: "Dataset the record was meant for (rejected/<dataset>/)." }, ...DAILY_PARTITION_KEYS];
  assertNoPartitionClash(REJECTED_TABLE, REJECTED_COLUMNS, partitionKeys);
  return {
    name: REJECTED_TABLE,
    description: "Records the processor rejected, with the reason, one JSON object per line.",
    tableType: "EXTERNAL_TABLE",
    parameters: {
      EXTERNAL: "TRUE",
      classification: "json",
      "projection.dataset.type": "enum",
      "projection.dataset.values": datasets.map((dataset) => dataset.name).join(","),
      ...dailyProjectionParameters(location, args.projectionYears, "${dataset}/"),
    },
    partitionKeys,
    storageDescriptor: {
      location,
      inputFormat: JSON_LINES_FORMAT.inputFormat,
      outputFormat: JSON_LINES_FORMAT.outputFormat,
      // A malformed line reads as NULLs rather than failing every query over the day.
      serDeInfo: { serializationLibrary: JSON_LINES_FORMAT.serializationLibrary, parameters: { "ignore.malformed.json": "TRUE" } },
      columns: REJECTED_COLUMNS,
    },
  };
}

/**
 * Every table of the lake. Throws when two would share a name.
 *
 * @example
 * ```ts
 * lakeTables({ lakeBucket: "lake", projectionYears: { first: 2024, last: 2035 } }).map((table) => table.name);
 * // ["events", "users", "rejected", "events_daily_by_type"]
 * ```
 */
export function lakeTables(args: LakeTablesArgs): GlueTableDefinition[] {
  const datasets = args.datasets ?? DATASETS;
  const aggregates = args.aggregates ?? CURATED_AGGREGATES;
  const tables = [...datasets.map((dataset) => datasetTable(dataset, args)), rejectedTable(args), ...aggregates.map((aggregate) => curatedTable(aggregate, args))];
  const names = tables.map((table) => table.name);
  const duplicate = names.find((name, index) => names.indexOf(name) !== index);
  if (duplicate) throw new Error(`Two lake tables are named ${duplicate}`);
  return tables;
}
