/** Resource policies of the messaging layer, as pure functions of ARNs. */
import { PolicyDocument, denyInsecureTransport, policyDocument } from "../iam/documents";

/** The processing queue admits messages only from the ingest topic, and only over TLS. */
export function queueFromTopicPolicy(args: { queueArn: string; topicArn: string }): PolicyDocument {
  return policyDocument(
    {
      Sid: "AllowIngestTopic",
      Effect: "Allow",
      Principal: { Service: "sns.amazonaws.com" },
      Action: "sqs:SendMessage",
      Resource: args.queueArn,
      Condition: { ArnEquals: { "aws:SourceArn": args.topicArn } },
    },
    denyInsecureTransport("sqs:*", [args.queueArn]),
  );
}

/** Only the account's own principals may publish to a topic, and only over TLS. */
export function accountOnlyTopicPolicy(args: { topicArn: string; accountId: string; partition: string }): PolicyDocument {
  return policyDocument(
    {
      Sid: "AccountPublishes",
      Effect: "Allow",
      Principal: { AWS: `arn:${args.partition}:iam::${args.accountId}:root` },
      Action: ["sns:Publish"],
      Resource: args.topicArn,
    },
    denyInsecureTransport("sns:Publish", [args.topicArn]),
  );
}

/** The subscription filter: only messages for known datasets reach the processing queue. */
export function datasetFilterPolicy(datasets: readonly string[]): { dataset: string[] } {
  return { dataset: [...datasets] };
}
