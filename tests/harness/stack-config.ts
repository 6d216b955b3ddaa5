/**
 * Stack configuration exactly as the Pulumi CLI hands it to the program: Pulumi.yaml's declared
 * defaults first, then `Pulumi.<stack>.yaml`, every value a string (structured values as JSON).
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parse } from "yaml";

/** The folder holding Pulumi.yaml, found from the working directory (`__dirname` is not reliable under ESM-loaded TypeScript). */
function findProjectRoot(start: string): string {
  let current = start;
  while (!existsSync(join(current, "Pulumi.yaml"))) {
    const parent = dirname(current);
    if (parent === current) throw new Error(`No Pulumi.yaml above ${start}`);
    current = parent;
  }
  return current;
}

export const PROJECT_ROOT = findProjectRoot(process.cwd());
export const PROJECT_NAME = "datalake";

function asCliString(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

interface ProjectDocument {
  readonly config?: Record<string, { readonly default?: unknown; readonly value?: unknown }>;
}

interface StackDocument {
  readonly config?: Record<string, unknown>;
}

export function readProjectDocument(): ProjectDocument {
  return parse(readFileSync(join(PROJECT_ROOT, "Pulumi.yaml"), "utf8")) as ProjectDocument;
}

export function readStackDocument(stack: string): StackDocument {
  return parse(readFileSync(join(PROJECT_ROOT, `Pulumi.${stack}.yaml`), "utf8")) as StackDocument;
}

/** Qualified key (`datalake:vpcCidr`, `aws:region`) → CLI string, for `pulumi.runtime.setAllConfig`. */
export function stackConfig(stack: string, overrides: Readonly<Record<string, unknown>> = {}): Record<string, string> {
  const config: Record<string, string> = {};
  for (const [key, declaration] of Object.entries(readProjectDocument().config ?? {})) {
    const qualified = key.includes(":") ? key : `${PROJECT_NAME}:${key}`;
    const value = declaration.value ?? declaration.default;
    if (value !== undefined) config[qualified] = asCliString(value);
  }
  for (const [key, value] of Object.entries(readStackDocument(stack).config ?? {})) config[key] = asCliString(value);
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) delete config[key];
    else config[key] = asCliString(value);
  }
  return config;
}
