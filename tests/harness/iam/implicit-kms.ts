/**
 * The calls AWS services make to KMS with the caller's permissions when the caller reads or writes
 * encrypted data: S3 for SSE-KMS objects, SNS for encrypted topics, SQS for encrypted queues. Each
 * becomes one more check (a `kms:` action on the encrypting key, with `kms:ViaService` and the
 * service's encryption context) that the caller's identity policies and the key policy must allow.
 * Pure: the endpoint evaluates what these rules return.
 *
 * The rules and their sources:
 * - S3 PutObject, CopyObject (target), CreateMultipartUpload: `kms:GenerateDataKey`; GetObject and a
 *   copy's source: `kms:Decrypt` ("Using server-side encryption with AWS KMS keys",
 *   https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html: "To upload an object
 *   encrypted with an AWS KMS key … you need kms:GenerateDataKey … to download … kms:Decrypt").
 * - S3 UploadPart and UploadPartCopy: `kms:Decrypt` (AWS re:Post knowledge center, "multipart upload
 *   with SSE-KMS", https://repost.aws/knowledge-center/s3-large-file-encryption-kms-key:
 *   kms:GenerateDataKey for CreateMultipartUpload, kms:Decrypt for UploadPart and UploadPartCopy).
 * - S3's encryption context is `aws:s3:arn` = the object ARN, or the bucket ARN with an S3 Bucket Key
 *   (https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html#encryption-context).
 * - SNS Publish to an encrypted topic: `kms:GenerateDataKey` and `kms:Decrypt` ("Allow a user to send
 *   messages to a topic with SSE", https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html).
 * - SQS SendMessage to an encrypted queue: `kms:GenerateDataKey` and `kms:Decrypt`; ReceiveMessage:
 *   `kms:Decrypt` (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html).
 * - Every such call carries `kms:ViaService = <service>.<region>.amazonaws.com`
 *   (https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service).
 *
 * @example
 * ```ts
 * implicitKmsChecks(mapped, model).map((check) => check.action); // PutObject to the lake: ["kms:GenerateDataKey"]
 * ```
 */
import type { BucketEncryption, PolicyModel } from "./model";
import { encryptionContextKeys, kmsKeyArn, type AuthorizationCheck, type ModelledRequest } from "./request-mapper";

export interface KmsCheck extends AuthorizationCheck {
  /** The service calling KMS for the caller (`s3`, `sns`, `sqs`). */
  readonly viaService: string;
}

type Model = Pick<PolicyModel, "accountId" | "region" | "partition" | "bucketEncryption" | "topicKeys" | "queueKeys">;

function kmsCheck(model: Model, action: string, keyArn: string, viaService: string, context: Readonly<Record<string, string>>): KmsCheck {
  return { action, resource: keyArn, resourceAccount: keyArn.split(":")[4] || model.accountId, viaService, context: encryptionContextKeys(context) };
}

function s3Context(model: Model, bucket: string, key: string, encryption: BucketEncryption | undefined): Record<string, string> {
  const bucketArn = `arn:${model.partition}:s3:::${bucket}`;
  return { "aws:s3:arn": encryption?.bucketKeyEnabled ? bucketArn : `${bucketArn}/${key}` };
}

/**
 * The key an S3 write is encrypted with: the key the request names, else the bucket's default
 * SSE-KMS key. `undefined` for SSE-S3 (`AES256`) and for the AWS managed key `aws/s3`.
 */
export function s3WriteKey(model: Model, bucket: string, requested: { readonly encryption?: string; readonly kmsKeyId?: string } | undefined): string | undefined {
  const defaults = model.bucketEncryption[bucket];
  if (requested?.encryption !== undefined) {
    if (!requested.encryption.startsWith("aws:kms")) return undefined;
    if (requested.kmsKeyId) return kmsKeyArn(requested.kmsKeyId, model.region, model.accountId, model.partition);
    return defaults?.algorithm === "aws:kms" ? defaults.keyArn : undefined;
  }
  return defaults?.algorithm === "aws:kms" ? defaults.keyArn : undefined;
}

/** `kms:Decrypt` for reading an S3 object encrypted with `keyArn` (from the object's response headers, else the bucket default). */
export function s3ReadKmsCheck(model: Model, bucket: string, key: string, keyArn: string | undefined): KmsCheck | undefined {
  const encryption = model.bucketEncryption[bucket];
  const arn = keyArn ?? (encryption?.algorithm === "aws:kms" ? encryption.keyArn : undefined);
  return arn ? kmsCheck(model, "kms:Decrypt", arn, "s3", s3Context(model, bucket, key, encryption)) : undefined;
}

/**
 * The KMS checks a request needs before it runs. Reads of S3 objects are checked after the
 * response names the object's key (see `s3ReadKmsCheck`).
 */
export function implicitKmsChecks(request: ModelledRequest, model: Model): KmsCheck[] {
  const { target } = request;
  if (target.kind === "s3-object") {
    const { bucket, key } = target;
    const writeKey = (): string | undefined => s3WriteKey(model, bucket, request.s3);
    const context = s3Context(model, bucket, key, model.bucketEncryption[bucket]);
    const sourceRead = (): KmsCheck[] => {
      const source = request.s3?.copySource;
      const check = source ? s3ReadKmsCheck(model, source.bucket, source.key, undefined) : undefined;
      return check ? [check] : [];
    };
    const onWriteKey = (action: string): KmsCheck[] => {
      const arn = writeKey();
      return arn ? [kmsCheck(model, action, arn, "s3", context)] : [];
    };
    switch (request.operation) {
      case "PutObject":
      case "CreateMultipartUpload":
        return onWriteKey("kms:GenerateDataKey");
      case "CopyObject":
        return [...sourceRead(), ...onWriteKey("kms:GenerateDataKey")];
      case "UploadPart":
        // The upload's key is the bucket default: a part request carries no encryption header.
        return onWriteKey("kms:Decrypt");
      case "UploadPartCopy":
        return [...sourceRead(), ...onWriteKey("kms:Decrypt")];
      default:
        return [];
    }
  }
  if (target.kind === "sns-topic" && request.operation.startsWith("Publish")) {
    const keyArn = model.topicKeys[target.arn];
    const context = { "aws:sns:topicArn": target.arn };
    return keyArn ? ["kms:GenerateDataKey", "kms:Decrypt"].map((action) => kmsCheck(model, action, keyArn, "sns", context)) : [];
  }
  if (target.kind === "sqs-queue") {
    const keyArn = model.queueKeys[target.arn];
    const context = { "aws:sqs:arn": target.arn };
    if (!keyArn) return [];
    if (request.operation.startsWith("SendMessage")) return ["kms:GenerateDataKey", "kms:Decrypt"].map((action) => kmsCheck(model, action, keyArn, "sqs", context));
    if (request.operation === "ReceiveMessage") return [kmsCheck(model, "kms:Decrypt", keyArn, "sqs", context)];
  }
  return [];
}
