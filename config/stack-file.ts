/**
 * A `Pulumi.<stack>.yaml` read offline the way the Pulumi CLI hands its values to the program: every
 * `datalake:` key unqualified, its value a string (structured values as JSON), plus what the CLI would
 * refuse or silently ignore in the file itself (bad YAML, keys without a namespace, a misspelt
 * project namespace). Used by `npm run ci -- check-config` and `npm run config:sync`.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseDocument } from "yaml";
import { CONFIG_NAMESPACE } from "./schema";
import type { ConfigProblem, RawConfig } from "./settings";
import { nearest } from "./suggest";

export interface StackFile {
  readonly stack: string;
  /** `Pulumi.<stack>.yaml` */
  readonly fileName: string;
  /** The project's keys, unqualified, as CLI strings. */
  readonly raw: RawConfig;
  /** False when the file is missing or is not YAML with a `config` mapping: nothing more can be checked. */
  readonly readable: boolean;
  /** Problems with the file itself, before any key's value is checked. */
  readonly problems: readonly ConfigProblem[];
  /** Keys that cannot be checked offline (encrypted values). */
  readonly unchecked: readonly string[];
}

/**
 * A value as the CLI passes it to the program: strings unchanged, anything else as JSON.
 *
 * @example asCliString(["sns", "athena"]); // '["sns","athena"]'
 */
export function asCliString(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** The stack file's name. @example stackFileName("dev"); // "Pulumi.dev.yaml" */
export function stackFileName(stack: string): string {
  return `Pulumi.${stack}.yaml`;
}

const isSecure = (value: unknown): boolean => typeof value === "object" && value !== null && !Array.isArray(value) && "secure" in value;

/**
 * Reads `Pulumi.<stack>.yaml` from the project folder `root`.
 *
 * @example
 * ```ts
 * const file = readStackFile(".", "dev");
 * file.raw.natStrategy; // "Single"
 * ```
 */
export function readStackFile(root: string, stack: string): StackFile {
  const fileName = stackFileName(stack);
  const path = join(root, fileName);
  const problems: ConfigProblem[] = [];
  const unchecked: string[] = [];
  const raw: Record<string, string> = {};
  const unreadable = (message: string): StackFile => ({ stack, fileName, readable: false, raw, problems: [...problems, { key: fileName, message }], unchecked });
  if (!existsSync(path)) return unreadable(`does not exist in ${root}`);
  const document = parseDocument(readFileSync(path, "utf8"));
  const [syntaxError] = document.errors;
  if (syntaxError) return unreadable(`is not valid YAML: ${syntaxError.message.split("\n")[0]!.replace(/:$/, "")}`);
  const content = document.toJS() as unknown;
  const config = typeof content === "object" && content !== null ? (content as { config?: unknown }).config : undefined;
  if (config !== undefined && config !== null && (typeof config !== "object" || Array.isArray(config))) {
    return unreadable("`config` must be a mapping of `<namespace>:<key>: value`");
  }
  const prefix = `${CONFIG_NAMESPACE}:`;
  for (const [qualifiedKey, value] of Object.entries((config ?? {}) as Record<string, unknown>)) {
    const separator = qualifiedKey.indexOf(":");
    if (separator < 0) {
      problems.push({ key: qualifiedKey, message: `is not of the form \`<namespace>:<key>\`, which the Pulumi CLI requires; did you mean \`${prefix}${qualifiedKey}\`?` });
      continue;
    }
    const namespace = qualifiedKey.slice(0, separator);
    const key = qualifiedKey.slice(separator + 1);
    if (namespace !== CONFIG_NAMESPACE) {
      // Other namespaces (aws:, pulumi:, …) belong to providers; a near-miss of ours is a typo the CLI would pass on unread.
      if (nearest(namespace, [CONFIG_NAMESPACE]) !== undefined) {
        problems.push({ key: qualifiedKey, message: `is in the namespace \`${namespace}\`, which the program never reads; did you mean \`${prefix}${key}\`?` });
      }
      continue;
    }
    if (isSecure(value)) unchecked.push(qualifiedKey);
    else raw[key] = asCliString(value);
  }
  return { stack, fileName, readable: true, raw, problems, unchecked };
}
