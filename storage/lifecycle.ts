/**
 * Lifecycle rules of the storage layer's buckets, as pure functions of the settings. The shapes are
 * those `aws.s3.BucketLifecycleConfiguration` takes, so tests check exactly what is deployed.
 */
import type { LakeLifecycleSettings } from "../config";
import { GLUE_PREFIXES, ZONES } from "./zones";
import { SQS_MAX_RETENTION_DAYS } from "../messaging/limits";

/** Days the Glue job's staging output is kept: a run moves what it needs within its timeout. */
export const GLUE_TEMP_EXPIRATION_DAYS = 2;
/** Days the Glue job's result documents and backfill lists are kept: beyond any processing queue's retention. */
export const GLUE_RESULTS_EXPIRATION_DAYS = SQS_MAX_RETENTION_DAYS + 1;

/** S3 keeps the parts of an upload that never completed, and bills them, until a rule aborts it. */
export const ABORT_INCOMPLETE_MULTIPART_UPLOAD_DAYS = 7;

export type StorageClass = "STANDARD_IA" | "GLACIER" | "INTELLIGENT_TIERING";

export interface LifecycleRule {
  readonly id: string;
  readonly status: "Enabled";
  /** An empty filter applies the rule to the whole bucket. */
  readonly filter: { readonly prefix?: string };
  readonly transitions?: readonly { readonly days: number; readonly storageClass: StorageClass }[];
  readonly expiration?: { readonly days?: number; readonly expiredObjectDeleteMarker?: boolean };
  readonly noncurrentVersionExpiration?: { readonly noncurrentDays: number };
  readonly abortIncompleteMultipartUpload?: { readonly daysAfterInitiation: number };
}

/**
 * The housekeeping every versioned bucket needs: old versions expire, delete markers left alone are
 * removed, incomplete multipart uploads are aborted.
 */
export function housekeepingRule(noncurrentVersionExpirationDays: number): LifecycleRule {
  return {
    id: "housekeeping",
    status: "Enabled",
    filter: {},
    // S3 accepts a delete-marker cleanup only without `days` in the same rule.
    expiration: { expiredObjectDeleteMarker: true },
    noncurrentVersionExpiration: { noncurrentDays: noncurrentVersionExpirationDays },
    abortIncompleteMultipartUpload: { daysAfterInitiation: ABORT_INCOMPLETE_MULTIPART_UPLOAD_DAYS },
  };
}

/**
 * The lake bucket's rules: `raw/` cools to STANDARD_IA then GLACIER (and optionally expires),
 * `processed/` moves to INTELLIGENT_TIERING (Athena reads it unpredictably), `rejected/` expires,
 * `curated/` stays in STANDARD (it is what dashboards query); the Glue job's staging, result documents
 * and backfill lists expire.
 *
 * @example
 * ```ts
 * lakeLifecycleRules({ rawInfrequentAccessDays: 30, rawGlacierDays: 90, processedIntelligentTieringDays: 0, rejectedExpirationDays: 90 }, 30);
 * ```
 */
export function lakeLifecycleRules(lifecycle: LakeLifecycleSettings, noncurrentVersionExpirationDays: number): LifecycleRule[] {
  const raw: LifecycleRule = {
    id: "raw-cools-down",
    status: "Enabled",
    filter: { prefix: ZONES.raw },
    transitions: [
      { days: lifecycle.rawInfrequentAccessDays, storageClass: "STANDARD_IA" },
      { days: lifecycle.rawGlacierDays, storageClass: "GLACIER" },
    ],
    ...(lifecycle.rawExpirationDays === undefined ? {} : { expiration: { days: lifecycle.rawExpirationDays } }),
  };
  return [
    housekeepingRule(noncurrentVersionExpirationDays),
    raw,
    {
      id: "processed-intelligent-tiering",
      status: "Enabled",
      filter: { prefix: ZONES.processed },
      transitions: [{ days: lifecycle.processedIntelligentTieringDays, storageClass: "INTELLIGENT_TIERING" }],
    },
    {
      id: "rejected-expires",
      status: "Enabled",
      filter: { prefix: ZONES.rejected },
      expiration: { days: lifecycle.rejectedExpirationDays },
    },
    { id: "glue-temp-expires", status: "Enabled", filter: { prefix: GLUE_PREFIXES.temp }, expiration: { days: GLUE_TEMP_EXPIRATION_DAYS } },
    { id: "glue-results-expire", status: "Enabled", filter: { prefix: GLUE_PREFIXES.results }, expiration: { days: GLUE_RESULTS_EXPIRATION_DAYS } },
    { id: "glue-runs-expire", status: "Enabled", filter: { prefix: GLUE_PREFIXES.runs }, expiration: { days: GLUE_RESULTS_EXPIRATION_DAYS } },
  ];
}

/**
 * Rules of a bucket whose objects are only useful for a while (Athena results, access logs).
 *
 * @example
 * ```ts
 * expiringBucketLifecycleRules(7, 7); // results deleted after a week, old versions a week later
 * ```
 */
export function expiringBucketLifecycleRules(expirationDays: number, noncurrentVersionExpirationDays: number): LifecycleRule[] {
  return [
    housekeepingRule(noncurrentVersionExpirationDays),
    { id: "objects-expire", status: "Enabled", filter: {}, expiration: { days: expirationDays } },
  ];
}
