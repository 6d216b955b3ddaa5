/** The storage layer's pure parts: secure defaults, lifecycle rules, bucket and key policies, and the storage config rules. */
import { describe, expect, test } from "vitest";
import { ConfigError, parseSettings } from "../config/settings.js";
import { SECURE_BUCKET_DEFAULTS, bucketProfile, dataProtectionOptions, keyDeletionWindowDays } from "../storage/defaults.js";
import { ABORT_INCOMPLETE_MULTIPART_UPLOAD_DAYS, expiringBucketLifecycleRules, lakeLifecycleRules } from "../storage/lifecycle.js";
import { KEY_VIA_SERVICES, allowAccessLogDelivery, bucketPolicy, lakeKeyPolicy } from "../storage/policies.js";
import { ZONES } from "../storage/zones.js";
import type { PolicyStatement } from "../iam/documents.js";

const BUCKET_ARN = "arn:aws:s3:::lake-bucket";
const KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/abcd";
const CONTEXT = { accountId: "123456789012", region: "eu-west-1", partition: "aws" } as const;

/** Whether an IAM action pattern (with `*` wildcards) covers an action. */
function covers(pattern: string, action: string): boolean {
  const expression = new RegExp(`^${pattern.split("*").map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`, "i");
  return expression.test(action);
}

const actionsOf = (statement: PolicyStatement): readonly string[] => (typeof statement.Action === "string" ? [statement.Action] : statement.Action);
const statementsNamed = (statements: readonly PolicyStatement[], sid: string) => statements.filter((statement) => statement.Sid === sid);

describe("secure bucket defaults", () => {
  test("a bucket without overrides is private, versioned, encrypted with the lake key, TLS 1.2+ and not force-destroyed", () => {
    const profile = bucketProfile();
    expect(profile).toEqual(SECURE_BUCKET_DEFAULTS);
    expect(profile.publicAccessBlock).toEqual({ blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true });
    expect(profile).toMatchObject({ encryption: "lakeKey", versioning: true, objectOwnership: "BucketOwnerEnforced", minimumTlsVersion: "1.2", forceDestroy: false });
  });

  test("overrides replace only what they name; a partial public access block keeps the other three", () => {
    const profile = bucketProfile({ encryption: "s3Managed", forceDestroy: true, publicAccessBlock: { restrictPublicBuckets: false } });
    expect(profile.encryption).toBe("s3Managed");
    expect(profile.forceDestroy).toBe(true);
    expect(profile.versioning).toBe(true);
    expect(profile.publicAccessBlock).toEqual({ blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: false });
    expect(SECURE_BUCKET_DEFAULTS.publicAccessBlock.restrictPublicBuckets).toBe(true);
  });

  test("protected data is protected and retained on delete; unprotected data neither", () => {
    expect(dataProtectionOptions(true)).toEqual({ protect: true, retainOnDelete: true });
    expect(dataProtectionOptions(false)).toEqual({ protect: false, retainOnDelete: false });
    expect(keyDeletionWindowDays(true)).toBe(30);
    expect(keyDeletionWindowDays(false)).toBe(7);
  });
});

