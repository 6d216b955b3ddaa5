/**
 * The CI entry point: `npm run ci -- <command> [options]` (see {@link USAGE}). Wires the driver to the
 * Automation API, AWS SDK clients for the stack's region, and progress on stdout. Exit codes: 0 done,
 * 1 failed or refused, 2 wrong arguments.
 */
import { execFileSync } from "node:child_process";
import { appendFileSync, existsSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline/promises";
import { AthenaClient } from "@aws-sdk/client-athena";
import { GlueClient } from "@aws-sdk/client-glue";
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { S3Client } from "@aws-sdk/client-s3";
import { SNSClient } from "@aws-sdk/client-sns";
import { SQSClient } from "@aws-sdk/client-sqs";
import { readFileSync } from "node:fs";
import { DEFAULT_SMOKE_TIMEOUT_SECONDS, OPEN_FROM_DAY, OPEN_TO_DAY, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, parseCommand, USAGE, UsageError, type Command } from "./args";
import { deployStack, previewStacks, promoteStack, verifyStack, type DriverDependencies } from "./driver";
import { stringOutput } from "./outputs";
import { streamProgress, type Progress } from "./progress";
import { pulumiStackOpener } from "./pulumi-stack";
import { redriveDeadLetters } from "./redrive";
import { runReplay, type ReplaySelection } from "./replay";
import { curateDays, redriveCuratedFailures, redriveIngestFailures, type CuratedJobInvoker, type DrainOptions } from "./failure-queues";
import type { FailureQueue, ReplayArguments } from "./args";
import { parseBackfillRequest, planBackfill, startGlueBackfill } from "./glue-backfill";
import { newRunId, runSmokeTest, smokeTargets } from "./smoke";
import type { OpenStack, PolicyCheck, StackOperations, StackOutputs } from "./stack-operations";
import { checkStackConfig, formatStackConfigReport } from "../config/check";
import { datasetPrefix } from "../storage/zones";

/** AWS SDK clients for one region (endpoint and credentials from the environment, as the SDK reads them). */
export interface AwsClients {
  readonly s3: S3Client;
  readonly athena: AthenaClient;
  readonly sqs: SQSClient;
  readonly sns: SNSClient;
  /** Starts the heavy path's job runs (`replay --engine glue`). */
  readonly glue: Pick<GlueClient, "send">;
  /** Runs the curated job for a day (Lambda `Invoke`, or a local sandbox in tests). */
  readonly invokeCuratedJob: (functionName: string) => CuratedJobInvoker;
}

export interface CliEnvironment {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly out: { write(chunk: string): unknown };
  readonly err: { write(chunk: string): unknown };
  /** Stacks of the project; default: the Automation API over `workDir`. */
  readonly openStack?: (workDir: string) => OpenStack;
  /** Default: SDK clients for the region. */
  readonly awsClients?: (region: string | undefined) => AwsClients;
  /** Interactive approval; default: a prompt when stdin is a terminal, none otherwise. */
  readonly confirm?: (question: string) => Promise<boolean>;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
  /** Long-poll wait of each receive while redriving (the failure queues, the DLQ fallback); default {@link DEFAULT_REDRIVE_WAIT_TIME_SECONDS}. */
  readonly redriveWaitTimeSeconds?: number;
}

/** Long-poll wait of each redrive receive when the environment sets none. */
export const DEFAULT_REDRIVE_WAIT_TIME_SECONDS = 5;

const PROJECT_ROOT = resolve(__dirname, "..");

/**
 * The stacks of the project: one `Pulumi.<stack>.yaml` each.
 *
 * @example projectStacks(".") // ["dev", "prod"]
 */
export function projectStacks(workDir: string): string[] {
  return readdirSync(workDir)
    .map((file) => /^Pulumi\.([^.]+)\.ya?ml$/.exec(file)?.[1])
    .filter((stack): stack is string => stack !== undefined)
    .sort();
}

function resolveCommit(command: Command, env: CliEnvironment["env"], workDir: string): string {
  if (command.commit) return command.commit;
  if (env.GITHUB_SHA) return env.GITHUB_SHA;
  try {
    return execFileSync("git", ["rev-parse", "HEAD"], { cwd: workDir, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    throw new UsageError("cannot tell the commit: pass --commit SHA, set GITHUB_SHA, or run inside the git checkout");
  }
}

/** The project's policy pack folder, which previews and promotions run with (`--policy-pack`). */
export const POLICY_PACK_DIR = "policy";

/**
 * The policy check of a project: its `policy/` pack. A project without one cannot be previewed or
 * promoted: the pack is what keeps those steps safe, so its absence is an error, not a skip.
 *
 * @example policyCheck("/src/datalake") // { policyPacks: ["/src/datalake/policy"] }
 */
export function policyCheck(workDir: string): PolicyCheck {
  const pack = join(workDir, POLICY_PACK_DIR);
  if (!existsSync(join(pack, "PulumiPolicy.yaml"))) {
    throw new Error(`no policy pack at ${pack} (PulumiPolicy.yaml): previews and promotions run with it`);
  }
  return { policyPacks: [pack] };
}

function defaultAwsClients(region: string | undefined): AwsClients {
  const config = region ? { region } : {};
  const lambda = new LambdaClient(config);
  return {
    s3: new S3Client(config),
    athena: new AthenaClient(config),
    sqs: new SQSClient(config),
    sns: new SNSClient(config),
    glue: new GlueClient(config),
    invokeCuratedJob: (functionName) => async (day) => {
      const response = await lambda.send(new InvokeCommand({ FunctionName: functionName, InvocationType: "RequestResponse", Payload: Buffer.from(JSON.stringify({ day })) }));
      if (response.FunctionError) throw new Error(`the curated job failed for ${day}: ${Buffer.from(response.Payload ?? []).toString()}`);
    },
  };
}

/** The replay selection, with a keys file read (one key a line; blank lines and `#` comments skipped). */
function replaySelection(selection: ReplayArguments): ReplaySelection {
  if (selection.kind !== "keys-file") return selection;
  const keys = readFileSync(selection.path, "utf8").split("\n").map((line) => line.trim()).filter((line) => line !== "" && !line.startsWith("#"));
  return { kind: "keys", keys };
}

async function terminalConfirm(question: string): Promise<boolean> {
  const prompt = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return /^y(es)?$/i.test((await prompt.question(`${question} [y/N] `)).trim());
  } finally {
    prompt.close();
  }
}

const sleepFor = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

/** Appends Markdown to a file, a blank line between entries (the job summary file takes several). */
const appendTo = (file: string) => (markdown: string) => appendFileSync(file, `${markdown}\n`);

/**
 * Runs one CLI invocation and returns its exit code; never throws.
 *
 * @example process.exitCode = await runCli(process.argv.slice(2), { env: process.env, out: process.stdout, err: process.stderr });
 */
export async function runCli(argv: readonly string[], environment: CliEnvironment): Promise<number> {
  const { out, err } = environment;
  let command: Command;
  try {
    command = parseCommand(argv);
  } catch (error) {
    err.write(`error: ${(error as Error).message}\n\n${USAGE}\n`);
    return EXIT_USAGE;
  }
  if (command.kind === "help") {
    out.write(`${USAGE}\n`);
    return EXIT_OK;
  }
  const progress = streamProgress(out, environment.now);
  try {
    await execute(command, environment, progress);
    return EXIT_OK;
  } catch (error) {
    if (error instanceof UsageError) {
      err.write(`error: ${error.message}\n`);
      return EXIT_USAGE;
    }
    err.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT_FAILURE;
  }
}

/**
 * Checks the named stacks' files (every `Pulumi.<stack>.yaml` when none is named) with preview's
 * rules, prints each report, and throws when any has a problem. Needs neither Pulumi nor AWS.
 *
 * @example checkConfig("/src/datalake", [], process.stdout); // "Pulumi.dev.yaml: ok" …
 */
export function checkConfig(workDir: string, stacks: readonly string[], out: CliEnvironment["out"]): void {
  const names = stacks.length > 0 ? stacks : projectStacks(workDir);
  if (names.length === 0) throw new UsageError(`no Pulumi.<stack>.yaml in ${workDir}: pass --stack NAME`);
  const reports = names.map((stack) => checkStackConfig(workDir, stack));
  for (const report of reports) out.write(`${formatStackConfigReport(report)}\n`);
  const invalid = reports.filter((report) => report.problems.length > 0).map((report) => report.stack);
  if (invalid.length > 0) throw new Error(`invalid configuration in ${invalid.join(", ")}`);
}

async function execute(command: Exclude<Command, { kind: "help" }>, environment: CliEnvironment, progress: Progress): Promise<void> {
  const workDir = resolve(command.workDir ?? PROJECT_ROOT);
  if (command.kind === "check-config") return checkConfig(workDir, command.stacks, environment.out);
  const openStack = (environment.openStack ?? ((dir: string) => pulumiStackOpener({ workDir: dir })))(workDir);
  const awsClients = environment.awsClients ?? defaultAwsClients;
  const sleep = environment.sleep ?? sleepFor;
  const now = environment.now ?? Date.now;
  const redriveWaitTimeSeconds = environment.redriveWaitTimeSeconds ?? DEFAULT_REDRIVE_WAIT_TIME_SECONDS;

  const smoke = async (stack: StackOperations, outputs: StackOutputs, timeoutSeconds: number): Promise<void> => {
    const clients = awsClients(await stack.awsRegion());
    const instant = new Date(now());
    const report = await runSmokeTest({
      s3: clients.s3,
      athena: clients.athena,
      targets: smokeTargets(outputs, stack.name),
      runId: newRunId(instant),
      instant,
      eventCount: 3,
      processedDeadlineMs: timeoutSeconds * 1000,
      queryDeadlineMs: 120_000,
      pollIntervalMs: 5_000,
      sleep,
      now,
      progress,
    });
    progress.step(`${stack.name}: smoke test passed: ${report.rowCount} rows counted by Athena`);
  };

  switch (command.kind) {
    case "smoke": {
      const stack = await openStack(command.stack);
      await smoke(stack, await stack.outputs(), command.timeoutSeconds);
      return;
    }
    case "redrive": {
      const stack = await openStack(command.stack);
      const outputs = await stack.outputs();
      const clients = awsClients(await stack.awsRegion());
      for (const queue of command.queues) await redrive(queue, stack.name, outputs, clients);
      return;
    }
    case "replay": {
      const stack = await openStack(command.stack);
      const outputs = await stack.outputs();
      if (command.engine === "glue") return replayWithGlue(command, stack.name, outputs, awsClients(await stack.awsRegion()));
      const { s3, sns } = awsClients(await stack.awsRegion());
      const report = await runReplay({
        s3,
        sns,
        bucket: stringOutput(outputs, "lakeBucketName", stack.name),
        topicArn: stringOutput(outputs, "ingestTopicArn", stack.name),
        selection: replaySelection(command.selection),
        dryRun: command.dryRun,
        batchSize: command.batchSize,
        progress,
      });
      progress.step(
        `${stack.name}: replay ${command.dryRun ? "(dry run) would announce" : "announced"} ${command.dryRun ? report.objects : report.announced} objects, ` +
          `${report.bytes} bytes to read; ${report.skipped} skipped (outside raw/<dataset>/ or folder markers)`,
      );
      return;
    }
    case "curate": {
      const stack = await openStack(command.stack);
      const outputs = await stack.outputs();
      const invoke = awsClients(await stack.awsRegion()).invokeCuratedJob(stringOutput(outputs, "curatedJobFunctionName", stack.name));
      const report = await curateDays(command.from, command.to, invoke, progress);
      progress.step(`${stack.name}: curate built ${report.built.length} days, ${report.failed.length} failed`);
      if (report.failed.length > 0) throw new Error(`curated days failed: ${report.failed.map((failure) => failure.day).join(", ")}`);
      return;
    }
    default:
      break;
  }

  /** `replay --engine glue`: the selection's current versions converted by Glue job runs (automation/glue-backfill.ts). */
  async function replayWithGlue(command: Extract<Command, { kind: "replay" }>, stackName: string, outputs: StackOutputs, clients: AwsClients): Promise<void> {
    const { selection } = command;
    if (selection.kind === "keys-file") throw new Error("--engine glue converts a --prefix or a --dataset");
    const bucket = stringOutput(outputs, "lakeBucketName", stackName);
    const days = selection.kind === "days" ? selection : undefined;
    const parsed = parseBackfillRequest({
      bucket,
      prefix: selection.kind === "prefix" ? selection.prefix : datasetPrefix("raw", selection.dataset),
      // The args' open bounds (0000-01-01, 9999-12-31) select every landing day: no filter.
      ...(days && days.from !== OPEN_FROM_DAY ? { from: days.from } : {}),
      ...(days && days.to !== OPEN_TO_DAY ? { to: days.to } : {}),
    });
    if (parsed.request === undefined) throw new Error(parsed.problems.join("; "));
    if (command.dryRun) {
      const plan = await planBackfill(clients.s3, parsed.request);
      progress.step(`${stackName}: replay --engine glue (dry run) would convert ${plan.specs.length} objects; ${plan.skipped.length} skipped (format not accepted)`);
      return;
    }
    const report = await startGlueBackfill({
      s3: clients.s3,
      glue: clients.glue,
      jobName: stringOutput(outputs, "glueJobName", stackName),
      request: parsed.request,
      runName: new Date(now()).toISOString().replace(/[:.]/g, "-"),
      log: (line) => progress.step(line),
    });
    const objects = report.runs.reduce((sum, run) => sum + run.objects, 0);
    progress.step(`${stackName}: replay --engine glue started ${report.runs.length} job runs for ${objects} objects; ${report.skipped.length} skipped (format not accepted)`);
  }

  async function redrive(queue: FailureQueue, stackName: string, outputs: StackOutputs, clients: AwsClients): Promise<void> {
    const drain = (queueUrl: string): DrainOptions => ({ sqs: clients.sqs, queueUrl, progress, waitTimeSeconds: redriveWaitTimeSeconds, visibilityTimeoutSeconds: 900 });
    if (queue === "ingest-failures") {
      const report = await redriveIngestFailures(drain(stringOutput(outputs, "ingestFailuresQueueUrl", stackName)), {
        sns: clients.sns,
        topicArn: stringOutput(outputs, "ingestTopicArn", stackName),
      });
      progress.step(`${stackName}: redrive ingest-failures: ${report.replayed} S3 events announced again, ${report.failed} failed`);
      if (report.failed > 0) throw new Error(`${report.failed} ingest failures could not be replayed and remain in their queue`);
      return;
    }
    if (queue === "curated-failures") {
      const invoke = clients.invokeCuratedJob(stringOutput(outputs, "curatedJobFunctionName", stackName));
      const report = await redriveCuratedFailures(drain(stringOutput(outputs, "curatedJobFailureQueueUrl", stackName)), invoke, () => new Date(now()));
      progress.step(`${stackName}: redrive curated-failures: ${report.replayed} days rebuilt, ${report.failed} failed`);
      if (report.failed > 0) throw new Error(`${report.failed} curated days could not be rebuilt and remain in their queue`);
      return;
    }
    const { sqs } = clients;
    {
      const report = await redriveDeadLetters({
        sqs,
        deadLetterQueueUrl: stringOutput(outputs, "deadLetterQueueUrl", stackName),
        processingQueueUrl: stringOutput(outputs, "processingQueueUrl", stackName),
        progress,
        waitTimeSeconds: redriveWaitTimeSeconds,
        emptyReceivesToStop: 3,
        visibilityTimeoutSeconds: 120,
        deadlineMs: 15 * 60_000,
        pollIntervalMs: 5_000,
        sleep,
        now,
      });
      progress.step(`${stackName}: redrive dlq (${report.method}): ${report.moved} moved, ${report.failed} failed, ${report.copiedNotDeleted} copied but not deleted`);
      if (report.failed > 0) throw new Error(`${report.failed} messages could not be sent and remain in the dead-letter queue`);
      if (report.copiedNotDeleted > 0) {
        throw new Error(`${report.copiedNotDeleted} messages were copied but are still in the dead-letter queue: delete them there, do not redrive them again`);
      }
    }
  }

  const deps: DriverDependencies = {
    openStack,
    progress,
    commit: resolveCommit(command, environment.env, workDir),
    smokeTest: (stack, outputs) => smoke(stack, outputs, DEFAULT_SMOKE_TIMEOUT_SECONDS),
    confirm: environment.confirm ?? (process.stdin.isTTY ? terminalConfirm : undefined),
    ...(command.summaryFile ? { summary: appendTo(command.summaryFile) } : {}),
  };
  switch (command.kind) {
    case "preview": {
      const stacks = command.stacks.length > 0 ? command.stacks : projectStacks(workDir);
      if (stacks.length === 0) throw new UsageError(`no Pulumi.<stack>.yaml in ${workDir}: pass --stack NAME`);
      return previewStacks({ ...deps, policy: policyCheck(workDir) }, stacks);
    }
    case "deploy":
      return deployStack(deps, command.stack);
    case "promote":
      return promoteStack({ ...deps, policy: policyCheck(workDir) }, { from: command.from, to: command.to, approved: command.approve, previewOnly: command.previewOnly });
    case "verify":
      return verifyStack({ ...deps, smokeTest: (stack, outputs) => smoke(stack, outputs, command.timeoutSeconds) }, command.stack);
  }
}

if (require.main === module) {
  void runCli(process.argv.slice(2), { env: process.env, out: process.stdout, err: process.stderr }).then((code) => {
    process.exitCode = code;
  });
}
