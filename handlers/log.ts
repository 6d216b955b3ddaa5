/**
 * The logging surface the handlers need. Powertools' `Logger` satisfies it in Lambda; tests pass a
 * recorder. Keeping the handlers on this interface keeps them free of Lambda-only setup.
 */
export interface LogSink {
  info(message: string, ...attributes: Record<string, unknown>[]): void;
  warn(message: string, ...attributes: Record<string, unknown>[]): void;
  error(message: string, ...attributes: Record<string, unknown>[]): void;
}
