/**
 * The Glue job, run locally: a stand-in for AWS Glue in tests, the benchmark and the local pipeline.
 * It spawns the job's own conversion (`glue/datalake_glue`, `python -m datalake_glue.local_run`) on
 * a local pyspark (`requirements-dev.txt`), with the contract generated from the registry, against
 * either local folders or an S3 endpoint such as the test emulator (objects fetched and outputs
 * written through boto3; Spark works on local files). Only `awsglue` (the thin `glue/job.py`) is
 * left out.
 *
 * For the pipeline: the processor starts runs with `glue:StartJobRun`; on moto the run is only
 * recorded. `localGlueJobRunner(...).runPending(jobName)` finds the runs not yet played (moto's
 * GetJobRuns keeps their arguments) and plays each: the job converts, writes outputs and result
 * documents to the endpoint, and sends its handbacks to the processing queue, which the processor
 * then consumes as it would on AWS.
 *
 * @example
 * ```ts
 * const runner = localGlueJobRunner({ endpoint, bucket: lake, handbackQueueUrl: processingQueueUrl });
 * await runner.ensureJob(glueJobName);             // moto needs the job before StartJobRun
 * await pipeline.processBatch();                   // the processor starts a run for the heavy object
 * const played = await runner.runPending(glueJobName); // its outputs land, its handback is queued
 * ```
 */
import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CreateJobCommand, GetJobRunsCommand, GlueClient, type JobRun } from "@aws-sdk/client-glue";
import { glueContract, type GlueContract } from "../../handlers/glue-contract";
import { GLUE_OBJECTS_ARGUMENT, type GlueHandbackMessage, type GlueObjectResult, type GlueObjectSpec } from "../../handlers/glue-objects";
import { clientConfig, type AwsEndpoint } from "./emulator";
import { MOCK_ACCOUNT_ID } from "./mocks";
import { removeScratch, scratchFolder } from "./scratch";
import { PROJECT_ROOT } from "./stack-config";

/** The Python package's folder: on PYTHONPATH of the driver and of Spark's Python workers. */
export const GLUE_PYTHON_ROOT = join(PROJECT_ROOT, "glue");
/** The interpreter with pyspark (requirements-dev.txt); DATALAKE_PYTHON overrides. */
export const PYTHON = process.env.DATALAKE_PYTHON ?? "python3";

/** One object of a run, as the job summarises it (`status` "changed": the key moved on, nothing written). */
export type GlueObjectSummary = { readonly key: string } & (GlueObjectResult | { readonly status: "changed"; readonly detail: string });

export interface LocalGlueRun {
  readonly results: readonly GlueObjectSummary[];
  /** Handbacks kept in memory (when no queue was given). */
  readonly handbacks: readonly GlueHandbackMessage[];
  /** Seconds to start the Spark session, and of the whole run (the session included). */
  readonly sessionSeconds: number;
  readonly seconds: number;
  /** CPU seconds of the run's processes (driver, JVM, Python workers; 0 off Linux). */
  readonly cpuSeconds: number;
}

/** Where the run reads objects and writes outputs: local folders, or an S3 endpoint. */
export type LocalGlueStorage =
  | { readonly kind: "files"; readonly rawRoot: string; readonly lakeRoot: string }
  | { readonly kind: "endpoint"; readonly endpoint: AwsEndpoint; readonly bucket: string; readonly handbackQueueUrl?: string };

export interface LocalGlueRunOptions {
  readonly objects: readonly GlueObjectSpec[];
  readonly storage: LocalGlueStorage;
  /** Defaults to the registry's contract with the processor's default limits and no projection years; the program uploads it with the stack's. */
  readonly contract?: GlueContract;
  readonly runId?: string;
  /** Local Spark's cores and JVM heap in MB (defaults: 2, 1024). */
  readonly cores?: number;
  readonly memoryMb?: number;
  /** Scratch folder, kept; defaults to a scratch folder of the run's own (`scratchFolder("glue")`), removed when it ends. */
  readonly workDir?: string;
}

const RESULT_PREFIX = "DATALAKE_RESULT ";

/**
 * Runs the job's conversion once, locally, on the given objects.
 *
 * @throws Error with the job's stderr when it exits non-zero.
 */
export async function runGlueLocally(options: LocalGlueRunOptions): Promise<LocalGlueRun> {
  if (options.workDir !== undefined) return runInFolder(options, options.workDir);
  const work = scratchFolder("glue");
  try {
    return await runInFolder(options, work);
  } finally {
    removeScratch(work);
  }
}

