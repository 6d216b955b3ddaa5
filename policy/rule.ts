/**
 * What a rule is, and how it becomes a CrossGuard policy: every rule has a name, a one-line
 * description, an enforcement level and a remediation line; it returns findings, and the adapter
 * here turns each finding into a violation message that names the resource and the input to change,
 * unless a waiver covers it.
 *
 * Why an adapter: rules stay plain functions of {@link ResourceView}s (testable without the analyzer),
 * the message format and the waiver mechanism live in one place, and `@pulumi/policy` is only
 * imported for its types here (constructing a `PolicyPack` starts a gRPC server: only
 * `policy/index.ts` does that).
 *
 * Waivers: a resource waives one rule with the tag `policy-waiver:<rule-name>` = reason; a resource
 * that takes no tags (a bucket policy, a role policy) is waived by an entry in `policy/waivers.json`.
 * A waiver without a reason is ignored. Every honoured waiver is reported by the advisory
 * `policy-waivers` rule, so waivers stay visible in every preview.
 *
 * @example
 * ```ts
 * const policy = toPolicy(myRule, { now: () => new Date(), settings: DEFAULT_SETTINGS, waivers: [] });
 * // policy.validateResource / policy.validateStack, as the analyzer calls them
 * ```
 */
import type { ReportViolation, ResourceValidationArgs, ResourceValidationPolicy, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";
import { ResourceView, StackView, label, resourceFromArgs, stackOfUrn } from "./resources";

export type Level = "mandatory" | "advisory";

/** One violation a rule found. */
export interface Finding {
  /** The resource the violation is reported against; its tags can waive it. */
  readonly resource: ResourceView;
  /** What is wrong, with the values found. */
  readonly problem: string;
  /** The input to change (e.g. `messageRetentionSeconds`), or the inputs of a resource to add. */
  readonly property: string;
  /** Where that input lives when not on `resource`: another resource, or a description of one to add. */
  readonly on?: ResourceView | string;
  /** What to set it to. */
  readonly fix: string;
}

/** Settings the pack is built with (see `policy/pack.ts`). */
export interface PackSettings {
  /** Stacks the `prod-*` rules apply to. */
  readonly productionStacks: readonly string[];
  /** Resources that must be `protect`ed and `retainOnDelete` in production (a name narrows a type). */
  readonly protectedResources: readonly { readonly type: string; readonly name?: string }[];
  /** The account's concurrent-execution quota (AWS default 1000). */
  readonly accountConcurrencyLimit: number;
  /** How long before a runtime's deprecation the advisory rule starts warning. */
  readonly runtimeWarningDays: number;
}

export interface RuleContext {
  readonly now: Date;
  readonly settings: PackSettings;
}

type Findings = readonly Finding[] | Promise<readonly Finding[]>;

interface RuleInfo {
  /** Unique, kebab-case; also the waiver tag's suffix. */
  readonly name: string;
  /** One line: what the rule keeps true. */
  readonly description: string;
  readonly level: Level;
  /** One line: how to fix a violation in general (each message says it for the resource). */
  readonly remediation: string;
}

/** A rule that looks at one resource of `types` at a time (it runs before that resource is created or updated). */
export interface ResourceRule extends RuleInfo {
  readonly kind: "resource";
  readonly types: readonly string[];
  check(resource: ResourceView, context: RuleContext): Findings;
}

/** A rule that correlates resources of the whole stack (it runs after the preview or update). */
export interface StackRule extends RuleInfo {
  readonly kind: "stack";
  check(stack: StackView, context: RuleContext): Findings;
}

export type Rule = ResourceRule | StackRule;

/** The tag prefix of a waiver: `policy-waiver:<rule-name>` = reason. */
export const WAIVER_TAG_PREFIX = "policy-waiver:";

/** A waiver for a resource that takes no tags, from `policy/waivers.json`. */
export interface WaiverEntry {
  readonly rule: string;
  /** The resource's logical name. */
  readonly resource: string;
  readonly reason: string;
  /** Stacks the waiver applies to; all when absent. */
  readonly stacks?: readonly string[];
}

export interface Waiver {
  readonly rule: string;
  readonly reason: string;
  readonly source: "tag" | "waivers.json";
}

/**
 * The waivers that apply to a resource: its `policy-waiver:*` tags, and the file entries naming it
 * for its stack. Entries without a reason are kept (the waiver report flags them) but never honoured.
 */
export function waiversOf(resource: ResourceView, entries: readonly WaiverEntry[]): Waiver[] {
  const fromTags = Object.entries(resource.inputs.tags())
    .filter(([key]) => key.startsWith(WAIVER_TAG_PREFIX))
    .map(([key, reason]): Waiver => ({ rule: key.slice(WAIVER_TAG_PREFIX.length), reason: reason.trim(), source: "tag" }));
  const stack = stackOfUrn(resource.urn);
  const fromFile = entries
    .filter((entry) => entry.resource === resource.name && (entry.stacks === undefined || (stack !== undefined && entry.stacks.includes(stack))))
    .map((entry): Waiver => ({ rule: entry.rule, reason: entry.reason.trim(), source: "waivers.json" }));
  return [...fromTags, ...fromFile];
}

/** The honoured waiver of `rule` on `resource`, if any. */
export function waiverFor(rule: string, resource: ResourceView, entries: readonly WaiverEntry[]): Waiver | undefined {
  return waiversOf(resource, entries).find((waiver) => waiver.rule === rule && waiver.reason !== "");
}

/**
 * A finding as the violation message users read.
 *
 * @example
 * ```ts
 * message({ resource: queue, problem: "retention 14 days is not longer than the source's 14 days", property: "messageRetentionSeconds", fix: "above 1209600" });
 * // 'aws:sqs/queue:Queue "dlq": retention … Change `messageRetentionSeconds`: above 1209600.'
 * ```
 */
export function message(finding: Finding, configKey?: string): string {
  const where = finding.on === undefined ? "" : typeof finding.on === "string" ? ` of ${finding.on}` : ` of ${label(finding.on)}`;
  const config = configKey === undefined ? "" : ` (stack config: ${configKey})`;
  return `${label(finding.resource)}: ${finding.problem}. Change \`${finding.property}\`${where}: ${finding.fix}${config}.`;
}

export interface PolicyOptions {
  readonly now: () => Date;
  readonly settings: PackSettings;
  readonly waivers: readonly WaiverEntry[];
  /** Per rule, the project's stack configuration key that sets the input a violation names, added to messages. */
  readonly configKeys?: Readonly<Record<string, string>>;
}

function report(findings: readonly Finding[], rule: Rule, options: PolicyOptions, reportViolation: ReportViolation): void {
  for (const finding of findings) {
    if (waiverFor(rule.name, finding.resource, options.waivers)) continue;
    reportViolation(message(finding, options.configKeys?.[rule.name]), finding.resource.urn);
  }
}

/**
 * The CrossGuard policy of a rule.
 *
 * @example
 * ```ts
 * const policies = RULES.map((rule) => toPolicy(rule, options)); // what PolicyPack takes
 * ```
 */
export function toPolicy(rule: Rule, options: PolicyOptions): ResourceValidationPolicy | StackValidationPolicy {
  const info = { name: rule.name, description: rule.description, enforcementLevel: rule.level, remediationSteps: rule.remediation };
  const context = (): RuleContext => ({ now: options.now(), settings: options.settings });
  if (rule.kind === "resource") {
    return {
      ...info,
      validateResource: async (args: ResourceValidationArgs, reportViolation: ReportViolation) => {
        if (!rule.types.includes(args.type)) return;
        report(await rule.check(resourceFromArgs(args), context()), rule, options, reportViolation);
      },
    };
  }
  return {
    ...info,
    validateStack: async (args: StackValidationArgs, reportViolation: ReportViolation) => {
      report(await rule.check(StackView.fromPolicyResources(args.resources), context()), rule, options, reportViolation);
    },
  };
}
