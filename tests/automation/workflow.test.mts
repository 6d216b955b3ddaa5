/**
 * The GitHub Actions pipeline, parsed: which jobs run when, in which order, with which role, and the
 * driver commands each runs (parsed exactly as the CLI parses them).
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parseCommand, type Command } from "../../automation/args.js";
import { projectStacks } from "../../automation/cli.js";

interface Step {
  readonly name?: string;
  readonly run?: string;
  readonly uses?: string;
  readonly with?: Readonly<Record<string, string>>;
}
interface Job {
  readonly if?: string;
  readonly needs?: string | string[];
  readonly environment?: string;
  readonly "timeout-minutes"?: number;
  readonly strategy?: { readonly matrix?: { readonly include?: readonly Readonly<Record<string, string>>[] } };
  readonly steps: Step[];
}
interface Workflow {
  readonly on: { readonly push?: { readonly branches?: string[] }; readonly pull_request?: unknown };
  readonly concurrency: { readonly group: string; readonly "cancel-in-progress": string | boolean };
  readonly env: Readonly<Record<string, string>>;
  readonly jobs: Record<string, Job>;
}

const ROOT = resolve(import.meta.dirname, "../..");
const workflow = parse(readFileSync(resolve(ROOT, ".github/workflows/pipeline.yml"), "utf8")) as Workflow;
const SHA = "0123456789abcdef0123456789abcdef01234567";
/** The role secret of each stack: one AWS role per stack, each in its own account. */
const ROLE_SECRETS: Readonly<Record<string, string>> = { dev: "AWS_ROLE_ARN_DEV", prod: "AWS_ROLE_ARN_PROD" };
/** The first major of each action that runs on Node.js 24 (Node 20 is deprecated on the runners). */
const NODE24_MAJORS: Readonly<Record<string, number>> = {
  "actions/checkout": 5,
  "actions/setup-node": 5,
  "actions/setup-python": 6,
  "aws-actions/configure-aws-credentials": 6,
  "pulumi/actions": 7,
};

const needs = (job: Job): string[] => (job.needs === undefined ? [] : Array.isArray(job.needs) ? job.needs : [job.needs]);
const runs = (job: Job): string[] => job.steps.map((step) => step.run ?? "");

/** Each matrix entry of a job (one empty entry without a matrix). */
const matrixEntries = (job: Job): readonly Readonly<Record<string, string>>[] => job.strategy?.matrix?.include ?? [{}];

/** The driver commands a job runs, for each matrix entry, with expressions replaced as the runner would. */
function driverCommands(job: Job, entry: Readonly<Record<string, string>> = matrixEntries(job)[0]!): Command[] {
  return runs(job)
    .flatMap((run) => run.split("\n"))
    .filter((line) => line.trim().startsWith("npm run ci --"))
    .map((line) => line.replace(/\$\{\{\s*matrix\.(\w+)\s*\}\}/g, (_, key: string) => entry[key]!))
    .map((line) => line.replace(/"\$\{\{[^}]+\}\}"/g, SHA).replace(/"\$GITHUB_STEP_SUMMARY"/g, "/summary.md"))
    .map((line) => parseCommand(line.trim().slice("npm run ci --".length).trim().split(/\s+/)));
}

/** The stacks a command touches. */
function stacksOf(command: Command): string[] {
  switch (command.kind) {
    case "promote":
      return [command.to];
    case "preview":
    case "check-config":
      return [...command.stacks];
    case "help":
      return [];
    default:
      return [command.stack];
  }
}

/** The role secret a job (matrix entry) assumes. */
function roleSecret(job: Job, entry: Readonly<Record<string, string>>): string | undefined {
  const step = job.steps.find((candidate) => candidate.uses?.startsWith("aws-actions/configure-aws-credentials@"));
  const expression = step?.with?.["role-to-assume"];
  if (!expression) return undefined;
  const dynamic = /secrets\[matrix\.(\w+)\]/.exec(expression);
  return dynamic ? entry[dynamic[1]!] : /secrets\.(\w+)/.exec(expression)?.[1];
}

