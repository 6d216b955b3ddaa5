/**
 * One Lambda execution environment, locally: one process of the function's runtime Node, started
 * with Lambda's flags and environment in the upload's folder, running tests/harness/function-host.cjs
 * (the runtime's part). It lives from its init to its death, as a sandbox does: a timeout, going
 * over the memory size or a crash kills the whole process, and the owner (tests/harness/local-function.ts)
 * starts a new one, with a new init, for the next invocation.
 */
import { fork, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { PROJECT_ROOT } from "./stack-config";
import { MemoryWatch } from "./memory-watch";

const HOST_SCRIPT = join(PROJECT_ROOT, "tests", "harness", "function-host.cjs");

/** An error as Lambda reports it (`errorType`, `errorMessage`), with Node's error code when there is one. */
export interface FunctionError {
  readonly name: string;
  readonly message: string;
  readonly code?: string;
}

export interface SandboxSpec {
  readonly nodeBinary: string;
  /** Node's command line before the host script (Lambda's flags). */
  readonly execArgv: readonly string[];
  /** The whole environment of the process: nothing is inherited. */
  readonly environment: Readonly<Record<string, string>>;
  /** The upload's folder (Lambda's `/var/task`): the process's working directory. */
  readonly taskRoot: string;
  readonly memorySizeMb: number;
  /** How long the init may take before the sandbox is killed. */
  readonly initTimeoutMs: number;
  /** Receives everything the process writes to stdout and stderr. */
  readonly onOutput: (text: string) => void;
}

export interface InvokeRequest {
  readonly event: unknown;
  readonly requestId: string;
  readonly invokedFunctionArn: string;
  readonly timeoutMs: number;
}

/** What one invocation gave; `fatal` failures killed the sandbox. */
export type SandboxResult = { readonly peakRssMb: number } & (
  | { readonly ok: true; readonly result: unknown }
  | { readonly ok: false; readonly error: FunctionError; readonly fatal: boolean }
);

export type BootResult = { readonly initDurationMs: number } & (
  | {
      readonly ok: true;
      readonly sandbox: Sandbox;
      /** The function's own init inside the process: its module loaded and its factory run (no process start-up). */
      readonly handlerLoadMs: number;
      /** The `@aws-sdk/client-*` packages loaded by the end of the init, sorted. */
      readonly sdkClientsAtInit: readonly string[];
    }
  | { readonly ok: false; readonly error: FunctionError }
);

type HostMessage =
  | { readonly type: "ready"; readonly handlerLoadMs: number; readonly sdkClientsAtInit: readonly string[] }
  | { readonly type: "init-error"; readonly error: FunctionError }
  | ({ readonly type: "result"; readonly id: number; readonly peakRssKb: number | null } & ({ readonly ok: true; readonly result: unknown } | { readonly ok: false; readonly error: FunctionError }));

type ResultMessage = Extract<HostMessage, { type: "result" }>;
type InitMessage = Exclude<HostMessage, ResultMessage>;

interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export class Sandbox {
  private killReason: FunctionError | undefined;
  private nextId = 1;
  private readonly results = new Map<number, (message: ResultMessage) => void>();
  private readonly watch: MemoryWatch;
  private readonly exited: Promise<Exit>;
  private dead = false;

  private constructor(
    private readonly child: ChildProcess,
    private readonly spec: SandboxSpec,
  ) {
    this.exited = new Promise((resolve) => {
      const gone = (exit: Exit): void => {
        if (this.dead) return;
        this.dead = true;
        this.watch.stop();
        resolve(exit);
      };
      child.once("exit", (code, signal) => gone({ code, signal }));
      // The process could not be started, or its IPC channel broke: it is of no use any more.
      child.once("error", (error) => {
        this.terminate({ name: "Runtime.ExitError", message: `Runtime failed: ${error.message}` });
        gone({ code: null, signal: null });
      });
    });
    child.stdout?.on("data", (chunk: Buffer) => spec.onOutput(chunk.toString()));
    child.stderr?.on("data", (chunk: Buffer) => spec.onOutput(chunk.toString()));
    child.on("message", (message: HostMessage) => {
      if (message.type !== "result") return;
      this.results.get(message.id)?.(message);
      this.results.delete(message.id);
    });
    this.watch = new MemoryWatch(child.pid!, spec.memorySizeMb, (residentMb) =>
      this.terminate({
        name: "Runtime.OutOfMemory",
        message: `Runtime exited with error: signal: killed (resident ${Math.round(residentMb)} MB over the memory size of ${spec.memorySizeMb} MB)`,
      }),
    );
    this.watch.start();
  }

  /** Starts the process and runs the function's init. */
  static async boot(spec: SandboxSpec): Promise<BootResult> {
    const started = performance.now();
    const child = fork(HOST_SCRIPT, [], {
      execPath: spec.nodeBinary,
      execArgv: [...spec.execArgv],
      env: { ...spec.environment },
      cwd: spec.taskRoot,
      stdio: ["ignore", "pipe", "pipe", "ipc"],
      serialization: "json",
    });
    const sandbox = new Sandbox(child, spec);
    const timer = setTimeout(() => sandbox.terminate({ name: "Sandbox.Timedout", message: `Init timed out after ${spec.initTimeoutMs} ms` }), spec.initTimeoutMs);
    const init = await Promise.race([
      new Promise<InitMessage>((resolve) => child.on("message", (message: HostMessage) => message.type !== "result" && resolve(message))),
      // The init error is sent just before the process exits: let it arrive first.
      sandbox.exited.then(async (exit): Promise<InitMessage> => {
        await new Promise((resolve) => setTimeout(resolve, 100));
        return { type: "init-error", error: sandbox.deathError(exit) };
      }),
    ]);
    clearTimeout(timer);
    const initDurationMs = performance.now() - started;
    if (init.type === "ready") return { ok: true, sandbox, initDurationMs, handlerLoadMs: init.handlerLoadMs, sdkClientsAtInit: init.sdkClientsAtInit };
    await sandbox.kill();
    return { ok: false, error: init.error, initDurationMs };
  }

  get alive(): boolean {
    return !this.dead;
  }

  /** Runs one invocation; kills the sandbox when it outlives `timeoutMs` or outgrows the memory size. */
  async invoke(request: InvokeRequest): Promise<SandboxResult> {
    const id = this.nextId++;
    this.watch.resetPeak();
    const deadlineMs = Date.now() + request.timeoutMs;
    const timer = setTimeout(
      () => this.terminate({ name: "Sandbox.Timedout", message: `Task timed out after ${(request.timeoutMs / 1000).toFixed(2)} seconds` }),
      request.timeoutMs,
    );
    const answer = await Promise.race([
      new Promise<ResultMessage>((resolve) => {
        this.results.set(id, resolve);
        this.child.send({ type: "invoke", id, event: request.event, requestId: request.requestId, invokedFunctionArn: request.invokedFunctionArn, deadlineMs });
      }),
      this.exited,
    ]);
    clearTimeout(timer);
    if (!("type" in answer)) return { ok: false, error: this.deathError(answer), fatal: true, peakRssMb: this.watch.peakMb };
    const peakRssMb = Math.max(this.watch.peakMb, (answer.peakRssKb ?? 0) / 1024);
    if (peakRssMb > this.spec.memorySizeMb) {
      // Over the limit between two samples: Lambda would have killed it all the same.
      this.terminate({ name: "Runtime.OutOfMemory", message: `Runtime exited with error: signal: killed (peak resident ${Math.round(peakRssMb)} MB over the memory size of ${this.spec.memorySizeMb} MB)` });
      await this.exited;
      return { ok: false, error: this.killReason!, fatal: true, peakRssMb };
    }
    return answer.ok ? { ok: true, result: answer.result, peakRssMb } : { ok: false, error: answer.error, fatal: false, peakRssMb };
  }

  /** Kills the process (if still alive) and waits for it to be gone. */
  async kill(): Promise<void> {
    if (!this.dead) this.child.kill("SIGKILL");
    await this.exited;
  }

  private terminate(reason: FunctionError): void {
    this.killReason ??= reason;
    if (!this.dead) this.child.kill("SIGKILL");
  }

  private deathError(exit: Exit): FunctionError {
    if (this.killReason) return this.killReason;
    const how = exit.signal ? `signal: ${exit.signal}` : `exit status ${exit.code}`;
    return { name: "Runtime.ExitError", message: `Runtime exited with error: ${how}` };
  }
}
