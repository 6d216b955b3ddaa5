/**
 * S3 buckets: every bucket is private, encrypted by default with SSE-KMS and bucket keys, versioned,
 * owner-enforced (no ACLs), refuses requests without TLS and aborts incomplete multipart uploads.
 *
 * Why stack rules: in `@pulumi/aws` 7 a bucket's settings are separate resources
 * (`BucketPublicAccessBlock`, `BucketServerSideEncryptionConfiguration`, …), so "the bucket is
 * versioned" means "some versioning resource for this bucket says Enabled". Each configuration
 * resource names its bucket in `bucket`, which at preview of a new stack is unknown: the link is
 * found through the input's dependency on the bucket. A bucket policy's document is built from the
 * bucket's ARN, so `s3-tls-only` can read the document only once the ARN is known (after the first
 * `up`); until then it only checks that a policy exists. Violations are reported against the
 * bucket, whose tags can waive them.
 */
import { ConditionTest, coversAction, coversResource, parseDocument } from "../documents";
import { UNKNOWN, asRecord, asString } from "../inputs";
import type { ResourceView, StackView } from "../resources";
import type { Finding, StackRule } from "../rule";

export const BUCKET_TYPES = ["aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"] as const;
export const PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock";
export const ENCRYPTION_TYPES = [
  "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
  "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
] as const;
export const VERSIONING_TYPES = ["aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketVersioningV2:BucketVersioningV2"] as const;
export const OWNERSHIP_CONTROLS = "aws:s3/bucketOwnershipControls:BucketOwnershipControls";
export const BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy";
export const LIFECYCLE_TYPES = [
  "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
  "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2",
] as const;
export const LOGGING_TYPES = ["aws:s3/bucketLogging:BucketLogging", "aws:s3/bucketLoggingV2:BucketLoggingV2"] as const;

/**
 * A bucket's configuration resources of `types` (their `bucket` input refers to it).
 *
 * @example
 * ```ts
 * configurationsOf(stack, bucket, VERSIONING_TYPES); // the BucketVersioning resources of that bucket
 * ```
 */
export function configurationsOf(stack: StackView, bucket: ResourceView, types: readonly string[]): ResourceView[] {
  return stack.referring(bucket, types, "bucket", ["bucket", "id"]);
}

/** What to report for a bucket that has no configuration resource of the rule's kind. */
interface Missing {
  readonly problem: string;
  readonly property: string;
  readonly fix: string;
}

/**
 * Runs `check` on every bucket with its configuration resources of `types`, and reports a bucket
 * that has none (the first type is the one to add).
 */
function eachConfiguredBucket(stack: StackView, types: readonly string[], missing: (bucket: ResourceView) => Missing, check: (bucket: ResourceView, configurations: readonly ResourceView[]) => Finding[]): Finding[] {
  return stack.ofType(...BUCKET_TYPES).flatMap((bucket) => {
    const configurations = configurationsOf(stack, bucket, types);
    return configurations.length === 0 ? [{ resource: bucket, ...missing(bucket), on: `a new ${types[0]} for this bucket` }] : check(bucket, configurations);
  });
}

const PUBLIC_ACCESS_FLAGS = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"] as const;

export const s3PublicAccessBlocked: StackRule = {
  kind: "stack",
  name: "s3-public-access-blocked",
  description: "Every bucket has a public access block with all four settings on.",
  level: "mandatory",
  remediation: "Give the bucket an aws.s3.BucketPublicAccessBlock with blockPublicAcls, blockPublicPolicy, ignorePublicAcls and restrictPublicBuckets set to true.",
  check: (stack) =>
    eachConfiguredBucket(stack, [PUBLIC_ACCESS_BLOCK], () => ({ problem: "has no public access block", property: PUBLIC_ACCESS_FLAGS.join(", "), fix: "set all four to true" }), (bucket, blocks) =>
      blocks.flatMap((block) => {
        const off = PUBLIC_ACCESS_FLAGS.filter((flag) => {
          const value = block.inputs.bool(flag);
          return value !== UNKNOWN && value !== true;
        });
        return off.length === 0 ? [] : [{ resource: bucket, problem: `public access is not fully blocked (${off.join(", ")} not true)`, property: off.join(", "), on: block, fix: "set to true" }];
      }),
    ),
};

interface DefaultEncryption {
  readonly algorithm: string | undefined;
  readonly hasKey: boolean;
  readonly bucketKey: boolean | undefined;
}

function defaultEncryptions(configuration: ResourceView): DefaultEncryption[] | typeof UNKNOWN {
  const rules = configuration.inputs.list("rules");
  if (rules === UNKNOWN) return UNKNOWN;
  return (rules ?? []).map((rule) => {
    const record = asRecord(rule);
    const settings = record === UNKNOWN || record === undefined ? undefined : asRecord(record["applyServerSideEncryptionByDefault"]);
    const algorithm = settings === UNKNOWN || settings === undefined ? undefined : asString(settings["sseAlgorithm"]);
    const key = settings === UNKNOWN || settings === undefined ? undefined : settings["kmsMasterKeyId"];
    const bucketKey = record === UNKNOWN || record === undefined ? undefined : record["bucketKeyEnabled"];
    return {
      algorithm: algorithm === UNKNOWN ? undefined : algorithm,
      hasKey: key !== undefined && key !== null && key !== "",
      bucketKey: typeof bucketKey === "boolean" ? bucketKey : undefined,
    };
  });
}

