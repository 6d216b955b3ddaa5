/** The storage layer as the program deploys it, for dev and prod, under mocks with each stack's real config. */
import { beforeAll, describe, expect, test } from "vitest";
import { runProgram, type ProgramRun } from "./harness/program.js";
import { MOCK_ACCOUNT_ID } from "./harness/mocks.js";
import type { RecordedResource } from "./harness/mocks.js";
import type { PolicyDocument, PolicyStatement } from "../iam/documents.js";
import { lakeKeyPolicy } from "../storage/policies.js";
import { ZONES } from "../storage/zones.js";

const BUCKET = "aws:s3/bucket:Bucket";
const KEY = "aws:kms/key:Key";
const BUCKETS = ["datalake-lake", "datalake-athena-results", "datalake-access-logs"] as const;
const KMS_BUCKETS = ["datalake-lake", "datalake-athena-results"] as const;

const runs: Record<string, ProgramRun> = {};

beforeAll(async () => {
  runs.dev = await runProgram("dev");
  runs.prod = await runProgram("prod");
});

/** The configured number of days of a storage key, as the CLI hands it to the program. */
const days = (run: ProgramRun, key: string): number => {
  const value = run.config[`datalake:${key}`];
  if (value === undefined) throw new Error(`datalake:${key} is not set for ${run.stack}`);
  return Number(value);
};

/** The configuration resource of a bucket, named `<bucket>-<suffix>` as `secureBucket` names its children. */
const configOf = (run: ProgramRun, type: string, bucket: string, suffix: string): RecordedResource => run.one(type, `${bucket}-${suffix}`);

const policyOf = (run: ProgramRun, bucket: string): PolicyDocument => JSON.parse(run.one("aws:s3/bucketPolicy:BucketPolicy", `${bucket}-policy`).inputs.policy);
const lifecycleOf = (run: ProgramRun, bucket: string) => run.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", `${bucket}-lifecycle`).inputs.rules as Record<string, any>[];
const ruleFor = (rules: Record<string, any>[], prefix: string | undefined, id?: string) =>
  rules.find((rule) => (id === undefined || rule.id === id) && (rule.filter?.prefix ?? undefined) === prefix);

