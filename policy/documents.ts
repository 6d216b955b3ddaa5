/**
 * IAM policy documents as the rules read them: parsed from the JSON string (or object) a resource
 * input holds, with every statement normalized (single values become lists, principals grouped by
 * kind, conditions flattened to operator/key/values).
 *
 * Why: identity policies, bucket, queue, topic, key and endpoint policies all share IAM's grammar;
 * the rules ask the same questions of all of them ("does this statement allow s3:PutObject?", "is
 * this condition an …IfExists on an encryption header?"). Parsing once, here, keeps those questions
 * one-liners in the rules. Nothing here knows how the program builds its documents: the rules read
 * what the engine passes.
 *
 * @example
 * ```ts
 * const document = parseDocument('{"Statement":[{"Effect":"Allow","Action":"s3:Get*","Resource":"*"}]}');
 * if (document !== UNKNOWN && document !== undefined) {
 *   allowsAction(document.statements[0]!, "s3:GetObject"); // true
 * }
 * ```
 */
import { Maybe, UNKNOWN, asRecord, isRecord, isUnknown } from "./inputs";

/** One condition test: `"StringNotEqualsIfExists": { "s3:x-amz-server-side-encryption": "aws:kms" }`. */
export interface ConditionTest {
  readonly operator: string;
  readonly key: string;
  readonly values: readonly string[];
}

/** Who a statement applies to, by principal kind. `any` is `"*"` or `{"AWS": "*"}`. */
export interface Principals {
  readonly any: boolean;
  readonly aws: readonly string[];
  readonly service: readonly string[];
  readonly federated: readonly string[];
  readonly canonicalUser: readonly string[];
}

export interface Statement {
  readonly sid: string | undefined;
  readonly effect: "Allow" | "Deny";
  /** Undefined in identity policies, which name no principal. */
  readonly principal: Principals | undefined;
  readonly notPrincipal: Principals | undefined;
  readonly actions: readonly string[];
  readonly notActions: readonly string[];
  readonly resources: readonly string[];
  readonly notResources: readonly string[];
  readonly conditions: readonly ConditionTest[];
}

export interface PolicyDocument {
  readonly statements: readonly Statement[];
}

/** A statement's display name in messages: its Sid, else its position. */
export function statementLabel(statement: Statement, index: number): string {
  return statement.sid ? `statement "${statement.sid}"` : `statement #${index + 1}`;
}

function strings(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  const list: unknown[] = Array.isArray(value) ? value : [value];
  return list.map((element) => (typeof element === "string" ? element : String(element)));
}

function principals(value: unknown): Principals | undefined {
  if (value === undefined) return undefined;
  if (value === "*") return { any: true, aws: [], service: [], federated: [], canonicalUser: [] };
  const record = isRecord(value) ? value : {};
  const aws = strings(record["AWS"]);
  return {
    any: aws.includes("*"),
    aws: aws.filter((principal) => principal !== "*"),
    service: strings(record["Service"]),
    federated: strings(record["Federated"]),
    canonicalUser: strings(record["CanonicalUser"]),
  };
}

function conditions(value: unknown): ConditionTest[] {
  if (!isRecord(value)) return [];
  return Object.entries(value).flatMap(([operator, tests]) =>
    isRecord(tests) ? Object.entries(tests).map(([key, values]) => ({ operator, key, values: strings(values) })) : [],
  );
}

function statement(value: unknown): Statement | undefined {
  if (!isRecord(value)) return undefined;
  const effect = value["Effect"];
  if (effect !== "Allow" && effect !== "Deny") return undefined;
  return {
    sid: typeof value["Sid"] === "string" ? value["Sid"] : undefined,
    effect,
    principal: principals(value["Principal"]),
    notPrincipal: principals(value["NotPrincipal"]),
    actions: strings(value["Action"]),
    notActions: strings(value["NotAction"]),
    resources: strings(value["Resource"]),
    notResources: strings(value["NotResource"]),
    conditions: conditions(value["Condition"]),
  };
}

/** Whether a document contains an unknown anywhere (an output not resolved at preview). */
function containsUnknown(value: unknown): boolean {
  if (isUnknown(value)) return true;
  if (Array.isArray(value)) return value.some(containsUnknown);
  if (isRecord(value)) return Object.values(value).some(containsUnknown);
  return false;
}

