/**
 * Typed reads of the stack outputs the CI commands use (names as `index.ts` exports them).
 */
import type { StackOutputs } from "./stack-operations";

/** A stack output the command needs is missing or not what it should be. */
export class MissingOutputError extends Error {
  override readonly name = "MissingOutputError";
}

/**
 * @example stringOutput({ lakeBucketName: "lake-1" }, "lakeBucketName", "dev") === "lake-1"
 */
export function stringOutput(outputs: StackOutputs, key: string, stackName: string): string {
  const value = outputs[key];
  if (typeof value !== "string" || value.length === 0) {
    const found = value === undefined ? "it is missing" : `found ${JSON.stringify(value)}`;
    throw new MissingOutputError(`stack ${stackName}: output "${key}" must be a non-empty string; ${found} (was the stack deployed with this version of the program?)`);
  }
  return value;
}
