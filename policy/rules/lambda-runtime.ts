/**
 * Lambda runtimes: every function runs on a runtime Lambda supports and has not deprecated, and a
 * warning starts well before the deprecation date so the upgrade is planned, not forced.
 *
 * Dates: Lambda Developer Guide, "Lambda runtimes" (supported runtimes table, "Deprecation date"),
 * recorded 2026-11-30. After deprecation Lambda stops patching the runtime, then blocks creating and
 * later updating functions on it ("Runtime deprecation policy"). A runtime missing from the table
 * is treated as unsupported: add it (with its date) when Lambda releases it.
 */
import { FUNCTION } from "../functions";
import { UNKNOWN } from "../inputs";
import type { ResourceView } from "../resources";
import type { Finding, ResourceRule } from "../rule";

/** Supported Node.js runtimes and their deprecation dates (UTC). */
export const RUNTIME_DEPRECATIONS: Readonly<Record<string, string>> = {
  "nodejs20.x": "2026-04-30",
  "nodejs22.x": "2027-04-30",
  "nodejs24.x": "2028-04-30",
};

const DAY_MS = 86_400_000;

/** The newest runtime in the table, suggested in messages. */
export const NEWEST_RUNTIME = Object.entries(RUNTIME_DEPRECATIONS).sort(([, a], [, b]) => b.localeCompare(a))[0]![0];

function runtimeOf(fn: ResourceView): string | undefined {
  if (fn.inputs.str("packageType") === "Image") return undefined;
  const runtime = fn.inputs.str("runtime");
  return runtime === UNKNOWN ? undefined : (runtime ?? "(none)");
}

export const lambdaRuntimeSupported: ResourceRule = {
  kind: "resource",
  name: "lambda-runtime-supported",
  description: "Every function runs on a Lambda runtime that is supported and not past its deprecation date.",
  level: "mandatory",
  remediation: `Set runtime to a supported runtime (${NEWEST_RUNTIME}).`,
  types: [FUNCTION],
  check: (fn, { now }) => {
    const runtime = runtimeOf(fn);
    if (runtime === undefined) return [];
    const deprecation = RUNTIME_DEPRECATIONS[runtime];
    if (deprecation !== undefined && now.getTime() < Date.parse(`${deprecation}T00:00:00Z`)) return [];
    const problem = deprecation === undefined ? `runs on ${runtime}, not a supported Lambda runtime` : `runs on ${runtime}, deprecated since ${deprecation}`;
    return [{ resource: fn, problem, property: "runtime", fix: NEWEST_RUNTIME }];
  },
};

export const lambdaRuntimeDeprecationSoon: ResourceRule = {
  kind: "resource",
  name: "lambda-runtime-deprecation-soon",
  description: "Warns when a function's runtime is deprecated within the warning window (180 days by default).",
  level: "advisory",
  remediation: `Plan the move to ${NEWEST_RUNTIME} before the deprecation date.`,
  types: [FUNCTION],
  check: (fn, { now, settings }): Finding[] => {
    const runtime = runtimeOf(fn);
    const deprecation = runtime === undefined ? undefined : RUNTIME_DEPRECATIONS[runtime];
    if (runtime === undefined || deprecation === undefined) return [];
    const days = Math.ceil((Date.parse(`${deprecation}T00:00:00Z`) - now.getTime()) / DAY_MS);
    if (days <= 0 || days > settings.runtimeWarningDays || runtime === NEWEST_RUNTIME) return [];
    return [{ resource: fn, problem: `runs on ${runtime}, which Lambda deprecates on ${deprecation} (in ${days} days)`, property: "runtime", fix: NEWEST_RUNTIME }];
  },
};

export const LAMBDA_RUNTIME_RULES = [lambdaRuntimeSupported, lambdaRuntimeDeprecationSoon] as const;
