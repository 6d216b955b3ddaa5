/**
 * Lambda function configuration: every function runs in the VPC, logs JSON to an explicit log group
 * it owns (retention and KMS set), encrypts its environment with a KMS key, and caps its V8 heap
 * below its memory when it caps it at all.
 *
 * - Log group: without an explicit one, Lambda creates `/aws/lambda/<name>` on first write, never
 *   expiring and without KMS (Lambda Developer Guide, "Sending Lambda function logs to CloudWatch
 *   Logs"). The function names its group in `loggingConfig.logGroup` (known at preview when given
 *   as a literal or another resource's input) or uses the default name; the stack rule finds the
 *   `LogGroup` by that name or by the input's dependency.
 * - Heap: `--max-old-space-size` in `NODE_OPTIONS` replaces the limit Lambda's Node.js bootstrap
 *   derives from the memory setting; a limit at or above `memorySize` lets the heap grow until the
 *   sandbox is killed for running out of memory instead of V8 collecting garbage first.
 */
import { FUNCTION } from "../functions";
import { UNKNOWN, isPresent } from "../inputs";
import type { ResourceView } from "../resources";
import type { Finding, ResourceRule, StackRule } from "../rule";

export const LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup";
const DEFAULT_MEMORY_MB = 128;

export const lambdaInVpc: ResourceRule = {
  kind: "resource",
  name: "lambda-in-vpc",
  description: "Every function runs in the VPC (subnets and security groups set).",
  level: "mandatory",
  remediation: "Set vpcConfig.subnetIds to the private subnets and vpcConfig.securityGroupIds to the Lambda security group.",
  types: [FUNCTION],
  check: (fn) => {
    const missing = ["subnetIds", "securityGroupIds"].filter((key) => !isPresent(fn.inputs.value("vpcConfig", key)));
    return missing.length === 0 ? [] : [{ resource: fn, problem: `runs outside the VPC (no ${missing.join(", no ")})`, property: missing.map((key) => `vpcConfig.${key}`).join(", "), fix: "the private subnets and the Lambda security group" }];
  },
};

export const lambdaJsonLogs: ResourceRule = {
  kind: "resource",
  name: "lambda-json-logs",
  description: "Every function writes JSON logs.",
  level: "mandatory",
  remediation: 'Set loggingConfig.logFormat to "JSON".',
  types: [FUNCTION],
  check: (fn) => {
    const format = fn.inputs.str("loggingConfig", "logFormat");
    return format === "JSON" || format === UNKNOWN ? [] : [{ resource: fn, problem: `logs in ${format ?? "Text"} format, which metric filters and Logs Insights cannot query by field`, property: "loggingConfig.logFormat", fix: '"JSON"' }];
  },
};

export const lambdaEnvironmentKms: ResourceRule = {
  kind: "resource",
  name: "lambda-environment-kms",
  description: "A function with environment variables encrypts them with a customer-managed KMS key.",
  level: "mandatory",
  remediation: "Set kmsKeyArn to the lake's key.",
  types: [FUNCTION],
  check: (fn) => {
    const variables = fn.inputs.record("environment", "variables");
    const hasVariables = variables === UNKNOWN || (variables !== undefined && Object.keys(variables).length > 0);
    return !hasVariables || fn.inputs.has("kmsKeyArn") ? [] : [{ resource: fn, problem: "has environment variables encrypted only with the AWS-managed key", property: "kmsKeyArn", fix: "the ARN of the lake's customer-managed key" }];
  },
};

/**
 * The `--max-old-space-size` (MB) that `NODE_OPTIONS` sets, if any.
 *
 * @example
 * ```ts
 * heapLimitMb("--max-old-space-size=2048 --max-semi-space-size=16"); // 2048
 * ```
 */
export function heapLimitMb(nodeOptions: string): number | undefined {
  const match = /--max[-_]old[-_]space[-_]size[= ](\d+)/.exec(nodeOptions);
  return match ? Number(match[1]) : undefined;
}

export const lambdaHeapBelowMemory: ResourceRule = {
  kind: "resource",
  name: "lambda-heap-below-memory",
  description: "A heap cap in NODE_OPTIONS (--max-old-space-size) stays below the function's memorySize.",
  level: "mandatory",
  remediation: "Derive --max-old-space-size from memorySize (below it, leaving room for the runtime), or raise memorySize.",
  types: [FUNCTION],
  check: (fn) => {
    const options = fn.inputs.str("environment", "variables", "NODE_OPTIONS");
    const memory = fn.inputs.num("memorySize");
    if (typeof options !== "string" || memory === UNKNOWN) return [];
    const limit = heapLimitMb(options);
    const memoryMb = memory ?? DEFAULT_MEMORY_MB;
    if (limit === undefined || limit < memoryMb) return [];
    return [{ resource: fn, problem: `caps its V8 heap at ${limit} MB with ${memoryMb} MB of memory, so the heap can outgrow the sandbox before V8 collects`, property: "environment.variables.NODE_OPTIONS", fix: `--max-old-space-size below ${memoryMb} (or raise memorySize above ${limit})` }];
  },
};

/** The log group name a function writes to: `loggingConfig.logGroup`, else Lambda's default. */
function logGroupName(fn: ResourceView): string | undefined {
  const named = fn.inputs.str("loggingConfig", "logGroup");
  if (typeof named === "string") return named;
  if (named === UNKNOWN) return undefined;
  const name = fn.inputs.str("name");
  return typeof name === "string" ? `/aws/lambda/${name}` : undefined;
}

export const lambdaLogGroup: StackRule = {
  kind: "stack",
  name: "lambda-log-group",
  description: "Every function writes to a log group the stack declares, with a retention and a KMS key.",
  level: "mandatory",
  remediation: "Declare an aws.cloudwatch.LogGroup with retentionInDays and kmsKeyId and pass its name in the function's loggingConfig.logGroup.",
  check: (stack) =>
    stack.ofType(FUNCTION).flatMap((fn): Finding[] => {
      const name = logGroupName(fn);
      const groups = stack.ofType(LOG_GROUP);
      const byDependency = stack.referenced(fn, "loggingConfig", groups, []);
      const byName = name === undefined ? [] : groups.filter((group) => group.inputs.str("name") === name);
      const found = [...new Set([...byDependency, ...byName])];
      if (found.length === 0) {
        // A name that is unknown at preview, with no dependency recorded, cannot be matched yet.
        if (name === undefined && fn.inputs.str("loggingConfig", "logGroup") === UNKNOWN) return [];
        return [{ resource: fn, problem: `writes to ${name ?? "a log group"} that the stack does not declare, which Lambda creates without retention or KMS`, property: "loggingConfig.logGroup", fix: "the name of a LogGroup declared with retentionInDays and kmsKeyId" }];
      }
      return found.flatMap((group): Finding[] => {
        const retention = group.inputs.num("retentionInDays");
        const missing = [
          ...(retention === undefined || retention === 0 ? ["retentionInDays"] : []),
          ...(group.inputs.has("kmsKeyId") ? [] : ["kmsKeyId"]),
        ];
        return missing.length === 0 ? [] : [{ resource: group, problem: `the log group of ${fn.name} has no ${missing.join(" and no ")}`, property: missing.join(", "), fix: "a retention in days and the lake key's ARN" }];
      });
    }),
};

export const LAMBDA_RULES = [lambdaInVpc, lambdaJsonLogs, lambdaEnvironmentKms, lambdaHeapBelowMemory, lambdaLogGroup] as const;
