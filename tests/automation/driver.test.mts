import { describe, expect, it } from "vitest";
import { DriverError, deployStack, previewStacks, promoteStack, verifyStack, type DriverDependencies } from "../../automation/driver.js";
import type { StackOperations, StackOutputs } from "../../automation/stack-operations.js";
import { fakeBackend, type FailingOperation, recordingProgress } from "./fake-stacks.js";

const COMMIT = "1111111111111111111111111111111111111111";
const OTHER_COMMIT = "2222222222222222222222222222222222222222";

interface Setup {
  readonly backend: ReturnType<typeof fakeBackend>;
  readonly smokeRuns: string[];
  deps(commit: string, overrides?: Partial<DriverDependencies>): DriverDependencies;
}

function setup(options: { smokeFails?: boolean; failing?: Record<string, FailingOperation[]> } = {}): Setup {
  const backend = fakeBackend();
  for (const [stackName, operations] of Object.entries(options.failing ?? {})) {
    operations.forEach((operation) => backend.stack(stackName).failing.add(operation));
  }
  const smokeRuns: string[] = [];
  const smokeTest = async (stack: StackOperations, outputs: StackOutputs): Promise<void> => {
    backend.journal.push(`${stack.name}: smoke test`);
    smokeRuns.push(`${stack.name} ${JSON.stringify(outputs)}`);
    if (options.smokeFails) throw new Error("no Parquet within the deadline");
  };
  return {
    backend,
    smokeRuns,
    deps: (commit, overrides = {}) => {
      // The program runs from the commit being shipped, as in a CI checkout.
      backend.stacks.forEach((stack) => (stack.headCommit = commit));
      return { openStack: backend.openStack, progress: recordingProgress(), commit, smokeTest, ...overrides };
    },
  };
}

/** Deploys dev at a commit (the usual first half of the pipeline) and clears the journal. */
async function deployedDev(world: Setup, commit: string): Promise<void> {
  world.backend.stack("dev").outputsValue = { lakeBucketName: "lake-dev" };
  world.backend.stack("prod");
  await deployStack(world.deps(commit), "dev").catch(() => undefined);
  world.backend.journal.length = 0;
}

const prodEntries = (journal: readonly string[]): string[] => journal.filter((entry) => entry.startsWith("prod:"));

describe("deploy", () => {
  it("invalidates the smoke record, refreshes, updates, records the commit, reads outputs, smoke-tests, records the pass — in that order", async () => {
    // Prepare
    const world = setup();
    world.backend.stack("dev").outputsValue = { lakeBucketName: "lake-dev" };
    // Act
    await deployStack(world.deps(COMMIT), "dev");
    // Assess
    expect(world.backend.journal).toEqual([
      "dev: open",
      `dev: setTag datalake:smoke=pending@${COMMIT}`,
      "dev: refresh",
      `dev: up "datalake deploy (${COMMIT})"`,
      `dev: setTag datalake:commit=${COMMIT}`,
      "dev: outputs",
      "dev: smoke test",
      `dev: setTag datalake:smoke=passed@${COMMIT}`,
    ]);
    expect(world.smokeRuns).toEqual(['dev {"lakeBucketName":"lake-dev"}']);
  });

  it("stops at a failed up: no commit recorded, no smoke test, the smoke record stays pending", async () => {
    const world = setup({ failing: { dev: ["up"] } });

    const deploying = deployStack(world.deps(COMMIT), "dev");

    await expect(deploying).rejects.toThrow(new DriverError("dev: up failed: up blew up"));
    const dev = world.backend.stack("dev");
    expect(dev.tags.get("datalake:commit")).toBeUndefined();
    expect(dev.tags.get("datalake:smoke")).toBe(`pending@${COMMIT}`);
    expect(world.smokeRuns).toEqual([]);
  });

  it("stops at a failed refresh before updating", async () => {
    const world = setup({ failing: { dev: ["refresh"] } });

    await expect(deployStack(world.deps(COMMIT), "dev")).rejects.toThrow("dev: refresh failed: refresh blew up");

    expect(world.backend.journal.some((entry) => entry.includes(" up "))).toBe(false);
  });

  it("records a failed smoke test for the commit and fails", async () => {
    const world = setup({ smokeFails: true });

    await expect(deployStack(world.deps(COMMIT), "dev")).rejects.toThrow("dev: smoke test failed: no Parquet within the deadline");

    expect(world.backend.stack("dev").tags.get("datalake:smoke")).toBe(`failed@${COMMIT}`);
  });
});

