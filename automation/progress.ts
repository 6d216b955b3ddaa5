/**
 * Progress output for long CI steps: step headings and the engine's streamed output, written as
 * they come so a CI log shows a `pulumi up` while it runs.
 */
import type { LogSink } from "../handlers/log";

export interface Progress {
  /** A step starts or a fact worth a line, e.g. "dev: refresh". */
  step(message: string): void;
  /** Raw streamed text from a long operation (pulumi's own output), written unchanged. */
  stream(chunk: string): void;
}

/**
 * Progress written to a stream, step lines prefixed with the elapsed time.
 *
 * @example const progress = streamProgress(process.stdout); progress.step("dev: up");
 */
export function streamProgress(out: { write(chunk: string): unknown }, now: () => number = Date.now): Progress {
  const started = now();
  return {
    step(message) {
      const seconds = ((now() - started) / 1000).toFixed(1).padStart(6);
      out.write(`[${seconds}s] ${message}\n`);
    },
    stream(chunk) {
      out.write(chunk);
    },
  };
}

/**
 * Progress lines doubling as a handler's log (the `LogSink` the publishers take): warnings and
 * errors become step lines, info is left out.
 *
 * @example publishObjectMessages(messages, { sns, topicArn, logger: progressLog(progress) });
 */
export function progressLog(progress: Progress): LogSink {
  const quiet = () => undefined;
  return { info: quiet, warn: (message) => progress.step(message), error: (message) => progress.step(message) };
}
