/**
 * Storage layer: the lake's customer-managed KMS key, the lake bucket with its zones, and the
 * Athena results bucket. Every bucket is private, encrypted with the key and TLS-only.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import type { StorageSettings } from "../config";
import { awsContext } from "../iam/context";
import { lakeKeyPolicy, tlsOnlyBucketPolicy } from "./policies";
import { ZONES } from "./zones";

export interface StorageArgs {
  readonly settings: StorageSettings;
}

/** What the next layers take from storage. */
export interface StorageOutputs {
  readonly kmsKeyArn: pulumi.Output<string>;
  readonly kmsKeyId: pulumi.Output<string>;
  readonly lakeBucketName: pulumi.Output<string>;
  readonly lakeBucketArn: pulumi.Output<string>;
  readonly resultsBucketName: pulumi.Output<string>;
  readonly resultsBucketArn: pulumi.Output<string>;
  readonly zones: typeof ZONES;
}

interface SecureBucketArgs {
  readonly name: string;
  readonly kmsKeyArn: pulumi.Input<string>;
  readonly forceDestroy: boolean;
  readonly parent: pulumi.Resource;
  readonly protect: boolean;
}

/** A private, versioned, KMS-encrypted, TLS-only bucket (the secure defaults in one place). */
function secureBucket(args: SecureBucketArgs): aws.s3.Bucket {
  const { name, parent } = args;
  const bucket = new aws.s3.Bucket(
    name,
    { forceDestroy: args.forceDestroy },
    { parent, protect: args.protect, retainOnDelete: args.protect },
  );
  const childOpts = { parent: bucket };
  new aws.s3.BucketOwnershipControls(`${name}-ownership`, { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } }, childOpts);
  const publicAccessBlock = new aws.s3.BucketPublicAccessBlock(
    `${name}-public-access`,
    { bucket: bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
    childOpts,
  );
  new aws.s3.BucketVersioning(`${name}-versioning`, { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } }, childOpts);
  new aws.s3.BucketServerSideEncryptionConfiguration(
    `${name}-encryption`,
    {
      bucket: bucket.id,
      rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: args.kmsKeyArn }, bucketKeyEnabled: true }],
    },
    childOpts,
  );
  new aws.s3.BucketPolicy(
    `${name}-policy`,
    { bucket: bucket.id, policy: bucket.arn.apply((arn) => JSON.stringify(tlsOnlyBucketPolicy(arn))) },
    { ...childOpts, dependsOn: [publicAccessBlock] },
  );
  return bucket;
}

export class Storage extends pulumi.ComponentResource implements StorageOutputs {
  readonly kmsKeyArn: pulumi.Output<string>;
  readonly kmsKeyId: pulumi.Output<string>;
  readonly lakeBucketName: pulumi.Output<string>;
  readonly lakeBucketArn: pulumi.Output<string>;
  readonly resultsBucketName: pulumi.Output<string>;
  readonly resultsBucketArn: pulumi.Output<string>;
  readonly zones = ZONES;

  constructor(name: string, args: StorageArgs, opts?: pulumi.ComponentResourceOptions) {
    super("datalake:storage:Storage", name, {}, opts);
    const { settings } = args;
    const context = awsContext(this);

    const key = new aws.kms.Key(
      `${name}-key`,
      {
        description: `Encrypts the ${pulumi.getStack()} data lake: buckets, topics, queues`,
        enableKeyRotation: true,
        deletionWindowInDays: 30,
        policy: context.apply((ctx) => JSON.stringify(lakeKeyPolicy(ctx))),
      },
      { parent: this, protect: settings.protectData, retainOnDelete: settings.protectData },
    );
    new aws.kms.Alias(`${name}-key-alias`, { name: `alias/datalake-${pulumi.getStack()}`, targetKeyId: key.keyId }, { parent: this });

    const lake = secureBucket({
      name: `${name}-lake`,
      kmsKeyArn: key.arn,
      forceDestroy: settings.forceDestroy,
      protect: settings.protectData,
      parent: this,
    });
    const results = secureBucket({
      name: `${name}-athena-results`,
      kmsKeyArn: key.arn,
      forceDestroy: settings.forceDestroy,
      protect: false,
      parent: this,
    });

    this.kmsKeyArn = key.arn;
    this.kmsKeyId = key.keyId;
    this.lakeBucketName = lake.bucket;
    this.lakeBucketArn = lake.arn;
    this.resultsBucketName = results.bucket;
    this.resultsBucketArn = results.arn;

    this.registerOutputs({
      kmsKeyArn: this.kmsKeyArn,
      lakeBucketName: this.lakeBucketName,
      resultsBucketName: this.resultsBucketName,
    });
  }
}
