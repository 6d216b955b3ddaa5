/**
 * The Markdown a preview writes to the CI job summary: the diff as the reviewers will read it.
 */
import { describe, expect, it } from "vitest";
import { MAX_SUMMARY_DIFF_CHARS, formatChanges, previewSummaryMarkdown, type PreviewSummary } from "../../automation/summary.js";

function summary(overrides: Partial<PreviewSummary> = {}): PreviewSummary {
  return { stack: "prod", commit: "abc1234", changes: { same: 80, update: 2 }, diff: "~ aws:sqs/queue:Queue datalake-processing\n", ...overrides };
}

describe("previewSummaryMarkdown", () => {
  it("heads the diff with the stack, the commit, the promotion and the change counts", () => {
    expect(previewSummaryMarkdown(summary({ promotedFrom: "dev" }))).toBe(
      "### Preview of prod at abc1234\n\nPromotion from dev: its checks passed. Changes: (same 80, update 2)\n\n```diff\n~ aws:sqs/queue:Queue datalake-processing\n```\n",
    );
  });

  it("drops terminal colours, and fences a diff that holds backticks with a longer fence", () => {
    const markdown = previewSummaryMarkdown(summary({ diff: "\u001b[32m+ description: ``` and `x`\u001b[0m\n" }));

    expect(markdown).toContain("````diff\n+ description: ``` and `x`\n````\n");
    expect(markdown).not.toContain("\u001b");
  });

  it("cuts a diff longer than a job summary holds and says where the rest is", () => {
    const markdown = previewSummaryMarkdown(summary({ diff: "x".repeat(MAX_SUMMARY_DIFF_CHARS + 10) }));

    expect(markdown).toContain("… (cut: the whole diff is in the job's log)");
    expect(markdown.length).toBeLessThan(MAX_SUMMARY_DIFF_CHARS + 500);
  });
});

describe("formatChanges", () => {
  it("lists the non-zero counts, or says none were reported", () => {
    expect(formatChanges({ same: 3, create: 0, update: 1 })).toBe("(same 3, update 1)");
    expect(formatChanges({})).toBe("(no changes reported)");
  });
});
