/**
 * The storage layer's secure defaults, in one place. Every bucket starts from `SECURE_BUCKET_DEFAULTS`
 * and a caller overrides only what must differ (as AWS Solutions Constructs do), so a new bucket cannot
 * forget a protection. Pure module: tests check it without Pulumi.
 */

/** How objects are encrypted at rest by default. */
export type BucketEncryption =
  /** SSE-KMS with the lake's customer-managed key and S3 bucket keys (fewer KMS calls). */
  | "lakeKey"
  /** SSE-S3 (AES256): the only server-side encryption S3 server access logging can deliver to. */
  | "s3Managed";

export interface PublicAccessBlock {
  readonly blockPublicAcls: boolean;
  readonly blockPublicPolicy: boolean;
  readonly ignorePublicAcls: boolean;
  readonly restrictPublicBuckets: boolean;
}

/** Everything that makes a bucket safe, as data. */
export interface BucketProfile {
  readonly encryption: BucketEncryption;
  readonly versioning: boolean;
  /** `BucketOwnerEnforced` disables ACLs: access is governed by policies alone. */
  readonly objectOwnership: "BucketOwnerEnforced";
  readonly publicAccessBlock: PublicAccessBlock;
  /** Requests over older TLS versions are denied by the bucket policy. */
  readonly minimumTlsVersion: "1.2" | "1.3";
  /**
   * With SSE-KMS: deny uploads that ask for another algorithm or another key, so every object is
   * readable by whoever may use the lake key (and by nobody else).
   */
  readonly denyOtherEncryption: boolean;
  /** Let `pulumi destroy` delete a bucket that still holds objects. */
  readonly forceDestroy: boolean;
}

export type BucketOverrides = Partial<Omit<BucketProfile, "publicAccessBlock">> & {
  readonly publicAccessBlock?: Partial<PublicAccessBlock>;
};

export const SECURE_BUCKET_DEFAULTS: BucketProfile = {
  encryption: "lakeKey",
  versioning: true,
  objectOwnership: "BucketOwnerEnforced",
  publicAccessBlock: { blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
  minimumTlsVersion: "1.2",
  denyOtherEncryption: true,
  forceDestroy: false,
};

/**
 * The secure defaults with `overrides` merged over them (the public access block field by field).
 *
 * @example
 * ```ts
 * bucketProfile({ encryption: "s3Managed", denyOtherEncryption: false }).publicAccessBlock.blockPublicPolicy; // true
 * ```
 */
export function bucketProfile(overrides: BucketOverrides = {}): BucketProfile {
  return {
    ...SECURE_BUCKET_DEFAULTS,
    ...overrides,
    publicAccessBlock: { ...SECURE_BUCKET_DEFAULTS.publicAccessBlock, ...overrides.publicAccessBlock },
  };
}

/** The resource options that keep data when the stack is destroyed or a resource is replaced. */
export interface DataProtectionOptions {
  /** Pulumi refuses to delete the resource. */
  readonly protect: boolean;
  /** Should it be removed from the stack anyway, the cloud resource stays. */
  readonly retainOnDelete: boolean;
}

/**
 * Resource options for what holds or unlocks the lake's data (the lake bucket and the key).
 *
 * @example
 * ```ts
 * new aws.kms.Key("key", args, { parent, ...dataProtectionOptions(settings.protectData) });
 * ```
 */
export function dataProtectionOptions(protectData: boolean): DataProtectionOptions {
  return { protect: protectData, retainOnDelete: protectData };
}

/**
 * Days KMS waits before deleting the key once deletion is scheduled: the longest window where data is
 * protected, the shortest (7, KMS's minimum) where stacks are disposable.
 */
export function keyDeletionWindowDays(protectData: boolean): number {
  return protectData ? 30 : 7;
}