describe.each(["dev", "prod"])("stack %s", (stack) => {
  const run = () => runs[stack]!;
  const bucket = (name: string) => run().one(BUCKET, name);

  describe("lake key", () => {
    test("is a customer-managed key with rotation on and an alias per stack", () => {
      const key = run().one(KEY);
      const alias = run().one("aws:kms/alias:Alias");
      expect(key.inputs.enableKeyRotation).toBe(true);
      expect(alias.inputs).toMatchObject({ name: `alias/datalake-${stack}`, targetKeyId: key.state.keyId });
    });

    test("has the lake key policy of this stack's account, region and partition", () => {
      const policy = JSON.parse(run().one(KEY).inputs.policy);
      expect(policy).toEqual(lakeKeyPolicy({ accountId: MOCK_ACCOUNT_ID, region: run().config["aws:region"]!, partition: "aws" }));
      expect(JSON.stringify(policy)).toContain(`logs.${run().config["aws:region"]}.amazonaws.com`);
    });
  });

  describe.each(BUCKETS)("bucket %s", (name) => {
    test("enforces bucket ownership (no ACLs) and blocks all four kinds of public access", () => {
      expect(configOf(run(), "aws:s3/bucketOwnershipControls:BucketOwnershipControls", name, "ownership").inputs).toEqual({
        bucket: bucket(name).id,
        rule: { objectOwnership: "BucketOwnerEnforced" },
      });
      expect(run().one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", `${name}-public-access`).inputs).toEqual({
        bucket: bucket(name).id,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      });
    });

    test("is versioned", () => {
      expect(configOf(run(), "aws:s3/bucketVersioning:BucketVersioning", name, "versioning").inputs.versioningConfiguration).toEqual({ status: "Enabled" });
    });

    test("denies every request without TLS on the bucket and its objects, and TLS older than 1.2", () => {
      const statements = policyOf(run(), name).Statement;
      const arn = bucket(name).state.arn;
      expect(statements.find((statement) => statement.Sid === "DenyInsecureTransport")).toEqual({
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: [arn, `${arn}/*`],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      });
      expect(statements.find((statement) => statement.Sid === "DenyOutdatedTls")?.Condition).toEqual({ NumericLessThan: { "s3:TlsVersion": "1.2" } });
    });

    test("allows nothing to everyone", () => {
      const open = policyOf(run(), name).Statement.filter((statement: PolicyStatement) => statement.Effect === "Allow" && statement.Principal === "*");
      expect(open).toEqual([]);
    });

    test("aborts incomplete multipart uploads after 7 days and expires old versions after the configured days", () => {
      const housekeeping = ruleFor(lifecycleOf(run(), name), undefined, "housekeeping");
      expect(housekeeping).toMatchObject({
        status: "Enabled",
        abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
        noncurrentVersionExpiration: { noncurrentDays: days(run(), "noncurrentVersionExpirationDays") },
        expiration: { expiredObjectDeleteMarker: true },
      });
    });

    test("is force-destroyed only where the stack allows it", () => {
      expect(bucket(name).inputs.forceDestroy).toBe(run().config["datalake:forceDestroy"] === "true");
    });
  });

  test.each(KMS_BUCKETS)("%s is encrypted with the lake key and bucket keys, and refuses other encryption", (name) => {
    const key = run().one(KEY);
    expect(configOf(run(), "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", name, "encryption").inputs.rules).toEqual([
      { applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: key.state.arn }, bucketKeyEnabled: true },
    ]);
    const keyRule = policyOf(run(), name).Statement.find((statement) => statement.Sid === "DenyOtherEncryptionKeys");
    expect(keyRule).toMatchObject({ Effect: "Deny", Action: "s3:PutObject", Resource: `${bucket(name).state.arn}/*` });
    expect(keyRule?.Condition).toEqual({
      Null: { "s3:x-amz-server-side-encryption-aws-kms-key-id": "false" },
      StringNotEquals: { "s3:x-amz-server-side-encryption-aws-kms-key-id": key.state.arn },
    });
  });

  describe("lake zones and lifecycle", () => {
    test("raw moves to STANDARD_IA and GLACIER on the configured days and is kept", () => {
      const raw = ruleFor(lifecycleOf(run(), "datalake-lake"), ZONES.raw);
      expect(raw?.transitions).toEqual([
        { days: days(run(), "rawInfrequentAccessDays"), storageClass: "STANDARD_IA" },
        { days: days(run(), "rawGlacierDays"), storageClass: "GLACIER" },
      ]);
      expect(days(run(), "rawInfrequentAccessDays")).toBe(30);
      expect(days(run(), "rawGlacierDays")).toBe(90);
      expect(raw?.expiration).toBeUndefined();
    });

    test("processed moves to INTELLIGENT_TIERING and rejected expires after the configured days", () => {
      const rules = lifecycleOf(run(), "datalake-lake");
      expect(ruleFor(rules, ZONES.processed)?.transitions).toEqual([{ days: days(run(), "processedIntelligentTieringDays"), storageClass: "INTELLIGENT_TIERING" }]);
      expect(ruleFor(rules, ZONES.rejected)?.expiration).toEqual({ days: days(run(), "rejectedExpirationDays") });
    });
  });

  describe("Athena results bucket", () => {
    test("results expire after the configured days", () => {
      const expiry = ruleFor(lifecycleOf(run(), "datalake-athena-results"), undefined, "objects-expire");
      expect(expiry?.expiration).toEqual({ days: days(run(), "athenaResultsExpirationDays") });
    });

    test("is the workgroup's output location", () => {
      const workgroup = run().one("aws:athena/workgroup:Workgroup");
      expect(workgroup.inputs.configuration.resultConfiguration.outputLocation).toBe(`s3://${bucket("datalake-athena-results").state.bucket}/results/`);
    });
  });

  describe("access-log bucket", () => {
    test("is encrypted with SSE-S3, as S3 server access logging requires", () => {
      expect(configOf(run(), "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "datalake-access-logs", "encryption").inputs.rules).toEqual([
        { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" }, bucketKeyEnabled: false },
      ]);
    });

    test("logs expire after the configured days", () => {
      const expiry = ruleFor(lifecycleOf(run(), "datalake-access-logs"), undefined, "objects-expire");
      expect(expiry?.expiration).toEqual({ days: days(run(), "accessLogExpirationDays") });
    });

    test("admits log delivery only from the lake and results buckets of this account", () => {
      const statements = policyOf(run(), "datalake-access-logs").Statement;
      const delivery = statements.filter((statement) => statement.Effect === "Allow");
      expect(delivery).toEqual([
        {
          Sid: "AllowS3ServerAccessLogDelivery",
          Effect: "Allow",
          Principal: { Service: "logging.s3.amazonaws.com" },
          Action: "s3:PutObject",
          Resource: `${bucket("datalake-access-logs").state.arn}/*`,
          Condition: {
            ArnLike: { "aws:SourceArn": [bucket("datalake-lake").state.arn, bucket("datalake-athena-results").state.arn] },
            StringEquals: { "aws:SourceAccount": MOCK_ACCOUNT_ID },
          },
        },
      ]);
    });

    test("receives the lake's and the results bucket's server access logs, partitioned by date", () => {
      const logging = run().all("aws:s3/bucketLogging:BucketLogging");
      const target = bucket("datalake-access-logs").id;
      expect(logging.map((entry) => entry.inputs).sort((a, b) => a.targetPrefix.localeCompare(b.targetPrefix))).toEqual([
        { bucket: bucket("datalake-athena-results").id, targetBucket: target, targetPrefix: "athena-results/", targetObjectKeyFormat: { partitionedPrefix: { partitionDateSource: "EventTime" } } },
        { bucket: bucket("datalake-lake").id, targetBucket: target, targetPrefix: "lake/", targetObjectKeyFormat: { partitionedPrefix: { partitionDateSource: "EventTime" } } },
      ]);
    });
  });

  test("exports bucket names and ARNs, the key's ARN, id and alias, and the zone prefixes", () => {
    const { outputs } = run();
    expect(outputs.lakeBucketName).toBe(bucket("datalake-lake").state.bucket);
    expect(outputs.lakeBucketArn).toBe(bucket("datalake-lake").state.arn);
    expect(outputs.athenaResultsBucketName).toBe(bucket("datalake-athena-results").state.bucket);
    expect(outputs.athenaResultsBucketArn).toBe(bucket("datalake-athena-results").state.arn);
    expect(outputs.accessLogBucketName).toBe(bucket("datalake-access-logs").state.bucket);
    expect(outputs.accessLogBucketArn).toBe(bucket("datalake-access-logs").state.arn);
    expect(outputs.kmsKeyArn).toBe(run().one(KEY).state.arn);
    expect(outputs.kmsKeyId).toBe(run().one(KEY).state.keyId);
    expect(outputs.kmsKeyAlias).toBe(`alias/datalake-${stack}`);
    expect(outputs.zonePrefixes).toEqual({ raw: "raw/", processed: "processed/", curated: "curated/", rejected: "rejected/", manifests: "manifests/" });
  });
});