describe("lifecycle rules", () => {
  const lifecycle = { rawInfrequentAccessDays: 45, rawGlacierDays: 120, processedIntelligentTieringDays: 3, rejectedExpirationDays: 21 };

  test("raw cools to STANDARD_IA then GLACIER on the configured days and is kept when no expiry is set", () => {
    const rules = lakeLifecycleRules(lifecycle, 10);
    const raw = rules.find((rule) => rule.filter.prefix === ZONES.raw);
    expect(raw?.transitions).toEqual([
      { days: 45, storageClass: "STANDARD_IA" },
      { days: 120, storageClass: "GLACIER" },
    ]);
    expect(raw?.expiration).toBeUndefined();
  });

  test("raw expires when an expiry is configured", () => {
    const raw = lakeLifecycleRules({ ...lifecycle, rawExpirationDays: 400 }, 10).find((rule) => rule.filter.prefix === ZONES.raw);
    expect(raw?.expiration).toEqual({ days: 400 });
  });

  test("processed moves to INTELLIGENT_TIERING, rejected expires, curated has no rule of its own", () => {
    const rules = lakeLifecycleRules(lifecycle, 10);
    expect(rules.find((rule) => rule.filter.prefix === ZONES.processed)?.transitions).toEqual([{ days: 3, storageClass: "INTELLIGENT_TIERING" }]);
    expect(rules.find((rule) => rule.filter.prefix === ZONES.rejected)?.expiration).toEqual({ days: 21 });
    expect(rules.some((rule) => rule.filter.prefix === ZONES.curated)).toBe(false);
  });

  test("one bucket-wide rule expires noncurrent versions, cleans delete markers and aborts multipart uploads after 7 days", () => {
    const rules = lakeLifecycleRules(lifecycle, 10);
    const bucketWide = rules.filter((rule) => rule.filter.prefix === undefined);
    expect(bucketWide).toEqual([
      {
        id: "housekeeping",
        status: "Enabled",
        filter: {},
        expiration: { expiredObjectDeleteMarker: true },
        noncurrentVersionExpiration: { noncurrentDays: 10 },
        abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
      },
    ]);
    expect(ABORT_INCOMPLETE_MULTIPART_UPLOAD_DAYS).toBe(7);
  });

  test("rule ids are unique and every rule is enabled", () => {
    const rules = lakeLifecycleRules({ ...lifecycle, rawExpirationDays: 400 }, 10);
    expect(new Set(rules.map((rule) => rule.id)).size).toBe(rules.length);
    expect(rules.every((rule) => rule.status === "Enabled")).toBe(true);
  });

  test("an expiring bucket expires every object and keeps the housekeeping", () => {
    const rules = expiringBucketLifecycleRules(5, 2);
    expect(rules.find((rule) => rule.id === "objects-expire")).toEqual({ id: "objects-expire", status: "Enabled", filter: {}, expiration: { days: 5 } });
    expect(rules.find((rule) => rule.id === "housekeeping")?.noncurrentVersionExpiration).toEqual({ noncurrentDays: 2 });
  });
});

