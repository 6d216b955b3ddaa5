import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { runCli } from "../../automation/cli.js";
import { deployStack, promoteStack, verifyStack, type DriverDependencies } from "../../automation/driver.js";
import { recordingProgress } from "./fake-stacks.js";
import { pulumiCommandAt, pulumiStackOpener } from "../../automation/pulumi-stack.js";
import { createFakePulumi, type FakePulumi, type FakePulumiState } from "./fake-pulumi.js";

const PROJECT = resolve(import.meta.dirname, "../..");
const PACK = resolve(PROJECT, "policy");
const COMMIT = "abcdef1234567890abcdef1234567890abcdef12";

let fake: FakePulumi | undefined;
const summaries: string[] = [];
afterEach(() => {
  fake?.remove();
  for (const folder of summaries.splice(0)) rmSync(folder, { recursive: true, force: true });
});

function devState(overrides: Partial<FakePulumiState["stacks"][string]> = {}): FakePulumiState["stacks"][string] {
  return { tags: {}, history: [], outputs: { lakeBucketName: "lake-dev" }, config: { "aws:region": "eu-west-1" }, ...overrides };
}

async function driverOnFakeCli(state: FakePulumiState): Promise<DriverDependencies> {
  fake = createFakePulumi(state);
  const pulumiCommand = await pulumiCommandAt(fake.root);
  return {
    openStack: pulumiStackOpener({ workDir: PROJECT, pulumiCommand }),
    progress: recordingProgress(),
    commit: COMMIT,
    smokeTest: async () => undefined,
  };
}

/** Command lines without the flags every call carries, and with the event-log port blanked. */
function sent(pulumi: FakePulumi): string[] {
  return pulumi
    .commandLines()
    .map((args) => args.filter((arg) => arg !== "--non-interactive").join(" "))
    .map((line) => line.replace(/--event-log tcp:\/\/127\.0\.0\.1:\d+/, "--event-log <events>"));
}

/** What changes or runs the stacks (reads of history, tags and outputs left out). */
function operations(pulumi: FakePulumi): string[] {
  return sent(pulumi).filter((line) => /^(stack select|stack tag set|refresh|preview|up)\b/.test(line));
}

describe("the command lines the Automation API sends to the pulumi CLI", () => {
  it("deploy: select, mark smoke pending, refresh, up without a second preview, record commit and smoke result", async () => {
    const deps = await driverOnFakeCli({ stacks: { dev: devState() }, failing: [] });

    await deployStack(deps, "dev");

    expect(operations(fake!)).toEqual([
      "stack select --stack dev",
      `stack tag set datalake:smoke pending@${COMMIT} --stack dev`,
      "refresh --skip-preview --yes --exec-kind auto.local --stack dev",
      `up --yes --skip-preview --message datalake deploy (${COMMIT}) --diff --exec-kind auto.local --stack dev`,
      `stack tag set datalake:commit ${COMMIT} --stack dev`,
      `stack tag set datalake:smoke passed@${COMMIT} --stack dev`,
    ]);
    expect(sent(fake!)).toContain("stack output --json --show-secrets --stack dev");
    expect(fake!.state().stacks.dev.tags).toEqual({ "datalake:commit": COMMIT, "datalake:smoke": `passed@${COMMIT}` });
  });

  it("deploy: a failing `pulumi up` fails the deploy with the CLI's message and records no commit", async () => {
    const deps = await driverOnFakeCli({ stacks: { dev: devState() }, failing: ["up"] });

    await expect(deployStack(deps, "dev")).rejects.toThrow(/dev: up failed:[\s\S]*up failed on purpose/);

    expect(operations(fake!).filter((line) => line.startsWith("stack tag set datalake:commit"))).toEqual([]);
  });

  it("promote: reads dev's history and tags, previews prod with the diff, updates prod and tags it", async () => {
    const dev = devState({
      tags: { "datalake:commit": COMMIT, "datalake:smoke": `passed@${COMMIT}` },
      history: [{ kind: "update", result: "succeeded", environment: { "git.head": COMMIT } }],
    });
    const deps = await driverOnFakeCli({ stacks: { dev }, failing: [] });

    await promoteStack(deps, { from: "dev", to: "prod", approved: true });

    expect(sent(fake!)).toContain("stack history --json --show-secrets --page-size 20 --page 1 --stack dev");
    expect(operations(fake!)).toEqual([
      "stack select --stack dev",
      "stack select --stack prod",
      "preview --diff --exec-kind auto.local --event-log <events> --stack prod",
      `stack tag set datalake:smoke pending@${COMMIT} --stack prod`,
      `up --yes --skip-preview --message datalake promote dev -> prod (${COMMIT}) --diff --exec-kind auto.local --stack prod`,
      `stack tag set datalake:commit ${COMMIT} --stack prod`,
      `stack tag set datalake:promoted-from dev@${COMMIT} --stack prod`,
    ]);
  });

  it("promote: a refresh after the update does not hide it; a failed last update sends nothing to prod", async () => {
    const dev = devState({
      tags: { "datalake:commit": COMMIT, "datalake:smoke": `passed@${COMMIT}` },
      history: [
        { kind: "refresh", result: "succeeded", environment: {} },
        { kind: "update", result: "failed", environment: { "git.head": COMMIT } },
      ],
    });
    const deps = await driverOnFakeCli({ stacks: { dev }, failing: [] });

    await expect(promoteStack(deps, { from: "dev", to: "prod", approved: true })).rejects.toThrow("dev: the last update failed");

    expect(sent(fake!).filter((line) => line.includes("prod"))).toEqual([]);
  });

  it("promote: refuses when the CLI recorded another commit for dev's last update", async () => {
    const dev = devState({
      tags: { "datalake:commit": COMMIT, "datalake:smoke": `passed@${COMMIT}` },
      history: [{ kind: "update", result: "succeeded", environment: { "git.head": "9999999999999999999999999999999999999999" } }],
    });
    const deps = await driverOnFakeCli({ stacks: { dev }, failing: [] });

    await expect(promoteStack(deps, { from: "dev", to: "prod", approved: true })).rejects.toThrow("dev: the last update ran from commit 9999999");

    expect(sent(fake!).filter((line) => line.includes("prod"))).toEqual([]);
  });
});

