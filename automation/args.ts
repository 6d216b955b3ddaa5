/**
 * Typed command-line parsing for the CI driver: `<command> [options]` to a {@link Command}, with a
 * {@link UsageError} that says what was wrong and how to call it.
 */
import { parseArgs } from "node:util";
import { DEFAULT_MAX_OBJECTS_PER_RUN } from "./glue-backfill";

/** Wrong arguments: the CLI prints the message and the usage, and exits with {@link EXIT_USAGE}. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export const USAGE = `Usage: npm run ci -- <command> [options]

Commands:
  preview [--stack NAME]... [--summary FILE]
                                            preview stacks with their diff and the policy pack (default: every Pulumi.<stack>.yaml)
  deploy --stack NAME                       refresh, up, read outputs, smoke test; records commit and result
  promote --from NAME --to NAME [--approve | --preview-only] [--summary FILE]
                                            promote the source's commit after checking it; previews, then updates (policy pack on both);
                                            --preview-only stops after the preview (CI: before the approval)
  verify --stack NAME [--timeout SECONDS]   after an update: refresh, smoke test, record the result on the stack
  smoke --stack NAME [--timeout SECONDS]    land a sample, wait for its Parquet, count it with Athena, clean up
  redrive --stack NAME [--queue Q]          replay failed work: Q is dlq (back to the processing queue), ingest-failures
                                            (announce the stored S3 events again), curated-failures (rebuild their days),
                                            or all (default); each reports its counts, an empty queue returns at once
  replay --stack NAME SELECTION [--dry-run] [--batch-size N] [--engine lambda|glue]
                                            announce raw objects' current versions again through the ingest topic; SELECTION is
                                            --prefix raw/…, or --dataset D [--from YYYY-MM-DD --to YYYY-MM-DD] (LastModified, UTC),
                                            or --keys-file FILE (one key a line); --dry-run counts objects and bytes only;
                                            --engine glue converts the selection (--prefix or --dataset) in Glue job runs instead
  curate --stack NAME --from YYYY-MM-DD --to YYYY-MM-DD
                                            rebuild the curated days of a range, one after another
  check-config [--stack NAME... | --all]    validate Pulumi.<stack>.yaml files offline with preview's rules (default: --all)

Options for every command:
  --commit SHA      the commit being shipped (default: $GITHUB_SHA, else \`git rev-parse HEAD\`)
  --work-dir DIR    the Pulumi project folder (default: the repository root)
  --summary FILE    (preview, promote) append each preview's diff as Markdown, e.g. "$GITHUB_STEP_SUMMARY"
  --help            this text`;

interface CommonOptions {
  readonly commit?: string;
  readonly workDir?: string;
  /** A file previews append their Markdown summary to (preview and promote only). */
  readonly summaryFile?: string;
}

export type Command = CommonOptions &
  (
    | { readonly kind: "help" }
    | { readonly kind: "preview"; readonly stacks: readonly string[] }
    | { readonly kind: "deploy"; readonly stack: string }
    | { readonly kind: "promote"; readonly from: string; readonly to: string; readonly approve: boolean; readonly previewOnly: boolean }
    | { readonly kind: "verify"; readonly stack: string; readonly timeoutSeconds: number }
    | { readonly kind: "smoke"; readonly stack: string; readonly timeoutSeconds: number }
    | { readonly kind: "redrive"; readonly stack: string; readonly queues: readonly FailureQueue[] }
    | { readonly kind: "replay"; readonly stack: string; readonly selection: ReplayArguments; readonly dryRun: boolean; readonly batchSize: number; readonly engine: ReplayEngine }
    | { readonly kind: "curate"; readonly stack: string; readonly from: string; readonly to: string }
    /** `stacks` empty: every `Pulumi.<stack>.yaml` of the project. */
    | { readonly kind: "check-config"; readonly stacks: readonly string[] }
  );

/** The failure queues `redrive` empties. */
export const FAILURE_QUEUES = ["dlq", "ingest-failures", "curated-failures"] as const;
export type FailureQueue = (typeof FAILURE_QUEUES)[number];

/** What `replay` selects, as given (a keys file is read by the command). */
export type ReplayArguments =
  | { readonly kind: "prefix"; readonly prefix: string }
  | { readonly kind: "days"; readonly dataset: string; readonly from: string; readonly to: string }
  | { readonly kind: "keys-file"; readonly path: string };

