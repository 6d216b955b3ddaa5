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

const RATE_EXPRESSION = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/;

interface CronField {
  readonly min: number;
  readonly max: number;
  /** Names accepted for values, e.g. JAN..DEC, mapped to their numbers. */
  readonly names?: readonly string[];
  /** Extra tokens allowed on their own or in the field: `?`, `L`, `W`, `#`. */
  readonly question?: boolean;
  readonly special?: RegExp;
}

const MONTH_NAMES = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const DAY_NAMES = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

/** EventBridge's six cron fields: minutes, hours, day-of-month, month, day-of-week, year. */
const CRON_FIELDS: readonly CronField[] = [
  { min: 0, max: 59 },
  { min: 0, max: 23 },
  { min: 1, max: 31, question: true, special: /^(L|LW|\d{1,2}W)$/ },
  { min: 1, max: 12, names: MONTH_NAMES },
  { min: 1, max: 7, names: DAY_NAMES, question: true, special: /^([1-7]|SUN|MON|TUE|WED|THU|FRI|SAT)(L|#[1-5])$|^L$/ },
  { min: 1970, max: 2199 },
];

function cronValue(token: string, field: CronField): number | undefined {
  const named = field.names?.indexOf(token.toUpperCase()) ?? -1;
  if (named >= 0) return named + field.min;
  if (!/^\d+$/.test(token)) return undefined;
  const value = Number(token);
  return value >= field.min && value <= field.max ? value : undefined;
}

function isCronField(text: string, field: CronField): boolean {
  if (text === "?") return field.question === true;
  return text.split(",").every((part) => {
    if (field.special?.test(part.toUpperCase())) return true;
    const [range, step, ...rest] = part.split("/");
    if (rest.length > 0 || range === undefined) return false;
    if (step !== undefined && !/^[1-9]\d*$/.test(step)) return false;
    if (range === "*") return true;
    const bounds = range.split("-");
    if (bounds.length > 2) return false;
    const values = bounds.map((bound) => cronValue(bound, field));
    return values.every((value) => value !== undefined);
  });
}

/**
 * Whether `text` is an EventBridge schedule expression, by syntax: `rate(1 day)`, `rate(5 minutes)`,
 * or `cron(15 2 * * ? *)` (six fields; one of day-of-month and day-of-week must be `?`).
 *
 * @example
 * ```ts
 * isScheduleExpression("cron(30 2 * * ? *)"); // true
 * isScheduleExpression("cron(30 2 * * *)");   // false: five fields is Unix cron, not EventBridge
 * ```
 */
export function isScheduleExpression(text: string): boolean {
  const rate = RATE_EXPRESSION.exec(text);
  if (rate) {
    const value = Number(rate[1]);
    const singular = !rate[2]!.endsWith("s");
    return value >= 1 && (value === 1) === singular;
  }
  const cron = /^cron\((.*)\)$/.exec(text);
  if (!cron) return false;
  const fields = cron[1]!.split(" ");
  if (fields.length !== CRON_FIELDS.length) return false;
  if (!fields.every((field, index) => isCronField(field, CRON_FIELDS[index]!))) return false;
  const [, , dayOfMonth, , dayOfWeek] = fields;
  return (dayOfMonth === "?") !== (dayOfWeek === "?");
}

/**
 * Whether `text` is an https address of a repository: a host, an optional path, no credentials,
 * query or fragment, and no trailing slash (links are built by appending `/blob/…`).
 *
 * @example
 * ```ts
 * isRepositoryUrl("https://github.com/your-org/datalake"); // true
 * isRepositoryUrl("http://github.com/your-org/datalake");  // false: not https
 * ```
 */
export function isRepositoryUrl(text: string): boolean {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return false;
  }
  return url.protocol === "https:" && url.hostname.includes(".") && url.username === "" && url.password === "" && url.search === "" && url.hash === "" && !text.endsWith("/");
}
