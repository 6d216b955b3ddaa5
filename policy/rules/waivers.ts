/**
 * The waiver report: every waiver the pack honours is printed (advisory) in every preview and
 * update, so a waived rule stays visible; a waiver that names no rule of the pack, has no reason, or
 * (in `policy/waivers.json`) matches no resource of the stack is reported as well.
 *
 * Why: a waiver is a decision someone must be able to find and revisit. Tags and the file are both
 * code-reviewed; this report makes them show up where violations show up.
 */
import { WAIVER_TAG_PREFIX, WaiverEntry, waiversOf } from "../rule";
import type { Finding, StackRule } from "../rule";

/**
 * @param ruleNames - the names of the pack's rules, which waivers may name.
 * @param entries - the entries of `policy/waivers.json`.
 *
 * @example
 * ```ts
 * const report = waiverReport(RULES.map((rule) => rule.name), entries);
 * ```
 */
export function waiverReport(ruleNames: readonly string[], entries: readonly WaiverEntry[]): StackRule {
  return {
    kind: "stack",
    name: "policy-waivers",
    description: `Lists every waiver (tag ${WAIVER_TAG_PREFIX}<rule> = reason, or policy/waivers.json) and flags waivers that name no rule, give no reason or match nothing.`,
    level: "advisory",
    remediation: "Remove waivers that are no longer needed; give every waiver a reason.",
    check: (stack) => {
      const findings: Finding[] = stack.resources.flatMap((resource) =>
        waiversOf(resource, entries).map((waiver): Finding => {
          const where = waiver.source === "tag" ? `tag ${WAIVER_TAG_PREFIX}${waiver.rule}` : "policy/waivers.json";
          const property = waiver.source === "tag" ? `tags["${WAIVER_TAG_PREFIX}${waiver.rule}"]` : "policy/waivers.json";
          if (!ruleNames.includes(waiver.rule)) return { resource, problem: `${where} waives "${waiver.rule}", which is not a rule of this pack`, property, fix: `a rule name (${ruleNames.length} rules: see README "Policies") or remove the waiver` };
          if (waiver.reason === "") return { resource, problem: `${where} waives ${waiver.rule} without a reason, so the waiver is ignored`, property, fix: "a reason (why the rule does not apply here)" };
          return { resource, problem: `${waiver.rule} is waived (${where}): ${waiver.reason}`, property, fix: "remove the waiver once the reason no longer holds" };
        }),
      );
      const names = new Set(stack.resources.map((resource) => resource.name));
      const stackName = stack.stack;
      const stale = entries.filter((entry) => !names.has(entry.resource) && (entry.stacks === undefined || (stackName !== undefined && entry.stacks.includes(stackName))));
      const anchor = stack.resources.find((resource) => resource.type === "pulumi:pulumi:Stack") ?? stack.resources[0];
      if (anchor) {
        for (const entry of stale) {
          findings.push({ resource: anchor, problem: `policy/waivers.json waives ${entry.rule} for "${entry.resource}", which this stack does not have`, property: "policy/waivers.json", fix: "remove the entry or correct the resource's logical name" });
        }
      }
      return findings;
    },
  };
}