/**
 * Parses a policy document input: a JSON string (most resources) or an object. Returns
 * {@link UNKNOWN} when the document is not known yet, `undefined` when it is absent or not a policy.
 */
export function parseDocument(value: unknown): Maybe<PolicyDocument> {
  if (value === UNKNOWN || isUnknown(value)) return UNKNOWN;
  let parsed: unknown = value;
  if (typeof value === "string") {
    if (value.trim() === "") return undefined;
    try {
      parsed = JSON.parse(value);
    } catch {
      return undefined;
    }
  }
  const record = asRecord(parsed);
  if (record === UNKNOWN) return UNKNOWN;
  if (record === undefined) return undefined;
  if (containsUnknown(record)) return UNKNOWN;
  const raw = record["Statement"];
  const list: unknown[] = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  return { statements: list.map(statement).filter((entry): entry is Statement => entry !== undefined) };
}

/**
 * IAM's wildcard match (`*` any run of characters, `?` one), case-insensitive as IAM matches actions.
 *
 * @example
 * ```ts
 * wildcardMatch("s3:Get*", "s3:GetObject"); // true
 * ```
 */
export function wildcardMatch(pattern: string, value: string, caseSensitive = false): boolean {
  const escaped = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${escaped}$`, caseSensitive ? "" : "i").test(value);
}

/** Whether a statement's actions cover `action` (`Action` patterns, or everything outside `NotAction`). */
/** The condition keys that scope a service principal to this account's resources (the confused-deputy guard). */
export const CONFUSED_DEPUTY_KEYS = ["aws:SourceAccount", "aws:SourceArn"] as const;

export function coversAction(statement: Statement, action: string): boolean {
  if (statement.notActions.length > 0) return !statement.notActions.some((pattern) => wildcardMatch(pattern, action));
  return statement.actions.some((pattern) => wildcardMatch(pattern, action));
}

/** Whether an Allow statement grants `action`. */
export function allowsAction(statement: Statement, action: string): boolean {
  return statement.effect === "Allow" && coversAction(statement, action);
}

/** Whether a statement's resources cover the ARN `resource` (ARN patterns match case-sensitively). */
export function coversResource(statement: Statement, resource: string): boolean {
  if (statement.notResources.length > 0) return !statement.notResources.some((pattern) => wildcardMatch(pattern, resource, true));
  return statement.resources.some((pattern) => wildcardMatch(pattern, resource, true));
}

/** The condition tests on `key` (condition keys are case-insensitive). */
export function conditionsOn(statement: Statement, key: string): ConditionTest[] {
  const wanted = key.toLowerCase();
  return statement.conditions.filter((condition) => condition.key.toLowerCase() === wanted);
}

/** Every principal ARN, account id or service of a statement, for messages. */
export function describePrincipals(value: Principals | undefined): string {
  if (value === undefined) return "(none)";
  if (value.any) return "*";
  return [...value.aws, ...value.service, ...value.federated, ...value.canonicalUser].join(", ");
}

/** The 12-digit account an IAM principal (`arn:aws:iam::123456789012:root`, a role ARN, a bare id) belongs to. */
export function principalAccount(principal: string): string | undefined {
  if (/^\d{12}$/.test(principal)) return principal;
  return /^arn:[^:]+:(?:iam|sts)::(\d{12}):/.exec(principal)?.[1];
}

/** Whether an IAM principal is an account's root (`arn:…:iam::<account>:root` or the bare account id). */
export function isAccountRoot(principal: string): boolean {
  return /^\d{12}$/.test(principal) || /^arn:[^:]+:iam::\d{12}:root$/.test(principal);
}

/** The account in an ARN's account field (`arn:aws:sns:eu-west-1:123456789012:topic`), when there is one. */
export function arnAccount(arn: string): string | undefined {
  return /^arn:[^:]+:[^:]+:[^:]*:(\d{12}):/.exec(arn)?.[1];
}

/** `service:Action` split, or undefined for a malformed action. */
export function splitAction(action: string): { service: string; name: string } | undefined {
  const match = /^([A-Za-z0-9-]+):(.+)$/.exec(action);
  return match ? { service: match[1]!.toLowerCase(), name: match[2]! } : undefined;
}
