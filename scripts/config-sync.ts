/**
 * Regenerates what is derived from the config schema: Pulumi.yaml's `config:` block and the README's
 * configuration reference and network cost table (between their markers). Run `npm run config:sync` after changing
 * `config/schema.ts`; tests fail while either is stale.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { pulumiProjectDocument, configReferenceMarkdown, replaceBetweenMarkers } from "./config-docs";
import { networkCostTable, replaceCostTable } from "./network-cost-docs";

const root = join(__dirname, "..");
writeFileSync(join(root, "Pulumi.yaml"), "# Generated from config/schema.ts by `npm run config:sync`.\n" + stringify(pulumiProjectDocument(), { lineWidth: 0 }));
const readmePath = join(root, "README.md");
writeFileSync(readmePath, replaceBetweenMarkers(readFileSync(readmePath, "utf8"), configReferenceMarkdown()));
// The network cost table depends on the stack files as well as the schema.
writeFileSync(readmePath, replaceCostTable(readFileSync(readmePath, "utf8"), networkCostTable(root)));
console.log("Pulumi.yaml, README.md configuration reference and network cost table regenerated");
