/**
 * SNS topics: encrypted with a customer-managed KMS key, and only the topic's own account may
 * publish.
 *
 * "Account-only publish" means every Allow statement of the topic policy that covers `sns:Publish`
 * names principals of the topic's account (its root or its roles), or AWS service principals limited
 * to this account by `aws:SourceAccount`/`aws:SourceArn` (the confused-deputy guard, IAM User Guide
 * "The confused deputy problem"), or `*` limited by `aws:SourceOwner`/`aws:SourceAccount`/
 * `aws:PrincipalAccount` to the account (as SNS's own default policy does). The account is read from
 * the topic ARN in the statement or the policy's `arn` input. A topic without a policy keeps SNS's
 * default policy, which is owner-only. The document names the topic's ARN, so before the first `up`
 * it is unknown and the rule checks it during `up`.
 */
import { CONFUSED_DEPUTY_KEYS, Statement, allowsAction, arnAccount, conditionsOn, describePrincipals, parseDocument, principalAccount, statementLabel } from "../documents";
import { UNKNOWN } from "../inputs";
import type { ResourceView } from "../resources";
import type { Finding, ResourceRule } from "../rule";
import { customerManagedKeyFindings } from "./kms";

export const TOPIC = "aws:sns/topic:Topic";
export const TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy";

export const snsKms: ResourceRule = {
  kind: "resource",
  name: "sns-kms",
  description: "Every topic is encrypted with a customer-managed KMS key.",
  level: "mandatory",
  remediation: "Set kmsMasterKeyId to the lake's customer-managed key.",
  types: [TOPIC],
  check: (topic) => customerManagedKeyFindings(topic, "alias/aws/sns", "CloudWatch alarms and S3 cannot publish through"),
};

const ACCOUNT_KEYS = ["aws:SourceOwner", "aws:SourceAccount", "aws:PrincipalAccount"];

function limitedTo(statement: Statement, keys: readonly string[], account: string | undefined): boolean {
  return keys.some((key) => conditionsOn(statement, key).some((condition) => account === undefined || condition.values.some((value) => value.includes(account))));
}

/** Why a publish-allowing statement lets someone outside the account publish, or undefined. */
function outsider(statement: Statement, account: string | undefined): string | undefined {
  const principal = statement.principal;
  if (statement.notPrincipal !== undefined) return "it uses NotPrincipal";
  if (principal === undefined) return undefined;
  if (principal.any && !limitedTo(statement, ACCOUNT_KEYS, account)) return "it allows any principal without an account condition";
  const foreign = principal.aws.filter((arn) => {
    const owner = principalAccount(arn);
    return owner === undefined || (account !== undefined && owner !== account);
  });
  if (foreign.length > 0) return `it allows ${foreign.join(", ")}, outside the topic's account`;
  if (principal.service.length > 0 && !limitedTo(statement, CONFUSED_DEPUTY_KEYS, undefined)) return `it allows ${principal.service.join(", ")} without aws:SourceAccount or aws:SourceArn`;
  if (principal.federated.length > 0 || principal.canonicalUser.length > 0) return `it allows ${describePrincipals(principal)}`;
  return undefined;
}

export const snsAccountOnlyPublish: ResourceRule = {
  kind: "resource",
  name: "sns-account-only-publish",
  description: "Only the topic's own account (its principals, or services limited to it) may publish.",
  level: "mandatory",
  remediation: "Limit every statement allowing sns:Publish to the account's principals, or add aws:SourceAccount/aws:SourceArn for service principals.",
  types: [TOPIC_POLICY, TOPIC],
  check: (resource: ResourceView) => {
    const document = parseDocument(resource.inputs.value("policy"));
    if (document === UNKNOWN || document === undefined) return [];
    const policyArn = resource.inputs.str("arn");
    return document.statements.flatMap((statement, index): Finding[] => {
      if (!allowsAction(statement, "sns:Publish")) return [];
      const account = statement.resources.map(arnAccount).find((owner) => owner !== undefined) ?? (typeof policyArn === "string" ? arnAccount(policyArn) : undefined);
      const reason = outsider(statement, account);
      return reason === undefined
        ? []
        : [{ resource, problem: `${statementLabel(statement, index)} lets others publish: ${reason}`, property: "policy", fix: `allow sns:Publish only to arn:aws:iam::${account ?? "<account>"}:root, or to service principals with aws:SourceAccount/aws:SourceArn of this account` }];
    });
  },
};

export const SNS_RULES = [snsKms, snsAccountOnlyPublish] as const;
