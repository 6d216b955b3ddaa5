/**
 * The functions' entry points, as Pulumi serializes them. Each factory runs once per Lambda
 * container: it builds the AWS clients and the logger, then returns the handler, which only
 * delegates to `handlers/`. npm packages are `require`d inside the factory so that the serializer
 * emits them as `require(...)` calls (see ../shared/README.md).
 *
 * Runtime configuration comes from the environment, set by `compute/index.ts`: see `FUNCTION_ENV`.
 */
import type { Context, S3Event, SQSBatchResponse, SQSEvent } from "aws-lambda";
import type { S3ClientConfig } from "@aws-sdk/client-s3";
import { handleIngest, type IngestResult } from "../handlers/ingest";
import { handleProcessorBatch } from "../handlers/processor";
import { convertObject, versionOutputs } from "../handlers/convert";
import { loadParquetCodec, type ParquetCodec } from "../handlers/parquet";
import type { ObjectLandedMessage } from "../handlers/ingest";
import type { DatasetDefinition } from "../handlers/datasets";
import type { HeavyRoute, StartJobRun } from "../handlers/heavy-route";

/** Environment variable names the functions read. */
export const FUNCTION_ENV = {
  ingestTopicArn: "INGEST_TOPIC_ARN",
  lakeBucket: "LAKE_BUCKET",
  /** The pipeline-events topic the processor publishes completion events to (optional: unset, events are only logged). */
  pipelineEventsTopicArn: "PIPELINE_EVENTS_TOPIC_ARN",
  /** MB/s of input the processor plans a batch with (see handlers/time-budget.ts). */
  planningMbPerSecond: "PROCESSOR_PLANNING_MB_PER_SECOND",
  /** Longest record the processor reads, in bytes (`processorMaxRecordKb`). */
  maxRecordBytes: "PROCESSOR_MAX_RECORD_BYTES",
  /** Years of Athena's partition projection: the processor rejects rows dated outside as out_of_range. */
  partitionFirstYear: "PARTITION_FIRST_YEAR",
  partitionLastYear: "PARTITION_LAST_YEAR",
  /** "true" for emulators (moto, LocalStack) that serve S3 only path-style. */
  s3ForcePathStyle: "S3_FORCE_PATH_STYLE",
  /** The Glue job heavy objects are handed to (handlers/heavy-route.ts); unset, the processor converts every object. */
  glueJobName: "GLUE_JOB_NAME",
  /** Planned bytes (stored size, × 8 for .gz) from which an object goes to the Glue job. */
  heavyThresholdBytes: "HEAVY_OBJECT_THRESHOLD_BYTES",
} as const;

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`Environment variable ${name} is not set`);
  return value;
}

export function ingestCallbackFactory(): (event: S3Event, context: Context) => Promise<IngestResult> {
  const { SNSClient } = require("@aws-sdk/client-sns") as typeof import("@aws-sdk/client-sns");
  const { Logger } = require("@aws-lambda-powertools/logger") as typeof import("@aws-lambda-powertools/logger");
  const sns = new SNSClient({});
  const logger = new Logger({ serviceName: "ingest" });
  const topicArn = requiredEnv(FUNCTION_ENV.ingestTopicArn);
  return async (event, context) => {
    logger.addContext(context);
    return handleIngest(event, { sns, topicArn, logger });
  };
}

export function processorCallbackFactory(): (event: SQSEvent, context: Context) => Promise<SQSBatchResponse> {
  const { S3Client } = require("@aws-sdk/client-s3") as typeof import("@aws-sdk/client-s3");
  const { SNSClient } = require("@aws-sdk/client-sns") as typeof import("@aws-sdk/client-sns");
  const { Logger } = require("@aws-lambda-powertools/logger") as typeof import("@aws-lambda-powertools/logger");
  const { Metrics } = require("@aws-lambda-powertools/metrics") as typeof import("@aws-lambda-powertools/metrics");
  const s3Config: S3ClientConfig = { forcePathStyle: process.env[FUNCTION_ENV.s3ForcePathStyle] === "true" };
  const s3 = new S3Client(s3Config);
  const logger = new Logger({ serviceName: "processor" });
  // Namespace from POWERTOOLS_METRICS_NAMESPACE, set per stack by compute/index.ts.
  const metrics = new Metrics({ serviceName: "processor" });
  const topicArn = process.env[FUNCTION_ENV.pipelineEventsTopicArn];
  const events = topicArn ? { sns: new SNSClient({}), topicArn } : undefined;
  // Unset (a hand-made deployment): the processor's own default (handlers/processor.ts).
  const planningMb = Number(process.env[FUNCTION_ENV.planningMbPerSecond]);
  const planningBytesPerSecond = planningMb > 0 ? planningMb * 1024 * 1024 : undefined;
  // Unset (a hand-made deployment): the processor's defaults (1 MiB records, no year range).
  const maxRecordBytes = Number(process.env[FUNCTION_ENV.maxRecordBytes]) || undefined;
  const firstYear = Number(process.env[FUNCTION_ENV.partitionFirstYear]);
  const lastYear = Number(process.env[FUNCTION_ENV.partitionLastYear]);
  const partitionYears = firstYear > 0 && lastYear >= firstYear ? { first: firstYear, last: lastYear } : undefined;
  // Started during init; a failure to load fails each invocation (the batch is retried, then kept in
  // the DLQ, and the errors alarm fires) instead of crashing the container on an unhandled rejection.
  const codecLoading = loadParquetCodec();
  codecLoading.catch(() => undefined);
  const heavy = heavyRouteFromEnvironment();
  const convertWith = (codec: ParquetCodec) => async (message: ObjectLandedMessage, dataset: DatasetDefinition) =>
    versionOutputs(await convertObject(message, dataset, { s3, logger, metrics, codec, ...(maxRecordBytes ? { maxRecordBytes } : {}), ...(partitionYears ? { partitionYears } : {}) }));
  return async (event, context) => {
    logger.addContext(context);
    const convert = convertWith(await codecLoading);
    return handleProcessorBatch(
      event,
      { s3, logger, convert, ...(events ? { events } : {}), ...(planningBytesPerSecond ? { planningBytesPerSecond } : {}), ...(heavy ? { heavy } : {}) },
      context,
    );
  };
}

/**
 * The Glue route when the environment names a job and a threshold (the program always sets both).
 * `@aws-sdk/client-glue` is required at the first heavy object, not at init (see `StartJobRun`).
 */
function heavyRouteFromEnvironment(): HeavyRoute | undefined {
  const jobName = process.env[FUNCTION_ENV.glueJobName];
  const thresholdBytes = Number(process.env[FUNCTION_ENV.heavyThresholdBytes]);
  if (!jobName || !(thresholdBytes > 0)) return undefined;
  let glue: import("@aws-sdk/client-glue").GlueClient | undefined;
  const startJobRun: StartJobRun = async (input) => {
    const { GlueClient, StartJobRunCommand } = require("@aws-sdk/client-glue") as typeof import("@aws-sdk/client-glue");
    glue ??= new GlueClient({});
    return glue.send(new StartJobRunCommand(input));
  };
  return { startJobRun, jobName, thresholdBytes };
}
