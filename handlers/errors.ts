/**
 * Failure classes of the processor. A permanent failure can never succeed on retry (unknown dataset,
 * unreadable object): the object is recorded in `rejected/` with its reason and the message is
 * acknowledged. Anything else is transient: only that message is reported as a batch item failure,
 * so SQS redelivers it and, after `maxReceiveCount` receives, moves it to the dead-letter queue.
 */
export class PermanentError extends Error {
  constructor(
    message: string,
    readonly reason: string,
  ) {
    super(message);
    // Set explicitly: in the closure Pulumi serializes, `super(message)` does not reach Error's own
    // initialisation, so the message would read "undefined" in Lambda (seen in the curated job's errors).
    this.message = message;
    this.name = "PermanentError";
  }
}

export function isPermanent(error: unknown): error is PermanentError {
  return error instanceof PermanentError;
}

/** S3 error names that mean the object version can never be read, whatever the number of retries. */
const UNREADABLE_OBJECT_ERRORS: Readonly<Record<string, string>> = {
  NoSuchKey: "object_not_found",
  NoSuchVersion: "object_not_found",
  NotFound: "object_not_found",
  InvalidObjectState: "object_archived",
  PreconditionFailed: "object_replaced",
};

/** The HTTP status of an AWS SDK error (its `$metadata`), if it has one. */
export function errorStatus(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
}

/**
 * The permanent failure an error stands for, or undefined when it is transient (throttling, 5xx,
 * timeouts, connection resets, access denied while a policy is being fixed: anything a retry may cure).
 *
 * @example permanentCause(Object.assign(new Error("gone"), { name: "NoSuchKey" }))?.reason === "object_not_found"
 */
export function permanentCause(error: unknown): PermanentError | undefined {
  if (isPermanent(error)) return error;
  if (!(error instanceof Error)) return undefined;
  const reason = UNREADABLE_OBJECT_ERRORS[error.name];
  if (reason !== undefined) return new PermanentError(`${error.name}: ${error.message}`, reason);
  const status = errorStatus(error);
  if (status === 404) return new PermanentError(`${error.name}: ${error.message}`, "object_not_found");
  if (status === 412) return new PermanentError(`${error.name}: ${error.message}`, "object_replaced");
  // zlib's codes for data that is not gzip or is cut short (Z_DATA_ERROR, Z_BUF_ERROR).
  const code = (error as NodeJS.ErrnoException).code;
  if (typeof code === "string" && code.startsWith("Z_")) return new PermanentError(`Object is not readable gzip: ${error.message}`, "unreadable_object");
  return undefined;
}
