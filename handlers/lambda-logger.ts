/**
 * The functions' logger: one JSON object per line on stdout, in the shape CloudWatch Logs Insights
 * and the error-line metric filter read (`level`, `message`, `timestamp`, `service`, the invocation's
 * context, then the caller's attributes).
 *
 * Why not Powertools Logger: the handlers use three levels and a flat attribute object, which is
 * this module; Powertools Logger and its commons packed 1.1–1.8 MB into every upload and took
 * 10–20 ms of each cold start (issue 20). Field names follow Powertools' (`cold_start`,
 * `function_request_id`, …) so that saved queries keep working.
 *
 * Levels: Lambda's advanced logging controls pass the function's application log level as
 * `AWS_LAMBDA_LOG_LEVEL` ("Configuring advanced logging controls for Node.js functions", AWS Lambda
 * Developer Guide); lines below it are dropped here, as Lambda drops them for `console` output.
 */
import type { Context } from "aws-lambda";
import type { LogSink } from "./log";

export type LogLevel = "INFO" | "WARN" | "ERROR";

/** Ranks of the levels Lambda's `applicationLogLevel` accepts (TRACE and DEBUG admit everything here). */
const LEVEL_RANK: Readonly<Record<string, number>> = { TRACE: 0, DEBUG: 1, INFO: 2, WARN: 3, ERROR: 4, FATAL: 5 };

/** A `LogSink` that also carries the invocation's context into every line. */
export interface LambdaLogger extends LogSink {
  /** Sets the invocation's context (request id, function); call at the start of each invocation. */
  addContext(context: Pick<Context, "awsRequestId" | "functionName" | "functionVersion" | "invokedFunctionArn" | "memoryLimitInMB">): void;
}

export interface LambdaLoggerOptions {
  readonly serviceName: string;
  /** Where lines go; defaults to process.stdout. */
  readonly write?: (line: string) => void;
  /** The environment to read `AWS_LAMBDA_LOG_LEVEL` from; defaults to process.env. */
  readonly environment?: Readonly<Record<string, string | undefined>>;
  /** The clock; defaults to `Date.now`. */
  readonly now?: () => number;
}

/** Errors as `{ name, message, stack }` (JSON.stringify writes an Error as `{}`), bigints as text. */
function jsonValue(_key: string, value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message, ...(value.stack ? { stack: value.stack } : {}) };
  if (typeof value === "bigint") return value.toString();
  return value;
}

/**
 * Creates the logger of one function container.
 *
 * @example
 * ```ts
 * const logger = lambdaLogger({ serviceName: "ingest" });
 * logger.addContext(context);
 * logger.info("Published raw object change", { key });
 * // {"level":"INFO","message":"Published raw object change","timestamp":"…","service":"ingest","cold_start":true,…,"key":"raw/events/a.jsonl"}
 * ```
 */
export function lambdaLogger(options: LambdaLoggerOptions): LambdaLogger {
  const environment = options.environment ?? process.env;
  const write = options.write ?? ((line: string) => void process.stdout.write(line));
  const now = options.now ?? Date.now;
  const threshold = LEVEL_RANK[(environment.AWS_LAMBDA_LOG_LEVEL ?? "INFO").toUpperCase()] ?? LEVEL_RANK.INFO!;
  let invocation: Record<string, unknown> = {};
  let invocations = 0;
  const log = (level: LogLevel) => (message: string, ...attributes: Record<string, unknown>[]) => {
    if (LEVEL_RANK[level]! < threshold) return;
    const line: Record<string, unknown> = { level, message, timestamp: new Date(now()).toISOString(), service: options.serviceName, ...invocation };
    for (const extra of attributes) Object.assign(line, extra);
    write(`${JSON.stringify(line, jsonValue)}\n`);
  };
  return {
    info: log("INFO"),
    warn: log("WARN"),
    error: log("ERROR"),
    addContext(context) {
      invocations += 1;
      invocation = {
        cold_start: invocations === 1,
        function_arn: context.invokedFunctionArn,
        function_memory_size: Number(context.memoryLimitInMB),
        function_name: context.functionName,
        function_request_id: context.awsRequestId,
        function_version: context.functionVersion,
      };
    },
  };
}
