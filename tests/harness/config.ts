/** Helpers for tests of stack configuration. */
import { stackConfig } from "./stack-config";

/** The project's keys of a stack's CLI config, unqualified, as `readRawConfig` hands them over. */
export function rawFor(stack: string, overrides: Record<string, unknown> = {}): Record<string, string> {
  const raw: Record<string, string> = {};
  for (const [key, value] of Object.entries(stackConfig(stack, overrides))) {
    if (key.startsWith("datalake:")) raw[key.slice("datalake:".length)] = value;
  }
  return raw;
}

/** The message of the `ConfigError` that `action` throws; throws (failing the test) when it throws nothing or something else. */
export function problemsOf(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    // By name: the test file and this module may hold different instances of the settings module.
    if (error instanceof Error && error.name === "ConfigError") return error.message;
    throw new Error(`expected a ConfigError, got ${String(error)}`);
  }
  throw new Error("expected a ConfigError");
}