describe("promote", () => {
  it("checks the source, previews the target, updates it and records the promoted commit — in that order", async () => {
    const world = setup();
    await deployedDev(world, COMMIT);

    await promoteStack(world.deps(COMMIT), { from: "dev", to: "prod", approved: true });

    const sourceChecks = ["dev: lastUpdate", "dev: getTag datalake:commit", "dev: getTag datalake:smoke"];
    expect(world.backend.journal).toEqual([
      "dev: open",
      ...sourceChecks,
      "prod: open",
      "prod: preview",
      ...sourceChecks,
      `prod: setTag datalake:smoke=pending@${COMMIT}`,
      `prod: up "datalake promote dev -> prod (${COMMIT})"`,
      `prod: setTag datalake:commit=${COMMIT}`,
      `prod: setTag datalake:promoted-from=dev@${COMMIT}`,
    ]);
  });

  it("refuses when the source's last update failed, and never touches prod", async () => {
    const world = setup({ failing: { dev: ["up"] } });
    await deployedDev(world, COMMIT);

    const promoting = promoteStack(world.deps(COMMIT), { from: "dev", to: "prod", approved: true });

    await expect(promoting).rejects.toThrow(/promotion refused:[\s\S]*dev: the last update failed/);
    expect(prodEntries(world.backend.journal)).toEqual([]);
    expect(world.backend.stack("prod").lastUpdateValue).toBeUndefined();
  });

  it("refuses when the source runs another commit, and never touches prod", async () => {
    const world = setup();
    await deployedDev(world, OTHER_COMMIT);

    const promoting = promoteStack(world.deps(COMMIT), { from: "dev", to: "prod", approved: true });

    await expect(promoting).rejects.toThrow(`dev: deployed commit is ${OTHER_COMMIT}, not ${COMMIT}`);
    await expect(promoteStack(world.deps(COMMIT), { from: "dev", to: "prod", approved: true })).rejects.toThrow(
      `dev: the last update ran from commit ${OTHER_COMMIT}, not ${COMMIT}`,
    );
    expect(prodEntries(world.backend.journal)).toEqual([]);
  });

  it("refuses when the source failed its smoke test, and never touches prod", async () => {
    const world = setup({ smokeFails: true });
    await deployedDev(world, COMMIT);

    const promoting = promoteStack(world.deps(COMMIT), { from: "dev", to: "prod", approved: true });

    await expect(promoting).rejects.toThrow(`dev: the smoke test for commit ${COMMIT} failed`);
    expect(prodEntries(world.backend.journal)).toEqual([]);
  });

  it("refuses a source that was never deployed", async () => {
    const world = setup();

    await expect(promoteStack(world.deps(COMMIT), { from: "dev", to: "prod", approved: true })).rejects.toThrow("dev: the stack has never been updated");

    expect(prodEntries(world.backend.journal)).toEqual([]);
  });

  it("previews but does not update the target without approval when nobody can be asked", async () => {
    const world = setup();
    await deployedDev(world, COMMIT);

    const promoting = promoteStack(world.deps(COMMIT), { from: "dev", to: "prod", approved: false });

    await expect(promoting).rejects.toThrow("prod not updated: the update was not approved (pass --approve in non-interactive CI)");
    expect(prodEntries(world.backend.journal)).toEqual(["prod: open", "prod: preview"]);
  });

  it("asks for approval interactively and updates only on yes", async () => {
    const world = setup();
    await deployedDev(world, COMMIT);
    const questions: string[] = [];
    const answer = (yes: boolean) => async (question: string) => {
      questions.push(question);
      return yes;
    };

    await expect(promoteStack(world.deps(COMMIT, { confirm: answer(false) }), { from: "dev", to: "prod", approved: false })).rejects.toThrow("not approved");
    await promoteStack(world.deps(COMMIT, { confirm: answer(true) }), { from: "dev", to: "prod", approved: false });

    expect(questions).toEqual([`Update prod to ${COMMIT}?`, `Update prod to ${COMMIT}?`]);
    expect(prodEntries(world.backend.journal).filter((entry) => entry.startsWith("prod: up"))).toHaveLength(1);
  });

  it("does not update the target when its preview fails", async () => {
    const world = setup({ failing: { prod: ["preview"] } });
    await deployedDev(world, COMMIT);

    await expect(promoteStack(world.deps(COMMIT), { from: "dev", to: "prod", approved: true })).rejects.toThrow("prod: preview failed: preview blew up");

    expect(prodEntries(world.backend.journal)).toEqual(["prod: open", "prod: preview"]);
  });

  it("refuses when the source changes between the preview and the update (a failed deploy meanwhile)", async () => {
    const world = setup();
    await deployedDev(world, COMMIT);
    const dev = world.backend.stack("dev");
    const prod = world.backend.stack("prod");
    const previewProd = prod.preview.bind(prod);
    prod.preview = async (progress) => {
      dev.lastUpdateValue = { result: "failed", environment: {} };
      return previewProd(progress);
    };

    await expect(promoteStack(world.deps(COMMIT), { from: "dev", to: "prod", approved: true })).rejects.toThrow("dev: the last update failed");

    expect(prod.lastUpdateValue).toBeUndefined();
  });
});

