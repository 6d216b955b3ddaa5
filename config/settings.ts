/**
 * The typed settings every layer receives. `parseSettings` reads the raw stack configuration once,
 * checks every key and the rules that span keys, and either returns `Settings` or throws a
 * `ConfigError` that lists every problem, each naming the key, the value and what is accepted.
 *
 * @example
 * ```ts
 * const settings = parseSettings({ environment: "prod", alertEmails: '["oncall@example.com"]' }, "prod");
 * settings.compute.processor.timeoutSeconds; // 300
 * ```
 */
import { CONFIG_NAMESPACE, ConfigKey, ConfigValues, schema } from "./schema";
import { servicesWithoutEndpoint } from "../network/endpoints";
import { nearest } from "./suggest";
import { PROCESSOR_BENCHMARK_MB_PER_SECOND, heavyObjectThresholdMbFor, maxHeavyObjectThresholdMb } from "./heavy";

import { PipelineEventSubscriber, parseSubscriber } from "./subscribers";
import { powertoolsLayer, type PowertoolsLayer } from "../compute/powertools-layer";

export type Environment = ConfigValues["environment"];
export type NatStrategy = ConfigValues["natStrategy"];
export type LambdaRuntime = ConfigValues["lambdaRuntime"];

export interface NetworkSettings {
  readonly vpcCidr: string;
  readonly availabilityZones: number;
  readonly natStrategy: NatStrategy;
  readonly publicSubnetCidrMask: number;
  readonly privateSubnetCidrMask: number;
  readonly dataSubnetCidrMask: number;
  /** Services with an interface endpoint (validated against `network/endpoints.ts`). */
  readonly interfaceEndpoints: readonly string[];
}

/** When objects of each lake zone change storage class or expire, in days after creation. */
export interface LakeLifecycleSettings {
  readonly rawInfrequentAccessDays: number;
  readonly rawGlacierDays: number;
  /** Undefined: raw objects are kept forever. */
  readonly rawExpirationDays?: number;
  readonly processedIntelligentTieringDays: number;
  readonly rejectedExpirationDays: number;
}

export interface StorageSettings {
  readonly forceDestroy: boolean;
  /** Keep the lake's bucket and key when the stack is destroyed or they are replaced. */
  readonly protectData: boolean;
  readonly lifecycle: LakeLifecycleSettings;
  /** Applies to every bucket of the layer (all are versioned). */
  readonly noncurrentVersionExpirationDays: number;
  readonly accessLogExpirationDays: number;
  readonly athenaResultsExpirationDays: number;
}

export interface MessagingSettings {
  readonly maxReceiveCount: number;
  readonly queueRetentionSeconds: number;
  /** Longer than `queueRetentionSeconds` (a cross-key rule). */
  readonly deadLetterRetentionSeconds: number;
  /** Derived from the processor's timeout: one source for both values. */
  readonly queueVisibilityTimeoutSeconds: number;
  readonly alertEmails: readonly string[];
  /** Subscribers of the pipeline-events topic, already checked by the schema. */
  readonly pipelineEventSubscribers: readonly PipelineEventSubscriber[];
}

export interface FunctionSettings {
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  /** Reserved concurrent executions, or undefined to reserve none. */
  readonly reservedConcurrency?: number;
}

export interface ProcessorSettings extends FunctionSettings {
  /** Longest record read, in bytes (`processorMaxRecordKb`). */
  readonly maxRecordBytes: number;
  /** Years of the Athena partition projection (the analytics keys): rows dated outside are rejected as out_of_range. */
  readonly partitionYears: { readonly first: number; readonly last: number };
  readonly batchSize: number;
  /** Throughput assumed when planning a batch against the function's timeout, in MB/s. */
  readonly planningMbPerSecond: number;
  readonly batchWindowSeconds: number;
  /** The event source mapping's maximum concurrency. */
  readonly maxConcurrency: number;
}

export interface ComputeSettings {
  readonly runtime: LambdaRuntime;
  /** The Powertools layer every function declares (`powertoolsVersion` and its layer number). */
  readonly powertools: PowertoolsLayer;
  readonly tracing: boolean;
  readonly ingest: FunctionSettings;
  readonly processor: ProcessorSettings;
}

