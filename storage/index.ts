/**
 * Storage layer: the lake's customer-managed KMS key, the lake bucket with its zones and lifecycle,
 * the Athena results bucket and the access-log bucket both log to. Every bucket is private,
 * versioned, encrypted and TLS-only (see `defaults.ts`).
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import type { StorageSettings } from "../config";
import { awsContext } from "../iam/context";
import type { PolicyStatement } from "../iam/documents";
import { BucketOverrides, bucketProfile, dataProtectionOptions, keyDeletionWindowDays } from "./defaults";
import { LifecycleRule, expiringBucketLifecycleRules, lakeLifecycleRules } from "./lifecycle";
import { allowAccessLogDelivery, bucketPolicy, lakeKeyPolicy } from "./policies";
import { ZONES } from "./zones";
import type { BucketOutputs } from "../components/outputs";

export { ZONES } from "./zones";

export interface StorageArgs {
  readonly settings: StorageSettings;
}

/** What storage builds, as the next layers and users take it. */
export interface StorageOutputs {
  /** The lake's customer-managed key, with its alias (`alias/datalake-<stack>`). */
  readonly kmsKey: { readonly arn: pulumi.Output<string>; readonly id: pulumi.Output<string>; readonly aliasName: pulumi.Output<string> };
  readonly lakeBucket: BucketOutputs;
  readonly resultsBucket: BucketOutputs;
  readonly accessLogBucket: BucketOutputs;
  readonly zones: typeof ZONES;
}

/** Prefixes of the access-log bucket, one per logged bucket. */
export const ACCESS_LOG_PREFIXES = { lake: "lake/", athenaResults: "athena-results/" } as const;

interface SecureBucketArgs {
  readonly name: string;
  readonly parent: pulumi.Resource;
  readonly overrides: BucketOverrides;
  readonly lifecycleRules: readonly LifecycleRule[];
  /** Needed when the bucket is encrypted with the lake key. */
  readonly kmsKeyArn?: pulumi.Output<string>;
  /** Statements the bucket's role adds to its policy, given the bucket's ARN. */
  readonly extraStatements?: (bucketArn: pulumi.Output<string>) => pulumi.Output<PolicyStatement[]>;
  readonly options?: pulumi.CustomResourceOptions;
}

/** A bucket with its separate configuration resources, built from the secure defaults. */
interface SecureBucket {
  readonly bucket: aws.s3.Bucket;
  /** Other resources should wait for it before writing (e.g. logging into this bucket). */
  readonly policy: aws.s3.BucketPolicy;
}

function secureBucket(args: SecureBucketArgs): SecureBucket {
  const { name, parent } = args;
  const profile = bucketProfile(args.overrides);
  const bucket = new aws.s3.Bucket(name, { forceDestroy: profile.forceDestroy }, { parent, ...args.options });
  const childOpts = { parent: bucket };
  new aws.s3.BucketOwnershipControls(`${name}-ownership`, { bucket: bucket.id, rule: { objectOwnership: profile.objectOwnership } }, childOpts);
  const publicAccessBlock = new aws.s3.BucketPublicAccessBlock(`${name}-public-access`, { bucket: bucket.id, ...profile.publicAccessBlock }, childOpts);
  const versioning = new aws.s3.BucketVersioning(
    `${name}-versioning`,
    { bucket: bucket.id, versioningConfiguration: { status: profile.versioning ? "Enabled" : "Suspended" } },
    childOpts,
  );
  const encryptionDefault =
    profile.encryption === "lakeKey"
      ? { sseAlgorithm: "aws:kms", kmsMasterKeyId: requireKey(args, name) }
      : { sseAlgorithm: "AES256" };
  new aws.s3.BucketServerSideEncryptionConfiguration(
    `${name}-encryption`,
    { bucket: bucket.id, rules: [{ applyServerSideEncryptionByDefault: encryptionDefault, bucketKeyEnabled: profile.encryption === "lakeKey" }] },
    childOpts,
  );
  new aws.s3.BucketLifecycleConfiguration(
    `${name}-lifecycle`,
    { bucket: bucket.id, rules: args.lifecycleRules.map((rule) => ({ ...rule, transitions: rule.transitions?.map((transition) => ({ ...transition })) })) },
    // Rules on noncurrent versions need versioning first.
    { ...childOpts, dependsOn: [versioning] },
  );
  const policy = new aws.s3.BucketPolicy(
    `${name}-policy`,
    {
      bucket: bucket.id,
      policy: pulumi
        .all([bucket.arn, args.kmsKeyArn, args.extraStatements?.(bucket.arn) ?? []])
        .apply(([bucketArn, kmsKeyArn, extraStatements]) =>
          JSON.stringify(bucketPolicy({ bucketArn, profile, ...(kmsKeyArn === undefined ? {} : { kmsKeyArn }), extraStatements })),
        ),
    },
    // Block Public Policy is evaluated when the policy is put: apply the block first.
    { ...childOpts, dependsOn: [publicAccessBlock] },
  );
  return { bucket, policy };
}

