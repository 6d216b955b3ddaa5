import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parseCommand, type Command } from "../../automation/args.js";

interface Step {
  readonly run?: string;
  readonly uses?: string;
}
interface Job {
  readonly if?: string;
  readonly needs?: string | string[];
  readonly environment?: string;
  readonly steps: Step[];
}

const workflow = parse(readFileSync(resolve(import.meta.dirname, "../../.github/workflows/pipeline.yml"), "utf8")) as { jobs: Record<string, Job> };

/** The driver commands a job runs, parsed exactly as the CLI parses them (expressions replaced by a SHA). */
function driverCommands(job: Job): Command[] {
  return job.steps
    .flatMap((step) => (step.run ?? "").split("\n"))
    .filter((line) => line.trim().startsWith("npm run ci --"))
    .map((line) => line.replace(/"\$\{\{[^}]+\}\}"/g, "0123456789abcdef0123456789abcdef01234567"))
    .map((line) => parseCommand(line.trim().slice("npm run ci --".length).trim().split(/\s+/)));
}

describe("the GitHub Actions pipeline", () => {
  it("runs the tests with the emulator installed on every push and pull request", () => {
    const runs = workflow.jobs.test.steps.map((step) => step.run ?? "");
    expect(workflow.jobs.test.if).toBeUndefined();
    expect(runs).toContain("npm ci");
    expect(runs).toContain("npm test");
    expect(runs.some((run) => run.includes('pip install "moto[server]'))).toBe(true);
  });

  it("previews every stack on pull requests, after the tests", () => {
    expect(workflow.jobs.preview.if).toContain("github.event_name == 'pull_request'");
    expect(workflow.jobs.preview.needs).toBe("test");
    expect(driverCommands(workflow.jobs.preview)).toEqual([expect.objectContaining({ kind: "preview", stacks: [] })]);
  });

  it("deploys dev on main, after the tests", () => {
    expect(workflow.jobs["deploy-dev"].if).toContain("github.ref == 'refs/heads/main'");
    expect(workflow.jobs["deploy-dev"].needs).toBe("test");
    expect(driverCommands(workflow.jobs["deploy-dev"])).toEqual([expect.objectContaining({ kind: "deploy", stack: "dev" })]);
  });

  it("installs the policy pack's dependencies before the preview and the promotion, which run with it", () => {
    for (const job of [workflow.jobs.preview, workflow.jobs["promote-prod"]]) {
      const runs = job.steps.map((step) => step.run ?? "");
      const install = runs.indexOf("npm ci --prefix policy");
      const driver = runs.findIndex((run) => run.startsWith("npm run ci --"));
      expect(install).toBeGreaterThan(runs.indexOf("npm ci"));
      expect(install).toBeLessThan(driver);
    }
  });

  it("promotes dev to prod only after deploy-dev, behind the approval of the production environment", () => {
    const promote = workflow.jobs["promote-prod"];
    expect(promote.needs).toBe("deploy-dev");
    expect(promote.environment).toBe("production");
    expect(driverCommands(promote)).toEqual([expect.objectContaining({ kind: "promote", from: "dev", to: "prod", approve: true })]);
  });
});
