/**
 * In-memory {@link StackOperations} for driver tests: every call goes into one journal shared by
 * all stacks (so the order across dev and prod is visible), tags and the last update behave as a
 * backend would keep them, and any operation can be made to fail.
 */
import type { LastUpdate } from "../../automation/promotion";
import type { Progress } from "../../automation/progress";
import type { OpenStack, PolicyCheck, PreviewResult, StackOperations, StackOutputs } from "../../automation/stack-operations";

/** How a journal entry shows the policy packs an operation ran with (nothing when none). */
function withPolicy(entry: string, policy: PolicyCheck | undefined): string {
  return policy ? `${entry} [policy: ${policy.policyPacks.join(", ")}]` : entry;
}

export type FailingOperation = "refresh" | "preview" | "up";

export class FakeStack implements StackOperations {
  readonly tags = new Map<string, string>();
  readonly failing = new Set<FailingOperation>();
  lastUpdateValue: LastUpdate | undefined;
  outputsValue: StackOutputs = {};
  /** The commit the "program" runs from, as the CLI would record it in the update's environment. */
  headCommit = "";

  constructor(
    readonly name: string,
    private readonly journal: string[],
  ) {}

  private record(entry: string): void {
    this.journal.push(`${this.name}: ${entry}`);
  }

  async refresh(progress: Progress): Promise<void> {
    this.record("refresh");
    progress.stream(`${this.name} refreshing\n`);
    if (this.failing.has("refresh")) throw new Error("refresh blew up");
  }

  async preview(progress: Progress, policy?: PolicyCheck): Promise<PreviewResult> {
    this.record(withPolicy("preview", policy));
    progress.stream(`${this.name} previewing\n`);
    if (this.failing.has("preview")) throw new Error("preview blew up");
    return { changes: { same: 10, update: 1 }, diff: `~ aws:sqs/queue:Queue datalake-processing (${this.name})\n` };
  }

  async up(progress: Progress, message: string, policy?: PolicyCheck): Promise<void> {
    this.record(withPolicy(`up "${message}"`, policy));
    progress.stream(`${this.name} updating\n`);
    const failed = this.failing.has("up");
    this.lastUpdateValue = { result: failed ? "failed" : "succeeded", environment: this.headCommit ? { "git.head": this.headCommit } : {} };
    if (failed) throw new Error("up blew up");
  }

  async outputs(): Promise<StackOutputs> {
    this.record("outputs");
    return this.outputsValue;
  }

  async lastUpdate(): Promise<LastUpdate | undefined> {
    this.record("lastUpdate");
    return this.lastUpdateValue;
  }

  async awsRegion(): Promise<string | undefined> {
    return "eu-west-1";
  }

  async getTag(key: string): Promise<string | undefined> {
    this.record(`getTag ${key}`);
    return this.tags.get(key);
  }

  async setTag(key: string, value: string): Promise<void> {
    this.record(`setTag ${key}=${value}`);
    this.tags.set(key, value);
  }
}

/** Stacks by name, created on first open like `createOrSelectStack`; each open is journaled. */
export function fakeBackend(): { journal: string[]; stacks: Map<string, FakeStack>; openStack: OpenStack; stack(name: string): FakeStack } {
  const journal: string[] = [];
  const stacks = new Map<string, FakeStack>();
  const stack = (name: string): FakeStack => {
    let existing = stacks.get(name);
    if (!existing) {
      existing = new FakeStack(name, journal);
      stacks.set(name, existing);
    }
    return existing;
  };
  const openStack: OpenStack = async (name) => {
    journal.push(`${name}: open`);
    return stack(name);
  };
  return { journal, stacks, openStack, stack };
}

/** Progress that keeps every line, for tests. */
export function recordingProgress(): Progress & { readonly steps: string[]; readonly streamed: string[] } {
  const steps: string[] = [];
  const streamed: string[] = [];
  return { steps, streamed, step: (message) => void steps.push(message), stream: (chunk) => void streamed.push(chunk) };
}
