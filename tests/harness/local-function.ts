/**
 * A Lambda function run locally the way the Lambda service runs it, so that an upload that would
 * fail on Lambda fails here: its exact upload (`__index.js` plus the packed folders, laid out outside
 * the project by tests/harness/upload.ts) runs warm in a sandbox process (tests/harness/sandbox.ts)
 * - on the Node.js major of its declared runtime, with the flags Lambda adds
 *   (tests/harness/lambda-node-arguments.ts) and its own NODE_OPTIONS;
 * - able to resolve only what the upload packs, its declared layers' content (the Powertools layer at
 *   the version its ARN carries) and the runtime's pinned AWS SDK clients
 *   (tests/harness/lambda-runtime.ts), with Lambda's environment variables
 *   (tests/harness/lambda-environment.ts);
 * - killed past its timeout (`Sandbox.Timedout`) or over its memory size (`Runtime.OutOfMemory`),
 *   after which the next invocation starts a new sandbox with a new init (a cold start).
 * Each invocation reports its duration and peak RSS against the memory size.
 *
 * Build the options from the function's declaration with `localFunctionOptions` (tests/harness/lambda.ts).
 *
 * @example
 * ```ts
 * const ingest = await LocalFunction.start(await functionPackage(declared), localFunctionOptions(declared, endpoint.environment));
 * const outcome = await ingest.invoke(s3Event); // { ok, result | error, report: { durationMs, peakRssMb, memorySizeMb } }
 * await ingest.stop();
 * ```
 */
import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import { lambdaNodeArguments } from "./lambda-node-arguments";
import { functionArn, lambdaEnvironment } from "./lambda-environment";
import { layerDirectory, nodeBinary, runtimeDirectory } from "./lambda-runtime";
import { Sandbox, type FunctionError, type SandboxSpec } from "./sandbox";
import { materializeUpload, removeUpload, type UploadPackage } from "./upload";

export type { FunctionError } from "./sandbox";

/** What the host takes from the function's declaration (see `localFunctionOptions` in tests/harness/lambda.ts). */
export interface LocalFunctionOptions {
  readonly functionName: string;
  /** The declared runtime, e.g. `nodejs22.x`: picks the Node major and Lambda's flags. */
  readonly runtime: string;
  readonly memorySizeMb: number;
  readonly timeoutSeconds: number;
  /** Every variable of the function's configuration, NODE_OPTIONS included, with the local endpoint's. */
  readonly environment: Readonly<Record<string, string>>;
  /** The declared logging configuration; without it, Lambda's default log group. */
  readonly logging?: { readonly logGroup: string; readonly format?: string; readonly applicationLogLevel?: string };
  /** The declared layer ARNs; the host provides the Powertools layer's and refuses any other. */
  readonly layers?: readonly string[];
}

/** One invocation as Lambda's REPORT line would give it. */
export interface InvocationReport {
  readonly durationMs: number;
  readonly peakRssMb: number;
  readonly memorySizeMb: number;
  /** Set when this invocation started a new sandbox (a cold start). */
  readonly initDurationMs?: number;
}

export type Invocation<R> = { readonly report: InvocationReport } & (
  | { readonly ok: true; readonly result: R }
  | { readonly ok: false; readonly error: FunctionError }
);

export interface FunctionSummary {
  readonly invocations: number;
  readonly failures: number;
  readonly timeouts: number;
  readonly outOfMemory: number;
  /** Sandboxes started: the first init and one after each killed sandbox that was invoked again. */
  readonly coldStarts: number;
  readonly maxDurationMs: number;
  readonly maxPeakRssMb: number;
  readonly memorySizeMb: number;
  readonly timeoutSeconds: number;
}

/** The function's init failed: `error` is what Lambda would report (e.g. `code: "ERR_REQUIRE_ESM"`). */
export class FunctionInitError extends Error {
  constructor(
    readonly functionName: string,
    readonly error: FunctionError,
    logs: string,
  ) {
    super(`${functionName} failed to initialise: ${error.name}${error.code ? ` [${error.code}]` : ""}: ${error.message}\n${logs}`);
    this.name = "FunctionInitError";
  }
}

export class LocalFunction {
  private sandbox: Sandbox | undefined;
  private logText = "";
  private readonly invocationReports: InvocationReport[] = [];
  private failures = 0;
  private timeouts = 0;
  private outOfMemory = 0;
  private coldStarts = 0;
  private queue: Promise<unknown> = Promise.resolve();
  private lastHandlerLoadMs = 0;
  private lastSdkClientsAtInit: readonly string[] = [];

  private readonly spec: SandboxSpec;

  private constructor(
    private readonly options: LocalFunctionOptions,
    sandbox: Omit<SandboxSpec, "onOutput">,
  ) {
    this.spec = { ...sandbox, onOutput: (text) => void (this.logText += text) };
  }

