import type { LogSink } from "../../handlers/log";

export interface LogLine {
  readonly level: "info" | "warn" | "error";
  readonly message: string;
  readonly attributes: Record<string, unknown>;
}

/** A `LogSink` that keeps every line, for assertions. */
export function recordingLogger(): LogSink & { readonly lines: LogLine[] } {
  const lines: LogLine[] = [];
  const record = (level: LogLine["level"]) => (message: string, ...attributes: Record<string, unknown>[]) => {
    lines.push({ level, message, attributes: Object.assign({}, ...attributes) });
  };
  return { lines, info: record("info"), warn: record("warn"), error: record("error") };
}
