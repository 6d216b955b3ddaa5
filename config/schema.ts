/**
 * Every project configuration key (`datalake:<key>`), with its type, description, default and what
 * it accepts. This is the single source of truth: `Pulumi.yaml`'s `config:` block and the README's
 * configuration reference are generated from it (`npm run config:sync`) and tests fail when they
 * drift.
 */
import {
  EMAIL_PATTERN,
  booleanKey,
  enumKey,
  integerKey,
  isCanonicalIpv4Cidr,
  isRepositoryUrl,
  isScheduleExpression,
  stringArrayKey,
  stringKey,
} from "./keys";
import { INTERFACE_ENDPOINT_NAMES, REQUIRED_INTERFACE_ENDPOINTS } from "../network/endpoints";
import { SQS_MAX_RETENTION_DAYS } from "../messaging/limits";
import { GLUE_WORKER_TYPES, PROCESSOR_BENCHMARK_MB_PER_SECOND, heavyObjectThresholdMbFor } from "./heavy";
import { DEFAULT_MAX_RECORD_BYTES } from "../handlers/record-readers";
import { DEFAULT_PLANNING_BYTES_PER_SECOND } from "../handlers/time-budget";

import { SUBSCRIBER_ACCEPTS, parseSubscriber } from "./subscribers";
import { DEFAULT_POWERTOOLS_VERSION, POWERTOOLS_LAYER_NAME, POWERTOOLS_VERSIONS } from "../compute/powertools-layer";

/** `processorTimeoutSeconds`' default; the heavy-object threshold's description is derived from it. */
const PROCESSOR_TIMEOUT_DEFAULT_SECONDS = 300;

