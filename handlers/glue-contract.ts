/**
 * The conversion contract the Glue job runs on, generated from the TypeScript sources: the dataset
 * registry (`./datasets`), the coercion rules of `./coerce` (patterns, bounds, the wording of every
 * rejection), the readers' wording and limits (`./line-splitter`, `./json-lines`, `./json-array`,
 * `./csv-records`), the daily partition layout of `../storage/zones`, the stack's conversion limits
 * (`processorMaxRecordKb`, the Athena projection years) and the field order of a rejected record. The
 * program uploads it as JSON next to the job's script; the job's Python reads every dataset, type,
 * limit and wording from it, so none is restated in Python. Pure module.
 *
 * Wording travels as templates: each module exports its wording as functions of what a rejection
 * names, and this module calls them with `{placeholder}` arguments, so the text is the processor's own.
 *
 * What cannot travel as data is the engine's own semantics (JSON.parse, Number(), String.trim, the
 * readers' state machines, the calendar arithmetic): the Python package implements those once, and
 * `tests/glue-parity.test.mts` pins them by converting the same inputs with both engines.
 */
import { DATASETS, type ColumnType, type DatasetDefinition, type RawFormat } from "./datasets";
import { COERCION_WORDING, DATE_TEXT, DESCRIBE_WORDING, EXPECTED, INT32_MAX, INT32_MIN, INT64_MAX, INT64_MIN, INTEGER_TEXT, JSON_INTEGER_TEXT, TIMESTAMP_TEXT } from "./coerce";
import { LINE_WORDING, TOO_LARGE_PREFIX_BYTES } from "./line-splitter";
import { JSON_LINES_WORDING } from "./json-lines";
import { JSON_ARRAY_WORDING } from "./json-array";
import { CSV_WORDING } from "./csv-records";
import { PARTITION_WORDING, type PartitionYears } from "./partition-writers";
import { DEFAULT_MAX_RECORD_BYTES } from "./record-readers";
import { VALIDATION_ERROR_WORDING } from "./convert";

/** Bumped when the document's shape changes; the job refuses a contract of another version. */
export const GLUE_CONTRACT_VERSION = 2;

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

/**
 * The stack's limits a conversion applies, as the processor receives them (`PROCESSOR_MAX_RECORD_BYTES`,
 * `PARTITION_FIRST_YEAR`/`LAST_YEAR`, from `settings.compute.processor`).
 */
export interface ConversionLimits {
  /** Longest record read, in bytes (`processorMaxRecordKb` × 1024). */
  readonly maxRecordBytes: number;
  /** Years Athena's partition projection covers: rows dated outside are `out_of_range`. Null: no row is refused. */
  readonly partitionYears: PartitionYears | null;
}

/** The limits `convertRecords` applies when it is given none. */
export const DEFAULT_CONVERSION_LIMITS: ConversionLimits = { maxRecordBytes: DEFAULT_MAX_RECORD_BYTES, partitionYears: null };

export interface GlueContract {
  readonly version: typeof GLUE_CONTRACT_VERSION;
  readonly datasets: Readonly<Record<string, DatasetContract>>;
  readonly coercion: {
    /** Inclusive bounds of an `int` column. */
    readonly int32: { readonly min: number; readonly max: number };
    /** Bounds of a `bigint` column as decimal text (beyond JSON's safe numbers): min inclusive, max inclusive. */
    readonly int64: { readonly min: string; readonly max: string };
    readonly patterns: {
      readonly integer: PatternContract;
      /** A JSON number's text that is an integer: how a bigint beyond 2^53 is read as written. */
      readonly jsonInteger: PatternContract;
      readonly timestamp: PatternContract;
      readonly date: PatternContract;
    };
    /** Rejection details; `{column}`, `{expected}`, `{value}`, `{key}` and `{error}` are replaced. */
    readonly messages: {
      readonly missingRequired: string;
      readonly invalidValue: string;
      readonly loneSurrogate: string;
      readonly mapKeyRepeated: string;
      readonly keyRepeated: string;
      readonly validationError: string;
      /** The error's text is cut to this many UTF-16 units. */
      readonly validationErrorChars: number;
    };
    /** How a rejected value is described (`describe` of ./coerce); lengths in UTF-16 units, `{count}`, `{keys}`, `{more}` replaced. */
    readonly describe: {
      readonly maxChars: number;
      readonly ellipsis: string;
      readonly array: string;
      readonly arrayOfOne: string;
      readonly object: string;
      readonly moreKeys: string;
      readonly shownKeys: number;
      readonly keyChars: number;
      readonly keyEllipsis: string;
      readonly keySeparator: string;
    };
  };
  /** How records are read: the limit and the readers' rejection details (`{bytes}`, `{limit}`, `{kept}`, `{at}`, `{shown}`, `{kind}`, … replaced). */
  readonly reading: {
    readonly maxRecordBytes: number;
    /** What a record over the limit keeps of itself in `rejected/`, in bytes. */
    readonly tooLargeKeptBytes: number;
    readonly messages: {
      readonly lineTooLarge: string;
      readonly lineNotUtf8: string;
      readonly notAnObject: string;
      readonly elementEmpty: string;
      readonly elementTooLarge: string;
      readonly elementNotUtf8: string;
      readonly afterArray: string;
      readonly csvAfterClosingQuote: string;
      readonly csvQuoteInsideField: string;
      readonly csvNotClosedAtEnd: string;
      readonly csvNotClosedWithin: string;
      readonly csvSpansIntoFields: string;
      readonly csvFieldCount: string;
      readonly csvHeaderRepeats: string;
      readonly csvNoHeader: string;
    };
  };
  /** `year={year}/month={month}/day={day}/`, each padded with zeros to its width (as `padStart` pads); the projection's years. */
  readonly partition: {
    readonly template: string;
    readonly widths: { readonly year: number; readonly month: number; readonly day: number };
    readonly years: PartitionYears | null;
    /** `{column}`, `{year}`, `{first}` and `{last}` replaced. */
    readonly outOfRange: string;
  };
  /** Field order of one rejected-records line; `column` is left out when the rejection names none. */
  readonly rejectedFields: readonly string[];
}

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

