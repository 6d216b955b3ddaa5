/** Resource policies of the storage layer (buckets and the lake key), as pure functions of ARNs. */
import type { AwsContext } from "../iam/context";
import { PolicyDocument, PolicyStatement, denyInsecureTransport, policyDocument } from "../iam/documents";
import type { BucketProfile } from "./defaults";

/** A bucket policy that refuses any request made without TLS. */
export function tlsOnlyBucketPolicy(bucketArn: string): PolicyDocument {
  return policyDocument(denyInsecureTransport("s3:*", [bucketArn, `${bucketArn}/*`]));
}

/** Denies requests that negotiate a TLS version older than `minimumVersion`. */
export function denyOutdatedTls(bucketArn: string, minimumVersion: string): PolicyStatement {
  return {
    Sid: "DenyOutdatedTls",
    Effect: "Deny",
    Principal: "*",
    Action: "s3:*",
    Resource: [bucketArn, `${bucketArn}/*`],
    Condition: { NumericLessThan: { "s3:TlsVersion": minimumVersion } },
  };
}

/**
 * Denies uploads that ask for another encryption than SSE-KMS with `kmsKeyArn`. Uploads that name no
 * encryption get the bucket default (the same key), so clients need not send any header.
 *
 * Each Deny applies only when the header is present (`Null: false`) and differs (`StringNotEquals`).
 * Not `StringNotEqualsIfExists`: with `…IfExists` a request *without* the key matches the condition
 * (IAM User Guide, "IAM JSON policy elements: Condition operators", …IfExists: "If the policy key is
 * not present in the context of the request, treat the key as matching"), so the Deny would refuse
 * every header-less PutObject and every UploadPart, which never carries the header.
 */
export function denyOtherEncryption(bucketArn: string, kmsKeyArn: string): PolicyStatement[] {
  const denyWhenPresentAndNot = (sid: string, key: string, value: string): PolicyStatement => ({
    Sid: sid,
    Effect: "Deny",
    Principal: "*",
    Action: "s3:PutObject",
    Resource: `${bucketArn}/*`,
    Condition: { Null: { [key]: "false" }, StringNotEquals: { [key]: value } },
  });
  return [
    denyWhenPresentAndNot("DenyOtherEncryptionAlgorithms", "s3:x-amz-server-side-encryption", "aws:kms"),
    denyWhenPresentAndNot("DenyOtherEncryptionKeys", "s3:x-amz-server-side-encryption-aws-kms-key-id", kmsKeyArn),
  ];
}

/** Lets S3 server access logging write into the log bucket, only for the given source buckets of this account. */
export function allowAccessLogDelivery(args: { logBucketArn: string; sourceBucketArns: readonly string[]; accountId: string }): PolicyStatement {
  return {
    Sid: "AllowS3ServerAccessLogDelivery",
    Effect: "Allow",
    Principal: { Service: "logging.s3.amazonaws.com" },
    Action: "s3:PutObject",
    Resource: `${args.logBucketArn}/*`,
    Condition: {
      ArnLike: { "aws:SourceArn": [...args.sourceBucketArns] },
      StringEquals: { "aws:SourceAccount": args.accountId },
    },
  };
}

/**
 * A bucket's policy from its profile: TLS only (and no outdated TLS), SSE-KMS with the lake key
 * only when the profile says so, plus any statements the bucket's role needs.
 *
 * @example
 * ```ts
 * JSON.stringify(bucketPolicy({ bucketArn, profile: bucketProfile(), kmsKeyArn }));
 * ```
 */
export function bucketPolicy(args: {
  bucketArn: string;
  profile: BucketProfile;
  kmsKeyArn?: string;
  extraStatements?: readonly PolicyStatement[];
}): PolicyDocument {
  const { bucketArn, profile } = args;
  const encryption = profile.encryption === "lakeKey" && profile.denyOtherEncryption;
  if (encryption && args.kmsKeyArn === undefined) throw new Error("a bucket encrypted with the lake key needs the key's ARN for its policy");
  return policyDocument(
    ...tlsOnlyBucketPolicy(bucketArn).Statement,
    denyOutdatedTls(bucketArn, profile.minimumTlsVersion),
    ...(encryption ? denyOtherEncryption(bucketArn, args.kmsKeyArn!) : []),
    ...(args.extraStatements ?? []),
  );
}

