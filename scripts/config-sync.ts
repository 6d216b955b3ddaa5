/**
 * Regenerates what is derived from the config schema: Pulumi.yaml's `config:` block and the README's
 * configuration reference and network cost table (between their markers). Run `npm run config:sync` after changing
 * `config/schema.ts`; tests fail while either is stale.
 *
 * The cost table is computed from the stack files, so an invalid stack file stops the sync before
 * anything is written, with its problems printed once (the report of `npm run ci -- check-config`),
 * not a stack trace. `npm run config:sync -- --root DIR` syncs another copy of the project.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { stringify } from "yaml";
import { pulumiProjectDocument, configReferenceMarkdown, replaceBetweenMarkers } from "./config-docs";
import { COST_STACKS, networkCostTable, replaceCostTable } from "./network-cost-docs";
import { checkStackConfig, formatStackConfigReport } from "../config/check";

/**
 * Writes the derived files under `root`, or returns the stack files' problems and writes nothing.
 *
 * @example syncConfig(process.cwd()); // { ok: true, message: "Pulumi.yaml, README.md … regenerated" }
 */
export function syncConfig(root: string): { readonly ok: boolean; readonly message: string } {
  const invalid = COST_STACKS.map((stack) => checkStackConfig(root, stack)).filter((report) => report.problems.length > 0);
  if (invalid.length > 0) return { ok: false, message: `config:sync stopped, nothing was written:\n${invalid.map(formatStackConfigReport).join("\n")}` };
  writeFileSync(join(root, "Pulumi.yaml"), "# Generated from config/schema.ts by `npm run config:sync`.\n" + stringify(pulumiProjectDocument(), { lineWidth: 0 }));
  const readmePath = join(root, "README.md");
  writeFileSync(readmePath, replaceBetweenMarkers(readFileSync(readmePath, "utf8"), configReferenceMarkdown()));
  // The network cost table depends on the stack files as well as the schema.
  writeFileSync(readmePath, replaceCostTable(readFileSync(readmePath, "utf8"), networkCostTable(root)));
  return { ok: true, message: "Pulumi.yaml, README.md configuration reference and network cost table regenerated" };
}

if (require.main === module) {
  const { values } = parseArgs({ options: { root: { type: "string" } } });
  const result = syncConfig(resolve(values.root ?? join(__dirname, "..")));
  if (result.ok) console.log(result.message);
  else console.error(result.message);
  process.exitCode = result.ok ? 0 : 1;
}
