/**
 * A fake `pulumi` CLI for tests: a Node script at `<root>/bin/pulumi` that records every command
 * line the Automation API runs and answers from a JSON state file (tags, history, outputs, config),
 * so the test sees exactly what `LocalWorkspace` would send to the real CLI.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface FakeStackState {
  tags: Record<string, string>;
  /** `pulumi stack history --json` entries, newest first. */
  history: Array<{ kind: string; result: string; environment: Record<string, string>; message?: string }>;
  outputs: Record<string, unknown>;
  config: Record<string, string>;
}

export interface FakePulumiState {
  stacks: Record<string, FakeStackState>;
  /** Commands (first word) that exit 1, e.g. ["up"]. */
  failing: string[];
  /** A mandatory policy violation that previews and updates run with `--policy-pack` report (and fail on), as the CLI does. */
  policyViolation?: string;
}

export interface FakePulumi {
  /** Pass to `PulumiCommand.get({ root, skipVersionCheck: true })`. */
  readonly root: string;
  /** Every command line, in order. */
  commandLines(): string[][];
  state(): FakePulumiState;
  remove(): void;
}

const SCRIPT = String.raw`#!/usr/bin/env node
const fs = require("fs");
const path = require("path");
const root = path.dirname(__dirname);
const args = process.argv.slice(2);
fs.appendFileSync(path.join(root, "calls.jsonl"), JSON.stringify(args) + "\n");
const statePath = path.join(root, "state.json");
const state = JSON.parse(fs.readFileSync(statePath, "utf8"));
const option = (name) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
const stackName = option("--stack") || state.selected;
const stack = () => {
  if (!state.stacks[stackName]) state.stacks[stackName] = { tags: {}, history: [], outputs: {}, config: {} };
  return state.stacks[stackName];
};
const save = () => fs.writeFileSync(statePath, JSON.stringify(state));
const say = (text) => process.stdout.write(text);
const [a, b, c] = args;
if (state.failing.includes(a)) { process.stderr.write("error: " + a + " failed on purpose\n"); process.exit(1); }
if ((a === "preview" || a === "up") && state.policyViolation && args.includes("--policy-pack")) {
  say("Policy Violations:\n    [mandatory]  datalake-guardrails v0.1.0  " + state.policyViolation + "\n");
  process.stderr.write("error: preview failed\n");
  process.exit(255);
}
if (a === "version") say("v3.248.0\n");
else if (a === "stack" && b === "select") { state.selected = stackName; stack(); save(); }
else if (a === "stack" && b === "tag" && c === "ls") say(JSON.stringify(stack().tags));
else if (a === "stack" && b === "tag" && c === "set") { stack().tags[args[3]] = args[4]; save(); }
else if (a === "stack" && b === "history") say(JSON.stringify(stack().history.map((h, i) => ({ version: i + 1, startTime: "2026-01-01T00:00:00Z", endTime: "2026-01-01T00:01:00Z", config: {}, ...h }))));
else if (a === "stack" && b === "output") say(JSON.stringify(stack().outputs));
else if (a === "config") say(JSON.stringify(Object.fromEntries(Object.entries(stack().config).map(([k, v]) => [k, { value: v, secret: false }]))));
else if (a === "preview" || a === "refresh") say("fake " + a + " of " + stackName + "\n");
else if (a === "up") { say("fake up of " + stackName + "\n"); stack().history.unshift({ kind: "update", result: "succeeded", environment: {}, message: option("--message") }); save(); }
else { process.stderr.write("fake pulumi: unexpected command " + args.join(" ") + "\n"); process.exit(2); }
`;

/**
 * @example const pulumi = createFakePulumi({ stacks: {}, failing: [] }); const cmd = await PulumiCommand.get({ root: pulumi.root, skipVersionCheck: true });
 */
export function createFakePulumi(initial: FakePulumiState): FakePulumi {
  const root = mkdtempSync(join(tmpdir(), "fake-pulumi-"));
  mkdirSync(join(root, "bin"));
  const binary = join(root, "bin", "pulumi");
  writeFileSync(binary, SCRIPT);
  chmodSync(binary, 0o755);
  writeFileSync(join(root, "state.json"), JSON.stringify(initial));
  writeFileSync(join(root, "calls.jsonl"), "");
  return {
    root,
    commandLines: () =>
      readFileSync(join(root, "calls.jsonl"), "utf8")
        .split("\n")
        .filter((line) => line.length > 0)
        .map((line) => JSON.parse(line) as string[]),
    state: () => JSON.parse(readFileSync(join(root, "state.json"), "utf8")) as FakePulumiState,
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}
