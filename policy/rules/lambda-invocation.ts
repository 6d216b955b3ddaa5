/**
 * How functions are invoked: asynchronous invocations end somewhere when they fail, reserved
 * concurrency leaves the account's minimum unreserved, and a scheduled job never overlaps itself.
 *
 * - Failure destination: for asynchronous invocations (S3, SNS, EventBridge, Scheduler, CloudWatch
 *   Logs, SES, IoT, … invoke asynchronously: Lambda Developer Guide, "Invoking a Lambda function
 *   asynchronously"), Lambda retries twice and then drops the event unless the function has a
 *   dead-letter queue (`deadLetterConfig`) or an on-failure destination
 *   (`FunctionEventInvokeConfig`, "Capturing records of Lambda asynchronous invocations").
 * - Concurrency budget: "You can reserve concurrency for as many functions as you like, as long as you
 *   leave at least 100 simultaneous executions unreserved" (Lambda API Reference,
 *   PutFunctionConcurrency). The account quota is a pack setting (default 1000, the AWS default);
 *   this stack's reservations must leave those 100.
 * - Scheduled jobs: a scheduled run that outlives its period starts a second run beside it; reserved
 *   concurrency 1 makes Lambda throttle (and retry) the second instead.
 *
 * Links (permission → function, target → rule, config → function) come from input dependencies, so
 * these checks hold at preview of a new stack.
 */
import { FUNCTION, eventTargetsOf, invokeConfigsOf, isScheduled, notificationsOf, permissionsOf, subscriptionsOf } from "../functions";
import { UNKNOWN } from "../inputs";
import type { ResourceView, StackView } from "../resources";
import type { Finding, StackRule } from "../rule";

/** Service principals that invoke functions asynchronously. */
export const ASYNC_INVOKERS = [
  "s3.amazonaws.com",
  "sns.amazonaws.com",
  "events.amazonaws.com",
  "scheduler.amazonaws.com",
  "logs.amazonaws.com",
  "ses.amazonaws.com",
  "iot.amazonaws.com",
  "codecommit.amazonaws.com",
  "config.amazonaws.com",
] as const;

/** Lambda's floor of unreserved concurrency per account (PutFunctionConcurrency). */
export const UNRESERVED_MINIMUM = 100;

/**
 * Whether something in the stack invokes the function asynchronously.
 *
 * @example
 * ```ts
 * isInvokedAsynchronously(stack, ingest); // true: a Permission for s3.amazonaws.com and a BucketNotification
 * ```
 */
export function isInvokedAsynchronously(stack: StackView, fn: ResourceView): boolean {
  const byPermission = permissionsOf(stack, fn).some((permission) => {
    const principal = permission.inputs.str("principal");
    return typeof principal === "string" && (ASYNC_INVOKERS as readonly string[]).includes(principal);
  });
  return byPermission || notificationsOf(stack, fn).length > 0 || subscriptionsOf(stack, fn).length > 0 || eventTargetsOf(stack, fn).length > 0;
}

function hasFailureDestination(stack: StackView, fn: ResourceView): boolean {
  if (fn.inputs.has("deadLetterConfig", "targetArn")) return true;
  return invokeConfigsOf(stack, fn).some((config) => config.inputs.has("destinationConfig", "onFailure", "destination"));
}

export const lambdaAsyncFailureDestination: StackRule = {
  kind: "stack",
  name: "lambda-async-failure-destination",
  description: "Every function invoked asynchronously has a dead-letter queue or an on-failure destination.",
  level: "mandatory",
  remediation: "Add an aws.lambda.FunctionEventInvokeConfig with destinationConfig.onFailure.destination (a queue), or set deadLetterConfig.targetArn.",
  check: (stack) =>
    stack.ofType(FUNCTION).flatMap((fn): Finding[] =>
      isInvokedAsynchronously(stack, fn) && !hasFailureDestination(stack, fn)
        ? [{ resource: fn, problem: "is invoked asynchronously but has no dead-letter queue or on-failure destination, so events Lambda gives up on are lost", property: "destinationConfig.onFailure.destination", on: "a new aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig for this function", fix: "the ARN of a failure queue (or set deadLetterConfig.targetArn on the function)" }]
        : [],
    ),
};

function reservedOf(fn: ResourceView): number | typeof UNKNOWN {
  const reserved = fn.inputs.num("reservedConcurrentExecutions");
  return reserved === undefined ? -1 : reserved;
}

export const lambdaReservedConcurrencyBudget: StackRule = {
  kind: "stack",
  name: "lambda-reserved-concurrency-budget",
  description: "The stack's reserved concurrency leaves the account's 100 unreserved executions (quota: accountConcurrencyLimit, default 1000).",
  level: "mandatory",
  remediation: "Lower reservedConcurrentExecutions, or raise the account's concurrency quota and the pack's accountConcurrencyLimit.",
  check: (stack, { settings }) => {
    const reserving = stack.ofType(FUNCTION).flatMap((fn) => {
      const reserved = reservedOf(fn);
      return reserved !== UNKNOWN && reserved > 0 ? [{ fn, reserved }] : [];
    });
    const total = reserving.reduce((sum, { reserved }) => sum + reserved, 0);
    const budget = settings.accountConcurrencyLimit - UNRESERVED_MINIMUM;
    const largest = [...reserving].sort((a, b) => b.reserved - a.reserved)[0];
    if (total <= budget || largest === undefined) return [];
    return [
      {
        resource: largest.fn,
        problem: `the stack reserves ${total} concurrent executions (${reserving.map(({ fn, reserved }) => `${fn.name} ${reserved}`).join(", ")}), more than the ${budget} an account of ${settings.accountConcurrencyLimit} can reserve while keeping ${UNRESERVED_MINIMUM} unreserved`,
        property: "reservedConcurrentExecutions",
        fix: `at most ${Math.max(0, largest.reserved - (total - budget))}`,
      },
    ];
  },
};

export const lambdaScheduledSingleRun: StackRule = {
  kind: "stack",
  name: "lambda-scheduled-single-run",
  description: "A function run on a schedule has reserved concurrency 1, so runs never overlap.",
  level: "mandatory",
  remediation: "Set reservedConcurrentExecutions to 1 on the scheduled function.",
  check: (stack) =>
    stack.ofType(FUNCTION).flatMap((fn): Finding[] => {
      if (!isScheduled(stack, fn)) return [];
      const reserved = reservedOf(fn);
      return reserved === 1 || reserved === UNKNOWN
        ? []
        : [{ resource: fn, problem: `runs on a schedule with ${reserved < 0 ? "no reserved concurrency" : `reserved concurrency ${reserved}`}, so a slow run and the next one can overlap`, property: "reservedConcurrentExecutions", fix: "1" }];
    }),
};

export const LAMBDA_INVOCATION_RULES = [lambdaAsyncFailureDestination, lambdaReservedConcurrencyBudget, lambdaScheduledSingleRun] as const;
