/**
 * {@link StackOperations} over the Pulumi Automation API: `LocalWorkspace.createOrSelectStack` on this
 * project's folder (a local program, so packaging and the S3 notification behave exactly as with
 * `pulumi up` from a laptop). A failed refresh, preview or update throws the CLI's error lines only:
 * its output was already streamed, and the Automation API's own message would repeat all of it after
 * an exit code (`code: 255`) that says nothing.
 */
import { CommandError, LocalWorkspace, PulumiCommand, type Stack } from "@pulumi/pulumi/automation";
import type { Progress } from "./progress";
import type { LastUpdate } from "./promotion";
import type { OpenStack, PolicyCheck, PreviewResult, StackOperations, StackOutputs } from "./stack-operations";

/**
 * The Pulumi CLI at `<root>/bin/pulumi` (a pinned install, or a test's fake), without the minimum
 * version check.
 *
 * @example const pulumiCommand = await pulumiCommandAt("/opt/pulumi");
 */
export function pulumiCommandAt(root: string): Promise<PulumiCommand> {
  return PulumiCommand.get({ root, skipVersionCheck: true });
}

export interface PulumiStackOptions {
  /** The project folder (holds Pulumi.yaml). */
  readonly workDir: string;
  /** The CLI to run; default: `pulumi` on PATH. Tests pass a fake one (`PulumiCommand.get({ root })`). */
  readonly pulumiCommand?: PulumiCommand;
  /** History entries searched for the last update (refreshes and previews come between updates). */
  readonly historyDepth?: number;
}

/**
 * Opens stacks of the local project through the Automation API.
 *
 * @example const openStack = pulumiStackOpener({ workDir: process.cwd() }); const dev = await openStack("dev");
 */
export function pulumiStackOpener(options: PulumiStackOptions): OpenStack {
  return async (stackName) => {
    const stack = await LocalWorkspace.createOrSelectStack(
      { stackName, workDir: options.workDir },
      options.pulumiCommand ? { pulumiCommand: options.pulumiCommand } : undefined,
    ).catch((error: unknown) => {
      if (String(error).includes("ENOENT: pulumi version")) {
        throw new Error("the `pulumi` CLI is not on PATH: install it (https://www.pulumi.com/docs/install/; in GitHub Actions, pulumi/actions)");
      }
      throw error;
    });
    return new PulumiStackOperations(stack, options.historyDepth ?? 20);
  };
}

/**
 * The error a failed CLI operation should be reported with: the `error:` lines it wrote, once each,
 * without the output already streamed and without the exit code.
 *
 * @example
 * ```ts
 * conciseFailure("up", commandError); // Error("update failed: 1 error occurred: …")
 * ```
 */
export function conciseFailure(operation: string, error: unknown): Error {
  if (!(error instanceof CommandError)) return error instanceof Error ? error : new Error(String(error));
  // The message is `code: N\n stdout: …\n stderr: …\n err?: …`: the CLI's output, labelled; `err?`
  // is the process error ("Command failed with exit code 1"), which says nothing more.
  const lines: string[] = [];
  let section = "";
  for (const line of error.message.split("\n")) {
    const label = /^\s*(code|stdout|stderr|err\?):\s?/.exec(line);
    if (label) section = label[1]!;
    const text = (label ? line.slice(label[0].length) : line).trim();
    if ((section === "stdout" || section === "stderr") && /^error:/i.test(text)) lines.push(text.replace(/^error:\s*/i, ""));
  }
  const unique = [...new Set(lines)].filter((line) => line.length > 0);
  return new Error(unique.length > 0 ? unique.join("; ") : `pulumi ${operation} failed without an error line; its output is above`);
}

/** Runs a CLI operation, reporting its failure with {@link conciseFailure}. */
async function concisely<T>(operation: string, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    throw conciseFailure(operation, error);
  }
}

/** `--policy-pack` for each pack: the CLI fails the operation on any mandatory violation. */
function policyPackOptions(policy: PolicyCheck | undefined): { policyPacks?: string[] } {
  return policy && policy.policyPacks.length > 0 ? { policyPacks: [...policy.policyPacks] } : {};
}

class PulumiStackOperations implements StackOperations {
  constructor(
    private readonly stack: Stack,
    private readonly historyDepth: number,
  ) {}

  get name(): string {
    return this.stack.name;
  }

  async refresh(progress: Progress): Promise<void> {
    await concisely("refresh", () => this.stack.refresh({ onOutput: progress.stream }));
  }

  async preview(progress: Progress, policy?: PolicyCheck): Promise<PreviewResult> {
    const result = await concisely("preview", () => this.stack.preview({ diff: true, onOutput: progress.stream, ...policyPackOptions(policy) }));
    const changes: Record<string, number> = {};
    for (const [operation, count] of Object.entries(result.changeSummary)) {
      if (typeof count === "number") changes[operation] = count;
    }
    return { changes, diff: result.stdout };
  }

  async up(progress: Progress, message: string, policy?: PolicyCheck): Promise<void> {
    await concisely("up", () => this.stack.up({ message, diff: true, onOutput: progress.stream, ...policyPackOptions(policy) }));
  }

  async outputs(): Promise<StackOutputs> {
    const outputs = await this.stack.outputs();
    return Object.fromEntries(Object.entries(outputs).map(([key, output]) => [key, output.value as unknown]));
  }

  async lastUpdate(): Promise<LastUpdate | undefined> {
    const history = await this.stack.history(this.historyDepth);
    // Newest first; refreshes do not count as the stack's update.
    const update = history.find((entry) => entry.kind === "update");
    return update ? { result: update.result, environment: update.environment ?? {} } : undefined;
  }

  async awsRegion(): Promise<string | undefined> {
    const config = await this.stack.getAllConfig();
    return config["aws:region"]?.value;
  }

  async getTag(key: string): Promise<string | undefined> {
    // `stack tag get` fails for a missing key; the listing answers both cases in one call.
    const tags = await this.stack.listTags();
    return tags[key];
  }

  async setTag(key: string, value: string): Promise<void> {
    await this.stack.setTag(key, value);
  }
}