async function runInFolder(options: LocalGlueRunOptions, work: string): Promise<LocalGlueRun> {
  mkdirSync(work, { recursive: true });
  const contractPath = join(work, "contract.json");
  const objectsPath = join(work, "objects.json");
  writeFileSync(contractPath, JSON.stringify(options.contract ?? glueContract()));
  writeFileSync(objectsPath, JSON.stringify(options.objects));
  const args = [
    "-m",
    "datalake_glue.local_run",
    "--contract",
    contractPath,
    "--objects-file",
    objectsPath,
    "--work",
    join(work, "run"),
    "--run-id",
    options.runId ?? "local-run",
    "--cores",
    String(options.cores ?? 2),
    "--memory",
    `${options.memoryMb ?? 1024}m`,
  ];
  const { storage } = options;
  if (storage.kind === "files") {
    args.push("--raw-root", storage.rawRoot, "--lake-root", storage.lakeRoot);
  } else {
    args.push("--endpoint", storage.endpoint.url, "--region", storage.endpoint.region, "--bucket", storage.bucket);
    if (storage.endpoint.caCertificate) {
      const caPath = join(work, "ca.pem");
      writeFileSync(caPath, storage.endpoint.caCertificate);
      args.push("--ca-bundle", caPath);
    }
    if (storage.handbackQueueUrl) args.push("--handback-queue-url", storage.handbackQueueUrl);
  }
  const { stdout, stderr, code } = await spawnCollecting(PYTHON, args, {
    ...process.env,
    // The job calls the endpoint as the endpoint's principal (the Glue job's role on the policy endpoint).
    ...(storage.kind === "endpoint" ? { AWS_ACCESS_KEY_ID: storage.endpoint.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: storage.endpoint.credentials.secretAccessKey } : {}),
    PYTHONPATH: [GLUE_PYTHON_ROOT, process.env.PYTHONPATH].filter(Boolean).join(":"),
    // Spark's Python workers: the same interpreter as the driver.
    PYSPARK_PYTHON: PYTHON,
    PYSPARK_DRIVER_PYTHON: PYTHON,
  });
  const line = stdout.split("\n").find((candidate) => candidate.startsWith(RESULT_PREFIX));
  if (code !== 0 || line === undefined) throw new Error(`The local Glue run failed (exit ${code}):\n${stderr.slice(-6000)}`);
  return JSON.parse(line.slice(RESULT_PREFIX.length)) as LocalGlueRun;
}

function spawnCollecting(command: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<{ stdout: string; stderr: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-200_000)));
    child.on("error", reject);
    child.on("close", (code) => resolve({ stdout, stderr, code }));
  });
}

/** The object specs a job run's arguments carry (`--objects`; a backfill's `--objects_key` list is read by the caller). */
export function objectsOfRun(run: Pick<JobRun, "Arguments">): GlueObjectSpec[] {
  const inline = run.Arguments?.[GLUE_OBJECTS_ARGUMENT];
  return inline ? (JSON.parse(inline) as GlueObjectSpec[]) : [];
}

export interface LocalGlueJobRunner {
  /** Creates the job in the endpoint when it does not exist (moto refuses StartJobRun for an unknown job). */
  ensureJob(jobName: string): Promise<void>;
  /** Plays every run of the job not played yet, oldest first; returns what each did. */
  runPending(jobName: string): Promise<{ readonly jobRunId: string; readonly run: LocalGlueRun }[]>;
}

/**
 * Plays the job runs recorded by an emulator's Glue API locally, against that emulator.
 *
 * @param options.endpoint - what the job's conversion calls, as the job's principal (its role, on the policy endpoint).
 * @param options.handbackQueueUrl - where handbacks go (the processing queue); omitted, they are returned.
 */
export function localGlueJobRunner(options: {
  readonly endpoint: AwsEndpoint;
  readonly bucket: string;
  readonly handbackQueueUrl?: string;
  readonly contract?: GlueContract;
  /** Where the Glue service's own API is called (runs listed, the job created); defaults to `endpoint`. */
  readonly serviceEndpoint?: AwsEndpoint;
}): LocalGlueJobRunner {
  const glue = new GlueClient(clientConfig(options.serviceEndpoint ?? options.endpoint));
  const played = new Set<string>();
  return {
    async ensureJob(jobName) {
      try {
        await glue.send(new CreateJobCommand({ Name: jobName, Role: `arn:aws:iam::${MOCK_ACCOUNT_ID}:role/glue`, Command: { Name: "glueetl", ScriptLocation: "s3://local/glue/scripts/job.py" } }));
      } catch (error) {
        if ((error as Error).name !== "AlreadyExistsException" && (error as Error).name !== "IdempotentParameterMismatchException") throw error;
      }
    },
    async runPending(jobName) {
      const runs = (await glue.send(new GetJobRunsCommand({ JobName: jobName }))).JobRuns ?? [];
      const pending = runs.filter((run) => run.Id !== undefined && !played.has(run.Id)).sort((a, b) => (a.StartedOn?.getTime() ?? 0) - (b.StartedOn?.getTime() ?? 0));
      const done: { jobRunId: string; run: LocalGlueRun }[] = [];
      for (const run of pending) {
        played.add(run.Id!);
        const result = await runGlueLocally({
          objects: objectsOfRun(run),
          runId: run.Id!,
          ...(options.contract ? { contract: options.contract } : {}),
          storage: { kind: "endpoint", endpoint: options.endpoint, bucket: options.bucket, ...(options.handbackQueueUrl ? { handbackQueueUrl: options.handbackQueueUrl } : {}) },
        });
        done.push({ jobRunId: run.Id!, run: result });
      }
      return done;
    },
  };
}
