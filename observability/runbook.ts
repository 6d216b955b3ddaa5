/**
 * The README's "Operations" runbook as the alarms cite it: each alarm's description links to its
 * section by a full URL, and tests check that every linked section exists in README.md.
 */

/** The runbook's sections, by the heading text in README.md. */
export const RUNBOOK = {
  functionErrors: "Function errors",
  curatedRunErrors: "Curated job run errors",
  functionThrottled: "Function throttled",
  functionSlow: "Function close to its timeout",
  errorLogLines: "Error lines in a function's logs",
  queueBehind: "Processing queue falling behind",
  deadLetters: "Dead-letter queue not empty",
  ingestFailures: "Ingest failures queue not empty",
  curatedFailed: "Curated job failed",
  curatedScheduleFailed: "Curated job schedule failed",
  rejectedRows: "Rejected rows above the bound",
  athenaBudget: "Athena daily scan budget exceeded",
  heavyRunFailed: "Heavy conversion run failed",
  heavyFailureDelivery: "Heavy conversion failures not delivered",
  pipelineUnhealthy: "Pipeline unhealthy",
  datasetSilent: "Dataset stopped arriving",
} as const;

export type RunbookSection = (typeof RUNBOOK)[keyof typeof RUNBOOK];

/**
 * GitHub's anchor for a heading: lower case, punctuation other than `-` and `_` dropped, spaces to `-`.
 *
 * @example
 * ```ts
 * headingAnchor("Error lines in a function's logs"); // "error-lines-in-a-functions-logs"
 * ```
 */
export function headingAnchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

/**
 * The link an alarm description carries: the section of the README at `runbookUrl`, a full URL in
 * the program (`ObservabilitySettings.runbookUrl`, from `datalake:repositoryUrl`) so that it works
 * from an alert email.
 *
 * @example
 * ```ts
 * runbookLink("Dead-letter queue not empty", "https://github.com/your-org/datalake/blob/HEAD/README.md");
 * // "https://github.com/your-org/datalake/blob/HEAD/README.md#dead-letter-queue-not-empty"
 * ```
 */
export function runbookLink(section: string, runbookUrl: string): string {
  return `${runbookUrl}#${headingAnchor(section)}`;
}

/** Anchors of every Markdown heading in a document (fenced code blocks skipped). */
export function documentAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  let inFence = false;
  for (const line of markdown.split("\n")) {
    if (/^\s*(```|~~~)/.test(line)) inFence = !inFence;
    const heading = !inFence && /^#{1,6}\s+(.+?)\s*#*\s*$/.exec(line);
    if (heading) anchors.add(headingAnchor(heading[1]!));
  }
  return anchors;
}

/**
 * The README anchors that alarm descriptions link to but the README lacks.
 *
 * @example
 * ```ts
 * missingRunbookSections(["… What to do: README.md#gone"], "## Here\n"); // ["gone"]
 * ```
 */
export function missingRunbookSections(descriptions: readonly string[], readme: string): string[] {
  const anchors = documentAnchors(readme);
  const linked = descriptions.flatMap((description) => [...description.matchAll(/README\.md#([\w-]+)/g)].map((match) => match[1]!));
  return [...new Set(linked)].filter((anchor) => !anchors.has(anchor));
}
