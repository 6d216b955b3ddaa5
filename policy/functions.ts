/**
 * How a Lambda function is wired, read from the stack: its role and the policy documents that role
 * holds, what triggers it (SQS event source mappings, S3 notifications, SNS subscriptions,
 * EventBridge targets, invoke permissions) and its asynchronous-invocation configuration.
 *
 * Why one module: several rules (event-driven readers, interface endpoints, failure destinations,
 * scheduled jobs, queue settings) ask these same questions; answering them once keeps each rule to
 * its concern. Every link goes through {@link StackView.refersTo}, so it holds at preview (by input
 * dependency) and after `up` (by equal ARNs and names).
 *
 * @example
 * ```ts
 * for (const fn of stack.ofType(FUNCTION)) {
 *   const documents = roleDocuments(stack, fn); // what the function may do
 *   const queues = consumedQueues(stack, fn);    // what it polls
 * }
 * ```
 */
import { PolicyDocument, parseDocument } from "./documents";
import { Maybe, UNKNOWN, asRecord, isRecord } from "./inputs";
import type { ResourceView, StackView } from "./resources";

export const FUNCTION = "aws:lambda/function:Function";
export const EVENT_SOURCE_MAPPING = "aws:lambda/eventSourceMapping:EventSourceMapping";
export const INVOKE_CONFIG = "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig";
export const PERMISSION = "aws:lambda/permission:Permission";
export const BUCKET_NOTIFICATION = "aws:s3/bucketNotification:BucketNotification";
export const TOPIC_SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription";
export const EVENT_RULE = "aws:cloudwatch/eventRule:EventRule";
export const EVENT_TARGET = "aws:cloudwatch/eventTarget:EventTarget";
export const SCHEDULE = "aws:scheduler/schedule:Schedule";
export const QUEUE = "aws:sqs/queue:Queue";
export const ROLE = "aws:iam/role:Role";
export const ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy";
export const ROLE_POLICY_ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment";
export const MANAGED_POLICY = "aws:iam/policy:Policy";

/** A function's identifying attributes, as other resources name it. */
const FUNCTION_ATTRIBUTES = ["arn", "name", "qualifiedArn", "invokeArn"] as const;

/** The roles a function runs with. */
export function rolesOf(stack: StackView, fn: ResourceView): ResourceView[] {
  return stack.referenced(fn, "role", stack.ofType(ROLE), ["arn"]);
}

/** One identity policy document a role holds, with the resource that holds it. */
export interface HeldDocument {
  readonly holder: ResourceView;
  readonly document: Maybe<PolicyDocument>;
}

/**
 * The identity policy documents a role holds in this stack: its `inlinePolicies`, its `RolePolicy`
 * resources and the customer-managed `Policy` resources attached to it. AWS-managed policies are not
 * in the stack and are left out (the `iam-no-full-access-managed-policy` rule looks at their names).
 */
export function roleDocuments(stack: StackView, role: ResourceView): HeldDocument[] {
  const inline = role.inputs.list("inlinePolicies");
  const fromInline: HeldDocument[] =
    inline === UNKNOWN
      ? [{ holder: role, document: UNKNOWN }]
      : (inline ?? []).map((entry): HeldDocument => ({ holder: role, document: parseDocument(isRecord(entry) ? entry["policy"] : entry) }));
  const fromRolePolicies = stack.referring(role, [ROLE_POLICY], "role", ["id", "name"]).map((holder): HeldDocument => ({ holder, document: parseDocument(holder.inputs.value("policy")) }));
  const attached = stack.referring(role, [ROLE_POLICY_ATTACHMENT], "role", ["id", "name"]);
  const fromManaged = attached.flatMap((attachment) =>
    stack.referenced(attachment, "policyArn", stack.ofType(MANAGED_POLICY), ["arn"]).map((holder): HeldDocument => ({ holder, document: parseDocument(holder.inputs.value("policy")) })),
  );
  return [...fromInline, ...fromRolePolicies, ...fromManaged];
}

/** Every identity document of every role of a function. */
export function functionDocuments(stack: StackView, fn: ResourceView): HeldDocument[] {
  return rolesOf(stack, fn).flatMap((role) => roleDocuments(stack, role));
}