export const DEFAULT_REPLAY_BATCH_SIZE = 100;
/** The days a `--dataset` replay selects when `--from`/`--to` are not given: every landing day. */
export const OPEN_FROM_DAY = "0000-01-01";
export const OPEN_TO_DAY = "9999-12-31";

/**
 * Who converts a replay: `lambda` announces each object to the processor (one invocation per object),
 * `glue` hands the whole selection to the Glue job (automation/glue-backfill.ts).
 */
export const REPLAY_ENGINES = ["lambda", "glue"] as const;
export type ReplayEngine = (typeof REPLAY_ENGINES)[number];
const DAY = /^\d{4}-\d{2}-\d{2}$/;

const COMMANDS = ["preview", "deploy", "promote", "verify", "smoke", "redrive", "replay", "curate", "check-config"] as const;
type CommandName = (typeof COMMANDS)[number];

/** Which options each command accepts (besides the common ones). */
const ALLOWED: Record<CommandName, readonly string[]> = {
  preview: ["stack", "summary"],
  deploy: ["stack"],
  promote: ["from", "to", "approve", "preview-only", "summary"],
  verify: ["stack", "timeout"],
  smoke: ["stack", "timeout"],
  redrive: ["stack", "queue"],
  replay: ["stack", "prefix", "dataset", "from", "to", "keys-file", "dry-run", "batch-size", "engine"],
  curate: ["stack", "from", "to"],
  "check-config": ["stack", "all"],
};

