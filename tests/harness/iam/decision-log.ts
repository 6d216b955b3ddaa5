/**
 * Every authorization decision of the local policy endpoint, in order: who asked for what on which
 * resource, the outcome, and which policy and statement decided. Kept in memory (and appended to a
 * JSON Lines file when one is given) so that a test can fail on any denial it did not expect, and a
 * person can read why a request was refused.
 *
 * @example
 * ```ts
 * endpoint.log.expectDenial({ principal: "producer", action: "s3:PutObject", resource: /\/processed\// });
 * // … run the scenario …
 * expect(endpoint.log.unexpectedDenials()).toEqual([]);
 * ```
 */
import { appendFileSync } from "node:fs";
import type { DecisiveStatement, EvaluationOutcome } from "./evaluate";

/**
 * - `request`: the request's own permission.
 * - `implicit-kms`: a call a service makes to KMS for the caller.
 * - `missing-object`: the `s3:ListBucket` check S3 makes before telling a caller an object does not exist.
 * - `admin`: a harness request, logged without evaluation.
 * - `unknown-caller`, `not-modelled`: refused without evaluation.
 */
export type DecisionPhase = "request" | "implicit-kms" | "missing-object" | "admin" | "always-allowed" | "unknown-caller" | "not-modelled";

export interface Decision {
  readonly sequence: number;
  readonly time: string;
  readonly requestId: string;
  /** The principal's name in the model, or the unknown access key id. */
  readonly principal: string;
  readonly callerArn?: string;
  readonly service: string;
  readonly operation?: string;
  readonly action?: string;
  readonly resource?: string;
  readonly phase: DecisionPhase;
  readonly decision: "allow" | "deny";
  readonly outcome?: EvaluationOutcome | "Bypassed" | "NotModelled" | "UnknownCaller";
  readonly decidedBy: readonly DecisiveStatement[];
  /** Why, in words: the message sent to the caller for a denial. */
  readonly reason?: string;
  readonly ignoredContextKeys?: readonly string[];
}

export interface DenialExpectation {
  readonly principal?: string;
  readonly action?: string | RegExp;
  readonly resource?: string | RegExp;
  readonly phase?: DecisionPhase;
  /** How many denials this expectation covers; default: any number. */
  readonly times?: number;
}

function matches(pattern: string | RegExp | undefined, value: string | undefined): boolean {
  if (pattern === undefined) return true;
  if (value === undefined) return false;
  return typeof pattern === "string" ? pattern === value : pattern.test(value);
}

export class DecisionLog {
  private readonly entries: Decision[] = [];
  private readonly expectations: DenialExpectation[] = [];

  /** @param jsonLinesPath - a file to append each decision to, as one JSON object per line. */
  constructor(private readonly jsonLinesPath?: string) {}

  record(decision: Omit<Decision, "sequence" | "time">, now: Date = new Date()): Decision {
    const entry: Decision = { sequence: this.entries.length + 1, time: now.toISOString(), ...decision };
    this.entries.push(entry);
    if (this.jsonLinesPath) appendFileSync(this.jsonLinesPath, `${JSON.stringify(entry)}\n`);
    return entry;
  }

  get decisions(): readonly Decision[] {
    return this.entries;
  }

  denials(): Decision[] {
    return this.entries.filter((entry) => entry.decision === "deny");
  }

  /** Declares denials the test provokes on purpose; `unexpectedDenials` leaves them out. */
  expectDenial(expectation: DenialExpectation): void {
    this.expectations.push(expectation);
  }

  /** Denials no expectation covers, in order (each expectation covers at most `times` denials). */
  unexpectedDenials(): Decision[] {
    const remaining = this.expectations.map((expectation) => expectation.times ?? Infinity);
    return this.denials().filter((denial) => {
      const index = this.expectations.findIndex(
        (expectation, position) =>
          remaining[position]! > 0 &&
          (expectation.principal === undefined || expectation.principal === denial.principal) &&
          matches(expectation.action, denial.action) &&
          matches(expectation.resource, denial.resource) &&
          (expectation.phase === undefined || expectation.phase === denial.phase),
      );
      if (index < 0) return true;
      remaining[index]! -= 1;
      return false;
    });
  }

  /** @throws listing every denial no expectation covers. */
  assertNoUnexpectedDenials(): void {
    const unexpected = this.unexpectedDenials();
    if (unexpected.length > 0) {
      throw new Error(`Unexpected denials:\n${unexpected.map((denial) => `- ${denial.principal} ${denial.action ?? denial.operation ?? ""} ${denial.resource ?? ""}: ${denial.reason ?? denial.outcome}`).join("\n")}`);
    }
  }

  /** Forgets decisions and expectations (e.g. between scenarios on one endpoint). */
  clear(): void {
    this.entries.length = 0;
    this.expectations.length = 0;
  }
}