function coercionContract(): GlueContract["coercion"] {
  const describe = DESCRIBE_WORDING;
  return {
    int32: { min: INT32_MIN, max: INT32_MAX },
    int64: { min: INT64_MIN.toString(), max: INT64_MAX.toString() },
    patterns: { integer: pattern(INTEGER_TEXT), jsonInteger: pattern(JSON_INTEGER_TEXT), timestamp: pattern(TIMESTAMP_TEXT), date: pattern(DATE_TEXT) },
    messages: {
      missingRequired: COERCION_WORDING.missingRequired("{column}"),
      invalidValue: COERCION_WORDING.invalidValue("{column}", "{expected}", "{value}"),
      loneSurrogate: COERCION_WORDING.loneSurrogate("{column}"),
      mapKeyRepeated: COERCION_WORDING.mapKeyRepeated("{column}"),
      keyRepeated: COERCION_WORDING.keyRepeated("{key}"),
      validationError: VALIDATION_ERROR_WORDING.threw("{error}"),
      validationErrorChars: VALIDATION_ERROR_WORDING.errorChars,
    },
    describe: {
      maxChars: describe.maxChars,
      ellipsis: describe.ellipsis,
      array: describe.array("{count}", true),
      arrayOfOne: describe.array(1, false),
      object: describe.object("{keys}", "{more}"),
      moreKeys: describe.moreKeys("{count}"),
      shownKeys: describe.shownKeys,
      keyChars: describe.keyChars,
      keyEllipsis: describe.keyEllipsis,
      keySeparator: describe.keySeparator,
    },
  };
}

function readingContract(limits: ConversionLimits): GlueContract["reading"] {
  return {
    maxRecordBytes: limits.maxRecordBytes,
    tooLargeKeptBytes: TOO_LARGE_PREFIX_BYTES,
    messages: {
      lineTooLarge: LINE_WORDING.tooLarge("{bytes}", "{limit}", "{kept}"),
      lineNotUtf8: LINE_WORDING.notUtf8("{at}", "{shown}"),
      notAnObject: JSON_LINES_WORDING.notAnObject("{kind}"),
      elementEmpty: JSON_ARRAY_WORDING.emptyElement,
      elementTooLarge: JSON_ARRAY_WORDING.tooLarge("{bytes}", "{limit}", "{kept}"),
      elementNotUtf8: JSON_ARRAY_WORDING.notUtf8,
      afterArray: JSON_ARRAY_WORDING.afterClose,
      csvAfterClosingQuote: CSV_WORDING.afterClosingQuote("{character}"),
      csvQuoteInsideField: CSV_WORDING.quoteInsideField,
      csvNotClosedAtEnd: CSV_WORDING.notClosedAtEnd,
      csvNotClosedWithin: CSV_WORDING.notClosedWithin("{limit}"),
      csvSpansIntoFields: CSV_WORDING.spansIntoFields("{fields}", "{expected}"),
      csvFieldCount: CSV_WORDING.fieldCount("{expected}", "{fields}"),
      csvHeaderRepeats: CSV_WORDING.headerRepeats("{column}"),
      csvNoHeader: CSV_WORDING.noHeader("{columns}", "{fields}", "{expected}"),
    },
  };
}

/**
 * The contract for the given datasets (by default the whole registry) and limits (by default the
 * engine's own: the stack passes its `processorMaxRecordKb` and projection years, heavy/index.ts).
 *
 * @example
 * ```ts
 * const document = JSON.stringify(glueContract(DATASETS, { maxRecordBytes: 1 << 20, partitionYears: { first: 2024, last: 2035 } }));
 * // uploaded as glue/scripts/contract.json; the job reads datasets.events.columns[1] === { name: "user_id", type: "int", required: true, expected: "a 32-bit integer" }
 * ```
 */
export function glueContract(datasets: readonly DatasetDefinition[] = DATASETS, limits: ConversionLimits = DEFAULT_CONVERSION_LIMITS): GlueContract {
  return {
    version: GLUE_CONTRACT_VERSION,
    datasets: Object.fromEntries(datasets.map((dataset) => [dataset.name, datasetContract(dataset)])),
    coercion: coercionContract(),
    reading: readingContract(limits),
    partition: {
      template: PARTITION_TEMPLATE.template,
      widths: { ...PARTITION_TEMPLATE.widths },
      years: limits.partitionYears === null ? null : { ...limits.partitionYears },
      outOfRange: PARTITION_WORDING.outOfRange("{column}", "{year}", "{first}", "{last}"),
    },
    rejectedFields: [...REJECTED_FIELDS],
  };
}