describe("the GitHub Actions pipeline", () => {
  it("runs the tests through .ci/run, with the emulator installed, on every push to main and every pull request", () => {
    const test = workflow.jobs.test!;
    expect(test.if).toBeUndefined();
    const install = runs(test).findIndex((run) => run.includes('pip install "moto[server]'));
    expect(install).toBeGreaterThanOrEqual(0);
    expect(runs(test).indexOf(".ci/run")).toBeGreaterThan(install);
    expect(readFileSync(resolve(ROOT, ".ci/run"), "utf8")).toMatch(/npm test/);
  });

  it("runs once per pull-request commit: pushes only on main, and a newer commit cancels the older run of its pull request only", () => {
    expect(workflow.on.push?.branches).toEqual(["main"]);
    expect(workflow.on.pull_request).toBeDefined();
    expect(workflow.concurrency.group).toContain("github.event.pull_request.number");
    expect(workflow.concurrency.group).toContain("github.run_id");
    expect(workflow.concurrency["cancel-in-progress"]).toBe("${{ github.event_name == 'pull_request' }}");
  });

  it.each(Object.keys(workflow.jobs))("job %s has a timeout", (name) => {
    expect(workflow.jobs[name]!["timeout-minutes"]).toBeGreaterThan(0);
  });

  it("runs Node.js 22 or newer, with action versions that run on Node.js 24", () => {
    expect(Number(workflow.env.NODE_VERSION)).toBeGreaterThanOrEqual(22);
    for (const [name, job] of Object.entries(workflow.jobs)) {
      for (const step of job.steps.filter((candidate) => candidate.uses)) {
        const [action, version] = step.uses!.split("@");
        expect(NODE24_MAJORS[action!], `${name}: ${step.uses} is not a known action`).toBeDefined();
        expect(Number(/^v(\d+)/.exec(version!)?.[1]), `${name}: ${step.uses}`).toBeGreaterThanOrEqual(NODE24_MAJORS[action!]!);
        if (action === "actions/setup-node") expect(step.with?.["node-version"]).toBe("${{ env.NODE_VERSION }}");
      }
    }
  });

  it("previews every stack on pull requests, after the tests, each with its own role and its diff in the job summary", () => {
    const preview = workflow.jobs.preview!;
    expect(preview.if).toContain("github.event_name == 'pull_request'");
    expect(needs(preview)).toEqual(["test"]);
    expect(matrixEntries(preview).map((entry) => entry.stack).sort()).toEqual(projectStacks(ROOT));
    for (const entry of matrixEntries(preview)) {
      expect(driverCommands(preview, entry)).toEqual([expect.objectContaining({ kind: "preview", stacks: [entry.stack], summaryFile: "/summary.md" })]);
    }
  });

  it("deploys dev on main, after the tests", () => {
    expect(workflow.jobs["deploy-dev"]!.if).toContain("github.ref == 'refs/heads/main'");
    expect(needs(workflow.jobs["deploy-dev"]!)).toEqual(["test"]);
    expect(driverCommands(workflow.jobs["deploy-dev"]!)).toEqual([expect.objectContaining({ kind: "deploy", stack: "dev" })]);
  });

  it("assumes, in every job, the role of the stack it operates on", () => {
    for (const [name, job] of Object.entries(workflow.jobs)) {
      for (const entry of matrixEntries(job)) {
        const stacks = [...new Set(driverCommands(job, entry).filter((command) => command.kind !== "check-config").flatMap(stacksOf))];
        if (stacks.length === 0) continue;
        expect(stacks, name).toHaveLength(1);
        expect(roleSecret(job, entry), `${name} ${JSON.stringify(entry)}`).toBe(ROLE_SECRETS[stacks[0]!]);
      }
    }
  });

  it("previews prod in a job before the approval, and puts its diff in the job summary for the reviewers", () => {
    const previewProd = workflow.jobs["preview-prod"]!;
    const promote = workflow.jobs["promote-prod"]!;

    expect(previewProd.environment).toBeUndefined();
    expect(needs(previewProd)).toEqual(["deploy-dev"]);
    expect(driverCommands(previewProd)).toEqual([expect.objectContaining({ kind: "promote", from: "dev", to: "prod", previewOnly: true, approve: false, summaryFile: "/summary.md" })]);
    expect(promote.environment).toBe("production");
    expect(needs(promote)).toEqual(["preview-prod"]);
  });

  it("updates prod only behind the approval of the production environment, then refreshes and smoke-tests it and records the result", () => {
    const promote = workflow.jobs["promote-prod"]!;

    expect(driverCommands(promote)).toEqual([
      expect.objectContaining({ kind: "promote", from: "dev", to: "prod", approve: true, previewOnly: false }),
      expect.objectContaining({ kind: "verify", stack: "prod" }),
    ]);
    const updatesProd = Object.entries(workflow.jobs).filter(([, job]) => driverCommands(job).some((command) => command.kind === "promote" && command.approve));
    expect(updatesProd.map(([name]) => name)).toEqual(["promote-prod"]);
  });

  it("installs the policy pack's dependencies before every preview and promotion, which run with it", () => {
    for (const job of [workflow.jobs.preview!, workflow.jobs["preview-prod"]!, workflow.jobs["promote-prod"]!]) {
      const install = runs(job).indexOf("npm ci --prefix policy");
      const driver = runs(job).findIndex((run) => run.startsWith("npm run ci --"));
      expect(install).toBeGreaterThan(runs(job).indexOf("npm ci"));
      expect(install).toBeLessThan(driver);
    }
  });
});