describe("the pipeline: deploy dev, then promote to prod", () => {
  it("never updates prod when dev's deploy failed", async () => {
    for (const failure of [{ failing: { dev: ["up"] as FailingOperation[] } }, { failing: { dev: ["refresh"] as FailingOperation[] } }, { smokeFails: true }]) {
      const world = setup(failure);
      world.backend.stack("prod");

      await expect(deployStack(world.deps(COMMIT), "dev")).rejects.toThrow(DriverError);
      await expect(promoteStack(world.deps(COMMIT), { from: "dev", to: "prod", approved: true })).rejects.toThrow("promotion refused");

      expect(prodEntries(world.backend.journal)).toEqual([]);
    }
  });
});

describe("preview", () => {
  it("previews every stack, even after one fails, and then fails naming it", async () => {
    const world = setup({ failing: { dev: ["preview"] } });
    const progress = recordingProgress();

    await expect(previewStacks(world.deps(COMMIT, { progress }), ["dev", "prod"])).rejects.toThrow("preview failed for dev");

    expect(world.backend.journal).toEqual(["dev: open", "dev: preview", "prod: open", "prod: preview"]);
    expect(progress.steps).toContain("dev: preview FAILED: preview blew up");
    expect(progress.steps).toContain("prod: preview done (same 10, update 1)");
    expect(progress.streamed).toEqual(["dev previewing\n", "prod previewing\n"]);
  });
});

describe("the policy pack", () => {
  const policy = { policyPacks: ["/src/datalake/policy"] };

  it("runs with every preview", async () => {
    // Prepare
    const world = setup();
    // Act
    await previewStacks(world.deps(COMMIT, { policy }), ["dev", "prod"]);
    // Assess
    expect(world.backend.journal).toEqual(["dev: open", "dev: preview [policy: /src/datalake/policy]", "prod: open", "prod: preview [policy: /src/datalake/policy]"]);
  });

  it("runs with the promotion's preview and update, not with the deploy to dev", async () => {
    // Prepare
    const world = setup();
    world.backend.stack("dev").outputsValue = { lakeBucketName: "lake-dev" };
    await deployStack(world.deps(COMMIT, { policy }), "dev");
    // Act
    await promoteStack(world.deps(COMMIT, { policy }), { from: "dev", to: "prod", approved: true });
    // Assess
    expect(world.backend.journal).toContain(`dev: up "datalake deploy (${COMMIT})"`);
    expect(prodEntries(world.backend.journal).filter((entry) => /preview|up/.test(entry))).toEqual([
      "prod: preview [policy: /src/datalake/policy]",
      `prod: up "datalake promote dev -> prod (${COMMIT})" [policy: /src/datalake/policy]`,
    ]);
  });
});