/**
 * Whether the bucket receives S3 server access logs. The S3 User Guide ("Enabling Amazon S3 server
 * access logging", destination bucket requirements) supports SSE-S3 default encryption on the
 * destination and restricts SSE-KMS there, so such a bucket is held to "encrypted by default" only.
 */
export function isAccessLogDestination(stack: StackView, bucket: ResourceView): boolean {
  return stack.referring(bucket, LOGGING_TYPES, "targetBucket", ["bucket", "id"]).length > 0;
}

export const s3DefaultSseKms: StackRule = {
  kind: "stack",
  name: "s3-default-sse-kms",
  description: "Every bucket encrypts by default with SSE-KMS, a named key and S3 bucket keys (access-log destinations: SSE-S3).",
  level: "mandatory",
  remediation: "Give the bucket an aws.s3.BucketServerSideEncryptionConfiguration rule with sseAlgorithm aws:kms, kmsMasterKeyId and bucketKeyEnabled true.",
  check: (stack) =>
    eachConfiguredBucket(
      stack,
      ENCRYPTION_TYPES,
      (bucket) => ({ problem: "has no default encryption configuration", property: "rules", fix: isAccessLogDestination(stack, bucket) ? "sseAlgorithm AES256 (an access-log destination)" : "sseAlgorithm aws:kms with kmsMasterKeyId and bucketKeyEnabled true" }),
      (bucket, configurations) => {
        const logDestination = isAccessLogDestination(stack, bucket);
        return configurations.flatMap((configuration): Finding[] => {
          const encryptions = defaultEncryptions(configuration);
          if (encryptions === UNKNOWN) return [];
          const isKms = (encryption: DefaultEncryption) => encryption.algorithm?.startsWith("aws:kms") === true;
          const good = encryptions.some((encryption) =>
            logDestination ? encryption.algorithm === "AES256" || isKms(encryption) : isKms(encryption) && encryption.hasKey && encryption.bucketKey === true,
          );
          if (good) return [];
          const found = encryptions.map((encryption) => `${encryption.algorithm ?? "none"}${encryption.hasKey ? " with a key" : ""}${encryption.bucketKey ? ", bucket key" : ""}`).join("; ") || "no rules";
          return [{ resource: bucket, problem: `default encryption is ${found}`, property: "rules[0].applyServerSideEncryptionByDefault, rules[0].bucketKeyEnabled", on: configuration, fix: "sseAlgorithm aws:kms, kmsMasterKeyId the lake's key, bucketKeyEnabled true" }];
        });
      },
    ),
};

export const s3Versioning: StackRule = {
  kind: "stack",
  name: "s3-versioning",
  description: "Every bucket has versioning enabled.",
  level: "mandatory",
  remediation: "Give the bucket an aws.s3.BucketVersioning with versioningConfiguration.status Enabled.",
  check: (stack) =>
    eachConfiguredBucket(stack, VERSIONING_TYPES, () => ({ problem: "has no versioning configuration", property: "versioningConfiguration.status", fix: "Enabled" }), (bucket, versionings) =>
      versionings.flatMap((versioning) => {
        const status = versioning.inputs.str("versioningConfiguration", "status");
        return status === UNKNOWN || status === "Enabled" ? [] : [{ resource: bucket, problem: `versioning is ${status ?? "unset"}`, property: "versioningConfiguration.status", on: versioning, fix: "Enabled" }];
      }),
    ),
};

export const s3OwnerEnforced: StackRule = {
  kind: "stack",
  name: "s3-owner-enforced",
  description: "Every bucket has object ownership BucketOwnerEnforced (ACLs disabled).",
  level: "mandatory",
  remediation: "Give the bucket an aws.s3.BucketOwnershipControls with rule.objectOwnership BucketOwnerEnforced.",
  check: (stack) =>
    eachConfiguredBucket(stack, [OWNERSHIP_CONTROLS], () => ({ problem: "has no ownership controls (ACLs stay enabled)", property: "rule.objectOwnership", fix: "BucketOwnerEnforced" }), (bucket, controls) =>
      controls.flatMap((control) => {
        const ownership = control.inputs.str("rule", "objectOwnership");
        return ownership === UNKNOWN || ownership === "BucketOwnerEnforced" ? [] : [{ resource: bucket, problem: `object ownership is ${ownership ?? "unset"}`, property: "rule.objectOwnership", on: control, fix: "BucketOwnerEnforced" }];
      }),
    ),
};

/** Whether a condition test denies requests made without TLS (`Bool`/`BoolIfExists` `aws:SecureTransport` = false). */
function deniesInsecureTransport(condition: ConditionTest): boolean {
  return /^Bool(IfExists)?$/i.test(condition.operator) && condition.key.toLowerCase() === "aws:securetransport" && condition.values.some((value) => value.toLowerCase() === "false");
}

