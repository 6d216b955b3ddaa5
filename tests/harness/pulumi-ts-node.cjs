// Loads the program the way `pulumi preview` does for a TypeScript project (@pulumi/pulumi's
// cmd/run/run.js): the project's typescript, Pulumi's vendored ts-node 7 (type-checking on),
// tsconfig.json with its compiler options over Pulumi's defaults; then runs it under mocks with the
// stack's config (argv[2], JSON) with the tests' mocks and prints how many resources it registered.
"use strict";
const path = require("node:path");
const root = process.cwd();
const pulumiRoot = path.dirname(require.resolve("@pulumi/pulumi/package.json", { paths: [root] }));
const tsutils = require(path.join(pulumiRoot, "tsutils.js"));
const { tsnodeRequire, typescriptRequire } = tsutils.typeScriptRequireStrings();
const compilerOptions = tsutils.loadTypeScriptCompilerOptions(path.join(root, "tsconfig.json"));
require(tsnodeRequire).register({
  compiler: typescriptRequire,
  transpileOnly: compilerOptions.noCheck,
  project: path.join(root, "tsconfig.json"),
  skipProject: false,
  compilerOptions: { target: "ES2020", module: "nodenext", moduleResolution: "nodenext", sourceMap: "true", ...compilerOptions },
});
const pulumi = require("@pulumi/pulumi");
const config = JSON.parse(process.argv[2]);
const stack = process.argv[3];
process.on("unhandledRejection", (reason) => {
  console.error(`unhandled rejection: ${reason && reason.stack ? reason.stack : reason}`);
  process.exit(1);
});
(async () => {
  pulumi.runtime.setAllConfig(config);
  const { createMocks } = require(path.join(root, "tests", "harness", "mocks.ts"));
  const resources = [];
  const mocks = createMocks(resources, [], { region: config["aws:region"], availabilityZones: Number(config["datalake:availabilityZones"] || "2") });
  await pulumi.runtime.setMocks(mocks, "datalake", stack, false);
  require(path.join(root, "index.ts"));
  await pulumi.runtime.waitForRPCs();
  console.log(`REGISTERED ${resources.length}`);
})().catch((error) => {
  console.error(error && error.stack ? error.stack : String(error));
  process.exit(1);
});
