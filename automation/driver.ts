/**
 * The CI driver: preview for pull requests, deploy (refresh, up, outputs, smoke test) for main, and
 * dev → prod promotion gated on what the source stack recorded: its preview (before the approval),
 * its update (after it), and the target's verification (refresh, smoke test, recorded result). Stack
 * operations, the smoke test and approval come in as dependencies, so the order of calls and every
 * refusal are tested with fakes.
 */
import type { Progress } from "./progress";
import { promotionRefusals, type SourceState } from "./promotion";
import { formatPromotedFrom, formatSmokeRecord, TAGS, updateMessage } from "./records";
import type { OpenStack, PolicyCheck, StackOperations, StackOutputs } from "./stack-operations";
import { formatChanges, previewSummaryMarkdown } from "./summary";

/** A failure the CLI reports as its message and a non-zero exit. */
export class DriverError extends Error {
  override readonly name = "DriverError";
}

export interface DriverDependencies {
  readonly openStack: OpenStack;
  readonly progress: Progress;
  /** The commit being previewed, deployed or promoted (full SHA). */
  readonly commit: string;
  /** Runs the smoke test against a stack and its outputs; throws when it fails. */
  readonly smokeTest: (stack: StackOperations, outputs: StackOutputs) => Promise<void>;
  /** Asks a person to approve the update when no approval flag was given; absent in non-interactive CI. */
  readonly confirm?: (question: string) => Promise<boolean>;
  /**
   * Policy packs every preview and every promotion (its preview and its update) runs with; a
   * mandatory violation fails them. Deploys to the first stack run without: their preview ran on the
   * pull request.
   */
  readonly policy?: PolicyCheck;
  /** Where previews write their Markdown summary (the CI job summary); absent: nowhere. */
  readonly summary?: (markdown: string) => void;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Previews every stack in turn (all of them, even after one fails) and throws when any failed.
 *
 * @example await previewStacks(deps, ["dev", "prod"]);
 */
export async function previewStacks(deps: DriverDependencies, stackNames: readonly string[]): Promise<void> {
  const failed: string[] = [];
  for (const stackName of stackNames) {
    deps.progress.step(`${stackName}: preview at ${deps.commit}`);
    try {
      const stack = await deps.openStack(stackName);
      const result = await stack.preview(deps.progress, deps.policy);
      deps.progress.step(`${stackName}: preview done ${formatChanges(result.changes)}`);
      deps.summary?.(previewSummaryMarkdown({ stack: stackName, commit: deps.commit, ...result }));
    } catch (error) {
      failed.push(stackName);
      deps.progress.step(`${stackName}: preview FAILED: ${describe(error)}`);
    }
  }
  if (failed.length > 0) throw new DriverError(`preview failed for ${failed.join(", ")}`);
}

/**
 * Deploys the commit to a stack: invalidates its smoke record, refreshes, updates, records the
 * commit, reads the outputs and runs the smoke test, recording its result for promotion.
 *
 * @example await deployStack(deps, "dev");
 */
export async function deployStack(deps: DriverDependencies, stackName: string): Promise<void> {
  const { progress, commit } = deps;
  const stack = await deps.openStack(stackName);
  // Mark the smoke result pending first: if anything below fails, the stack cannot be promoted.
  await stack.setTag(TAGS.smoke, formatSmokeRecord({ status: "pending", commit }));
  progress.step(`${stackName}: refresh`);
  await run(stack, "refresh", () => stack.refresh(progress));
  progress.step(`${stackName}: up ${commit}`);
  await run(stack, "up", () => stack.up(progress, updateMessage("deploy", commit)));
  await stack.setTag(TAGS.commit, commit);
  await smokeTestAndRecord(deps, stack);
  progress.step(`${stackName}: deployed ${commit}, smoke test passed`);
}

/**
 * Verifies a stack after an update (a promotion's, typically): refuses unless it runs this commit,
 * marks its smoke result pending, refreshes, reads the outputs, runs the smoke test and records the
 * result on the stack (`datalake:smoke`), as deploy does for the first stack.
 *
 * @example await verifyStack(deps, "prod");
 */
export async function verifyStack(deps: DriverDependencies, stackName: string): Promise<void> {
  const { progress, commit } = deps;
  const stack = await deps.openStack(stackName);
  const deployed = await stack.getTag(TAGS.commit);
  if (deployed !== commit) {
    throw new DriverError(`${stackName}: runs commit ${deployed ?? "(not recorded)"}, not ${commit}: verify the commit that was deployed (--commit)`);
  }
  await stack.setTag(TAGS.smoke, formatSmokeRecord({ status: "pending", commit }));
  progress.step(`${stackName}: refresh`);
  await run(stack, "refresh", () => stack.refresh(progress));
  await smokeTestAndRecord(deps, stack);
  progress.step(`${stackName}: verified ${commit}, smoke test passed`);
}

/** Reads the outputs, runs the smoke test and records its result for the commit on the stack. */
async function smokeTestAndRecord(deps: DriverDependencies, stack: StackOperations): Promise<void> {
  const { progress, commit } = deps;
  const outputs = await stack.outputs();
  progress.step(`${stack.name}: smoke test`);
  try {
    await deps.smokeTest(stack, outputs);
  } catch (error) {
    await stack.setTag(TAGS.smoke, formatSmokeRecord({ status: "failed", commit }));
    throw new DriverError(`${stack.name}: smoke test failed: ${describe(error)}`);
  }
  await stack.setTag(TAGS.smoke, formatSmokeRecord({ status: "passed", commit }));
}

export interface PromotionRequest {
  readonly from: string;
  readonly to: string;
  /** Approval given up front (`--approve`), required when nobody can answer a prompt. */
  readonly approved: boolean;
  /** Stop after the target's preview (`--preview-only`): CI runs it before asking for approval. */
  readonly previewOnly?: boolean;
}

/**
 * Promotes the commit from one stack to another: refuses unless the source's last update succeeded
 * from this commit and its smoke test passed; previews the target (and writes the summary); updates
 * it once approved, its smoke record pending until `verifyStack` runs; and records the promoted commit
 * on the target. The target is not even opened when the source fails.
 *
 * @example await promoteStack(deps, { from: "dev", to: "prod", approved: true });
 */
export async function promoteStack(deps: DriverDependencies, request: PromotionRequest): Promise<void> {
  const { progress, commit } = deps;
  if (request.from === request.to) throw new DriverError(`cannot promote ${request.from} to itself`);
  const source = await deps.openStack(request.from);
  progress.step(`${request.from}: checking it may be promoted at ${commit}`);
  await assertPromotable(source, commit);

  const target = await deps.openStack(request.to);
  progress.step(`${request.to}: preview`);
  const preview = await run(target, "preview", () => target.preview(progress, deps.policy));
  progress.step(`${request.to}: preview done ${formatChanges(preview.changes)}`);
  deps.summary?.(previewSummaryMarkdown({ stack: request.to, commit, ...preview, promotedFrom: request.from }));
  if (request.previewOnly) {
    progress.step(`${request.to}: not updated (preview only); promote with approval to update it`);
    return;
  }

  const approved = request.approved || (deps.confirm ? await deps.confirm(`Update ${request.to} to ${commit}?`) : false);
  if (!approved) {
    throw new DriverError(`${request.to} not updated: the update was not approved (pass --approve in non-interactive CI)`);
  }
  // The source may have changed while the preview ran (another deploy): check again right before.
  await assertPromotable(source, commit);
  // Until `verify` passes on the target, its smoke record says this commit is unverified.
  await target.setTag(TAGS.smoke, formatSmokeRecord({ status: "pending", commit }));
  progress.step(`${request.to}: up ${commit} (from ${request.from})`);
  await run(target, "up", () => target.up(progress, updateMessage("promote", commit, { from: request.from, to: request.to }), deps.policy));
  await target.setTag(TAGS.commit, commit);
  await target.setTag(TAGS.promotedFrom, formatPromotedFrom(request.from, commit));
  progress.step(`${request.to}: promoted ${commit} from ${request.from}`);
}

async function assertPromotable(source: StackOperations, commit: string): Promise<void> {
  const state: SourceState = {
    stack: source.name,
    lastUpdate: await source.lastUpdate(),
    commitTag: await source.getTag(TAGS.commit),
    smokeTag: await source.getTag(TAGS.smoke),
  };
  const refusals = promotionRefusals(state, commit);
  if (refusals.length > 0) {
    throw new DriverError(`promotion refused:\n  - ${refusals.join("\n  - ")}`);
  }
}

async function run<T>(stack: StackOperations, operation: string, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    throw new DriverError(`${stack.name}: ${operation} failed: ${describe(error)}`);
  }
}
