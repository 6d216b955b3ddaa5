/**
 * The policy pack as a unit: `policy/index.ts` constructs the pack with exactly the policies
 * `policy/pack.ts` exports (checked with `@pulumi/policy` stubbed, so no gRPC server starts), every
 * rule is well-formed and listed in README's "Policies" table, the rules read nothing of the program,
 * and the pack's own dependencies are the versions the tests ran with.
 */
import { readFileSync, readdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { RULES, parseWaivers } from "../policy/pack.js";

const ROOT = resolve(import.meta.dirname, "..");
const POLICY = join(ROOT, "policy");
const requireHere = createRequire(import.meta.url);

interface Captured {
  readonly name: string;
  readonly args: { readonly policies: readonly { readonly name: string }[] };
}

const stubbed: string[] = [];
afterEach(() => {
  for (const path of stubbed.splice(0)) delete requireHere.cache[path];
  for (const path of Object.keys(requireHere.cache)) if (path.startsWith(POLICY + "/") && !path.includes("node_modules")) delete requireHere.cache[path];
});

describe("policy/index.ts", () => {
  it("constructs one PolicyPack with exactly the policies policy/pack.ts exports, the waiver report last", () => {
    // Prepare: @pulumi/policy as policy/index.ts resolves it, replaced by a recorder
    const captured: Captured[] = [];
    const resolved = requireHere.resolve("@pulumi/policy", { paths: [POLICY] });
    requireHere.cache[resolved] = {
      id: resolved,
      filename: resolved,
      loaded: true,
      exports: {
        PolicyPack: class {
          constructor(name: string, args: Captured["args"]) {
            captured.push({ name, args });
          }
        },
      },
    } as unknown as NodeJS.Module;
    stubbed.push(resolved);
    // Act
    requireHere(join(POLICY, "index.ts"));
    const pack = requireHere(join(POLICY, "pack.ts")) as { policies: unknown; PACK_NAME: string };
    // Assess
    expect(captured).toHaveLength(1);
    expect(captured[0]!.name).toBe(pack.PACK_NAME);
    expect(captured[0]!.args.policies).toBe(pack.policies);
    expect(captured[0]!.args.policies.map((policy) => policy.name)).toEqual([...RULES.map((rule) => rule.name), "policy-waivers"]);
  });
});

describe("the rules", () => {
  it("have unique kebab-case names, one-line descriptions and remediations, and a level", () => {
    const names = RULES.map((rule) => rule.name);
    expect(new Set(names).size).toBe(names.length);
    for (const rule of RULES) {
      expect(rule.name).toMatch(/^[a-z0-9]+(-[a-z0-9]+)+$/);
      expect(rule.description).toMatch(/^[A-Z][^\n]+\.$/);
      expect(rule.remediation).toMatch(/^[A-Z][^\n]+\.$/);
      expect(["mandatory", "advisory"]).toContain(rule.level);
      if (rule.kind === "resource") expect(rule.types.length).toBeGreaterThan(0);
    }
  });

  it("are the rows of README's Policies table, with their levels", () => {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("## Policies"), readme.indexOf("\n## ", readme.indexOf("## Policies") + 1));
    const rows = [...section.matchAll(/^\| `([a-z0-9-]+)` \| (mandatory|advisory) \|/gm)].map((match) => `${match[1]} ${match[2]}`);
    expect(rows).toEqual([...RULES.map((rule) => `${rule.name} ${rule.level}`), "policy-waivers advisory"]);
  });

  it("import nothing of the program: only the pack's own modules, @pulumi/policy's types, IAM's data and Node", () => {
    const files = (function walk(dir: string): string[] {
      return readdirSync(dir).flatMap((entry) => {
        const path = join(dir, entry);
        if (entry === "node_modules") return [];
        return statSync(path).isDirectory() ? walk(path) : path.endsWith(".ts") ? [path] : [];
      });
    })(POLICY);
    const outside = files.flatMap((file) =>
      [...readFileSync(file, "utf8").matchAll(/^(?:import|export)\b[^;]*?\bfrom "([^"]+)";/gm)]
        .map((match) => match[1]!)
        .filter((specifier) => (specifier.startsWith(".") ? relative(POLICY, resolve(dirname(file), specifier)).startsWith("..") : !/^(@pulumi\/policy|@cloud-copilot\/iam-data|node:.+)$/.test(specifier)))
        .map((specifier) => `${relative(ROOT, file)}: ${specifier}`),
    );
    expect(outside).toEqual([]);
  });
});

describe("the pack folder", () => {
  const rootLock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as { packages: Record<string, { version?: string }> };
  const packLock = JSON.parse(readFileSync(join(POLICY, "package-lock.json"), "utf8")) as { packages: Record<string, { version?: string }> };
  const packManifest = JSON.parse(readFileSync(join(POLICY, "package.json"), "utf8")) as { version?: string; dependencies: Record<string, string>; devDependencies: Record<string, string> };

  it("pins its dependencies to the versions the tests run with (one @pulumi/pulumi at the root, the same one in the pack)", () => {
    for (const [name, range] of Object.entries({ ...packManifest.dependencies, ...packManifest.devDependencies })) {
      const tested = rootLock.packages[`node_modules/${name}`]?.version;
      expect({ name, range }).toEqual({ name, range: tested });
      expect({ name, installed: packLock.packages[`node_modules/${name}`]?.version }).toEqual({ name, installed: tested });
    }
    const nestedPulumi = Object.keys(rootLock.packages).filter((path) => path.endsWith("node_modules/@pulumi/pulumi") && path !== "node_modules/@pulumi/pulumi");
    expect(nestedPulumi).toEqual([]);
  });

  it("is a Node.js policy pack with a version (the analyzer reads both) and a valid waivers.json", () => {
    expect(parse(readFileSync(join(POLICY, "PulumiPolicy.yaml"), "utf8"))).toMatchObject({ runtime: "nodejs" });
    expect(packManifest.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(() => parseWaivers(JSON.parse(readFileSync(join(POLICY, "waivers.json"), "utf8")))).not.toThrow();
    expect(() => parseWaivers([{ rule: "s3-versioning", resource: "x" }])).toThrow(/policy\/waivers.json entry 0/);
  });
});