describe("the promotion gate in CI: preview before the approval, verification after the update", () => {
  it("--preview-only checks the source, previews the target, writes its diff to the summary and changes nothing", async () => {
    // Prepare
    const world = setup();
    await deployedDev(world, COMMIT);
    const summaries: string[] = [];

    // Act
    await promoteStack(world.deps(COMMIT, { summary: (markdown) => summaries.push(markdown) }), { from: "dev", to: "prod", approved: false, previewOnly: true });

    // Assess
    expect(prodEntries(world.backend.journal)).toEqual(["prod: open", "prod: preview"]);
    expect(summaries).toEqual([`### Preview of prod at ${COMMIT}\n\nPromotion from dev: its checks passed. Changes: (same 10, update 1)\n\n\`\`\`diff\n~ aws:sqs/queue:Queue datalake-processing (prod)\n\`\`\`\n`]);
  });

  it("--preview-only still refuses a source that may not be promoted, before opening the target", async () => {
    const world = setup({ smokeFails: true });
    await deployedDev(world, COMMIT);

    await expect(promoteStack(world.deps(COMMIT), { from: "dev", to: "prod", approved: false, previewOnly: true })).rejects.toThrow("promotion refused");

    expect(prodEntries(world.backend.journal)).toEqual([]);
  });

  it("verify refreshes the target, smoke-tests it and records the pass for the commit it runs", async () => {
    // Prepare: prod updated by a promotion of COMMIT
    const world = setup();
    await deployedDev(world, COMMIT);
    world.backend.stack("prod").outputsValue = { lakeBucketName: "lake-prod" };
    await promoteStack(world.deps(COMMIT), { from: "dev", to: "prod", approved: true });
    world.backend.journal.length = 0;

    // Act
    await verifyStack(world.deps(COMMIT), "prod");

    // Assess
    expect(world.backend.journal).toEqual([
      "prod: open",
      "prod: getTag datalake:commit",
      `prod: setTag datalake:smoke=pending@${COMMIT}`,
      "prod: refresh",
      "prod: outputs",
      "prod: smoke test",
      `prod: setTag datalake:smoke=passed@${COMMIT}`,
    ]);
  });

  it("verify records a failed smoke test on the target and fails", async () => {
    const world = setup();
    world.backend.stack("prod").tags.set("datalake:commit", COMMIT);
    const failing = world.deps(COMMIT, { smokeTest: async () => Promise.reject(new Error("count was 0")) });

    await expect(verifyStack(failing, "prod")).rejects.toThrow("prod: smoke test failed: count was 0");

    expect(world.backend.stack("prod").tags.get("datalake:smoke")).toBe(`failed@${COMMIT}`);
  });

  it("verify refuses a stack that runs another commit, and records nothing", async () => {
    const world = setup();
    world.backend.stack("prod").tags.set("datalake:commit", OTHER_COMMIT);

    await expect(verifyStack(world.deps(COMMIT), "prod")).rejects.toThrow(`prod: runs commit ${OTHER_COMMIT}, not ${COMMIT}`);

    expect(world.backend.stack("prod").tags.get("datalake:smoke")).toBeUndefined();
  });

  it("a promotion leaves the target's smoke record pending until it is verified", async () => {
    const world = setup();
    await deployedDev(world, COMMIT);

    await promoteStack(world.deps(COMMIT), { from: "dev", to: "prod", approved: true });

    expect(world.backend.stack("prod").tags.get("datalake:smoke")).toBe(`pending@${COMMIT}`);
  });
});
