/**
 * Production stacks (the pack's `productionStacks`, read from each resource's URN): what holds or
 * unlocks the data survives `pulumi destroy` and removal from the program, and alerts reach people.
 *
 * - Protection: `protect` makes the engine refuse to delete the resource; `retainOnDelete` leaves it
 *   in AWS when it leaves the stack. Which resources hold the data is the pack's
 *   `protectedResources` setting (the lake bucket and every KMS key). The analyzer protocol of Pulumi
 *   3.248 reports `protect` but not `retainOnDelete`: under `pulumi preview` the rule checks
 *   `retainOnDelete` only where the engine reports it; the offline tests pass it as the SDK
 *   registered it.
 * - Alert addresses: addresses at the reserved example domains (RFC 2606: example.com/.net/.org,
 *   .example, .test, .invalid, localhost) are placeholders nobody reads.
 */
import { stackOfUrn } from "../resources";
import type { ResourceView } from "../resources";
import type { Finding, PackSettings, ResourceRule } from "../rule";
import { TOPIC_SUBSCRIPTION } from "../functions";

function inProduction(resource: ResourceView, settings: PackSettings): boolean {
  const stack = stackOfUrn(resource.urn);
  return stack !== undefined && settings.productionStacks.includes(stack);
}

export const prodDataProtected: ResourceRule = {
  kind: "resource",
  name: "prod-data-protected",
  description: "In production, the lake bucket and the KMS keys are protect-ed and retainOnDelete.",
  level: "mandatory",
  remediation: "Pass { protect: true, retainOnDelete: true } in the resource's options.",
  types: ["aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2", "aws:kms/key:Key"],
  check: (resource, { settings }): Finding[] => {
    if (!inProduction(resource, settings)) return [];
    const listed = settings.protectedResources.some((entry) => entry.type === resource.type && (entry.name === undefined || entry.name === resource.name));
    if (!listed) return [];
    const missing = [...(resource.protect === true ? [] : ["protect"]), ...(resource.retainOnDelete === false ? ["retainOnDelete"] : [])];
    return missing.length === 0 ? [] : [{ resource, problem: `holds production data but is not ${missing.join(" or ")}`, property: missing.map((option) => `opts.${option}`).join(", "), fix: "true (resource options)" }];
  },
};

const PLACEHOLDER_DOMAIN = /@(?:[^@]+\.)?(?:example\.(?:com|net|org)|[^@]+\.(?:example|test|invalid)|localhost)$/i;

export const prodAlertEmailsReal: ResourceRule = {
  kind: "resource",
  name: "prod-alert-emails-real",
  description: "In production, no e-mail subscription goes to a placeholder address (example.com and other reserved domains).",
  level: "mandatory",
  remediation: "Subscribe the team's real on-call address instead.",
  types: [TOPIC_SUBSCRIPTION],
  check: (subscription, { settings }): Finding[] => {
    const protocol = subscription.inputs.str("protocol");
    const endpoint = subscription.inputs.str("endpoint");
    if (!inProduction(subscription, settings) || (protocol !== "email" && protocol !== "email-json") || typeof endpoint !== "string" || !PLACEHOLDER_DOMAIN.test(endpoint)) return [];
    return [{ resource: subscription, problem: `sends production alerts to the placeholder ${endpoint}, which nobody reads`, property: "endpoint", fix: "the team's on-call address" }];
  },
};

export const PROD_RULES = [prodDataProtected, prodAlertEmailsReal] as const;