/** Services whose account principals may use the lake key: the key is only usable through them. */
export const KEY_VIA_SERVICES = [
  "s3",
  "sns",
  "sqs",
  // compute encrypts function environments with the lake key.
  "lambda",
  // the Glue job's security configuration encrypts its bookmarks (CSE-KMS) with the lake key.
  "glue",
] as const;

/** Key administration without any cryptographic use: who may manage the key is decided in IAM. */
export const KEY_ADMINISTRATION_ACTIONS = [
  "kms:CreateAlias",
  "kms:Describe*",
  "kms:Enable*",
  "kms:List*",
  "kms:Put*",
  "kms:Update*",
  "kms:Revoke*",
  "kms:Disable*",
  "kms:Get*",
  "kms:Delete*",
  "kms:TagResource",
  "kms:UntagResource",
  "kms:ScheduleKeyDeletion",
  "kms:CancelKeyDeletion",
  "kms:RotateKeyOnDemand",
] as const;

/** What encrypting and decrypting data takes. */
export const KEY_CRYPTO_ACTIONS = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"] as const;

/** Service principals that deliver encrypted messages on the account's behalf, and the ARNs of their sources. */
function deliveringServices(ctx: AwsContext): readonly { sid: string; service: string; sourceArn: string }[] {
  const { accountId, region, partition } = ctx;
  return [
    // S3 event notifications into encrypted topics or queues (bucket ARNs carry no account: SourceAccount scopes them).
    { sid: "S3DeliversToEncryptedDestinations", service: "s3.amazonaws.com", sourceArn: `arn:${partition}:s3:::*` },
    // SNS delivering to the encrypted processing queue.
    { sid: "SnsDeliversToEncryptedQueues", service: "sns.amazonaws.com", sourceArn: `arn:${partition}:sns:${region}:${accountId}:*` },
    // CloudWatch alarms publishing to the encrypted alerts topic.
    { sid: "CloudWatchAlarmsPublishToEncryptedTopics", service: "cloudwatch.amazonaws.com", sourceArn: `arn:${partition}:cloudwatch:${region}:${accountId}:alarm:*` },
    // EventBridge rules delivering the Glue job's failed runs to the alerts topic and its failure queue.
    { sid: "EventBridgeRulesDeliverToEncryptedDestinations", service: "events.amazonaws.com", sourceArn: `arn:${partition}:events:${region}:${accountId}:rule/*` },
  ];
}

/**
 * The lake key's policy. The account administers the key through IAM but may use it for data only
 * through the lake's services (`kms:ViaService`), so even an IAM policy granting `kms:*` cannot decrypt
 * directly. S3, SNS and CloudWatch may use it to deliver encrypted messages for this account's
 * resources only, and CloudWatch Logs only for this account's log groups in this region.
 *
 * @example
 * ```ts
 * JSON.stringify(lakeKeyPolicy({ accountId: "123456789012", region: "eu-west-1", partition: "aws" }));
 * ```
 */
export function lakeKeyPolicy(ctx: AwsContext): PolicyDocument {
  const { accountId, region, partition } = ctx;
  const account = { AWS: `arn:${partition}:iam::${accountId}:root` };
  const viaLakeServices = {
    "kms:CallerAccount": accountId,
    "kms:ViaService": KEY_VIA_SERVICES.map((service) => `${service}.${region}.amazonaws.com`),
  };
  return policyDocument(
    { Sid: "AccountAdministersKeyThroughIam", Effect: "Allow", Principal: account, Action: [...KEY_ADMINISTRATION_ACTIONS], Resource: "*" },
    {
      Sid: "AccountUsesKeyThroughLakeServices",
      Effect: "Allow",
      Principal: account,
      Action: [...KEY_CRYPTO_ACTIONS],
      Resource: "*",
      Condition: { StringEquals: viaLakeServices },
    },
    {
      Sid: "LakeServicesHoldGrantsForTheirResources",
      Effect: "Allow",
      Principal: account,
      Action: ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
      Resource: "*",
      Condition: { StringEquals: viaLakeServices, Bool: { "kms:GrantIsForAWSResource": true } },
    },
    ...deliveringServices(ctx).map(
      ({ sid, service, sourceArn }): PolicyStatement => ({
        Sid: sid,
        Effect: "Allow",
        Principal: { Service: service },
        Action: ["kms:GenerateDataKey*", "kms:Decrypt"],
        Resource: "*",
        Condition: { StringEquals: { "aws:SourceAccount": accountId }, ArnLike: { "aws:SourceArn": sourceArn } },
      }),
    ),
    {
      Sid: "LogsEncryptThisAccountsLogGroups",
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