describe("bucket policies", () => {
  test("deny every request without TLS on the bucket and its objects", () => {
    const policy = bucketPolicy({ bucketArn: BUCKET_ARN, profile: bucketProfile(), kmsKeyArn: KEY_ARN });
    expect(statementsNamed(policy.Statement, "DenyInsecureTransport")).toEqual([
      {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: [BUCKET_ARN, `${BUCKET_ARN}/*`],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
    ]);
  });

  test("deny TLS older than the profile's minimum", () => {
    const policy = bucketPolicy({ bucketArn: BUCKET_ARN, profile: bucketProfile({ minimumTlsVersion: "1.3" }), kmsKeyArn: KEY_ARN });
    const [outdated] = statementsNamed(policy.Statement, "DenyOutdatedTls");
    expect(outdated).toMatchObject({ Effect: "Deny", Principal: "*", Resource: [BUCKET_ARN, `${BUCKET_ARN}/*`] });
    expect(outdated?.Condition).toEqual({ NumericLessThan: { "s3:TlsVersion": "1.3" } });
  });

  test("a lake-key bucket refuses uploads asking for another algorithm or key; an SSE-S3 bucket does not", () => {
    const kms = bucketPolicy({ bucketArn: BUCKET_ARN, profile: bucketProfile(), kmsKeyArn: KEY_ARN });
    // Only when the header is present: a header-less upload gets the bucket default (see the IAM evaluation tests).
    expect(statementsNamed(kms.Statement, "DenyOtherEncryptionAlgorithms")[0]?.Condition).toEqual({
      Null: { "s3:x-amz-server-side-encryption": "false" },
      StringNotEquals: { "s3:x-amz-server-side-encryption": "aws:kms" },
    });
    expect(statementsNamed(kms.Statement, "DenyOtherEncryptionKeys")[0]?.Condition).toEqual({
      Null: { "s3:x-amz-server-side-encryption-aws-kms-key-id": "false" },
      StringNotEquals: { "s3:x-amz-server-side-encryption-aws-kms-key-id": KEY_ARN },
    });
    const sseS3 = bucketPolicy({ bucketArn: BUCKET_ARN, profile: bucketProfile({ encryption: "s3Managed" }) });
    expect(sseS3.Statement.map((statement) => statement.Sid)).toEqual(["DenyInsecureTransport", "DenyOutdatedTls"]);
  });

  test("a lake-key bucket policy without the key's ARN is a programming error", () => {
    expect(() => bucketPolicy({ bucketArn: BUCKET_ARN, profile: bucketProfile() })).toThrow(/key's ARN/);
  });

  test("access-log delivery is allowed only to S3 logging, for the named source buckets of this account", () => {
    const statement = allowAccessLogDelivery({ logBucketArn: "arn:aws:s3:::logs", sourceBucketArns: [BUCKET_ARN, "arn:aws:s3:::results"], accountId: "123456789012" });
    expect(statement).toEqual({
      Sid: "AllowS3ServerAccessLogDelivery",
      Effect: "Allow",
      Principal: { Service: "logging.s3.amazonaws.com" },
      Action: "s3:PutObject",
      Resource: "arn:aws:s3:::logs/*",
      Condition: { ArnLike: { "aws:SourceArn": [BUCKET_ARN, "arn:aws:s3:::results"] }, StringEquals: { "aws:SourceAccount": "123456789012" } },
    });
  });
});

describe("lake key policy", () => {
  const policy = lakeKeyPolicy(CONTEXT);
  const accountRoot = "arn:aws:iam::123456789012:root";
  const dataActions = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:ReEncryptFrom", "kms:CreateGrant"];

  test("grants nothing to everyone and never kms:*", () => {
    for (const statement of policy.Statement) {
      expect(statement.Effect).toBe("Allow");
      expect(statement.Principal).not.toBe("*");
      expect(actionsOf(statement)).not.toContain("kms:*");
    }
  });

  test("the account may use the key for data only through the lake's services, and only from itself", () => {
    const accountStatements = policy.Statement.filter((statement) => typeof statement.Principal === "object" && statement.Principal.AWS === accountRoot);
    const expectedServices = KEY_VIA_SERVICES.map((service) => `${service}.eu-west-1.amazonaws.com`);
    for (const statement of accountStatements) {
      const grantsData = actionsOf(statement).some((pattern) => dataActions.some((action) => covers(pattern, action)));
      if (!grantsData) continue;
      expect(statement.Condition?.StringEquals, statement.Sid).toMatchObject({ "kms:CallerAccount": "123456789012", "kms:ViaService": expectedServices });
    }
    expect(expectedServices).toEqual([
      "s3.eu-west-1.amazonaws.com",
      "sns.eu-west-1.amazonaws.com",
      "sqs.eu-west-1.amazonaws.com",
      "lambda.eu-west-1.amazonaws.com",
      "glue.eu-west-1.amazonaws.com",
    ]);
  });

  test("the account administers the key (alias, rotation, policy, deletion) without conditions", () => {
    const [admin] = statementsNamed(policy.Statement, "AccountAdministersKeyThroughIam");
    expect(admin?.Condition).toBeUndefined();
    for (const action of ["kms:PutKeyPolicy", "kms:EnableKeyRotation", "kms:DescribeKey", "kms:ScheduleKeyDeletion", "kms:CreateAlias", "kms:TagResource"]) {
      expect(actionsOf(admin!).some((pattern) => covers(pattern, action)), action).toBe(true);
    }
    for (const action of dataActions) expect(actionsOf(admin!).some((pattern) => covers(pattern, action)), action).toBe(false);
  });

  test("only S3, SNS, CloudWatch, EventBridge and CloudWatch Logs act as services, each scoped to this account's resources", () => {
    const serviceStatements = policy.Statement.filter((statement) => typeof statement.Principal === "object" && statement.Principal.Service !== undefined);
    const services = serviceStatements.map((statement) => (statement.Principal as { Service: string }).Service);
    expect(services.sort()).toEqual(["cloudwatch.amazonaws.com", "events.amazonaws.com", "logs.eu-west-1.amazonaws.com", "s3.amazonaws.com", "sns.amazonaws.com"]);
    expect(serviceStatements.find((statement) => (statement.Principal as { Service: string }).Service === "events.amazonaws.com")?.Condition).toEqual({
      StringEquals: { "aws:SourceAccount": "123456789012" },
      ArnLike: { "aws:SourceArn": "arn:aws:events:eu-west-1:123456789012:rule/*" },
    });
    const sourceArnOf = (service: string) => serviceStatements.find((statement) => (statement.Principal as { Service: string }).Service === service)?.Condition;
    expect(sourceArnOf("sns.amazonaws.com")).toEqual({ StringEquals: { "aws:SourceAccount": "123456789012" }, ArnLike: { "aws:SourceArn": "arn:aws:sns:eu-west-1:123456789012:*" } });
    expect(sourceArnOf("cloudwatch.amazonaws.com")).toEqual({
      StringEquals: { "aws:SourceAccount": "123456789012" },
      ArnLike: { "aws:SourceArn": "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:*" },
    });
    expect(sourceArnOf("s3.amazonaws.com")?.StringEquals).toEqual({ "aws:SourceAccount": "123456789012" });
    expect(sourceArnOf("logs.eu-west-1.amazonaws.com")).toEqual({
      ArnLike: { "kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:eu-west-1:123456789012:log-group:*" },
    });
  });

  test("delivering services may only generate data keys and decrypt", () => {
    for (const sid of ["S3DeliversToEncryptedDestinations", "SnsDeliversToEncryptedQueues", "CloudWatchAlarmsPublishToEncryptedTopics", "EventBridgeRulesDeliverToEncryptedDestinations"]) {
      expect(statementsNamed(policy.Statement, sid)[0]?.Action, sid).toEqual(["kms:GenerateDataKey*", "kms:Decrypt"]);
    }
  });

  test("follows the partition and region it is given", () => {
    const china = JSON.stringify(lakeKeyPolicy({ accountId: "210987654321", region: "cn-north-1", partition: "aws-cn" }));
    expect(china).toContain("arn:aws-cn:iam::210987654321:root");
    expect(china).toContain("arn:aws-cn:sns:cn-north-1:210987654321:*");
    expect(china).not.toContain("123456789012");
  });
});

describe("storage configuration", () => {
  function problemsOf(raw: Record<string, string>, stack = "dev"): string {
    try {
      parseSettings(raw, stack);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as Error).message;
    }
    throw new Error("expected a ConfigError");
  }

  test("defaults follow the seed: STANDARD_IA at 30 days, GLACIER at 90, raw kept forever", () => {
    const { storage } = parseSettings({}, "scratch");
    expect(storage.lifecycle).toEqual({ rawInfrequentAccessDays: 30, rawGlacierDays: 90, processedIntelligentTieringDays: 0, rejectedExpirationDays: 90 });
    expect(storage.lifecycle.rawExpirationDays).toBeUndefined();
  });

  test("a raw expiry after the GLACIER transition is kept", () => {
    expect(parseSettings({ rawExpirationDays: "3650" }, "scratch").storage.lifecycle.rawExpirationDays).toBe(3650);
  });

  test("STANDARD_IA before 30 days is refused, naming the key", () => {
    const message = problemsOf({ rawInfrequentAccessDays: "29" });
    expect(message).toContain("datalake:rawInfrequentAccessDays");
    expect(message).toContain("an integer from 30 to 36500");
  });

  test("GLACIER less than 30 days after STANDARD_IA is refused, naming both keys", () => {
    const message = problemsOf({ rawInfrequentAccessDays: "60", rawGlacierDays: "80" });
    expect(message).toContain("datalake:rawGlacierDays: 80 is not accepted when datalake:rawInfrequentAccessDays is 60");
    expect(message).toContain("expected 90 or more");
  });

  test("a raw expiry that comes before or on the GLACIER transition is refused", () => {
    const message = problemsOf({ rawExpirationDays: "90" });
    expect(message).toContain("datalake:rawExpirationDays: 90 is not accepted when datalake:rawGlacierDays is 90");
  });

  test("expiry days below 1 are refused", () => {
    for (const key of ["rejectedExpirationDays", "noncurrentVersionExpirationDays", "accessLogExpirationDays", "athenaResultsExpirationDays"]) {
      expect(problemsOf({ [key]: "0" })).toContain(`datalake:${key}: "0" is not accepted`);
    }
  });
});