/** The event source mappings that invoke a function. */
export function mappingsOf(stack: StackView, fn: ResourceView): ResourceView[] {
  return stack.referring(fn, [EVENT_SOURCE_MAPPING], "functionName", FUNCTION_ATTRIBUTES);
}

/** The queues a function consumes through event source mappings. */
export function consumedQueues(stack: StackView, fn: ResourceView): ResourceView[] {
  return mappingsOf(stack, fn).flatMap((mapping) => stack.referenced(mapping, "eventSourceArn", stack.ofType(QUEUE), ["arn"]));
}

/** The functions that consume a queue, with the mapping that connects them. */
export function consumersOf(stack: StackView, queue: ResourceView): { mapping: ResourceView; fn: ResourceView }[] {
  return stack
    .referring(queue, [EVENT_SOURCE_MAPPING], "eventSourceArn", ["arn"])
    .flatMap((mapping) => stack.referenced(mapping, "functionName", stack.ofType(FUNCTION), FUNCTION_ATTRIBUTES).map((fn) => ({ mapping, fn })));
}

/** Known values inside a list of objects' `key` (e.g. a notification's `lambdaFunctions[].lambdaFunctionArn`). */
function valuesIn(resource: ResourceView, list: string, key: string): string[] {
  const entries = resource.inputs.list(list);
  if (entries === UNKNOWN || entries === undefined) return [];
  return entries.flatMap((entry) => {
    const record = asRecord(entry);
    const value = record === UNKNOWN || record === undefined ? undefined : record[key];
    return typeof value === "string" ? [value] : [];
  });
}

/** S3 notifications that invoke the function. */
export function notificationsOf(stack: StackView, fn: ResourceView): ResourceView[] {
  return stack
    .ofType(BUCKET_NOTIFICATION)
    .filter((notification) => stack.refersTo(notification, "lambdaFunctions", fn, FUNCTION_ATTRIBUTES, valuesIn(notification, "lambdaFunctions", "lambdaFunctionArn")));
}

/** SNS subscriptions that deliver to the function. */
export function subscriptionsOf(stack: StackView, fn: ResourceView): ResourceView[] {
  return stack.referring(fn, [TOPIC_SUBSCRIPTION], "endpoint", FUNCTION_ATTRIBUTES).filter((subscription) => subscription.inputs.str("protocol") === "lambda");
}

/** EventBridge targets and EventBridge Scheduler schedules that invoke the function. */
export function eventTargetsOf(stack: StackView, fn: ResourceView): ResourceView[] {
  const targets = stack.referring(fn, [EVENT_TARGET], "arn", FUNCTION_ATTRIBUTES);
  const schedules = stack.ofType(SCHEDULE).filter((schedule) => stack.refersTo(schedule, "target", fn, FUNCTION_ATTRIBUTES, targetArns(schedule)));
  return [...targets, ...schedules];
}

function targetArns(schedule: ResourceView): string[] {
  const arn = schedule.inputs.str("target", "arn");
  return typeof arn === "string" ? [arn] : [];
}

/** Whether the function runs on a schedule: an EventBridge rule with a `scheduleExpression`, or a Scheduler schedule. */
export function isScheduled(stack: StackView, fn: ResourceView): boolean {
  return eventTargetsOf(stack, fn).some((target) => {
    if (target.type === SCHEDULE) return true;
    return stack.referenced(target, "rule", stack.ofType(EVENT_RULE), ["name", "id", "arn"]).some((rule) => rule.inputs.has("scheduleExpression"));
  });
}

/** Invoke permissions granted on the function. */
export function permissionsOf(stack: StackView, fn: ResourceView): ResourceView[] {
  return stack.referring(fn, [PERMISSION], "function", FUNCTION_ATTRIBUTES);
}

/** The asynchronous-invocation configurations of the function. */
export function invokeConfigsOf(stack: StackView, fn: ResourceView): ResourceView[] {
  return stack.referring(fn, [INVOKE_CONFIG], "functionName", FUNCTION_ATTRIBUTES);
}