/** Whether a bucket policy document denies every S3 action without TLS to everyone, on the bucket and its objects. */
function isTlsOnly(policy: unknown, bucketArn: string | undefined): boolean | typeof UNKNOWN {
  const document = parseDocument(policy);
  if (document === UNKNOWN) return UNKNOWN;
  if (document === undefined) return false;
  return document.statements.some(
    (statement) =>
      statement.effect === "Deny" &&
      statement.principal?.any === true &&
      coversAction(statement, "s3:GetObject") &&
      coversAction(statement, "s3:PutObject") &&
      coversAction(statement, "s3:ListBucket") &&
      statement.conditions.some(deniesInsecureTransport) &&
      (bucketArn === undefined || (coversResource(statement, bucketArn) && coversResource(statement, `${bucketArn}/any-key`))),
  );
}

const TLS_FIX = 'a Deny of "s3:*" to Principal "*" on the bucket ARN and ARN/* with Condition Bool aws:SecureTransport "false"';

export const s3TlsOnly: StackRule = {
  kind: "stack",
  name: "s3-tls-only",
  description: "Every bucket's policy denies any request made without TLS, on the bucket and its objects.",
  level: "mandatory",
  remediation: 'Add to the bucket policy a Deny of "s3:*" for Principal "*" on the bucket and bucket/* when aws:SecureTransport is false.',
  check: (stack) =>
    eachConfiguredBucket(stack, [BUCKET_POLICY], () => ({ problem: "has no bucket policy, so requests without TLS are allowed", property: "policy", fix: TLS_FIX }), (bucket, policies) => {
      const arn = bucket.inputs.str("arn");
      // Before the first `up` the document (built from the bucket's ARN) is unknown: checked once it is known.
      const verdicts = policies.map((policy) => isTlsOnly(policy.inputs.value("policy"), typeof arn === "string" ? arn : undefined));
      if (verdicts.some((verdict) => verdict === true || verdict === UNKNOWN)) return [];
      return [{ resource: bucket, problem: "its policy does not deny requests made without TLS", property: "policy", on: policies[0]!, fix: TLS_FIX }];
    }),
};

/** Whether a lifecycle rule applies to the whole bucket (no prefix, tag or size filter). */
function appliesToWholeBucket(rule: Readonly<Record<string, unknown>>): boolean {
  const prefix = asString(rule["prefix"]);
  if (typeof prefix === "string" && prefix !== "") return false;
  const filter = asRecord(rule["filter"]);
  if (filter === UNKNOWN) return false;
  if (filter === undefined) return true;
  return Object.entries(filter).every(([key, value]) => value === undefined || value === null || (key === "prefix" && value === "") || (Array.isArray(value) && value.length === 0));
}

const ABORT_FIX = "an Enabled rule with filter {} and abortIncompleteMultipartUpload.daysAfterInitiation (e.g. 7)";

export const s3AbortIncompleteUploads: StackRule = {
  kind: "stack",
  name: "s3-abort-incomplete-uploads",
  description: "Every bucket has an enabled lifecycle rule for the whole bucket that aborts incomplete multipart uploads.",
  level: "mandatory",
  remediation: "Add to the bucket's aws.s3.BucketLifecycleConfiguration an Enabled rule with an empty filter and abortIncompleteMultipartUpload.daysAfterInitiation.",
  check: (stack) =>
    eachConfiguredBucket(stack, LIFECYCLE_TYPES, () => ({ problem: "has no lifecycle configuration, so parts of failed uploads are kept and billed", property: "rules", fix: ABORT_FIX }), (bucket, configurations) => {
      const aborts = configurations.some((configuration) => {
        const rules = configuration.inputs.list("rules");
        if (rules === UNKNOWN) return true;
        return (rules ?? []).some((rule) => {
          const record = asRecord(rule);
          if (record === UNKNOWN) return true;
          if (record === undefined || asString(record["status"]) === "Disabled") return false;
          return asRecord(record["abortIncompleteMultipartUpload"]) !== undefined && appliesToWholeBucket(record);
        });
      });
      return aborts ? [] : [{ resource: bucket, problem: "no enabled lifecycle rule aborts incomplete multipart uploads across the bucket", property: "rules", on: configurations[0]!, fix: ABORT_FIX }];
    }),
};

export const S3_RULES: readonly StackRule[] = [s3PublicAccessBlocked, s3DefaultSseKms, s3Versioning, s3OwnerEnforced, s3TlsOnly, s3AbortIncompleteUploads];

/**
 * The bucket name of an S3 ARN or ARN pattern.
 *
 * @example
 * ```ts
 * bucketOfArn("arn:aws:s3:::lake/raw/*"); // "lake"
 * ```
 */
export function bucketOfArn(arn: string): string | undefined {
  return /^arn:[^:]+:s3:::([^/]+)/.exec(arn)?.[1];
}
