/**
 * The conversion contract the Glue job runs on, generated from the TypeScript sources: the dataset
 * registry (`./datasets`), the coercion rules of `./coerce` (patterns, bounds, the wording of every
 * rejection), the daily partition layout of `../storage/zones` and the field order of a rejected
 * record. The program uploads it as JSON next to the job's script; the job's Python reads every
 * dataset, type and rule from it, so none is restated in Python. Pure module.
 *
 * What cannot travel as data is the engine's own semantics (JSON.parse, Number(), String.trim, the
 * Date arithmetic): the Python package implements those once, and `tests/glue-parity.test.mts`
 * pins them by converting the same inputs with both engines.
 */
import { DATASETS, type ColumnType, type DatasetDefinition, type RawFormat } from "./datasets";
import { DATE_TEXT, EXPECTED, INT32_MAX, INT32_MIN, INTEGER_TEXT, TIMESTAMP_TEXT } from "./coerce";

/** Bumped when the document's shape changes; the job refuses a contract of another version. */
export const GLUE_CONTRACT_VERSION = 1;

/** A JavaScript regular expression as data: the job compiles it with JavaScript's meaning of `\d`, `\s` and `$`. */
export interface PatternContract {
  readonly source: string;
  readonly flags: string;
}

export interface ColumnContract {
  readonly name: string;
  readonly type: ColumnType;
  readonly required: boolean;
  /** What a value must be, as the rejection's detail says it (`EXPECTED` of ./coerce). */
  readonly expected: string;
}

export interface DatasetContract {
  readonly name: string;
  readonly columns: readonly ColumnContract[];
  /** The timestamp column whose UTC day partitions the output, or null for an unpartitioned dataset. */
  readonly partitionColumn: string | null;
  readonly formats: readonly RawFormat[];
}

export interface GlueContract {
  readonly version: typeof GLUE_CONTRACT_VERSION;
  readonly datasets: Readonly<Record<string, DatasetContract>>;
  readonly coercion: {
    /** Inclusive bounds of an `int` column. */
    readonly int32: { readonly min: number; readonly max: number };
    /** Bounds of a `bigint` column as decimal text (beyond JSON's safe numbers): min inclusive, max inclusive. */
    readonly int64: { readonly min: string; readonly max: string };
    readonly patterns: { readonly integer: PatternContract; readonly timestamp: PatternContract; readonly date: PatternContract };
    /** Rejection details; `{column}`, `{expected}` and `{value}` are replaced. */
    readonly messages: { readonly missingRequired: string; readonly invalidValue: string };
    /** How a rejected value is quoted in a detail: longer texts are cut to `keep` UTF-16 units plus the ellipsis. */
    readonly describe: { readonly maxLength: number; readonly keep: number; readonly ellipsis: string };
  };
  /** `year={year}/month={month}/day={day}/`, each zero-padded to its width. */
  readonly partition: { readonly template: string; readonly widths: { readonly year: number; readonly month: number; readonly day: number } };
  /** Field order of one rejected-records line; `column` is left out when the rejection names none. */
  readonly rejectedFields: readonly string[];
}

/**
 * Rejection wording, as `recordCoercer` writes it. Kept here as templates because the coercer builds
 * them inline; `tests/glue-contract.test.mts` checks them against the coercer for every column of
 * every dataset, so a change there fails until this follows.
 */
export const REJECTION_MESSAGES = {
  missingRequired: "{column} is required",
  invalidValue: "{column} must be {expected}, got {value}",
} as const;

/** How `./coerce` quotes a rejected value (`describe`): checked by tests/glue-contract.test.mts. */
export const DESCRIBE_LIMITS = { maxLength: 80, keep: 77, ellipsis: "..." } as const;

/** The order `./convert` writes a rejected record's fields in (`RejectedRecordLine`). */
export const REJECTED_FIELDS = ["source_key", "line_number", "reason", "column", "detail", "record"] as const;

/** `dailyPartition`'s layout as a template: checked against it by tests/glue-contract.test.mts. */
export const PARTITION_TEMPLATE = { template: "year={year}/month={month}/day={day}/", widths: { year: 4, month: 2, day: 2 } } as const;

const pattern = (regex: RegExp): PatternContract => ({ source: regex.source, flags: regex.flags });

function datasetContract(dataset: DatasetDefinition): DatasetContract {
  return {
    name: dataset.name,
    columns: dataset.columns.map((column) => ({ name: column.name, type: column.type, required: column.required, expected: EXPECTED[column.type] })),
    partitionColumn: dataset.partitionColumn ?? null,
    formats: [...dataset.formats],
  };
}

/**
 * The contract for the given datasets (by default the whole registry).
 *
 * @example
 * ```ts
 * const document = JSON.stringify(glueContract());
 * // uploaded as glue/contract.json; the job reads datasets.events.columns[1] === { name: "user_id", type: "int", required: true, expected: "a 32-bit integer" }
 * ```
 */
export function glueContract(datasets: readonly DatasetDefinition[] = DATASETS): GlueContract {
  return {
    version: GLUE_CONTRACT_VERSION,
    datasets: Object.fromEntries(datasets.map((dataset) => [dataset.name, datasetContract(dataset)])),
    coercion: {
      int32: { min: INT32_MIN, max: INT32_MAX },
      int64: { min: (-(2n ** 63n)).toString(), max: (2n ** 63n - 1n).toString() },
      patterns: { integer: pattern(INTEGER_TEXT), timestamp: pattern(TIMESTAMP_TEXT), date: pattern(DATE_TEXT) },
      messages: { ...REJECTION_MESSAGES },
      describe: { ...DESCRIBE_LIMITS },
    },
    partition: { template: PARTITION_TEMPLATE.template, widths: { ...PARTITION_TEMPLATE.widths } },
    rejectedFields: [...REJECTED_FIELDS],
  };
}
