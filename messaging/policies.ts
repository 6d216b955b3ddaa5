/** Resource policies of the messaging layer, as pure functions of ARNs. */
import { PolicyDocument, PolicyStatement, denyInsecureTransport, policyDocument } from "../iam/documents";

/** A queue only one source of one AWS service may send to (`aws:SourceArn`), over TLS. */
function queueFromSourcePolicy(sid: string, service: string, queueArn: string, sourceArn: string): PolicyDocument {
  return policyDocument(
    {
      Sid: sid,
      Effect: "Allow",
      Principal: { Service: service },
      Action: "sqs:SendMessage",
      Resource: queueArn,
      Condition: { ArnEquals: { "aws:SourceArn": sourceArn } },
    },
    denyInsecureTransport("sqs:*", [queueArn]),
  );
}

/** The processing queue admits messages only from the ingest topic, and only over TLS. */
export function queueFromTopicPolicy(args: { queueArn: string; topicArn: string }): PolicyDocument {
  return queueFromSourcePolicy("AllowIngestTopic", "sns.amazonaws.com", args.queueArn, args.topicArn);
}

/**
 * A queue only this account's IAM principals use (dead-letter queues, the ingest function's
 * failure destination): no extra grant, and no request without TLS.
 *
 * @example
 * ```ts
 * JSON.stringify(tlsOnlyQueuePolicy("arn:aws:sqs:eu-west-1:123456789012:dlq"));
 * ```
 */
export function tlsOnlyQueuePolicy(queueArn: string): PolicyDocument {
  return policyDocument(denyInsecureTransport("sqs:*", [queueArn]));
}

export interface TopicPolicyArgs {
  readonly topicArn: string;
  readonly accountId: string;
  readonly partition: string;
}

/**
 * The statements every topic of the lake starts with: this account's principals may publish (their
 * IAM policies decide which ones), any other account is denied even if a grant is added later, and
 * every request needs TLS. AWS services publishing on the account's behalf carry no principal
 * account, so the cross-account deny leaves them to the statements that name them.
 */
function accountOnlyStatements(args: TopicPolicyArgs): PolicyStatement[] {
  return [
    {
      Sid: "AccountPublishes",
      Effect: "Allow",
      Principal: { AWS: `arn:${args.partition}:iam::${args.accountId}:root` },
      Action: ["sns:Publish"],
      Resource: args.topicArn,
    },
    {
      Sid: "DenyOtherAccounts",
      Effect: "Deny",
      Principal: "*",
      Action: ["sns:Publish"],
      Resource: args.topicArn,
      Condition: {
        StringNotEquals: { "aws:PrincipalAccount": args.accountId },
        BoolIfExists: { "aws:PrincipalIsAWSService": "false" },
      },
    },
    denyInsecureTransport("sns:Publish", [args.topicArn]),
  ];
}

/**
 * Only the account's own principals may publish to a topic, and only over TLS.
 *
 * @example
 * ```ts
 * accountOnlyTopicPolicy({ topicArn, accountId: "123456789012", partition: "aws" });
 * ```
 */
export function accountOnlyTopicPolicy(args: TopicPolicyArgs): PolicyDocument {
  return policyDocument(...accountOnlyStatements(args));
}

/**
 * The alerts topic: the account's principals, CloudWatch alarms and EventBridge rules of this account
 * (and region) may publish; TLS required. EventBridge delivers the Glue job's failed runs. The topic's key must also let `cloudwatch.amazonaws.com` use it
 * (`kms:GenerateDataKey*`, `kms:Decrypt`): the lake key's policy in `storage/policies.ts` grants that.
 *
 * @example
 * ```ts
 * alertsTopicPolicy({ topicArn, accountId: "123456789012", partition: "aws", region: "eu-west-1" });
 * ```
 */
export function alertsTopicPolicy(args: TopicPolicyArgs & { readonly region: string }): PolicyDocument {
  const [allowAccount, ...denies] = accountOnlyStatements(args);
  const servicePublishes = (sid: string, service: string, sourceArn: string): PolicyStatement => ({
    Sid: sid,
    Effect: "Allow",
    Principal: { Service: service },
    Action: ["sns:Publish"],
    Resource: args.topicArn,
    Condition: { StringEquals: { "aws:SourceAccount": args.accountId }, ArnLike: { "aws:SourceArn": sourceArn } },
  });
  const inRegion = `${args.region}:${args.accountId}`;
  return policyDocument(
    allowAccount!,
    servicePublishes("CloudWatchAlarmsOfThisAccountPublish", "cloudwatch.amazonaws.com", `arn:${args.partition}:cloudwatch:${inRegion}:alarm:*`),
    servicePublishes("EventBridgeRulesOfThisAccountPublish", "events.amazonaws.com", `arn:${args.partition}:events:${inRegion}:rule/*`),
    ...denies,
  );
}

/**
 * A failure queue EventBridge delivers to: only the given rule of this account may send, over TLS.
 * The queue's key must also let `events.amazonaws.com` use it (storage/policies.ts).
 *
 * @example
 * ```ts
 * queueFromRulePolicy({ queueArn: "arn:aws:sqs:eu-west-1:123456789012:glue-failures", ruleArn: "arn:aws:events:eu-west-1:123456789012:rule/glue-failed" });
 * ```
 */
export function queueFromRulePolicy(args: { readonly queueArn: string; readonly ruleArn: string }): PolicyDocument {
  return queueFromSourcePolicy("AllowFailureRule", "events.amazonaws.com", args.queueArn, args.ruleArn);
}

/** The subscription filter: only messages for known datasets reach the processing queue. */
export function datasetFilterPolicy(datasets: readonly string[]): { dataset: string[] } {
  return { dataset: [...datasets] };
}