/** The heavy path: the Glue conversion job and the size from which the processor hands objects to it. */
export interface GlueSettings {
  /** Planned bytes (stored size, × 8 for .gz) from which an object goes to the Glue job. */
  readonly heavyObjectThresholdBytes: number;
  readonly workerType: ConfigValues["glueWorkerType"];
  readonly numberOfWorkers: number;
  readonly timeoutMinutes: number;
  readonly maxConcurrentRuns: number;
}

export interface AnalyticsSettings {
  readonly bytesScannedCutoffPerQuery: number;
  /** Years the `year` partition projection of date-partitioned tables spans, inclusive. */
  readonly projectionYears: { readonly first: number; readonly last: number };
  readonly curatedJob: CuratedJobSettings;
}

export interface CuratedJobSettings extends FunctionSettings {
  /** EventBridge schedule expression, e.g. `cron(30 2 * * ? *)`. */
  readonly schedule: string;
  /** Same runtime as every other function. */
  readonly runtime: LambdaRuntime;
  /** Same Powertools layer as every other function. */
  readonly powertools: PowertoolsLayer;
}

/** Thresholds and periods of the observability layer's alarms. */
export interface ObservabilitySettings {
  readonly alarmPeriodSeconds: number;
  readonly alarmEvaluationPeriods: number;
  readonly functionErrorsThreshold: number;
  readonly functionThrottlesThreshold: number;
  /** A function's p99 duration alarm fires above this fraction of its timeout (0.8 for 80 %). */
  readonly durationFractionOfTimeout: number;
  readonly processingQueueMaxAgeSeconds: number;
  /** Rejected rows per row read, as a percentage. */
  readonly rejectedRowsMaxPercent: number;
  readonly athenaDailyScanBudgetBytes: number;
  readonly errorLogLinesThreshold: number;
  /** The README as the alarm descriptions link to it: `<repositoryUrl>/blob/HEAD/README.md`. */
  readonly runbookUrl: string;
}

export interface Settings {
  /** The Pulumi stack name, used to scope names that must be unique per account (Glue, Athena). */
  readonly stack: string;
  readonly environment: Environment;
  readonly isProduction: boolean;
  readonly logRetentionDays: number;
  readonly network: NetworkSettings;
  readonly storage: StorageSettings;
  readonly messaging: MessagingSettings;
  readonly compute: ComputeSettings;
  readonly analytics: AnalyticsSettings;
  readonly glue: GlueSettings;
  readonly observability: ObservabilitySettings;
}

/** AWS recommends a queue visibility timeout of six times the consuming function's timeout. */
export const VISIBILITY_TIMEOUT_FACTOR = 6;

/** One problem with one key (or a rule spanning several keys, named first). */
export interface ConfigProblem {
  readonly key: string;
  readonly message: string;
}

/** Thrown when the stack configuration is invalid; its message lists every problem. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly ConfigProblem[]) {
    super(
      `Invalid stack configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
        problems.map((problem) => `  - ${problem.key}: ${problem.message}`).join("\n"),
    );
    this.name = "ConfigError";
  }
}

/**
 * Raw stack configuration: unqualified key → the string the CLI passes (JSON for arrays).
 * Keys from other namespaces must not be included.
 */
export type RawConfig = Readonly<Record<string, string | undefined>>;

const qualified = (key: string): string => `${CONFIG_NAMESPACE}:${key}`;

/**
 * What to say about a key the schema does not know: the nearest known key when one is near.
 *
 * @example unknownKeyMessage("natStrategyy"); // "is not a known key; did you mean `natStrategy`?"
 */
export function unknownKeyMessage(key: string): string {
  const suggestion = nearest(key, Object.keys(schema));
  return suggestion
    ? `is not a known key; did you mean \`${suggestion}\`?`
    : `is not a known key (the configuration reference in README.md lists every key)`;
}

function parseValues(raw: RawConfig, problems: ConfigProblem[]): ConfigValues {
  const values: Record<string, unknown> = {};
  for (const key of Object.keys(raw)) {
    if (!(key in schema)) problems.push({ key: qualified(key), message: unknownKeyMessage(key) });
  }
  for (const [key, definition] of Object.entries(schema) as [ConfigKey, (typeof schema)[ConfigKey]][]) {
    const rawValue = raw[key];
    if (rawValue === undefined) {
      values[key] = definition.default;
      continue;
    }
    const result = definition.parse(rawValue);
    if (result.ok) {
      values[key] = result.value;
    } else {
      values[key] = definition.default;
      problems.push({ key: qualified(key), message: `${JSON.stringify(rawValue)} is not accepted; expected ${result.expected}` });
    }
  }
  return values as ConfigValues;
}

