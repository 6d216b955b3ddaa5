/**
 * `npm run ci -- check-config`: validates stack files offline with the rules `pulumi preview` applies
 * (`parseSettings`, the same function the program calls), and reports every problem of every stack
 * at once, with the nearest key for a misspelt one.
 */
import { readStackFile, type StackFile } from "./stack-file";
import { ConfigError, parseSettings, type ConfigProblem } from "./settings";

export interface StackConfigReport {
  readonly stack: string;
  readonly fileName: string;
  /** Empty when the stack would pass preview's configuration checks. */
  readonly problems: readonly ConfigProblem[];
  /** Keys not checked (encrypted values; the CLI decrypts them only for a real preview). */
  readonly unchecked: readonly string[];
}

/**
 * Checks one stack file: the file itself, then every key and every rule across keys, as preview does.
 *
 * @example
 * ```ts
 * checkStackConfig(".", "prod").problems;
 * // [{ key: "datalake:natStrateg", message: "is not a known key; did you mean `natStrategy`?" }]
 * ```
 */
export function checkStackConfig(root: string, stack: string): StackConfigReport {
  const file: StackFile = readStackFile(root, stack);
  const report = { stack, fileName: file.fileName, unchecked: file.unchecked };
  if (!file.readable) return { ...report, problems: file.problems };
  try {
    parseSettings(file.raw, stack);
    return { ...report, problems: file.problems };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return { ...report, problems: [...file.problems, ...error.problems] };
  }
}

/**
 * The report as the CLI prints it: one line per stack, then one line per problem.
 *
 * @example
 * ```ts
 * formatStackConfigReport({ stack: "dev", fileName: "Pulumi.dev.yaml", problems: [], unchecked: [] });
 * // "Pulumi.dev.yaml: ok"
 * ```
 */
export function formatStackConfigReport(report: StackConfigReport): string {
  const unchecked = report.unchecked.length > 0 ? ` (not checked, encrypted: ${report.unchecked.join(", ")})` : "";
  if (report.problems.length === 0) return `${report.fileName}: ok${unchecked}`;
  const count = `${report.problems.length} problem${report.problems.length === 1 ? "" : "s"}`;
  return [`${report.fileName}: ${count}${unchecked}`, ...report.problems.map((problem) => `  - ${problem.key}: ${problem.message}`)].join("\n");
}
