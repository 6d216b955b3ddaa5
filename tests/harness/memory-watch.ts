/**
 * Watches a function process's resident memory from outside, as Lambda's sandbox limit does: reads
 * `VmRSS` from `/proc/<pid>/status` every few milliseconds, keeps the highest value seen, and calls
 * back once when it goes over the limit (the host then kills the process: `Runtime.OutOfMemory`).
 * Linux only, like the Lambda execution environment.
 */
import { readFileSync } from "node:fs";

const KB_PER_MB = 1024;

/** The process's current resident set in MB, or undefined once it is gone. */
export function residentMb(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) / KB_PER_MB : undefined;
  } catch {
    return undefined;
  }
}

export class MemoryWatch {
  private timer: NodeJS.Timeout | undefined;
  private highest = 0;

  /**
   * @param pid - the watched process
   * @param limitMb - the function's memory size
   * @param onExceeded - called once, with the resident size seen, when it exceeds `limitMb`
   * @param intervalMs - polling period
   */
  constructor(
    private readonly pid: number,
    private readonly limitMb: number,
    private readonly onExceeded: (residentMb: number) => void,
    private readonly intervalMs = 10,
  ) {}

  start(): void {
    this.sample();
    // The watched process keeps the test process alive on its own; the timer need not.
    this.timer = setInterval(() => this.sample(), this.intervalMs).unref();
  }

  /** Starts a new measuring period (an invocation): the highest value seen is forgotten. */
  resetPeak(): void {
    this.highest = residentMb(this.pid) ?? 0;
  }

  /** The highest resident size seen since the last reset, in MB. */
  get peakMb(): number {
    return this.highest;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private sample(): void {
    const current = residentMb(this.pid);
    if (current === undefined) return;
    this.highest = Math.max(this.highest, current);
    if (current > this.limitMb) {
      this.stop();
      this.onExceeded(current);
    }
  }
}
