/**
 * `npm run ci -- check-config`: stack files checked offline with preview's rules, every problem
 * listed, the nearest key suggested for a misspelt one, a non-zero exit when any stack is invalid.
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { runCli } from "../../automation/cli.js";
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from "../../automation/args.js";
import { runProgram } from "../harness/program.js";
import { PROJECT_ROOT } from "../harness/stack-config.js";

const folders: string[] = [];
afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

/** A project folder holding the given stack files (name → YAML text). */
function projectWith(stackFiles: Readonly<Record<string, string>>): string {
  const folder = mkdtempSync(join(tmpdir(), "datalake-check-config-"));
  folders.push(folder);
  for (const [stack, text] of Object.entries(stackFiles)) writeFileSync(join(folder, `Pulumi.${stack}.yaml`), text);
  return folder;
}

/** A stack file with `aws:region` and the given `config` lines. */
const stackFile = (...lines: string[]): string => ["config:", "  aws:region: eu-west-1", ...lines.map((line) => `  ${line}`)].join("\n") + "\n";

async function checkConfig(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await runCli(["check-config", ...argv], { env: {}, out: { write: (chunk: string) => (out += chunk) }, err: { write: (chunk: string) => (err += chunk) } });
  return { code, out, err };
}

describe("check-config", () => {
  it("passes the project's own stacks (every Pulumi.<stack>.yaml by default)", async () => {
    const result = await checkConfig("--work-dir", PROJECT_ROOT);

    expect(result).toEqual({ code: EXIT_OK, out: "Pulumi.dev.yaml: ok\nPulumi.prod.yaml: ok\n", err: "" });
  });

  it("lists every problem of every stack and exits non-zero, without a stack trace", async () => {
    const folder = projectWith({
      good: stackFile("datalake:natStrategy: OnePerAz"),
      bad: stackFile("datalake:natStrategy: Double", "datalake:maxReceiveCount: 0", "datalake:alertEmails: [not-an-address]"),
    });

    const result = await checkConfig("--all", "--work-dir", folder);

    expect(result.code).toBe(EXIT_FAILURE);
    expect(result.out).toBe(
      [
        "Pulumi.bad.yaml: 3 problems",
        '  - datalake:natStrategy: "Double" is not accepted; expected one of None, Single, OnePerAz',
        '  - datalake:maxReceiveCount: "0" is not accepted; expected an integer from 1 to 1000',
        '  - datalake:alertEmails: "[\\"not-an-address\\"]" is not accepted; expected a list of email addresses such as oncall@example.com, without repeats',
        "Pulumi.good.yaml: ok",
        "",
      ].join("\n"),
    );
    expect(result.err).toBe("error: invalid configuration in bad\n");
  });

  it("applies the rules across keys, as preview does", async () => {
    const folder = projectWith({ prod: stackFile("datalake:environment: prod", "datalake:queueRetentionDays: 10", "datalake:deadLetterRetentionDays: 10") });

    const result = await checkConfig("--stack", "prod", "--work-dir", folder);

    expect(result.code).toBe(EXIT_FAILURE);
    expect(result.out).toContain("datalake:alertEmails: [] is not accepted when environment is prod");
    expect(result.out).toContain("datalake:deadLetterRetentionDays: 10 is not accepted when datalake:queueRetentionDays is 10");
  });

  it("suggests the nearest key for a misspelt one, a namespace for a bare key, and the project's namespace for a near miss", async () => {
    const folder = projectWith({ dev: stackFile("datalake:natStrateg: Single", "vpcCidr: 10.0.0.0/16", "datalak:tracing: true", "aws:profile: other") });

    const result = await checkConfig("--stack", "dev", "--work-dir", folder);

    expect(result.code).toBe(EXIT_FAILURE);
    expect(result.out).toContain("datalake:natStrateg: is not a known key; did you mean `natStrategy`?");
    expect(result.out).toContain("vpcCidr: is not of the form `<namespace>:<key>`, which the Pulumi CLI requires; did you mean `datalake:vpcCidr`?");
    expect(result.out).toContain("datalak:tracing: is in the namespace `datalak`, which the program never reads; did you mean `datalake:tracing`?");
    expect(result.out).not.toContain("aws:profile");
  });

  it("names a key that is nothing like a known one without guessing", async () => {
    const folder = projectWith({ dev: stackFile("datalake:colour: blue") });

    const result = await checkConfig("--stack", "dev", "--work-dir", folder);

    expect(result.out).toContain("datalake:colour: is not a known key (the configuration reference in README.md lists every key)");
  });

  it("reports a stack file that is not YAML, and one that does not exist", async () => {
    const folder = projectWith({ broken: "config: [\n" });

    const result = await checkConfig("--stack", "broken", "--stack", "missing", "--work-dir", folder);

    expect(result.code).toBe(EXIT_FAILURE);
    expect(result.out).toMatch(/^Pulumi\.broken\.yaml: 1 problem\n {2}- Pulumi\.broken\.yaml: is not valid YAML: /);
    expect(result.out).toContain(`Pulumi.missing.yaml: does not exist in ${folder}`);
  });

  it("leaves encrypted values unchecked and says so", async () => {
    const folder = projectWith({ dev: stackFile("datalake:repositoryUrl:", "    secure: v1:abc") });

    const result = await checkConfig("--work-dir", folder);

    expect(result).toMatchObject({ code: EXIT_OK, out: "Pulumi.dev.yaml: ok (not checked, encrypted: datalake:repositoryUrl)\n" });
  });

  it("refuses --stack together with --all", async () => {
    const result = await checkConfig("--stack", "dev", "--all");

    expect(result.code).toBe(EXIT_USAGE);
    expect(result.err).toContain("check-config takes --stack NAME... or --all, not both");
  });

  it("says what preview says, because preview runs the same rules", async () => {
    // Prepare: one invalid value, in a stack file and as the program's config under mocks
    const folder = projectWith({ dev: stackFile("datalake:natStrategy: Double") });

    // Act
    const checked = await checkConfig("--stack", "dev", "--work-dir", folder);
    const previewed = await runProgram("dev", { "datalake:natStrategy": "Double" }).then(
      () => "",
      (error: Error) => error.message,
    );

    // Assess
    const problem = '  - datalake:natStrategy: "Double" is not accepted; expected one of None, Single, OnePerAz';
    expect(checked.out).toContain(problem);
    expect(previewed).toBe(`Invalid stack configuration (1 problem):\n${problem}`);
  });
});

describe("config:sync on an invalid stack file", () => {
  it("prints the problems once, writes nothing and exits 1, without a stack trace", () => {
    // Prepare: a copy of the project's generated files beside an invalid prod stack file
    const folder = projectWith({ prod: stackFile("datalake:environment: prod", "datalake:natStrateg: OnePerAz") });
    for (const file of ["Pulumi.yaml", "README.md", "Pulumi.dev.yaml"]) copyFileSync(join(PROJECT_ROOT, file), join(folder, file));
    writeFileSync(join(folder, "README.md"), "stale");

    // Act
    const sync = spawnSync(process.execPath, ["--import", "tsx", join(PROJECT_ROOT, "scripts", "config-sync.ts"), "--root", folder], { cwd: PROJECT_ROOT, encoding: "utf8" });

    // Assess
    expect(sync.status).toBe(1);
    expect(sync.stderr).toBe(
      [
        "config:sync stopped, nothing was written:",
        "Pulumi.prod.yaml: 1 problem",
        "  - datalake:natStrateg: is not a known key; did you mean `natStrategy`?",
        "",
      ].join("\n"),
    );
    expect(readFileSync(join(folder, "README.md"), "utf8")).toBe("stale");
  });
});