describe("npm run ci (runCli) over the Automation API", () => {
  async function cli(argv: string[], state: FakePulumiState): Promise<{ code: number; out: string; err: string }> {
    fake = createFakePulumi(state);
    const pulumiCommand = await pulumiCommandAt(fake.root);
    let out = "";
    let err = "";
    const code = await runCli(argv, {
      env: {},
      out: { write: (chunk: string) => (out += chunk) },
      err: { write: (chunk: string) => (err += chunk) },
      openStack: (workDir) => pulumiStackOpener({ workDir, pulumiCommand }),
      confirm: async () => false,
    });
    return { code, out, err };
  }

  it("preview previews every stack of the project (Pulumi.<stack>.yaml) and exits 0", async () => {
    const result = await cli(["preview", "--commit", COMMIT], { stacks: {}, failing: [] });

    expect(result.code).toBe(0);
    expect(operations(fake!)).toEqual([
      "stack select --stack dev",
      `preview --diff --policy-pack ${PACK} --exec-kind auto.local --event-log <events> --stack dev`,
      "stack select --stack prod",
      `preview --diff --policy-pack ${PACK} --exec-kind auto.local --event-log <events> --stack prod`,
    ]);
    expect(result.out).toContain("fake preview of prod");
  });

  it("preview exits 1 with the failing stacks named when the CLI fails", async () => {
    const result = await cli(["preview", "--commit", COMMIT], { stacks: {}, failing: ["preview"] });

    expect(result.code).toBe(1);
    expect(result.err).toContain("error: preview failed for dev, prod");
  });

  it("promote without --approve and a declined prompt previews prod, exits 1 and leaves prod alone", async () => {
    const dev = devState({
      tags: { "datalake:commit": COMMIT, "datalake:smoke": `passed@${COMMIT}` },
      history: [{ kind: "update", result: "succeeded", environment: {} }],
    });

    const result = await cli(["promote", "--from", "dev", "--to", "prod", "--commit", COMMIT], { stacks: { dev }, failing: [] });

    expect(result.code).toBe(1);
    expect(result.err).toContain("prod not updated: the update was not approved");
    expect(operations(fake!).filter((line) => line.includes("prod"))).toEqual([
      "stack select --stack prod",
      `preview --diff --policy-pack ${PACK} --exec-kind auto.local --event-log <events> --stack prod`,
    ]);
  });

  it("preview exits 1 when the policy pack reports a mandatory violation", async () => {
    const result = await cli(["preview", "--commit", COMMIT], { stacks: {}, failing: [], policyViolation: "sqs-dlq-retention-longer" });

    expect(result.code).toBe(1);
    expect(result.out).toContain("[mandatory]  datalake-guardrails v0.1.0  sqs-dlq-retention-longer");
    expect(result.err).toContain("error: preview failed for dev, prod");
  });

  it("promote with --approve runs prod's preview and update with the policy pack, and a violation stops it before the update", async () => {
    const dev = devState({
      tags: { "datalake:commit": COMMIT, "datalake:smoke": `passed@${COMMIT}` },
      history: [{ kind: "update", result: "succeeded", environment: {} }],
    });

    const passed = await cli(["promote", "--from", "dev", "--to", "prod", "--approve", "--commit", COMMIT], { stacks: { dev }, failing: [] });
    expect(passed.code).toBe(0);
    expect(operations(fake!).filter((line) => /^(preview|up)\b/.test(line))).toEqual([
      `preview --diff --policy-pack ${PACK} --exec-kind auto.local --event-log <events> --stack prod`,
      `up --yes --skip-preview --message datalake promote dev -> prod (${COMMIT}) --diff --policy-pack ${PACK} --exec-kind auto.local --stack prod`,
    ]);
    fake!.remove();

    const stopped = await cli(["promote", "--from", "dev", "--to", "prod", "--approve", "--commit", COMMIT], { stacks: { dev }, failing: [], policyViolation: "prod-alert-emails-real" });
    expect(stopped.code).toBe(1);
    expect(stopped.err).toContain("prod: preview failed");
    expect(operations(fake!).filter((line) => line.startsWith("up"))).toEqual([]);
  });

  it("a failed `pulumi up` is reported once, by its error line, without the Automation API's exit code and output dump", async () => {
    const result = await cli(["deploy", "--stack", "dev", "--commit", COMMIT], { stacks: { dev: devState() }, failing: ["up"] });

    expect(result.code).toBe(1);
    expect(result.err).toBe("error: dev: up failed: up failed on purpose\n");
    expect(`${result.out}${result.err}`.match(/up failed on purpose/g)).toHaveLength(1);
  });

  it("promote --preview-only previews prod with the policy pack, writes the diff to the summary file and updates nothing", async () => {
    // Prepare
    const dev = devState({ tags: { "datalake:commit": COMMIT, "datalake:smoke": `passed@${COMMIT}` }, history: [{ kind: "update", result: "succeeded", environment: {} }] });
    const summary = join(mkdtempSync(join(tmpdir(), "datalake-summary-")), "summary.md");
    summaries.push(dirname(summary));

    // Act
    const result = await cli(["promote", "--from", "dev", "--to", "prod", "--preview-only", "--summary", summary, "--commit", COMMIT], { stacks: { dev }, failing: [] });

    // Assess
    expect(result.code).toBe(0);
    expect(operations(fake!).filter((line) => line.includes("prod"))).toEqual([
      "stack select --stack prod",
      `preview --diff --policy-pack ${PACK} --exec-kind auto.local --event-log <events> --stack prod`,
    ]);
    expect(readFileSync(summary, "utf8")).toBe(`### Preview of prod at ${COMMIT}\n\nPromotion from dev: its checks passed. Changes: (no changes reported)\n\n\`\`\`diff\nfake preview of prod\n\`\`\`\n\n`);
  });

  it("verify refreshes the promoted stack, smoke-tests it and records the result there", async () => {
    const prod = devState({ tags: { "datalake:commit": COMMIT } });
    const deps = await driverOnFakeCli({ stacks: { prod }, failing: [] });

    await verifyStack(deps, "prod");

    expect(operations(fake!)).toEqual([
      "stack select --stack prod",
      `stack tag set datalake:smoke pending@${COMMIT} --stack prod`,
      "refresh --skip-preview --yes --exec-kind auto.local --stack prod",
      `stack tag set datalake:smoke passed@${COMMIT} --stack prod`,
    ]);
  });

  it("wrong arguments exit 2 with the usage, before any pulumi command", async () => {
    const result = await cli(["deploy"], { stacks: {}, failing: [] });

    expect(result.code).toBe(2);
    expect(result.err).toContain("error: deploy needs --stack NAME");
    expect(result.err).toContain("Usage: npm run ci -- <command> [options]");
    expect(fake!.commandLines()).toEqual([["version"]]);
  });
});
