/**
 * The datalake policy pack's contents: its rules, the settings they run with, and the CrossGuard
 * policies built from them, as a plain array.
 *
 * Why a separate module: `@pulumi/policy` allows one `PolicyPack` per process and constructing one
 * starts its gRPC server, so `index.ts` only constructs the pack from {@link packArgs}; tests import
 * this module and call the policies directly against the resources the program registers under
 * mocks. A team adding rules adds them to {@link RULES} (see README "Policies").
 *
 * @example
 * ```ts
 * import { policies } from "./policy/pack";
 * for (const policy of policies) if ("validateStack" in policy) await policy.validateStack(args, report);
 * ```
 */
import { readFileSync } from "node:fs";
import type { PolicyPackArgs, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { isRecord } from "./inputs";
import { PackSettings, PolicyOptions, Rule, WaiverEntry, toPolicy } from "./rule";
import { ANALYTICS_RULES } from "./rules/analytics";
import { IAM_RULES } from "./rules/iam";
import { KMS_RULES } from "./rules/kms";
import { LAMBDA_RULES } from "./rules/lambda";
import { LAMBDA_INVOCATION_RULES } from "./rules/lambda-invocation";
import { LAMBDA_RUNTIME_RULES } from "./rules/lambda-runtime";
import { NETWORK_RULES } from "./rules/network";
import { PROD_RULES } from "./rules/prod";
import { S3_RULES } from "./rules/s3";
import { S3_POLICY_RULES } from "./rules/s3-policies";
import { SNS_RULES } from "./rules/sns";
import { SQS_RULES } from "./rules/sqs";
import { waiverReport } from "./rules/waivers";

export const PACK_NAME = "datalake-guardrails";

/** This project's settings for the rules. */
export const SETTINGS: PackSettings = {
  productionStacks: ["prod"],
  // The lake bucket and the key: what holds the data and what unlocks it.
  protectedResources: [{ type: "aws:s3/bucket:Bucket", name: "datalake-lake" }, { type: "aws:kms/key:Key" }],
  accountConcurrencyLimit: 1000,
  runtimeWarningDays: 180,
};

/** Every rule of the pack except the waiver report, in README order. */
export const RULES: readonly Rule[] = [
  ...S3_RULES,
  ...S3_POLICY_RULES,
  ...SQS_RULES,
  ...SNS_RULES,
  ...KMS_RULES,
  ...LAMBDA_RULES,
  ...LAMBDA_RUNTIME_RULES,
  ...LAMBDA_INVOCATION_RULES,
  ...IAM_RULES,
  ...NETWORK_RULES,
  ...ANALYTICS_RULES,
  ...PROD_RULES,
];

/**
 * Where this project sets the input a rule names: added to violation messages. The rules themselves
 * know nothing of the program; this map is the only place that does.
 */
export const CONFIG_KEYS: Readonly<Record<string, string>> = {
  "sqs-dlq-retention-longer": "datalake:queueRetentionDays",
  "sqs-visibility-timeout": "datalake:processorTimeoutSeconds",
  "lambda-heap-below-memory": "datalake:processorMemoryMb",
  "lambda-runtime-supported": "datalake:lambdaRuntime",
  "lambda-runtime-deprecation-soon": "datalake:lambdaRuntime",
  "lambda-reserved-concurrency-budget": "datalake:ingestReservedConcurrency, datalake:processorReservedConcurrency",
  "network-interface-endpoints": "datalake:interfaceEndpoints",
  "athena-workgroup-enforced": "datalake:athenaBytesScannedCutoffMb",
  "prod-alert-emails-real": "datalake:alertEmails",
  "prod-data-protected": "datalake:environment",
};

/**
 * Reads `policy/waivers.json`: waivers for resources that take no tags. A malformed file fails the
 * pack's start (a waiver that silently does not apply is worse than none).
 */
export function parseWaivers(json: unknown): WaiverEntry[] {
  if (!Array.isArray(json)) throw new Error("policy/waivers.json must hold an array of { rule, resource, reason, stacks? }");
  return json.map((entry, index) => {
    const valid =
      isRecord(entry) &&
      typeof entry["rule"] === "string" &&
      typeof entry["resource"] === "string" &&
      typeof entry["reason"] === "string" &&
      (entry["stacks"] === undefined || (Array.isArray(entry["stacks"]) && entry["stacks"].every((stack) => typeof stack === "string")));
    if (!valid) throw new Error(`policy/waivers.json entry ${index}: expected { "rule": string, "resource": string, "reason": string, "stacks"?: string[] }`);
    return entry as unknown as WaiverEntry;
  });
}

/** `require.resolve`, not `__dirname`: test runners that load TypeScript as ES modules rewrite `__dirname`. */
export const WAIVERS_FILE = require.resolve("./waivers.json");

/** The CrossGuard policies of the pack (the waiver report last). */
export function createPolicies(options: Partial<PolicyOptions> = {}): (ResourceValidationPolicy | StackValidationPolicy)[] {
  const resolved: PolicyOptions = {
    now: options.now ?? (() => new Date()),
    settings: options.settings ?? SETTINGS,
    waivers: options.waivers ?? parseWaivers(JSON.parse(readFileSync(WAIVERS_FILE, "utf8"))),
    configKeys: options.configKeys ?? CONFIG_KEYS,
  };
  const rules: Rule[] = [...RULES, waiverReport(RULES.map((rule) => rule.name), resolved.waivers)];
  return rules.map((rule) => toPolicy(rule, resolved));
}

/** The pack's policies, as `pulumi preview --policy-pack policy` runs them. */
export const policies = createPolicies();

/** What `policy/index.ts` passes to `new PolicyPack(PACK_NAME, packArgs)`. */
export const packArgs: PolicyPackArgs = {
  description: "Keeps the datalake's security and deploy-safety promises: S3, SQS, SNS, KMS, Lambda, IAM, network, Athena/Glue and production protections.",
  provider: "aws",
  policies,
};
