/**
 * Regenerates what is derived from the config schema: Pulumi.yaml's `config:` block and the README's
 * configuration reference (between its markers). Run `npm run config:sync` after changing
 * `config/schema.ts`; tests fail while either is stale.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { pulumiProjectDocument, configReferenceMarkdown, replaceBetweenMarkers } from "./config-docs";

const root = join(__dirname, "..");
writeFileSync(join(root, "Pulumi.yaml"), "# Generated from config/schema.ts by `npm run config:sync`.\n" + stringify(pulumiProjectDocument(), { lineWidth: 0 }));
const readmePath = join(root, "README.md");
writeFileSync(readmePath, replaceBetweenMarkers(readFileSync(readmePath, "utf8"), configReferenceMarkdown()));
console.log("Pulumi.yaml and README.md configuration reference regenerated");