  /** Lays the upload out, starts a sandbox and runs the init; throws `FunctionInitError` when the init fails. */
  static async start(upload: UploadPackage, options: LocalFunctionOptions): Promise<LocalFunction> {
    const { execArgv } = lambdaNodeArguments({ runtime: options.runtime, nodeOptions: options.environment.NODE_OPTIONS, memoryMb: options.memorySizeMb });
    const binary = nodeBinary(options.runtime);
    const runtimeDir = runtimeDirectory();
    const optDir = layerDirectory(options.layers ?? []);
    const { dir: taskRoot } = materializeUpload(upload, options.functionName);
    const environment = lambdaEnvironment({
      functionName: options.functionName,
      runtime: options.runtime,
      memorySizeMb: options.memorySizeMb,
      variables: options.environment,
      logging: options.logging ?? { logGroup: `/aws/lambda/${options.functionName}` },
      taskRoot,
      runtimeDir,
      optDir,
      nodeBinary: binary,
    });
    const fn = new LocalFunction(options, {
      nodeBinary: binary,
      execArgv,
      environment,
      taskRoot,
      memorySizeMb: options.memorySizeMb,
      // Lambda retries an init that outlives 10 s with the function's timeout.
      initTimeoutMs: Math.max(10_000, options.timeoutSeconds * 1000),
    });
    const boot = await fn.boot();
    if (!boot.ok) {
      removeUpload({ dir: taskRoot });
      throw new FunctionInitError(options.functionName, boot.error, fn.logs);
    }
    return fn;
  }

  get functionName(): string {
    return this.options.functionName;
  }

  /**
   * The latest sandbox's own init: the function's module loaded and its factory run, measured inside
   * the process (Lambda's Init Duration less the process start-up this host cannot compare with).
   */
  get handlerLoadMs(): number {
    return this.lastHandlerLoadMs;
  }

  /** The AWS SDK clients (`@aws-sdk/client-*`) the latest sandbox's init loaded, sorted. */
  get sdkClientsAtInit(): readonly string[] {
    return this.lastSdkClientsAtInit;
  }

  /** Everything the function wrote to stdout and stderr so far, across its sandboxes (its logs). */
  get logs(): string {
    return this.logText;
  }

  /** Every invocation's report, in order. */
  get reports(): readonly InvocationReport[] {
    return this.invocationReports;
  }

  get summary(): FunctionSummary {
    return {
      invocations: this.invocationReports.length,
      failures: this.failures,
      timeouts: this.timeouts,
      outOfMemory: this.outOfMemory,
      coldStarts: this.coldStarts,
      maxDurationMs: Math.max(0, ...this.invocationReports.map((report) => report.durationMs)),
      maxPeakRssMb: Math.max(0, ...this.invocationReports.map((report) => report.peakRssMb)),
      memorySizeMb: this.options.memorySizeMb,
      timeoutSeconds: this.options.timeoutSeconds,
    };
  }

  /**
   * Invokes the handler once, after the previous invocation (a sandbox runs one at a time). A handler
   * error, a timeout, running out of memory or a failed init of a new sandbox come back as `ok: false`
   * with Lambda's error type.
   */
  invoke<R>(event: unknown): Promise<Invocation<R>> {
    const next = this.queue.then(() => this.invokeNow<R>(event));
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Waits for the invocation under way, kills the sandbox and removes the laid-out upload. */
  async stop(): Promise<void> {
    await this.queue;
    await this.sandbox?.kill();
    removeUpload({ dir: this.spec.taskRoot });
  }

  private async boot(): Promise<{ ok: true; initDurationMs: number } | { ok: false; error: FunctionError; initDurationMs: number }> {
    this.coldStarts += 1;
    const boot = await Sandbox.boot(this.spec);
    this.sandbox = boot.ok ? boot.sandbox : undefined;
    if (boot.ok) {
      this.lastHandlerLoadMs = boot.handlerLoadMs;
      this.lastSdkClientsAtInit = boot.sdkClientsAtInit;
    }
    return boot.ok ? { ok: true, initDurationMs: boot.initDurationMs } : boot;
  }

  private async invokeNow<R>(event: unknown): Promise<Invocation<R>> {
    let initDurationMs: number | undefined;
    if (!this.sandbox?.alive) {
      const boot = await this.boot();
      initDurationMs = boot.initDurationMs;
      if (!boot.ok) return this.record({ ok: false, error: boot.error }, { durationMs: 0, peakRssMb: 0, initDurationMs });
    }
    const started = performance.now();
    const outcome = await this.sandbox!.invoke({
      event,
      requestId: randomUUID(),
      invokedFunctionArn: functionArn(this.options.functionName, this.spec.environment.AWS_REGION!),
      timeoutMs: this.options.timeoutSeconds * 1000,
    });
    const measured = { durationMs: performance.now() - started, peakRssMb: outcome.peakRssMb, ...(initDurationMs !== undefined ? { initDurationMs } : {}) };
    return this.record(outcome.ok ? { ok: true, result: outcome.result as R } : { ok: false, error: outcome.error }, measured);
  }

  private record<R>(
    outcome: { ok: true; result: R } | { ok: false; error: FunctionError },
    measured: { durationMs: number; peakRssMb: number; initDurationMs?: number },
  ): Invocation<R> {
    const report: InvocationReport = { ...measured, memorySizeMb: this.options.memorySizeMb };
    this.invocationReports.push(report);
    if (!outcome.ok) {
      this.failures += 1;
      if (outcome.error.name === "Sandbox.Timedout") this.timeouts += 1;
      if (outcome.error.name === "Runtime.OutOfMemory") this.outOfMemory += 1;
    }
    return { ...outcome, report };
  }
}
