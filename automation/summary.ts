/**
 * How the CI driver reports a preview: the change counts on its progress line, and the Markdown it
 * writes to the CI job summary (`--summary "$GITHUB_STEP_SUMMARY"`), so that a reviewer approving the
 * `production` environment reads the diff that will be applied without opening the log. Pure module.
 */

/** @example formatChanges({ same: 3, update: 1 }) === "(same 3, update 1)" */
export function formatChanges(changes: Readonly<Record<string, number>>): string {
  const parts = Object.entries(changes)
    .filter(([, count]) => count > 0)
    .map(([operation, count]) => `${operation} ${count}`);
  return parts.length > 0 ? `(${parts.join(", ")})` : "(no changes reported)";
}

/** GitHub keeps at most 1 MiB of summary per step; the diff is cut well below that. */
export const MAX_SUMMARY_DIFF_CHARS = 400_000;

export interface PreviewSummary {
  readonly stack: string;
  readonly commit: string;
  readonly changes: Readonly<Record<string, number>>;
  /** The preview's output with its diff, as the CLI printed it. */
  readonly diff: string;
  /** For a promotion: the source stack whose checks passed. */
  readonly promotedFrom?: string;
}

/** Terminal colour codes, which a Markdown code block would show as text. */
const ANSI_ESCAPES = /\u001b\[[0-9;]*[A-Za-z]/g;

/**
 * The summary of one preview: what it was, the counts of changes, and the diff in a code block.
 *
 * @example
 * ```ts
 * previewSummaryMarkdown({ stack: "prod", commit: "abc", changes: { update: 1 }, diff: "~ aws:sqs/queue:Queue …", promotedFrom: "dev" });
 * // "### Preview of prod at abc\n\nPromotion from dev: its checks passed. Changes: (update 1)\n\n```diff\n~ aws:sqs/queue:Queue …\n```\n"
 * ```
 */
export function previewSummaryMarkdown(summary: PreviewSummary): string {
  const plain = summary.diff.replace(ANSI_ESCAPES, "").trimEnd();
  const cut = plain.length > MAX_SUMMARY_DIFF_CHARS ? `${plain.slice(0, MAX_SUMMARY_DIFF_CHARS)}\n… (cut: the whole diff is in the job's log)` : plain;
  // A fence longer than any backtick run inside the diff, so the diff cannot close it.
  const fence = "`".repeat(Math.max(3, ...[...cut.matchAll(/`+/g)].map((run) => run[0].length + 1)));
  const promotion = summary.promotedFrom ? `Promotion from ${summary.promotedFrom}: its checks passed. ` : "";
  return `### Preview of ${summary.stack} at ${summary.commit}\n\n${promotion}Changes: ${formatChanges(summary.changes)}\n\n${fence}diff\n${cut}\n${fence}\n`;
}
