/**
 * Athena and Glue: the workgroup imposes its settings on every query (results encrypted with
 * SSE-KMS, a cutoff on bytes scanned per query), and every Glue job runs with a security
 * configuration that encrypts what it writes.
 *
 * - Athena User Guide, "Workgroup settings override client-side settings": only with
 *   `enforceWorkgroupConfiguration` do the workgroup's result location, encryption and limits apply
 *   to every query; the per-query data usage control (`bytesScannedCutoffPerQuery`) cancels a query
 *   that scans more ("Controlling costs and monitoring queries with CloudWatch metrics and events").
 * - Glue Developer Guide, "Encrypting data written by AWS Glue": a job writes S3 data, CloudWatch logs
 *   and job bookmarks unencrypted by Glue unless it names a security configuration. When the
 *   configuration is declared in the stack, its three modes are checked too.
 */
import { Maybe, UNKNOWN } from "../inputs";
import type { ResourceView } from "../resources";
import type { Finding, ResourceRule, StackRule } from "../rule";

export const WORKGROUP = "aws:athena/workgroup:Workgroup";
export const GLUE_JOB = "aws:glue/job:Job";
export const GLUE_SECURITY_CONFIGURATION = "aws:glue/securityConfiguration:SecurityConfiguration";

export const athenaWorkgroupEnforced: ResourceRule = {
  kind: "resource",
  name: "athena-workgroup-enforced",
  description: "Every Athena workgroup enforces its configuration, with SSE-KMS query results and a bytes-scanned cutoff per query.",
  level: "mandatory",
  remediation: "Set configuration.enforceWorkgroupConfiguration true, resultConfiguration.encryptionConfiguration SSE_KMS with kmsKeyArn, and bytesScannedCutoffPerQuery.",
  types: [WORKGROUP],
  check: (workgroup) => {
    const findings: Finding[] = [];
    const enforced = workgroup.inputs.bool("configuration", "enforceWorkgroupConfiguration");
    if (enforced !== true && enforced !== UNKNOWN) {
      findings.push({ resource: workgroup, problem: "lets each query override the workgroup's settings (result location, encryption, limits)", property: "configuration.enforceWorkgroupConfiguration", fix: "true" });
    }
    const option = workgroup.inputs.str("configuration", "resultConfiguration", "encryptionConfiguration", "encryptionOption");
    const key = workgroup.inputs.has("configuration", "resultConfiguration", "encryptionConfiguration", "kmsKeyArn");
    if (option !== UNKNOWN && (option !== "SSE_KMS" || !key)) {
      findings.push({ resource: workgroup, problem: `writes query results ${option === undefined ? "without encryption" : `with ${option}${key ? "" : " and no key"}`}`, property: "configuration.resultConfiguration.encryptionConfiguration", fix: '{ encryptionOption: "SSE_KMS", kmsKeyArn: <the lake key> }' });
    }
    const cutoff = workgroup.inputs.num("configuration", "bytesScannedCutoffPerQuery");
    if (cutoff !== UNKNOWN && (cutoff === undefined || cutoff <= 0)) {
      findings.push({ resource: workgroup, problem: "has no per-query cutoff on bytes scanned, so one runaway query scans (and bills) the whole lake", property: "configuration.bytesScannedCutoffPerQuery", fix: "a byte limit (at least 10485760)" });
    }
    return findings;
  },
};

/** What a declared security configuration leaves unencrypted. */
function unencrypted(configuration: ResourceView): string[] {
  const read = (...path: string[]) => configuration.inputs.str("encryptionConfiguration", ...path);
  const modes: { what: string; value: Maybe<string>; good: readonly string[] }[] = [
    { what: "S3 data (s3Encryption.s3EncryptionMode SSE-KMS)", value: read("s3Encryption", "s3EncryptionMode"), good: ["SSE-KMS"] },
    { what: "CloudWatch logs (cloudwatchEncryption.cloudwatchEncryptionMode SSE-KMS)", value: read("cloudwatchEncryption", "cloudwatchEncryptionMode"), good: ["SSE-KMS"] },
    { what: "job bookmarks (jobBookmarksEncryption.jobBookmarksEncryptionMode CSE-KMS)", value: read("jobBookmarksEncryption", "jobBookmarksEncryptionMode"), good: ["CSE-KMS"] },
  ];
  return modes.filter(({ value, good }) => value !== UNKNOWN && (value === undefined || !good.includes(value))).map(({ what }) => what);
}

export const glueJobSecurityConfiguration: StackRule = {
  kind: "stack",
  name: "glue-job-security-configuration",
  description: "Every Glue job names a security configuration that encrypts its S3 output, logs and bookmarks with KMS.",
  level: "mandatory",
  remediation: "Declare an aws.glue.SecurityConfiguration (SSE-KMS for S3 and CloudWatch, CSE-KMS for bookmarks) and set the job's securityConfiguration to its name.",
  check: (stack) =>
    stack.ofType(GLUE_JOB).flatMap((job): Finding[] => {
      const name = job.inputs.str("securityConfiguration");
      if (name === UNKNOWN) return [];
      if (name === undefined || name === "") {
        return [{ resource: job, problem: "runs without a security configuration, so Glue writes its S3 output, logs and bookmarks unencrypted by KMS", property: "securityConfiguration", fix: "the name of an aws.glue.SecurityConfiguration that uses the lake key" }];
      }
      const declared = stack.referenced(job, "securityConfiguration", stack.ofType(GLUE_SECURITY_CONFIGURATION), ["name"]);
      return declared.flatMap((configuration): Finding[] => {
        const gaps = unencrypted(configuration);
        return gaps.length === 0 ? [] : [{ resource: configuration, problem: `used by ${job.name}, leaves ${gaps.join(", ")} unset`, property: "encryptionConfiguration", fix: "KMS modes with the lake key for all three" }];
      });
    }),
};

export const ANALYTICS_RULES = [athenaWorkgroupEnforced, glueJobSecurityConfiguration] as const;
