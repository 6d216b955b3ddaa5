/**
 * A function's serialized closure (the upload's `__index.js`) loaded once in its own Node process,
 * with the function's environment, and invoked any number of times, like a warm Lambda container.
 *
 * @example
 * ```ts
 * const ingest = await LocalFunction.start(upload.indexJs, { functionName: "ingest", environment });
 * const outcome = await ingest.invoke(s3Event);
 * await ingest.stop();
 * ```
 */
import { fork, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PROJECT_ROOT } from "./stack-config";
import { materializeUpload, runtimeModulesPath, type UploadPackage } from "./upload";

export interface LocalFunctionOptions {
  readonly functionName: string;
  readonly environment: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
}

export type Invocation<R> =
  | { readonly ok: true; readonly result: R }
  | { readonly ok: false; readonly error: { readonly name: string; readonly message: string } };

type HostMessage =
  | { type: "ready" }
  | { type: "init-error"; error: { name: string; message: string } }
  | ({ type: "result"; id: number } & ({ ok: true; result: unknown } | { ok: false; error: { name: string; message: string } }));

export class LocalFunction {
  private nextId = 1;
  private readonly pending = new Map<number, (outcome: Invocation<unknown>) => void>();
  private logText = "";

  private constructor(
    readonly functionName: string,
    private readonly child: ChildProcess,
    private readonly timeoutMs: number,
  ) {
    child.stdout?.on("data", (chunk: Buffer) => (this.logText += chunk.toString()));
    child.stderr?.on("data", (chunk: Buffer) => (this.logText += chunk.toString()));
    child.on("message", (message: HostMessage) => {
      if (message.type !== "result") return;
      const resolve = this.pending.get(message.id);
      this.pending.delete(message.id);
      resolve?.(message.ok ? { ok: true, result: message.result } : { ok: false, error: message.error });
    });
    child.on("exit", (code) => {
      for (const resolve of this.pending.values()) resolve({ ok: false, error: { name: "Runtime.ExitError", message: `exited with ${code}` } });
      this.pending.clear();
    });
  }

  /** Everything the function wrote to stdout and stderr so far (its structured logs). */
  get logs(): string {
    return this.logText;
  }

  /**
   * @param code - the upload (run from a folder outside the project holding only what it packs, with
   *   the runtime's SDK on NODE_PATH), or just the serialized `__index.js` (run inside the project).
   */
  static async start(code: UploadPackage | string, options: LocalFunctionOptions): Promise<LocalFunction> {
    let modulePath: string;
    const environment: Record<string, string> = { PATH: process.env.PATH ?? "", ...options.environment };
    if (typeof code === "string") {
      const base = join(PROJECT_ROOT, ".tmp", "lambda");
      mkdirSync(base, { recursive: true });
      modulePath = join(mkdtempSync(join(base, `${options.functionName}-`)), "__index.js");
      writeFileSync(modulePath, code);
    } else {
      modulePath = materializeUpload(code, options.functionName).indexPath;
      environment.NODE_PATH = runtimeModulesPath();
    }
    const timeoutMs = options.timeoutMs ?? 60_000;
    const child = fork(join(PROJECT_ROOT, "tests", "harness", "function-host.cjs"), [modulePath, options.functionName, String(timeoutMs)], {
      env: environment,
      stdio: ["ignore", "pipe", "pipe", "ipc"],
      execArgv: [],
    });
    const fn = new LocalFunction(options.functionName, child, timeoutMs);
    await new Promise<void>((resolve, reject) => {
      child.once("message", (message: HostMessage) => {
        if (message.type === "ready") resolve();
        else if (message.type === "init-error") reject(new Error(`${options.functionName} failed to initialise: ${message.error.message}\n${fn.logs}`));
      });
      child.once("exit", (code) => reject(new Error(`${options.functionName} exited with ${code} during init\n${fn.logs}`)));
    });
    return fn;
  }

  /** Invokes the handler once; a handler error or timeout comes back as `ok: false`, as Lambda reports it. */
  invoke<R>(event: unknown): Promise<Invocation<R>> {
    const id = this.nextId++;
    return new Promise<Invocation<R>>((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve({ ok: false, error: { name: "Sandbox.Timedout", message: `Task timed out after ${this.timeoutMs} ms` } });
      }, this.timeoutMs);
      this.pending.set(id, (outcome) => {
        clearTimeout(timer);
        resolve(outcome as Invocation<R>);
      });
      this.child.send({ type: "invoke", id, event });
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      this.child.once("exit", () => resolve());
      this.child.kill("SIGTERM");
    });
  }
}