describe("dev and prod differ where their config says", () => {
  test("prod protects the lake bucket and the key and retains them on delete; dev does not", () => {
    for (const name of [KEY, BUCKET]) {
      const resource = (run: ProgramRun) => (name === KEY ? run.one(KEY) : run.one(BUCKET, "datalake-lake"));
      expect(runs.prod!.options(resource(runs.prod!)), `prod ${name}`).toEqual({ protect: true, retainOnDelete: true });
      expect(runs.dev!.options(resource(runs.dev!)), `dev ${name}`).toEqual({ protect: false, retainOnDelete: false });
    }
  });

  test("in prod the lake bucket's encryption, policy and lifecycle inherit its protection", () => {
    for (const [type, suffix] of [
      ["aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "encryption"],
      ["aws:s3/bucketPolicy:BucketPolicy", "policy"],
      ["aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "lifecycle"],
    ] as const) {
      expect(runs.prod!.options(runs.prod!.one(type, `datalake-lake-${suffix}`)).protect, suffix).toBe(true);
      expect(runs.dev!.options(runs.dev!.one(type, `datalake-lake-${suffix}`)).protect, suffix).toBe(false);
    }
  });

  test("the results and access-log buckets hold no data worth protecting and stay deletable", () => {
    for (const run of [runs.dev!, runs.prod!]) {
      for (const name of ["datalake-athena-results", "datalake-access-logs"]) {
        expect(run.options(run.one(BUCKET, name)).protect ?? false, `${run.stack} ${name}`).toBe(false);
      }
    }
  });

  test("dev force-destroys every bucket, prod none", () => {
    for (const name of BUCKETS) {
      expect(runs.dev!.one(BUCKET, name).inputs.forceDestroy, name).toBe(true);
      expect(runs.prod!.one(BUCKET, name).inputs.forceDestroy, name).toBe(false);
    }
  });

  test("the key waits 30 days before deletion in prod and 7 in dev", () => {
    expect(runs.prod!.one(KEY).inputs.deletionWindowInDays).toBe(30);
    expect(runs.dev!.one(KEY).inputs.deletionWindowInDays).toBe(7);
  });

  test("retention days differ as the stack files set them", () => {
    const rejected = (run: ProgramRun) => ruleFor(lifecycleOf(run, "datalake-lake"), ZONES.rejected)?.expiration.days;
    const noncurrent = (run: ProgramRun) => ruleFor(lifecycleOf(run, "datalake-lake"), undefined, "housekeeping")?.noncurrentVersionExpiration.noncurrentDays;
    const logs = (run: ProgramRun) => ruleFor(lifecycleOf(run, "datalake-access-logs"), undefined, "objects-expire")?.expiration.days;
    expect([rejected(runs.dev!), rejected(runs.prod!)]).toEqual([14, 180]);
    expect([noncurrent(runs.dev!), noncurrent(runs.prod!)]).toEqual([7, 90]);
    expect([logs(runs.dev!), logs(runs.prod!)]).toEqual([30, 730]);
  });
});

describe("lifecycle overrides reach the deployed rules", () => {
  test("a raw expiry and other transition days set in config replace the defaults", async () => {
    const run = await runProgram("prod", {
      "datalake:rawInfrequentAccessDays": 60,
      "datalake:rawGlacierDays": 180,
      "datalake:rawExpirationDays": 2555,
      "datalake:processedIntelligentTieringDays": 14,
    });
    const rules = lifecycleOf(run, "datalake-lake");
    expect(ruleFor(rules, ZONES.raw)).toMatchObject({
      transitions: [
        { days: 60, storageClass: "STANDARD_IA" },
        { days: 180, storageClass: "GLACIER" },
      ],
      expiration: { days: 2555 },
    });
    expect(ruleFor(rules, ZONES.processed)?.transitions).toEqual([{ days: 14, storageClass: "INTELLIGENT_TIERING" }]);
  });

  test("prod refuses to force-destroy buckets", async () => {
    await expect(runProgram("prod", { "datalake:forceDestroy": true })).rejects.toThrow(/datalake:forceDestroy: true is not accepted when environment is prod/);
  });
});