/** Retention periods CloudWatch Logs accepts, in days. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

export const ENVIRONMENTS = ["dev", "staging", "prod"] as const;
export const NAT_STRATEGIES = ["None", "Single", "OnePerAz"] as const;
export const LAMBDA_RUNTIMES = ["nodejs22.x", "nodejs24.x"] as const;

export const schema = {
  // General
  environment: enumKey({
    description: "Environment this stack deploys; `prod` turns on the production rules (alert email required, buckets never force-destroyed).",
    default: "dev",
    values: ENVIRONMENTS,
  }),
  logRetentionDays: integerKey({
    description: "Retention of every CloudWatch log group the stack creates, in days.",
    default: 30,
    min: 1,
    max: 3653,
    oneOf: LOG_RETENTION_DAYS,
  }),

  // Network
  vpcCidr: stringKey({
    description: "IPv4 CIDR block of the VPC.",
    default: "10.0.0.0/16",
    pattern: /^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/,
    accepts: "an IPv4 network in CIDR notation with no host bits set and a prefix from /16 to /24, e.g. 10.0.0.0/16",
    check: (value) => {
      const prefix = Number(value.split("/")[1]);
      return isCanonicalIpv4Cidr(value) && prefix >= 16 && prefix <= 24;
    },
  }),
  availabilityZones: integerKey({
    description: "Number of availability zones the VPC's subnets span.",
    default: 2,
    min: 2,
    max: 6,
  }),
  natStrategy: enumKey({
    description: "NAT gateways for the private subnets: `Single` (cheap, one AZ), `OnePerAz` (resilient) or `None` (VPC endpoints only).",
    default: "Single",
    values: NAT_STRATEGIES,
  }),
  publicSubnetCidrMask: integerKey({
    description: "Prefix length of each public subnet (one per AZ).",
    default: 24,
    min: 16,
    max: 28,
  }),
  privateSubnetCidrMask: integerKey({
    description: "Prefix length of each private subnet (one per AZ), where the Lambdas run.",
    default: 20,
    min: 16,
    max: 28,
  }),
  dataSubnetCidrMask: integerKey({
    description: "Prefix length of each isolated data subnet (one per AZ).",
    default: 22,
    min: 16,
    max: 28,
  }),
  interfaceEndpoints: stringArrayKey({
    description:
      `AWS services that get an interface VPC endpoint (private DNS, in every private subnet, billed per AZ-hour). S3 and DynamoDB always get free gateway endpoints. Must include every service the functions and the Glue job call (${REQUIRED_INTERFACE_ENDPOINTS.join(", ")}): their security groups allow no other way out.`,
    default: [...REQUIRED_INTERFACE_ENDPOINTS],
    item: enumKey({ description: "service", default: INTERFACE_ENDPOINT_NAMES[0]!, values: INTERFACE_ENDPOINT_NAMES }),
    unique: true,
  }),

  // Storage
  forceDestroy: booleanKey({
    description: "Let `pulumi destroy` delete non-empty buckets. Never allowed in prod.",
    default: false,
  }),
  rawInfrequentAccessDays: integerKey({
    description: "Days after which objects under `raw/` move to STANDARD_IA (S3 requires at least 30).",
    default: 30,
    min: 30,
    max: 36_500,
  }),
  rawGlacierDays: integerKey({
    description: "Days after which objects under `raw/` move to GLACIER; at least 30 days after the STANDARD_IA transition.",
    default: 90,
    min: 60,
    max: 36_500,
  }),
  rawExpirationDays: integerKey({
    description: "Days after which objects under `raw/` expire; 0 keeps them forever, otherwise after the GLACIER transition.",
    default: 0,
    min: 0,
    max: 36_500,
  }),
  processedIntelligentTieringDays: integerKey({
    description: "Days after which objects under `processed/` move to INTELLIGENT_TIERING (0: at once).",
    default: 0,
    min: 0,
    max: 36_500,
  }),
  rejectedExpirationDays: integerKey({
    description: "Days after which rejected records under `rejected/` expire.",
    default: 90,
    min: 1,
    max: 36_500,
  }),
  noncurrentVersionExpirationDays: integerKey({
    description: "Days a version of an object is kept after it is overwritten or deleted, in every bucket.",
    default: 30,
    min: 1,
    max: 36_500,
  }),
  accessLogExpirationDays: integerKey({
    description: "Days S3 server access logs of the lake and results buckets are kept.",
    default: 365,
    min: 1,
    max: 36_500,
  }),
  athenaResultsExpirationDays: integerKey({
    description: "Days Athena query results are kept in the results bucket.",
    default: 30,
    min: 1,
    max: 36_500,
  }),

  // Messaging
  maxReceiveCount: integerKey({
    description: "Receives of a processing message before it moves to the dead-letter queue.",
    default: 3,
    min: 1,
    max: 1000,
  }),
  queueRetentionDays: integerKey({
    description: "How long the processing queue keeps an unprocessed message, in days; less than deadLetterRetentionDays.",
    default: 4,
    min: 1,
    // Less than the dead-letter queue's, which SQS caps.
    max: SQS_MAX_RETENTION_DAYS - 1,
  }),
  deadLetterRetentionDays: integerKey({
    description:
      "How long the processing dead-letter queue keeps a message, in days; more than queueRetentionDays, because a message keeps its original enqueue time when it moves to the DLQ.",
    default: SQS_MAX_RETENTION_DAYS,
    min: 2,
    max: SQS_MAX_RETENTION_DAYS,
  }),
  alertEmails: stringArrayKey({
    description: "Email addresses subscribed to the alerts topic. At least one in prod.",
    default: [],
    item: stringKey({
      description: "email address",
      default: "",
      pattern: EMAIL_PATTERN,
      accepts: "email addresses such as oncall@example.com",
    }),
    unique: true,
  }),
  pipelineEventSubscribers: stringArrayKey({
    description:
      "Subscribers of the pipeline-events topic (one completion event per processed object): `email:<address>`, `https://<url>` or `sqs:<queue ARN>`.",
    default: [],
    item: stringKey({
      description: "pipeline-events subscriber",
      default: "",
      pattern: /^(email:|https:\/\/|sqs:)/,
      accepts: SUBSCRIBER_ACCEPTS,
      check: (value) => parseSubscriber(value) !== undefined,
    }),
    unique: true,
  }),

  // Compute
  lambdaRuntime: enumKey({
    description: "Node.js runtime of every function. nodejs22.x is deprecated on 2027-04-30, nodejs24.x on 2028-04-30.",
    default: "nodejs24.x",
    values: LAMBDA_RUNTIMES,
  }),
  powertoolsVersion: enumKey({
    description: `Version of Powertools for AWS Lambda (TypeScript) every function loads from AWS's published layer (${POWERTOOLS_LAYER_NAME}), pinned here and mapped to its layer number in compute/powertools-layer.ts. The uploads leave Powertools out; the local function host provides the same version from tests/lambda-runtime/layers/powertools, which must be re-pinned with it.`,
    default: DEFAULT_POWERTOOLS_VERSION,
    values: POWERTOOLS_VERSIONS,
  }),
  ingestMemoryMb: integerKey({
    description: "Memory of the ingest function, in MB.",
    default: 256,
    min: 128,
    max: 10240,
  }),
  ingestTimeoutSeconds: integerKey({
    description: "Timeout of the ingest function, in seconds.",
    default: 30,
    min: 1,
    max: 900,
  }),
  processorMemoryMb: integerKey({
    description: "Memory of the processor function, in MB.",
    default: 1024,
    min: 128,
    max: 10240,
  }),
  processorTimeoutSeconds: integerKey({
    description: "Timeout of the processor function, in seconds; the processing queue's visibility timeout is 6 times this.",
    default: PROCESSOR_TIMEOUT_DEFAULT_SECONDS,
    min: 1,
    max: 900,
  }),
  processorPlanningMbPerSecond: integerKey({
    description:
      "Conversion throughput, in MB/s of uncompressed input, the processor assumes when deciding whether one more message of a batch can finish before its timeout; messages that cannot are left for a new invocation. Lower is safer.",
    // The processor's own default, for a deployment that sets no value.
    default: DEFAULT_PLANNING_BYTES_PER_SECOND / (1024 * 1024),
    min: 1,
    max: 1000,
  }),
  processorMaxRecordKb: integerKey({
    description:
      "Longest record the processor reads, in KiB: one JSON Lines line, CSV record or element of a JSON array. A longer one is rejected as record_too_large (keeping its first KiB) without being held in memory; the processor's memory must hold a few records of this size.",
    // The processor's own default, for a deployment that sets no value.
    default: DEFAULT_MAX_RECORD_BYTES / 1024,
    min: 1,
    max: 65536,
  }),
  processorBatchSize: integerKey({
    description: "Messages the processor receives per invocation.",
    default: 10,
    min: 1,
    max: 10000,
  }),
  processorBatchWindowSeconds: integerKey({
    description: "Seconds the event source mapping waits to fill a batch; at least 1 when the batch size is above 10.",
    default: 0,
    min: 0,
    max: 300,
  }),

  ingestReservedConcurrency: integerKey({
    description: "Concurrent executions reserved for the ingest function; -1 reserves none (it shares the account's pool).",
    default: -1,
    min: -1,
    max: 1000,
  }),
  processorReservedConcurrency: integerKey({
    description: "Concurrent executions reserved for the processor; -1 reserves none. When set, it must be at least processorMaxConcurrency.",
    default: -1,
    min: -1,
    max: 1000,
  }),
  processorMaxConcurrency: integerKey({
    description: "Most concurrent processor invocations the SQS event source mapping starts.",
    default: 10,
    min: 2,
    max: 1000,
  }),
  tracing: booleanKey({
    description: "Turn on AWS X-Ray active tracing for every function.",
    default: false,
  }),

  // Heavy path (Glue)
  heavyObjectThresholdMb: integerKey({
    description: `Objects at or above this size (planned MB: stored size, × 8 for .gz) are converted by the Glue job instead of the processor. 0 derives it from processorTimeoutSeconds: what the processor converts in half its timeout at the benchmark's ${PROCESSOR_BENCHMARK_MB_PER_SECOND} MB/s (${heavyObjectThresholdMbFor(PROCESSOR_TIMEOUT_DEFAULT_SECONDS)} MB at ${PROCESSOR_TIMEOUT_DEFAULT_SECONDS} s; README, The heavy path). At most processorTimeoutSeconds × ${PROCESSOR_BENCHMARK_MB_PER_SECOND}.`,
    default: 0,
    min: 0,
    max: 10_000_000,
  }),
  glueWorkerType: enumKey({
    description: "Worker type of the Glue conversion job (G.1X: 4 vCPU and 16 GB per worker; each next type doubles both).",
    default: "G.1X",
    values: GLUE_WORKER_TYPES,
  }),
  glueNumberOfWorkers: integerKey({
    description: "Workers of one Glue conversion run (one of them is Spark's driver).",
    default: 4,
    min: 2,
    max: 299,
  }),
  glueTimeoutMinutes: integerKey({
    description: "A Glue conversion run still running after this many minutes is stopped (state TIMEOUT) and alerts.",
    default: 120,
    min: 1,
    max: 10_080,
  }),
  glueMaxConcurrentRuns: integerKey({
    description: "Glue conversion runs that may run at once; the processor retries a start refused beyond it.",
    default: 3,
    min: 1,
    max: 1000,
  }),

  // Analytics
  athenaBytesScannedCutoffMb: integerKey({
    description: "Largest amount of data one Athena query in the workgroup may scan, in MB.",
    default: 1024,
    min: 10,
    max: 10_485_760,
  }),
  athenaProjectionFirstYear: integerKey({
    description: "First year the partition projection of the date-partitioned tables covers (the lake's oldest data).",
    default: 2024,
    min: 2000,
    max: 2100,
  }),
  athenaProjectionLastYear: integerKey({
    description: "Last year the partition projection covers; data after it is invisible to Athena, so raise it ahead of time.",
    default: 2035,
    min: 2000,
    max: 2100,
  }),
  curatedSchedule: stringKey({
    description: "EventBridge schedule of the curated zone job, which builds yesterday's (UTC) aggregates.",
    default: "cron(30 2 * * ? *)",
    pattern: /^(rate|cron)\(.*\)$/,
    accepts: "an EventBridge schedule expression: rate(1 day), rate(N hours|minutes|days) or cron(min hour day-of-month month day-of-week year) with ? in day-of-month or day-of-week",
    check: isScheduleExpression,
  }),
  curatedJobMemoryMb: integerKey({
    description: "Memory of the curated zone job function, in MB.",
    default: 256,
    min: 128,
    max: 10240,
  }),
  curatedJobTimeoutSeconds: integerKey({
    description: "Timeout of the curated zone job function, in seconds; its Athena queries must finish within it.",
    default: 600,
    min: 60,
    max: 900,
  }),

  // Observability
  alarmPeriodSeconds: integerKey({
    description: "Period of the pipeline's alarms (functions, queues, rejected rows, log errors), in seconds; a multiple of 60.",
    default: 300,
    min: 60,
    max: 86_400,
  }),
  alarmEvaluationPeriods: integerKey({
    description: "Consecutive breaching periods before one of those alarms fires; periods times this may not exceed a day.",
    default: 1,
    min: 1,
    max: 24,
  }),
  functionErrorsThreshold: integerKey({
    description: "Errors of one function within an alarm period that are tolerated; one more fires its errors alarm.",
    default: 0,
    min: 0,
    max: 100_000,
  }),
  functionThrottlesThreshold: integerKey({
    description: "Throttled invocations of one function within an alarm period that are tolerated; one more fires its throttles alarm.",
    default: 0,
    min: 0,
    max: 100_000,
  }),
  durationAlarmPercentOfTimeout: integerKey({
    description: "A function's p99 duration alarm fires above this share of its timeout, in percent.",
    default: 80,
    min: 10,
    max: 100,
  }),
  processingQueueMaxAgeSeconds: integerKey({
    description: "The processing queue's alarm fires when its oldest message is older than this, in seconds.",
    default: 900,
    min: 60,
    max: 1_209_600,
  }),
  rejectedRowsMaxPercent: integerKey({
    description: "The processor's alarm fires when more than this percentage of the rows it read in a period were rejected.",
    default: 5,
    min: 0,
    max: 100,
  }),
  athenaDailyScanBudgetGb: integerKey({
    description: "Data the Athena workgroup may scan per day before its budget alarm fires, in GB (GiB).",
    default: 100,
    min: 1,
    max: 1_048_576,
  }),
  errorLogLinesThreshold: integerKey({
    description: "Error-level log lines of one function within an alarm period that are tolerated; one more fires its log alarm.",
    default: 0,
    min: 0,
    max: 100_000,
  }),
  repositoryUrl: stringKey({
    description:
      "HTTPS address of this project's repository (GitHub-style): every alarm description links to its runbook section as `<repositoryUrl>/blob/HEAD/README.md#<section>`, so the link works from an alert email. Set it to your fork's address.",
    default: "https://github.com/your-org/datalake",
    pattern: /^https:\/\/[^\s?#]+$/,
    accepts: "an https:// address without a query or fragment, e.g. https://github.com/your-org/datalake",
    check: isRepositoryUrl,
  }),
} as const;

export type Schema = typeof schema;
export type ConfigKey = keyof Schema;
/** The parsed value of every key. */
export type ConfigValues = { readonly [K in ConfigKey]: Schema[K]["default"] };

/** The Pulumi config namespace of the project's keys. */
export const CONFIG_NAMESPACE = "datalake";
