/**
 * The stack operations the CI driver needs, as an interface: the driver's logic is tested against
 * fakes, and `pulumi-stack.ts` implements it with the Automation API over this project.
 */
import type { Progress } from "./progress";
import type { LastUpdate } from "./promotion";

/** Stack outputs as plain values (secrets unwrapped). */
export type StackOutputs = Readonly<Record<string, unknown>>;

export interface PreviewResult {
  /** Resource operation counts, e.g. { same: 40, update: 1 }. */
  readonly changes: Readonly<Record<string, number>>;
  /** The preview's output, with the diff of every change (for the CI job summary). */
  readonly diff: string;
}

/**
 * Policy packs to run with a preview or an update (`--policy-pack`): a mandatory violation fails the
 * operation, so the CI job fails.
 */
export interface PolicyCheck {
  /** Absolute paths of policy pack folders (each holds a PulumiPolicy.yaml). */
  readonly policyPacks: readonly string[];
}

export interface StackOperations {
  readonly name: string;
  refresh(progress: Progress): Promise<void>;
  /** A preview with the diff streamed to progress, checked by `policy`'s packs when given. */
  preview(progress: Progress, policy?: PolicyCheck): Promise<PreviewResult>;
  /** `pulumi up` without a second preview; `message` is recorded in the stack history; checked by `policy`'s packs when given. */
  up(progress: Progress, message: string, policy?: PolicyCheck): Promise<void>;
  outputs(): Promise<StackOutputs>;
  /** The most recent update of kind `update`, or undefined when the stack never had one. */
  lastUpdate(): Promise<LastUpdate | undefined>;
  /** The stack's `aws:region` config, where its AWS clients must point. */
  awsRegion(): Promise<string | undefined>;
  getTag(key: string): Promise<string | undefined>;
  setTag(key: string, value: string): Promise<void>;
}

/** Opens (creating when missing) a stack of the project. */
export type OpenStack = (stackName: string) => Promise<StackOperations>;
