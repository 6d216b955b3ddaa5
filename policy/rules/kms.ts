/**
 * KMS keys: symmetric keys rotate, no principal but the account root gets `kms:*`, and AWS service
 * principals use a key only for this account's resources.
 *
 * - Rotation: automatic rotation exists only for symmetric encryption keys (KMS Developer Guide,
 *   "Rotating AWS KMS keys"); asymmetric and HMAC keys are left out.
 * - `kms:*`: the default key policy gives `kms:*` to the account root so IAM decides who administers
 *   the key (KMS Developer Guide, "Default key policy"); the same grant to any other principal makes
 *   that principal a key administrator outside IAM.
 * - Service principals: a key policy statement for `Service: x.amazonaws.com` must carry
 *   `aws:SourceAccount` or `aws:SourceArn` (IAM User Guide, "The confused deputy problem"), or, for
 *   services that bind their use in the encryption context instead (CloudWatch Logs:
 *   `kms:EncryptionContext:aws:logs:arn`, CloudWatch Logs User Guide, "Encrypt log data in
 *   CloudWatch Logs using AWS KMS"), an encryption-context condition naming this account's ARNs.
 *
 * Key policies are usually built from the account id (a provider call, known at preview), so these
 * resource rules run at preview already; a policy that is still unknown is checked during `up`.
 */
import { CONFUSED_DEPUTY_KEYS, Statement, conditionsOn, describePrincipals, isAccountRoot, parseDocument, statementLabel } from "../documents";
import { UNKNOWN } from "../inputs";
import type { ResourceView } from "../resources";
import type { Finding, ResourceRule } from "../rule";

export const KEY = "aws:kms/key:Key";
export const KEY_POLICY = "aws:kms/keyPolicy:KeyPolicy";

export const kmsRotation: ResourceRule = {
  kind: "resource",
  name: "kms-rotation",
  description: "Every symmetric encryption key has automatic rotation on.",
  level: "mandatory",
  remediation: "Set enableKeyRotation to true.",
  types: [KEY],
  check: (key) => {
    const spec = key.inputs.str("customerMasterKeySpec") ?? key.inputs.str("keySpec");
    const usage = key.inputs.str("keyUsage");
    if ((typeof spec === "string" && spec !== "SYMMETRIC_DEFAULT") || (typeof usage === "string" && usage !== "ENCRYPT_DECRYPT")) return [];
    const rotation = key.inputs.bool("enableKeyRotation");
    return rotation === true || rotation === UNKNOWN ? [] : [{ resource: key, problem: "does not rotate its key material", property: "enableKeyRotation", fix: "true" }];
  },
};

/** The key policy statements of a Key (inline `policy`) or KeyPolicy resource; undefined when unknown or absent. */
function keyStatements(policy: unknown): readonly Statement[] | undefined {
  const document = parseDocument(policy);
  return document === UNKNOWN || document === undefined ? undefined : document.statements;
}

export const kmsNoWildcardGrant: ResourceRule = {
  kind: "resource",
  name: "kms-no-wildcard-grant",
  description: "No key policy gives kms:* to a principal other than the account root.",
  level: "mandatory",
  remediation: "Give kms:* only to arn:aws:iam::<account>:root; grant other principals the specific actions they need.",
  types: [KEY, KEY_POLICY],
  check: (resource) =>
    (keyStatements(resource.inputs.value("policy")) ?? []).flatMap((statement, index): Finding[] => {
      const wildcard = statement.notActions.length > 0 || statement.actions.some((action) => action === "*" || action.toLowerCase() === "kms:*");
      if (statement.effect !== "Allow" || !wildcard) return [];
      const principal = statement.principal;
      const others = principal === undefined ? [] : principal.any ? ["*"] : [...principal.aws.filter((arn) => !isAccountRoot(arn)), ...principal.service, ...principal.federated, ...principal.canonicalUser];
      return others.length === 0 && statement.notPrincipal === undefined
        ? []
        : [{ resource, problem: `${statementLabel(statement, index)} gives kms:* to ${others.join(", ") || "NotPrincipal"}`, property: "policy", fix: "kms:* only for the account root; list the needed kms actions for other principals" }];
    }),
};


/** Whether a service statement is limited to this account's resources. */
function scopedToAccount(statement: Statement): boolean {
  if (CONFUSED_DEPUTY_KEYS.some((key) => conditionsOn(statement, key).length > 0)) return true;
  return statement.conditions.some((condition) => /^kms:EncryptionContext:/i.test(condition.key) && condition.values.length > 0 && condition.values.every((value) => /^arn:[^:]+:[^:]+:[^:]*:\d{12}:/.test(value)));
}

export const kmsServicePrincipalsScoped: ResourceRule = {
  kind: "resource",
  name: "kms-service-principals-scoped",
  description: "Every key policy statement for an AWS service principal is limited by aws:SourceAccount or aws:SourceArn (or the service's encryption-context ARN).",
  level: "mandatory",
  remediation: "Add Condition StringEquals aws:SourceAccount <account> and/or ArnLike aws:SourceArn <this account's resources> to the statement.",
  types: [KEY, KEY_POLICY],
  check: (resource) =>
    (keyStatements(resource.inputs.value("policy")) ?? []).flatMap((statement, index): Finding[] => {
      const services = statement.principal?.service ?? [];
      if (statement.effect !== "Allow" || services.length === 0 || scopedToAccount(statement)) return [];
      return [
        {
          resource,
          problem: `${statementLabel(statement, index)} lets ${describePrincipals(statement.principal)} use the key for any account's resources`,
          property: "policy",
          fix: `add aws:SourceAccount or aws:SourceArn conditions naming this account to ${statementLabel(statement, index)}`,
        },
      ];
    }),
};

/**
 * A topic or queue (`kmsMasterKeyId`) must use a customer-managed key: not none, and not the service's
 * AWS-managed alias, whose key policy no other service (S3, SNS, CloudWatch) may use to deliver.
 *
 * @example
 * ```ts
 * customerManagedKeyFindings(queue, "alias/aws/sqs", "SNS and S3 cannot deliver through"); // [] when a CMK is set
 * ```
 */
export function customerManagedKeyFindings(resource: ResourceView, awsManagedAlias: string, whoCannotDeliver: string): Finding[] {
  const key = resource.inputs.str("kmsMasterKeyId");
  if (key === UNKNOWN || (typeof key === "string" && key !== "" && key !== awsManagedAlias)) return [];
  const problem = key === awsManagedAlias ? `is encrypted with the AWS-managed key ${awsManagedAlias}, which ${whoCannotDeliver}` : "is not encrypted with a KMS key";
  return [{ resource, problem, property: "kmsMasterKeyId", fix: "the ARN of the lake's customer-managed key" }];
}

export const KMS_RULES = [kmsRotation, kmsNoWildcardGrant, kmsServicePrincipalsScoped] as const;
