/**
 * Thrift's compact protocol, write side only, for the structures a Parquet file needs (page headers
 * and the footer's FileMetaData): integers as zigzag varints, binary and strings length-prefixed,
 * structs as field headers with delta-encoded field ids, ended by a stop byte (Apache Thrift,
 * "Thrift Compact protocol encoding", doc/specs/thrift-compact-protocol.md).
 *
 * A structure is written from a plain description: `[fieldId, value]` pairs, where the value's
 * JavaScript shape picks the wire type (see `ThriftValue`). Absent (undefined) fields are skipped.
 */

/** Compact protocol wire types. */
const TYPE = { TRUE: 1, FALSE: 2, I32: 5, I64: 6, BINARY: 8, LIST: 9, STRUCT: 12 } as const;

/**
 * A value to write: `i32`/`i64` tagged integers (both are zigzag varints on the wire; the tag only
 * decides the type nibble), booleans, strings (UTF-8 binary), bytes (binary), lists of one kind, and
 * structs.
 */
export type ThriftValue =
  | { readonly i32: number }
  | { readonly i64: number | bigint }
  | boolean
  | string
  | Uint8Array
  | ThriftList
  | ThriftStruct;

export interface ThriftList {
  readonly list: readonly ThriftValue[];
}

/** Fields in increasing id order; undefined values are left out. */
export interface ThriftStruct {
  readonly struct: readonly (readonly [number, ThriftValue | undefined])[];
}

/** Shorthands for the tagged values. */
export const i32 = (value: number): { i32: number } => ({ i32: value });
export const i64 = (value: number | bigint): { i64: number | bigint } => ({ i64: value });
export const struct = (...fields: (readonly [number, ThriftValue | undefined])[]): ThriftStruct => ({ struct: fields });
export const list = (values: readonly ThriftValue[]): ThriftList => ({ list: values });

/** A growable byte buffer (a closure, not a class: Pulumi's closure serializer drops class field initializers). */
interface Output {
  byte(value: number): void;
  append(values: Uint8Array): void;
  bytes(): Uint8Array;
}

function output(): Output {
  let buffer = new Uint8Array(256);
  let length = 0;
  const grow = (extra: number): void => {
    const larger = new Uint8Array(Math.max(buffer.length * 2, length + extra));
    larger.set(buffer.subarray(0, length));
    buffer = larger;
  };
  return {
    byte(value) {
      if (length === buffer.length) grow(1);
      buffer[length++] = value;
    },
    append(values) {
      if (length + values.length > buffer.length) grow(values.length);
      buffer.set(values, length);
      length += values.length;
    },
    bytes: () => buffer.subarray(0, length),
  };
}

function varint(out: Output, value: number | bigint): void {
  if (typeof value === "bigint") {
    let rest = value;
    while (rest > 0x7fn) {
      out.byte(Number(rest & 0x7fn) | 0x80);
      rest >>= 7n;
    }
    out.byte(Number(rest));
    return;
  }
  // Numbers up to 2^53: division rather than bit operators, which cut at 32 bits.
  let rest = value;
  while (rest > 0x7f) {
    out.byte((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  out.byte(rest);
}

function zigzag(value: number | bigint): number | bigint {
  if (typeof value === "bigint") return value >= 0n ? value << 1n : (-value << 1n) - 1n;
  return value >= 0 ? value * 2 : -value * 2 - 1;
}

function typeOf(value: ThriftValue): number {
  if (typeof value === "boolean") return value ? TYPE.TRUE : TYPE.FALSE;
  if (typeof value === "string" || value instanceof Uint8Array) return TYPE.BINARY;
  if ("i32" in value) return TYPE.I32;
  if ("i64" in value) return TYPE.I64;
  if ("list" in value) return TYPE.LIST;
  return TYPE.STRUCT;
}

function writeValue(out: Output, value: ThriftValue): void {
  if (typeof value === "boolean") {
    // Only inside lists (a struct field carries its boolean in the type nibble): one byte.
    out.byte(value ? 1 : 0);
  } else if (typeof value === "string" || value instanceof Uint8Array) {
    const bytes = typeof value === "string" ? Buffer.from(value, "utf8") : value;
    varint(out, bytes.length);
    out.append(bytes);
  } else if ("i32" in value) {
    varint(out, zigzag(value.i32));
  } else if ("i64" in value) {
    varint(out, zigzag(value.i64));
  } else if ("list" in value) {
    const elementType = value.list.length > 0 ? typeOf(value.list[0]!) : TYPE.STRUCT;
    // Booleans in a list use type 1 for both values.
    const nibble = elementType === TYPE.FALSE ? TYPE.TRUE : elementType;
    if (value.list.length < 15) out.byte((value.list.length << 4) | nibble);
    else {
      out.byte(0xf0 | nibble);
      varint(out, value.list.length);
    }
    for (const element of value.list) writeValue(out, element);
  } else {
    writeStruct(out, value);
  }
}

function writeStruct(out: Output, value: ThriftStruct): void {
  let lastId = 0;
  for (const [id, field] of value.struct) {
    if (field === undefined) continue;
    const type = typeOf(field);
    const delta = id - lastId;
    if (delta > 0 && delta <= 15) out.byte((delta << 4) | type);
    else {
      out.byte(type);
      varint(out, zigzag(id));
    }
    if (typeof field !== "boolean") writeValue(out, field);
    lastId = id;
  }
  out.byte(0);
}

/**
 * Encodes a struct with the compact protocol.
 *
 * @example encodeStruct(struct([1, i32(3)], [2, "a"])) // Uint8Array [0x15, 0x06, 0x18, 0x01, 0x61, 0x00]
 */
export function encodeStruct(value: ThriftStruct): Uint8Array {
  const out = output();
  writeStruct(out, value);
  return out.bytes();
}
