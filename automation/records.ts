/**
 * What the CI driver records on a stack, as stack tags, so that a later promotion can check what
 * the source stack is running and whether it passed its smoke test. Pure module.
 */

/** Stack tag keys written by the driver. */
export const TAGS = {
  /** The commit the stack's last successful update deployed. */
  commit: "datalake:commit",
  /** Smoke test result for a commit: `passed@<sha>`, `failed@<sha>` or `pending@<sha>`. */
  smoke: "datalake:smoke",
  /** On a promoted stack: `<source stack>@<sha>`. */
  promotedFrom: "datalake:promoted-from",
} as const;

export type SmokeStatus = "passed" | "failed" | "pending";

export interface SmokeRecord {
  readonly status: SmokeStatus;
  readonly commit: string;
}

/**
 * @example formatSmokeRecord({ status: "passed", commit: "abc123" }) === "passed@abc123"
 */
export function formatSmokeRecord(record: SmokeRecord): string {
  return `${record.status}@${record.commit}`;
}

/**
 * Reads a `datalake:smoke` tag value; anything not written by {@link formatSmokeRecord} is undefined.
 *
 * @example parseSmokeRecord("failed@abc123") // { status: "failed", commit: "abc123" }
 */
export function parseSmokeRecord(value: string | undefined): SmokeRecord | undefined {
  const match = /^(passed|failed|pending)@([0-9A-Za-z._-]+)$/.exec(value?.trim() ?? "");
  if (!match) return undefined;
  return { status: match[1] as SmokeStatus, commit: match[2] };
}

/**
 * @example formatPromotedFrom("dev", "abc123") === "dev@abc123"
 */
export function formatPromotedFrom(sourceStack: string, commit: string): string {
  return `${sourceStack}@${commit}`;
}

/**
 * The update message the driver passes to `pulumi up`, so the stack history names the commit, and
 * for a promotion the source and the target stack.
 *
 * @example updateMessage("promote", "abc123", { from: "dev", to: "prod" }) === "datalake promote dev -> prod (abc123)"
 */
export function updateMessage(action: "deploy" | "promote", commit: string, stacks?: { readonly from: string; readonly to: string }): string {
  return action === "promote" && stacks ? `datalake promote ${stacks.from} -> ${stacks.to} (${commit})` : `datalake deploy (${commit})`;
}