function requireKey(args: SecureBucketArgs, name: string): pulumi.Output<string> {
  if (args.kmsKeyArn === undefined) throw new Error(`bucket ${name} is encrypted with the lake key but was given none`);
  return args.kmsKeyArn;
}

/** The outputs are the component's fields: declared once, in `StorageOutputs`. */
export interface Storage extends StorageOutputs {}

export class Storage extends pulumi.ComponentResource {
  constructor(name: string, args: StorageArgs, opts?: pulumi.ComponentResourceOptions) {
    super("datalake:storage:Storage", name, {}, opts);
    const { settings } = args;
    const context = awsContext(this);
    const protection = dataProtectionOptions(settings.protectData);

    const key = new aws.kms.Key(
      `${name}-key`,
      {
        description: `Encrypts the ${pulumi.getStack()} data lake: buckets, topics, queues, log groups`,
        enableKeyRotation: true,
        deletionWindowInDays: keyDeletionWindowDays(settings.protectData),
        policy: context.apply((ctx) => JSON.stringify(lakeKeyPolicy(ctx))),
      },
      { parent: this, ...protection },
    );
    const alias = new aws.kms.Alias(`${name}-key-alias`, { name: `alias/datalake-${pulumi.getStack()}`, targetKeyId: key.keyId }, { parent: this });

    const lake = secureBucket({
      name: `${name}-lake`,
      parent: this,
      overrides: { forceDestroy: settings.forceDestroy },
      kmsKeyArn: key.arn,
      lifecycleRules: lakeLifecycleRules(settings.lifecycle, settings.noncurrentVersionExpirationDays),
      options: protection,
    });
    const results = secureBucket({
      name: `${name}-athena-results`,
      parent: this,
      overrides: { forceDestroy: settings.forceDestroy },
      kmsKeyArn: key.arn,
      lifecycleRules: expiringBucketLifecycleRules(settings.athenaResultsExpirationDays, settings.noncurrentVersionExpirationDays),
    });
    const accessLogs = secureBucket({
      name: `${name}-access-logs`,
      parent: this,
      // S3 server access logging delivers only to buckets encrypted with SSE-S3.
      overrides: { forceDestroy: settings.forceDestroy, encryption: "s3Managed", denyOtherEncryption: false },
      lifecycleRules: expiringBucketLifecycleRules(settings.accessLogExpirationDays, settings.noncurrentVersionExpirationDays),
      extraStatements: (logBucketArn) =>
        pulumi
          .all([logBucketArn, lake.bucket.arn, results.bucket.arn, context])
          .apply(([logArn, lakeArn, resultsArn, ctx]) => [
            allowAccessLogDelivery({ logBucketArn: logArn, sourceBucketArns: [lakeArn, resultsArn], accountId: ctx.accountId }),
          ]),
    });

    const logTo = (source: SecureBucket, prefix: string, logName: string) =>
      new aws.s3.BucketLogging(
        `${logName}-logging`,
        {
          bucket: source.bucket.id,
          targetBucket: accessLogs.bucket.id,
          targetPrefix: prefix,
          // Date-partitioned keys, so logs can be queried by day.
          targetObjectKeyFormat: { partitionedPrefix: { partitionDateSource: "EventTime" } },
        },
        { parent: source.bucket, dependsOn: [accessLogs.policy] },
      );
    logTo(lake, ACCESS_LOG_PREFIXES.lake, `${name}-lake`);
    logTo(results, ACCESS_LOG_PREFIXES.athenaResults, `${name}-athena-results`);

    const bucketOutputs = ({ bucket }: SecureBucket): BucketOutputs => ({ name: bucket.bucket, arn: bucket.arn });
    const outputs: StorageOutputs = {
      kmsKey: { arn: key.arn, id: key.keyId, aliasName: alias.name },
      lakeBucket: bucketOutputs(lake),
      resultsBucket: bucketOutputs(results),
      accessLogBucket: bucketOutputs(accessLogs),
      zones: ZONES,
    };
    Object.assign(this, outputs);
    this.registerOutputs(outputs);
  }
}
