/**
 * The promotion rules as a pure function: whether the source stack may be promoted at a commit,
 * and every reason it may not.
 */
import { parseSmokeRecord } from "./records";

/** The source stack's last update (of kind `update`) as the backend's history reports it. */
export interface LastUpdate {
  readonly result: "succeeded" | "failed" | "in-progress" | string;
  /** Update environment recorded by the CLI; `git.head` is the commit the program ran from, when known. */
  readonly environment: Readonly<Record<string, string>>;
}

/** What the driver read from the source stack. */
export interface SourceState {
  readonly stack: string;
  readonly lastUpdate: LastUpdate | undefined;
  /** The `datalake:commit` tag. */
  readonly commitTag: string | undefined;
  /** The `datalake:smoke` tag. */
  readonly smokeTag: string | undefined;
}

/**
 * Every reason why `source` may not be promoted at `commit`; empty when promotion is allowed.
 * Allowed only when the last update succeeded, deployed this very commit, and the smoke test passed
 * for this commit.
 *
 * @example
 * promotionRefusals({ stack: "dev", lastUpdate: { result: "failed", environment: {} },
 *   commitTag: "abc", smokeTag: "passed@abc" }, "abc")
 * // ["dev: the last update failed (expected succeeded)"]
 */
export function promotionRefusals(source: SourceState, commit: string): string[] {
  const reasons: string[] = [];
  const { stack, lastUpdate } = source;
  if (!lastUpdate) {
    reasons.push(`${stack}: the stack has never been updated`);
  } else if (lastUpdate.result !== "succeeded") {
    reasons.push(`${stack}: the last update ${lastUpdate.result === "in-progress" ? "is still in progress" : lastUpdate.result} (expected succeeded)`);
  }
  const head = lastUpdate?.environment["git.head"];
  if (head && head !== commit) {
    reasons.push(`${stack}: the last update ran from commit ${head}, not ${commit}`);
  }
  if (source.commitTag !== commit) {
    reasons.push(`${stack}: deployed commit is ${source.commitTag ? source.commitTag : "not recorded"}, not ${commit} (deploy ${commit} to ${stack} first)`);
  }
  const smoke = parseSmokeRecord(source.smokeTag);
  if (!smoke || smoke.commit !== commit) {
    reasons.push(`${stack}: no smoke test recorded for commit ${commit}`);
  } else if (smoke.status !== "passed") {
    reasons.push(`${stack}: the smoke test for commit ${commit} ${smoke.status === "failed" ? "failed" : "did not finish"}`);
  }
  return reasons;
}
