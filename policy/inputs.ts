/**
 * Typed readers for resource properties as the policy analyzer passes them.
 *
 * What: the analyzer hands a policy untyped properties (`Record<string, any>`) wrapped in
 * `@pulumi/policy`'s unknown-checking proxy. During `pulumi preview` of a new stack, values that come
 * from other resources' outputs (ARNs, ids, generated names, JSON documents built from them) are
 * *unknown*: the engine sends a sentinel string for them and the proxy throws `UnknownValueError` when
 * a policy reads one, which aborts the whole policy (a stack policy then checks nothing at all).
 *
 * Why: rules must neither crash nor flag a violation on a value nobody knows yet. These readers work
 * on the plain object behind the proxy and return {@link UNKNOWN} for an unknown value, `undefined` for
 * a missing one, so every rule decides explicitly what an unknown means for it (usually: "cannot tell
 * yet, say nothing"; the rule runs again with known values during `pulumi up`).
 *
 * @example
 * ```ts
 * const inputs = Inputs.of(args.props);
 * const format = inputs.str("loggingConfig", "logFormat"); // "JSON" | other string | undefined | UNKNOWN
 * if (format !== UNKNOWN && format !== "JSON") report(...);
 * ```
 */

/** A value that exists but cannot be known before `pulumi up` creates what it comes from. */
export const UNKNOWN: unique symbol = Symbol("unknown at preview");
export type Unknown = typeof UNKNOWN;
/** A read value: the value, `undefined` when the property is absent, or {@link UNKNOWN}. */
export type Maybe<T> = T | undefined | Unknown;

/**
 * The sentinels the engine sends for unknown values, one per type (`@pulumi/policy`'s `proxy.js`,
 * the same strings as `@pulumi/pulumi`'s `runtime/rpc`); a test checks them against the installed package.
 */
export const UNKNOWN_SENTINELS: ReadonlySet<string> = new Set([
  "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",
  "3eeb2bf0-c639-47a8-9e75-3b44932eb421",
  "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
  "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",
  "030794c1-ac77-496b-92df-f27374a8bd58",
  "e48ece36-62e2-4504-bad9-02848725956a",
  "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",
]);

/** The string the engine sends for an unknown string; fixtures use it to model a preview. */
export const UNKNOWN_STRING_SENTINEL = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** Whether a raw value is the engine's unknown sentinel. */
export function isUnknown(value: unknown): boolean {
  return typeof value === "string" && UNKNOWN_SENTINELS.has(value);
}

export function isRecord(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The plain object behind `@pulumi/policy`'s unknown-checking proxy (reading it through the proxy would throw on unknowns). */
export function unwrapProps(props: object): Readonly<Record<string, unknown>> {
  const target: unknown = (props as Record<string, unknown>)["__getSpecialProxyTarget"];
  if (isRecord(target)) return target;
  return isRecord(props) ? props : {};
}

type PathSegment = string | number;

/** Reads a nested value; an unknown anywhere along the path makes the result {@link UNKNOWN}. */
export function valueAt(root: unknown, path: readonly PathSegment[]): unknown {
  let current: unknown = root;
  for (const segment of path) {
    if (isUnknown(current)) return UNKNOWN;
    if (current === undefined || current === null) return undefined;
    if (typeof segment === "number") {
      if (!Array.isArray(current)) return undefined;
      current = current[segment];
    } else {
      if (!isRecord(current)) return undefined;
      current = current[segment];
    }
  }
  return isUnknown(current) ? UNKNOWN : current;
}

/** Narrows a read value to a string. */
export function asString(value: unknown): Maybe<string> {
  if (value === UNKNOWN || isUnknown(value)) return UNKNOWN;
  return typeof value === "string" ? value : undefined;
}

/** Narrows a read value to a number (numeric strings too: some providers pass numbers as strings). */
export function asNumber(value: unknown): Maybe<number> {
  if (value === UNKNOWN || isUnknown(value)) return UNKNOWN;
  if (typeof value === "number") return value;
  if (typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value))) return Number(value);
  return undefined;
}

/** Narrows a read value to a boolean (`"true"`/`"false"` too). */
export function asBoolean(value: unknown): Maybe<boolean> {
  if (value === UNKNOWN || isUnknown(value)) return UNKNOWN;
  if (typeof value === "boolean") return value;
  if (value === "true" || value === "false") return value === "true";
  return undefined;
}

/** Narrows a read value to an array (its elements may still be unknown). */
export function asList(value: unknown): Maybe<readonly unknown[]> {
  if (value === UNKNOWN || isUnknown(value)) return UNKNOWN;
  return Array.isArray(value) ? value : undefined;
}

/** Narrows a read value to an object. */
export function asRecord(value: unknown): Maybe<Readonly<Record<string, unknown>>> {
  if (value === UNKNOWN || isUnknown(value)) return UNKNOWN;
  return isRecord(value) ? value : undefined;
}

/** The known strings of a list value (unknown elements and non-strings left out). */
export function knownStrings(value: unknown): string[] {
  const list = asList(value);
  if (list === UNKNOWN || list === undefined) {
    const single = asString(value);
    return single === UNKNOWN || single === undefined ? [] : [single];
  }
  return list.filter((element): element is string => typeof element === "string" && !isUnknown(element));
}

/** Whether a value is present: known and non-empty, or unknown (it will exist once resolved). */
export function isPresent(value: unknown): boolean {
  if (value === UNKNOWN || isUnknown(value)) return true;
  if (value === undefined || value === null || value === "") return false;
  if (Array.isArray(value)) return value.length > 0;
  return true;
}

/**
 * A resource's properties with typed, unknown-aware readers.
 *
 * @example
 * ```ts
 * const inputs = Inputs.of({ memorySize: 1024, environment: { variables: { NODE_OPTIONS: "--max-old-space-size=512" } } });
 * inputs.num("memorySize"); // 1024
 * inputs.str("environment", "variables", "NODE_OPTIONS"); // "--max-old-space-size=512"
 * ```
 */
export class Inputs {
  private constructor(readonly raw: Readonly<Record<string, unknown>>) {}

  /** Wraps analyzer props (proxied or plain). */
  static of(props: object): Inputs {
    return new Inputs(unwrapProps(props));
  }

  value(...path: PathSegment[]): unknown {
    return valueAt(this.raw, path);
  }
  str(...path: PathSegment[]): Maybe<string> {
    return asString(this.value(...path));
  }
  num(...path: PathSegment[]): Maybe<number> {
    return asNumber(this.value(...path));
  }
  bool(...path: PathSegment[]): Maybe<boolean> {
    return asBoolean(this.value(...path));
  }
  list(...path: PathSegment[]): Maybe<readonly unknown[]> {
    return asList(this.value(...path));
  }
  record(...path: PathSegment[]): Maybe<Readonly<Record<string, unknown>>> {
    return asRecord(this.value(...path));
  }
  /** Whether the property is set (an unknown value counts as set). */
  has(...path: PathSegment[]): boolean {
    return isPresent(this.value(...path));
  }
  /** The resource's known string tags (`tags`); unknown or absent tags read as none. */
  tags(): Readonly<Record<string, string>> {
    const tags = this.record("tags");
    if (tags === UNKNOWN || tags === undefined) return {};
    return Object.fromEntries(Object.entries(tags).filter((entry): entry is [string, string] => typeof entry[1] === "string" && !isUnknown(entry[1])));
  }
}
