/** Resource policies of the storage layer, as pure functions of ARNs. */
import { PolicyDocument, denyInsecureTransport, policyDocument } from "../iam/documents";

/** A bucket policy that refuses any request made without TLS. */
export function tlsOnlyBucketPolicy(bucketArn: string): PolicyDocument {
  return policyDocument(denyInsecureTransport("s3:*", [bucketArn, `${bucketArn}/*`]));
}

/** AWS services that encrypt or decrypt with the lake key on the account's behalf. */
export const KEY_USER_SERVICES = [
  "s3.amazonaws.com",
  "sns.amazonaws.com",
  "sqs.amazonaws.com",
  "cloudwatch.amazonaws.com",
] as const;

/**
 * The lake key's policy: the account administers it through IAM; the services that deliver
 * encrypted messages (SNS to SQS, CloudWatch alarms to SNS) and CloudWatch Logs may use it, only for
 * this account's resources.
 */
export function lakeKeyPolicy(args: { accountId: string; region: string; partition: string }): PolicyDocument {
  const { accountId, region, partition } = args;
  return policyDocument(
    {
      Sid: "AccountAdministersKeyThroughIam",
      Effect: "Allow",
      Principal: { AWS: `arn:${partition}:iam::${accountId}:root` },
      Action: "kms:*",
      Resource: "*",
    },
    {
      Sid: "ServicesUseKeyForThisAccount",
      Effect: "Allow",
      Principal: { Service: [...KEY_USER_SERVICES] },
      Action: ["kms:GenerateDataKey*", "kms:Decrypt"],
      Resource: "*",
      Condition: { StringEquals: { "aws:SourceAccount": accountId } },
    },
    {
      Sid: "LogsUseKeyForThisAccountsLogGroups",
      Effect: "Allow",
      Principal: { Service: `logs.${region}.amazonaws.com` },
      Action: ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
      Resource: "*",
      Condition: {
        ArnLike: { "kms:EncryptionContext:aws:logs:arn": `arn:${partition}:logs:${region}:${accountId}:log-group:*` },
      },
    },
  );
}