function day(value: string | undefined, option: string, command: string): string {
  if (value === undefined) throw new UsageError(`${command} needs --${option} YYYY-MM-DD`);
  if (!DAY.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`))) throw new UsageError(`--${option} "${value}" is not a day as YYYY-MM-DD`);
  return value;
}

/** The one selection `replay` was given. */
function replaySelection(values: { prefix?: string; dataset?: string; from?: string; to?: string; "keys-file"?: string }): ReplayArguments {
  const given = [values.prefix !== undefined, values.dataset !== undefined, values["keys-file"] !== undefined].filter(Boolean).length;
  if (given !== 1) throw new UsageError("replay needs exactly one of --prefix, --dataset or --keys-file");
  if (values.prefix !== undefined) return { kind: "prefix", prefix: values.prefix };
  if (values["keys-file"] !== undefined) return { kind: "keys-file", path: values["keys-file"] };
  const from = values.from === undefined ? OPEN_FROM_DAY : day(values.from, "from", "replay");
  const to = values.to === undefined ? OPEN_TO_DAY : day(values.to, "to", "replay");
  if (to < from) throw new UsageError(`--to ${to} is before --from ${from}`);
  return { kind: "days", dataset: values.dataset!, from, to };
}

function replayEngine(value: string | undefined): ReplayEngine {
  if (value === undefined) return "lambda";
  if (!(REPLAY_ENGINES as readonly string[]).includes(value)) throw new UsageError(`--engine "${value}" is not one of ${REPLAY_ENGINES.join(", ")}`);
  return value as ReplayEngine;
}

const STACK_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
export const DEFAULT_SMOKE_TIMEOUT_SECONDS = 600;

function stackName(value: string | undefined, option: string, command: string): string {
  if (value === undefined) throw new UsageError(`${command} needs --${option} NAME`);
  if (!STACK_NAME.test(value)) throw new UsageError(`--${option} "${value}" is not a stack name (letters, digits, ".", "_", "-")`);
  return value;
}

function smokeTimeout(value: string | undefined): number {
  const timeoutSeconds = value === undefined ? DEFAULT_SMOKE_TIMEOUT_SECONDS : Number(value);
  if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 1 || timeoutSeconds > 3600) {
    throw new UsageError(`--timeout "${value}" must be a whole number of seconds from 1 to 3600`);
  }
  return timeoutSeconds;
}

/**
 * Parses the arguments after the script name.
 *
 * @example parseCommand(["promote", "--from", "dev", "--to", "prod", "--approve"])
 * // { kind: "promote", from: "dev", to: "prod", approve: true }
 */
export function parseCommand(argv: readonly string[]): Command {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        stack: { type: "string", multiple: true },
        from: { type: "string" },
        to: { type: "string" },
        approve: { type: "boolean" },
        all: { type: "boolean" },
        "preview-only": { type: "boolean" },
        summary: { type: "string" },
        timeout: { type: "string" },
        queue: { type: "string" },
        prefix: { type: "string" },
        dataset: { type: "string" },
        "keys-file": { type: "string" },
        "dry-run": { type: "boolean" },
        "batch-size": { type: "string" },
        engine: { type: "string" },
        commit: { type: "string" },
        "work-dir": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: "help" };
  const [name, ...extra] = positionals;
  if (name === undefined) throw new UsageError(`no command given; expected one of ${COMMANDS.join(", ")}`);
  if (!(COMMANDS as readonly string[]).includes(name)) throw new UsageError(`unknown command "${name}"; expected one of ${COMMANDS.join(", ")}`);
  const command = name as CommandName;
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}" after ${command}`);
  const given = Object.keys(values).filter((key) => !["commit", "work-dir", "help"].includes(key));
  const refused = given.find((key) => !ALLOWED[command].includes(key));
  if (refused) throw new UsageError(`${command} does not take --${refused}`);

  const commit = values.commit;
  if (commit !== undefined && !/^[0-9a-f]{7,40}$/.test(commit)) throw new UsageError(`--commit "${commit}" is not a git commit SHA`);
  const common: CommonOptions = { commit, workDir: values["work-dir"], ...(values.summary !== undefined ? { summaryFile: values.summary } : {}) };
  const stacks = values.stack ?? [];
  if (command !== "preview" && command !== "check-config" && stacks.length > 1) throw new UsageError(`${command} takes one --stack, got ${stacks.length}`);

  switch (command) {
    case "preview":
      return { ...common, kind: "preview", stacks: stacks.map((stack) => stackName(stack, "stack", command)) };
    case "check-config":
      if (values.all && stacks.length > 0) throw new UsageError("check-config takes --stack NAME... or --all, not both");
      return { ...common, kind: "check-config", stacks: stacks.map((stack) => stackName(stack, "stack", command)) };
    case "deploy":
      return { ...common, kind: "deploy", stack: stackName(stacks[0], "stack", command) };
    case "redrive": {
      const queue = values.queue ?? "all";
      if (queue !== "all" && !(FAILURE_QUEUES as readonly string[]).includes(queue)) {
        throw new UsageError(`--queue "${queue}" is not one of ${[...FAILURE_QUEUES, "all"].join(", ")}`);
      }
      return { ...common, kind: "redrive", stack: stackName(stacks[0], "stack", command), queues: queue === "all" ? FAILURE_QUEUES : [queue as FailureQueue] };
    }
    case "replay": {
      const batchSize = values["batch-size"] === undefined ? DEFAULT_REPLAY_BATCH_SIZE : Number(values["batch-size"]);
      if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) throw new UsageError(`--batch-size "${values["batch-size"]}" must be a whole number from 1 to 10000`);
      const engine = replayEngine(values.engine);
      const selection = replaySelection(values);
      if (engine === "glue" && selection.kind === "keys-file") throw new UsageError("--engine glue converts a --prefix or a --dataset, not a --keys-file");
      if (engine === "glue" && values["batch-size"] !== undefined) throw new UsageError(`--batch-size is for --engine lambda; a Glue run takes up to ${DEFAULT_MAX_OBJECTS_PER_RUN} objects`);
      return { ...common, kind: "replay", stack: stackName(stacks[0], "stack", command), selection, dryRun: values["dry-run"] ?? false, batchSize, engine };
    }
    case "curate": {
      const from = day(values.from, "from", command);
      const to = day(values.to, "to", command);
      if (to < from) throw new UsageError(`--to ${to} is before --from ${from}`);
      return { ...common, kind: "curate", stack: stackName(stacks[0], "stack", command), from, to };
    }
    case "smoke":
    case "verify":
      return { ...common, kind: command, stack: stackName(stacks[0], "stack", command), timeoutSeconds: smokeTimeout(values.timeout) };
    case "promote": {
      const from = stackName(values.from, "from", command);
      const to = stackName(values.to, "to", command);
      if (from === to) throw new UsageError(`--from and --to are both "${from}"`);
      if (values.approve && values["preview-only"]) throw new UsageError("promote takes --approve or --preview-only, not both");
      return { ...common, kind: "promote", from, to, approve: values.approve ?? false, previewOnly: values["preview-only"] ?? false };
    }
  }
}
