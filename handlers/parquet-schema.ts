/**
 * The Parquet schema of a dataset: its physical and logical types, its leaf columns with their Dremel
 * levels, and the schema's thrift form for the footer. The single mapping from the registry's column
 * types (the Glue types, handlers/datasets.ts) to Parquet.
 *
 * Types are the plain ones Athena (Hive's Parquet reader) and DuckDB read: UTF8 strings as
 * BYTE_ARRAY, INT32, INT64, DOUBLE, BOOLEAN, DATE as INT32, timestamps as INT64 TIMESTAMP_MILLIS
 * adjusted to UTC, and `map<string,string>` as the standard three-level MAP (Apache Parquet,
 * LogicalTypes.md, "Maps"). Logical types are written beside the legacy converted types, so old and
 * new readers agree.
 */
import type { ColumnDefinition, ColumnType, DatasetDefinition } from "./datasets";
import { i32, list, struct, type ThriftValue } from "./thrift-compact";

export type PhysicalType = "BOOLEAN" | "INT32" | "INT64" | "DOUBLE" | "BYTE_ARRAY";
export type Repetition = "REQUIRED" | "OPTIONAL" | "REPEATED";
type ConvertedType = "UTF8" | "MAP" | "DATE" | "TIMESTAMP_MILLIS";
type LogicalType = { readonly type: "STRING" | "MAP" | "DATE" } | { readonly type: "TIMESTAMP"; readonly isAdjustedToUTC: boolean; readonly unit: "MILLIS" };

/** One element of the flattened schema tree, as Parquet's FileMetaData lists it. */
export interface SchemaElement {
  readonly name: string;
  readonly type?: PhysicalType;
  readonly repetition_type?: Repetition;
  readonly num_children?: number;
  readonly converted_type?: ConvertedType;
  readonly logical_type?: LogicalType;
}

/** A leaf column: its path below the root (Parquet's `path_in_schema`), its element, and its maximum Dremel levels. */
export interface LeafColumn {
  readonly path: readonly string[];
  readonly element: SchemaElement & { readonly type: PhysicalType };
  readonly maxDefinitionLevel: number;
  readonly maxRepetitionLevel: number;
}

const PHYSICAL: Readonly<Record<Exclude<ColumnType, "map<string,string>">, Omit<SchemaElement, "name" | "repetition_type"> & { type: PhysicalType }>> = {
  string: { type: "BYTE_ARRAY", converted_type: "UTF8", logical_type: { type: "STRING" } },
  int: { type: "INT32" },
  bigint: { type: "INT64" },
  double: { type: "DOUBLE" },
  boolean: { type: "BOOLEAN" },
  timestamp: { type: "INT64", converted_type: "TIMESTAMP_MILLIS", logical_type: { type: "TIMESTAMP", isAdjustedToUTC: true, unit: "MILLIS" } },
  date: { type: "INT32", converted_type: "DATE", logical_type: { type: "DATE" } },
};

const STRING_LEAF = { type: "BYTE_ARRAY", converted_type: "UTF8", logical_type: { type: "STRING" } } as const;

function columnSchema(column: ColumnDefinition): SchemaElement[] {
  const repetition = column.required ? "REQUIRED" : "OPTIONAL";
  if (column.type === "map<string,string>") {
    // The standard three-level MAP layout that Athena (Hive) and DuckDB read as map<string,string>.
    return [
      { name: column.name, repetition_type: repetition, converted_type: "MAP", logical_type: { type: "MAP" }, num_children: 1 },
      { name: "key_value", repetition_type: "REPEATED", num_children: 2 },
      { name: "key", repetition_type: "REQUIRED", ...STRING_LEAF },
      { name: "value", repetition_type: "OPTIONAL", ...STRING_LEAF },
    ];
  }
  return [{ name: column.name, repetition_type: repetition, ...PHYSICAL[column.type] }];
}

/**
 * The Parquet schema of a dataset, in column order, root first.
 *
 * @example parquetSchema(USERS)[1] // { name: "user_id", repetition_type: "REQUIRED", type: "INT32" }
 */
export function parquetSchema(dataset: DatasetDefinition): SchemaElement[] {
  return [{ name: "schema", num_children: dataset.columns.length }, ...dataset.columns.flatMap(columnSchema)];
}

/**
 * The leaf columns of each of the dataset's columns (one for a flat column; key and value for a map),
 * with their levels: an OPTIONAL or REPEATED ancestor adds a definition level, a REPEATED one a
 * repetition level.
 *
 * @example leafColumns(EVENTS)[4]!.map((leaf) => leaf.path.join(".")) // ["properties.key_value.key", "properties.key_value.value"]
 */
export function leafColumns(dataset: DatasetDefinition): LeafColumn[][] {
  return dataset.columns.map((column) => {
    const [top, ...below] = columnSchema(column);
    const leaves = below.length === 0 ? [[top!]] : [[top!, below[0]!, below[1]!], [top!, below[0]!, below[2]!]];
    return leaves.map((elements) => {
      const element = elements[elements.length - 1]! as LeafColumn["element"];
      return {
        path: elements.map((part) => part.name),
        element,
        maxDefinitionLevel: elements.filter((part) => part.repetition_type !== "REQUIRED").length,
        maxRepetitionLevel: elements.filter((part) => part.repetition_type === "REPEATED").length,
      };
    });
  });
}

/** Thrift enum values (Apache Parquet, parquet.thrift). */
export const PHYSICAL_TYPE_IDS: Readonly<Record<PhysicalType, number>> = { BOOLEAN: 0, INT32: 1, INT64: 2, DOUBLE: 5, BYTE_ARRAY: 6 };
const REPETITION_IDS: Readonly<Record<Repetition, number>> = { REQUIRED: 0, OPTIONAL: 1, REPEATED: 2 };
const CONVERTED_TYPE_IDS: Readonly<Record<ConvertedType, number>> = { UTF8: 0, MAP: 1, DATE: 6, TIMESTAMP_MILLIS: 9 };

function logicalTypeStruct(type: LogicalType): ThriftValue {
  // LogicalType is a union: the member's field id names the type (STRING 1, MAP 2, DATE 6, TIMESTAMP 8).
  if (type.type !== "TIMESTAMP") return struct([{ STRING: 1, MAP: 2, DATE: 6 }[type.type], struct()]);
  // TimestampType { 1: isAdjustedToUTC, 2: unit (TimeUnit union, MILLIS = 1) }
  return struct([8, struct([1, type.isAdjustedToUTC], [2, struct([1, struct()])])]);
}

/** The schema as FileMetaData's field 2 lists it. */
export function schemaThrift(schema: readonly SchemaElement[]): ThriftValue {
  return list(
    schema.map((element) =>
      struct(
        [1, element.type !== undefined ? i32(PHYSICAL_TYPE_IDS[element.type]) : undefined],
        [3, element.repetition_type !== undefined ? i32(REPETITION_IDS[element.repetition_type]) : undefined],
        [4, element.name],
        [5, element.num_children !== undefined ? i32(element.num_children) : undefined],
        [6, element.converted_type !== undefined ? i32(CONVERTED_TYPE_IDS[element.converted_type]) : undefined],
        [10, element.logical_type !== undefined ? logicalTypeStruct(element.logical_type) : undefined],
      ),
    ),
  );
}
