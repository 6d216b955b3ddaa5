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
    this.name = "PermanentError";
  }
}

export function isPermanent(error: unknown): error is PermanentError {
  return error instanceof PermanentError;
}
