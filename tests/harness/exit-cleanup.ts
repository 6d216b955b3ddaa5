/**
 * Clean-up that must happen even when the owner never gets to stop: a test that fails before its
 * `afterAll`, a demo interrupted with Ctrl-C. Registered actions run synchronously when the process
 * exits, and on SIGINT, SIGTERM and SIGHUP before the signal ends the process as it would have.
 * (Nothing runs on SIGKILL: `npm run clean` removes what such a process left.)
 *
 * @example
 * ```ts
 * const unregister = onProcessExit(() => rmSync(dir, { recursive: true, force: true }));
 * // … when stopped normally:
 * unregister();
 * ```
 */
const actions = new Set<() => void>();
const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
const handlers = {} as Record<(typeof SIGNALS)[number], () => void>;
let installed = false;

function runAll(): void {
  for (const action of [...actions]) {
    actions.delete(action);
    try {
      action();
    } catch {
      // Best effort: one failed clean-up must not keep the others from running.
    }
  }
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on("exit", runAll);
  for (const signal of SIGNALS) {
    const handler = (): void => {
      runAll();
      // Without our listener the signal ends the process, which is what the sender asked for.
      for (const other of SIGNALS) process.removeListener(other, handlers[other]);
      process.kill(process.pid, signal);
    };
    handlers[signal] = handler;
    process.once(signal, handler);
  }
}

/** Runs `action` when the process ends, unless the returned function is called first. */
export function onProcessExit(action: () => void): () => void {
  install();
  actions.add(action);
  return () => void actions.delete(action);
}
