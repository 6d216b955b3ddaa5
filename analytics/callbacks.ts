/**
 * The curated zone job's entry point, as Pulumi serializes it. The factory runs once per Lambda
 * container: it builds the clients and the logger and returns the handler, which only delegates to
 * `handlers/curated.ts`. npm packages are `require`d inside the factory so that the serializer emits
 * them as `require(...)` calls (see ../shared/README.md).
 */
import type { Context } from "aws-lambda";
import type { S3ClientConfig } from "@aws-sdk/client-s3";
import { handleCuratedJob, type CuratedJobEvent, type CuratedJobResult } from "../handlers/curated";

/** Environment variable names the job reads, set by `analytics/index.ts`. */
export const CURATED_JOB_ENV = {
  lakeBucket: "LAKE_BUCKET",
  database: "GLUE_DATABASE",
  workGroup: "ATHENA_WORKGROUP",
  /** "true" for emulators (moto, LocalStack) that serve S3 only path-style. */
  s3ForcePathStyle: "S3_FORCE_PATH_STYLE",
} as const;

/** Time kept back from the function's timeout to report a query timeout before Lambda kills the invocation. */
export const DEADLINE_MARGIN_MS = 15_000;

export function curatedJobCallbackFactory(): (event: CuratedJobEvent, context: Context) => Promise<CuratedJobResult> {
  const { AthenaClient } = require("@aws-sdk/client-athena") as typeof import("@aws-sdk/client-athena");
  const { S3Client } = require("@aws-sdk/client-s3") as typeof import("@aws-sdk/client-s3");
  const { Logger } = require("@aws-lambda-powertools/logger") as typeof import("@aws-lambda-powertools/logger");
  const required = (name: string): string => {
    const value = process.env[name];
    if (!value) throw new Error(`Environment variable ${name} is not set`);
    return value;
  };
  const s3Config: S3ClientConfig = { forcePathStyle: process.env[CURATED_JOB_ENV.s3ForcePathStyle] === "true" };
  const s3 = new S3Client(s3Config);
  const athena = new AthenaClient({});
  const logger = new Logger({ serviceName: "curated" });
  const lakeBucket = required(CURATED_JOB_ENV.lakeBucket);
  const database = required(CURATED_JOB_ENV.database);
  const workGroup = required(CURATED_JOB_ENV.workGroup);
  return async (event, context) => {
    logger.addContext(context);
    const deadline = Date.now() + context.getRemainingTimeInMillis() - DEADLINE_MARGIN_MS;
    return handleCuratedJob(event, { athena, s3, logger, lakeBucket, database, workGroup, deadline });
  };
}