/**
 * Whether one subnet of each prefix length, per zone, fits in the VPC the way awsx's "Auto" layout
 * places them: the VPC is split evenly between zones (rounded up to a power of two), and within a
 * zone subnets are placed in order, each aligned to its own size.
 */
export function subnetsFit(vpcPrefix: number, masksInOrder: readonly number[], zones: number): boolean {
  const zonePrefix = vpcPrefix + Math.ceil(Math.log2(zones));
  let offset = 0;
  for (const mask of masksInOrder) {
    if (mask < zonePrefix) return false;
    const size = 2 ** (32 - mask);
    offset = Math.ceil(offset / size) * size + size;
  }
  return offset <= 2 ** (32 - zonePrefix);
}

function checkCrossKeyRules(values: ConfigValues, problems: ConfigProblem[]): void {
  const isProduction = values.environment === "prod";
  if (isProduction && values.alertEmails.length === 0) {
    problems.push({
      key: qualified("alertEmails"),
      message: `[] is not accepted when environment is prod; expected at least one email address so that alarms reach someone`,
    });
  }
  if (isProduction && values.forceDestroy) {
    problems.push({
      key: qualified("forceDestroy"),
      message: `true is not accepted when environment is prod; expected false so that the lake's data is never deleted with the stack`,
    });
  }
  if (values.rawGlacierDays < values.rawInfrequentAccessDays + 30) {
    problems.push({
      key: qualified("rawGlacierDays"),
      message: `${values.rawGlacierDays} is not accepted when ${qualified("rawInfrequentAccessDays")} is ${values.rawInfrequentAccessDays}; S3 keeps objects in STANDARD_IA at least 30 days, so expected ${values.rawInfrequentAccessDays + 30} or more`,
    });
  }
  if (values.rawExpirationDays !== 0 && values.rawExpirationDays <= values.rawGlacierDays) {
    problems.push({
      key: qualified("rawExpirationDays"),
      message: `${values.rawExpirationDays} is not accepted when ${qualified("rawGlacierDays")} is ${values.rawGlacierDays}; expected 0 (keep forever) or more than ${values.rawGlacierDays} so that objects expire after their last transition`,
    });
  }
  const vpcPrefix = Number(values.vpcCidr.split("/")[1]);
  {
    const masks = [values.publicSubnetCidrMask, values.privateSubnetCidrMask, values.dataSubnetCidrMask];
    if (!subnetsFit(vpcPrefix, masks, values.availabilityZones)) {
      problems.push({
        key: `${qualified("publicSubnetCidrMask")}, ${qualified("privateSubnetCidrMask")}, ${qualified("dataSubnetCidrMask")}`,
        message:
          `/${masks.join(", /")} subnets in ${values.availabilityZones} availability zones do not fit in ` +
          `${qualified("vpcCidr")} ${values.vpcCidr}; expected longer prefixes, fewer zones or a larger VPC`,
      });
    }
  }
  {
    const uncovered = servicesWithoutEndpoint(values.interfaceEndpoints);
    if (uncovered.length > 0) {
      problems.push({
        key: qualified("interfaceEndpoints"),
        message:
          `${JSON.stringify(values.interfaceEndpoints)} is not accepted: it lacks ${uncovered.join(", ")}, which the functions or the Glue job call. ` +
          `Their security groups admit HTTPS only to the VPC's interface endpoints and the S3/DynamoDB prefix lists ` +
          `(never through NAT), so those calls would time out; add ${uncovered.join(", ")} to ${qualified("interfaceEndpoints")}`,
      });
    }
  }
  // A standard queue's message keeps its original enqueue time when it moves to the dead-letter
  // queue, so a DLQ that keeps messages no longer than its source can expire them almost at once
  // (Amazon SQS Developer Guide, "Setting-up dead-letter queue retention in Amazon SQS").
  if (values.deadLetterRetentionDays <= values.queueRetentionDays) {
    problems.push({
      key: qualified("deadLetterRetentionDays"),
      message: `${values.deadLetterRetentionDays} is not accepted when ${qualified("queueRetentionDays")} is ${values.queueRetentionDays}; a message keeps its original enqueue time in the dead-letter queue, so expected more than ${values.queueRetentionDays}`,
    });
  }
  if (values.processorBatchSize > 10 && values.processorBatchWindowSeconds < 1) {
    problems.push({
      key: qualified("processorBatchWindowSeconds"),
      message: `${values.processorBatchWindowSeconds} is not accepted when ${qualified("processorBatchSize")} is ${values.processorBatchSize}; SQS event sources need a batching window of at least 1 second for batches above 10`,
    });
  }
  if (values.athenaProjectionLastYear < values.athenaProjectionFirstYear) {
    problems.push({
      key: qualified("athenaProjectionLastYear"),
      message: `${values.athenaProjectionLastYear} is not accepted when ${qualified("athenaProjectionFirstYear")} is ${values.athenaProjectionFirstYear}; expected a year no earlier than the first`,
    });
  }
  if (values.processorReservedConcurrency !== -1 && values.processorReservedConcurrency < values.processorMaxConcurrency) {
    problems.push({
      key: qualified("processorReservedConcurrency"),
      message: `${values.processorReservedConcurrency} is not accepted when ${qualified("processorMaxConcurrency")} is ${values.processorMaxConcurrency}; expected at least that many (or -1), otherwise the event source mapping is throttled and messages are retried towards the dead-letter queue`,
    });
  }
  if (values.alarmPeriodSeconds % 60 !== 0) {
    problems.push({
      key: qualified("alarmPeriodSeconds"),
      message: `${values.alarmPeriodSeconds} is not accepted; CloudWatch alarms on AWS metrics take periods in whole minutes, so expected a multiple of 60`,
    });
  } else if (values.alarmPeriodSeconds * values.alarmEvaluationPeriods > 86_400) {
    problems.push({
      key: qualified("alarmEvaluationPeriods"),
      message: `${values.alarmEvaluationPeriods} is not accepted when ${qualified("alarmPeriodSeconds")} is ${values.alarmPeriodSeconds}; CloudWatch evaluates at most one day, so expected at most ${Math.floor(86_400 / values.alarmPeriodSeconds)}`,
    });
  }
  if (values.heavyObjectThresholdMb !== 0 && values.heavyObjectThresholdMb > maxHeavyObjectThresholdMb(values.processorTimeoutSeconds)) {
    problems.push({
      key: qualified("heavyObjectThresholdMb"),
      message:
        `${values.heavyObjectThresholdMb} is not accepted when ${qualified("processorTimeoutSeconds")} is ${values.processorTimeoutSeconds}; ` +
        `objects just under the threshold are converted by the processor, which at the benchmark's ${PROCESSOR_BENCHMARK_MB_PER_SECOND} MB/s converts at most ` +
        `${maxHeavyObjectThresholdMb(values.processorTimeoutSeconds)} MB in that timeout, so expected at most that (half of it leaves the processor a margin)`,
    });
  }
  if (values.processorTimeoutSeconds * VISIBILITY_TIMEOUT_FACTOR > 43_200) {
    problems.push({
      key: qualified("processorTimeoutSeconds"),
      message: `${values.processorTimeoutSeconds} is not accepted; the queue's visibility timeout (${VISIBILITY_TIMEOUT_FACTOR}x) may not exceed 12 hours`,
    });
  }
}

