/**
 * Typed definitions of stack configuration keys: how a raw value (a string, as the Pulumi CLI
 * passes it) becomes a typed value, or a message that says what is accepted.
 *
 * Each definition carries the type, description and default that `Pulumi.yaml` declares, so the
 * schema in `config/schema.ts` is the single source for the program, `Pulumi.yaml` and the README's
 * configuration reference (tests keep the three in agreement).
 */

/** The types Pulumi.yaml can declare for a project config key. */
export type DeclaredType = "string" | "integer" | "boolean" | "array";

/** The outcome of parsing one raw value. */
export type ParseResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly expected: string };

/** One project configuration key. */
export interface KeyDefinition<T> {
  readonly type: DeclaredType;
  readonly description: string;
  /** The default declared in Pulumi.yaml; applied by the CLI and, for tests and tools, by `parseSettings`. */
  readonly default: T;
  /** What the key accepts, in words, for error messages and the README. */
  readonly accepts: string;
  parse(raw: string): ParseResult<T>;
}

const ok = <T>(value: T): ParseResult<T> => ({ ok: true, value });
const fail = <T>(expected: string): ParseResult<T> => ({ ok: false, expected });

export interface IntegerOptions {
  readonly description: string;
  readonly default: number;
  readonly min: number;
  readonly max: number;
  /** When set, the value must be one of these (e.g. CloudWatch's retention periods). */
  readonly oneOf?: readonly number[];
}

export function integerKey(options: IntegerOptions): KeyDefinition<number> {
  const accepts = options.oneOf
    ? `one of ${options.oneOf.join(", ")}`
    : `an integer from ${options.min} to ${options.max}`;
  return {
    type: "integer",
    description: options.description,
    default: options.default,
    accepts,
    parse(raw) {
      const trimmed = raw.trim();
      if (!/^-?\d+$/.test(trimmed)) return fail(accepts);
      const value = Number(trimmed);
      if (value < options.min || value > options.max) return fail(accepts);
      if (options.oneOf && !options.oneOf.includes(value)) return fail(accepts);
      return ok(value);
    },
  };
}

export function booleanKey(options: { readonly description: string; readonly default: boolean }): KeyDefinition<boolean> {
  const accepts = "true or false";
  return {
    type: "boolean",
    description: options.description,
    default: options.default,
    accepts,
    parse(raw) {
      const trimmed = raw.trim();
      if (trimmed === "true") return ok(true);
      if (trimmed === "false") return ok(false);
      return fail(accepts);
    },
  };
}

export function enumKey<const V extends string>(options: {
  readonly description: string;
  readonly default: V;
  readonly values: readonly V[];
}): KeyDefinition<V> {
  const accepts = `one of ${options.values.join(", ")}`;
  return {
    type: "string",
    description: options.description,
    default: options.default,
    accepts,
    parse(raw) {
      const match = options.values.find((candidate) => candidate === raw.trim());
      return match === undefined ? fail(accepts) : ok(match);
    },
  };
}

export function stringKey(options: {
  readonly description: string;
  readonly default: string;
  readonly pattern: RegExp;
  readonly accepts: string;
  /** Extra check beyond the pattern; returns false when the value is not accepted. */
  readonly check?: (value: string) => boolean;
}): KeyDefinition<string> {
  return {
    type: "string",
    description: options.description,
    default: options.default,
    accepts: options.accepts,
    parse(raw) {
      const trimmed = raw.trim();
      if (!options.pattern.test(trimmed)) return fail(options.accepts);
      if (options.check && !options.check(trimmed)) return fail(options.accepts);
      return ok(trimmed);
    },
  };
}

/** An array of strings, passed by the CLI as a JSON array; each item checked by `item`. */
export function stringArrayKey(options: {
  readonly description: string;
  readonly default: readonly string[];
  readonly item: KeyDefinition<string>;
  readonly unique?: boolean;
}): KeyDefinition<readonly string[]> {
  const accepts = `a list of ${options.item.accepts}${options.unique ? ", without repeats" : ""}`;
  return {
    type: "array",
    description: options.description,
    default: options.default,
    accepts,
    parse(raw) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(raw);
      } catch {
        return fail(accepts);
      }
      if (!Array.isArray(parsed)) return fail(accepts);
      const values: string[] = [];
      for (const element of parsed) {
        if (typeof element !== "string") return fail(accepts);
        const result = options.item.parse(element);
        if (!result.ok) return fail(accepts);
        values.push(result.value);
      }
      if (options.unique && new Set(values).size !== values.length) return fail(accepts);
      return ok(values);
    },
  };
}

/** IPv4 CIDR syntax with a network address that has no host bits set. */
export function isCanonicalIpv4Cidr(value: string): boolean {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(value);
  if (!match) return false;
  const octets = match.slice(1, 5).map(Number);
  const prefix = Number(match[5]);
  if (octets.some((octet) => octet > 255) || prefix > 32) return false;
  const address = ipv4ToNumber(octets);
  const hostBits = 32 - prefix;
  return hostBits === 32 ? address === 0 : address % 2 ** hostBits === 0;
}

export function ipv4ToNumber(octets: readonly number[]): number {
  return octets.reduce((acc, octet) => acc * 256 + octet, 0);
}

export const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