/** The configured threshold, or the one derived from the processor's timeout when it is 0. */
function heavyObjectThresholdMb(values: ConfigValues): number {
  return values.heavyObjectThresholdMb === 0 ? heavyObjectThresholdMbFor(values.processorTimeoutSeconds) : values.heavyObjectThresholdMb;
}

const reservation = (value: number): { reservedConcurrency?: number } => (value === -1 ? {} : { reservedConcurrency: value });

/**
 * Parses and validates the raw stack configuration.
 *
 * @param raw - unqualified key → raw string value, as the CLI passes them; missing keys take the
 *   schema's default (the CLI applies Pulumi.yaml's defaults, which tests keep equal to the schema's).
 * @param stack - the Pulumi stack name.
 * @throws ConfigError listing every invalid key and broken cross-key rule.
 */
export function parseSettings(raw: RawConfig, stack: string): Settings {
  const problems: ConfigProblem[] = [];
  const values = parseValues(raw, problems);
  if (problems.length === 0) checkCrossKeyRules(values, problems);
  if (problems.length > 0) throw new ConfigError(problems);

  const isProduction = values.environment === "prod";
  return {
    stack,
    environment: values.environment,
    isProduction,
    logRetentionDays: values.logRetentionDays,
    network: {
      vpcCidr: values.vpcCidr,
      availabilityZones: values.availabilityZones,
      natStrategy: values.natStrategy,
      publicSubnetCidrMask: values.publicSubnetCidrMask,
      privateSubnetCidrMask: values.privateSubnetCidrMask,
      dataSubnetCidrMask: values.dataSubnetCidrMask,
      interfaceEndpoints: values.interfaceEndpoints,
    },
    storage: {
      forceDestroy: values.forceDestroy,
      protectData: isProduction,
      lifecycle: {
        rawInfrequentAccessDays: values.rawInfrequentAccessDays,
        rawGlacierDays: values.rawGlacierDays,
        ...(values.rawExpirationDays > 0 ? { rawExpirationDays: values.rawExpirationDays } : {}),
        processedIntelligentTieringDays: values.processedIntelligentTieringDays,
        rejectedExpirationDays: values.rejectedExpirationDays,
      },
      noncurrentVersionExpirationDays: values.noncurrentVersionExpirationDays,
      accessLogExpirationDays: values.accessLogExpirationDays,
      athenaResultsExpirationDays: values.athenaResultsExpirationDays,
    },
    messaging: {
      maxReceiveCount: values.maxReceiveCount,
      queueRetentionSeconds: values.queueRetentionDays * 86_400,
      deadLetterRetentionSeconds: values.deadLetterRetentionDays * 86_400,
      queueVisibilityTimeoutSeconds: values.processorTimeoutSeconds * VISIBILITY_TIMEOUT_FACTOR,
      alertEmails: values.alertEmails,
      pipelineEventSubscribers: values.pipelineEventSubscribers.map((entry) => parseSubscriber(entry)!),
    },
    compute: {
      runtime: values.lambdaRuntime,
      powertools: powertoolsLayer(values.powertoolsVersion),
      tracing: values.tracing,
      ingest: {
        memoryMb: values.ingestMemoryMb,
        timeoutSeconds: values.ingestTimeoutSeconds,
        ...reservation(values.ingestReservedConcurrency),
      },
      processor: {
        memoryMb: values.processorMemoryMb,
        timeoutSeconds: values.processorTimeoutSeconds,
        ...reservation(values.processorReservedConcurrency),
        maxRecordBytes: values.processorMaxRecordKb * 1024,
        // The same years as the tables' partition projection: one source for both.
        partitionYears: { first: values.athenaProjectionFirstYear, last: values.athenaProjectionLastYear },
        batchSize: values.processorBatchSize,
        planningMbPerSecond: values.processorPlanningMbPerSecond,
        batchWindowSeconds: values.processorBatchWindowSeconds,
        maxConcurrency: values.processorMaxConcurrency,
      },
    },
    analytics: {
      bytesScannedCutoffPerQuery: values.athenaBytesScannedCutoffMb * 1024 * 1024,
      projectionYears: { first: values.athenaProjectionFirstYear, last: values.athenaProjectionLastYear },
      curatedJob: {
        schedule: values.curatedSchedule,
        memoryMb: values.curatedJobMemoryMb,
        timeoutSeconds: values.curatedJobTimeoutSeconds,
        runtime: values.lambdaRuntime,
        powertools: powertoolsLayer(values.powertoolsVersion),
      },
    },
    glue: {
      heavyObjectThresholdBytes: heavyObjectThresholdMb(values) * 1024 * 1024,
      workerType: values.glueWorkerType,
      numberOfWorkers: values.glueNumberOfWorkers,
      timeoutMinutes: values.glueTimeoutMinutes,
      maxConcurrentRuns: values.glueMaxConcurrentRuns,
    },
    observability: {
      alarmPeriodSeconds: values.alarmPeriodSeconds,
      alarmEvaluationPeriods: values.alarmEvaluationPeriods,
      functionErrorsThreshold: values.functionErrorsThreshold,
      functionThrottlesThreshold: values.functionThrottlesThreshold,
      durationFractionOfTimeout: values.durationAlarmPercentOfTimeout / 100,
      processingQueueMaxAgeSeconds: values.processingQueueMaxAgeSeconds,
      rejectedRowsMaxPercent: values.rejectedRowsMaxPercent,
      athenaDailyScanBudgetBytes: values.athenaDailyScanBudgetGb * 1024 ** 3,
      errorLogLinesThreshold: values.errorLogLinesThreshold,
      runbookUrl: `${values.repositoryUrl}/blob/HEAD/README.md`,
    },
  };
}
