/**
 * SQS queues: encrypted with a KMS key, and every queue a Lambda function consumes has a
 * dead-letter queue that keeps messages longer than the queue itself and a visibility timeout that
 * outlasts the consumer's retries.
 *
 * Sources: SQS Developer Guide, "Setting up dead-letter queue retention": for standard queues a
 * message's expiry is based on its original enqueue timestamp, which moving it to a DLQ does not
 * reset, so "always set the retention period of a dead-letter queue to be longer than the retention
 * period of the original queue". Lambda Developer Guide, "Creating and configuring an Amazon SQS event
 * source mapping": set the source queue's visibility timeout to at least six times the function's
 * timeout. Defaults when unset: retention 345,600 s (4 days), visibility 30 s, function timeout 3 s.
 *
 * At preview of a new stack the mapping's `eventSourceArn`, the function's ARN and the queue's
 * `redrivePolicy` (it names the DLQ's ARN) are unknown; the links come from input dependencies, and
 * numbers given as plain inputs (retention, timeouts) are known, so these rules already work then.
 */
import { consumersOf, QUEUE } from "../functions";
import { customerManagedKeyFindings } from "./kms";
import { UNKNOWN, asString, isRecord } from "../inputs";
import type { ResourceView, StackView } from "../resources";
import type { Finding, ResourceRule, StackRule } from "../rule";

export const REDRIVE_POLICY = "aws:sqs/redrivePolicy:RedrivePolicy";
const DEFAULT_RETENTION_SECONDS = 345_600;
/** SQS's longest retention: 14 days. */
const MAX_RETENTION_SECONDS = 1_209_600;
const DEFAULT_VISIBILITY_SECONDS = 30;
const DEFAULT_FUNCTION_TIMEOUT_SECONDS = 3;
/** Lambda Developer Guide (SQS event source mapping): visibility timeout ≥ 6 × function timeout. */
export const VISIBILITY_TIMEOUT_FACTOR = 6;

export const sqsKms: ResourceRule = {
  kind: "resource",
  name: "sqs-kms",
  description: "Every queue is encrypted with a KMS key (not SQS-managed SSE).",
  level: "mandatory",
  remediation: "Set kmsMasterKeyId to the lake's customer-managed key.",
  types: [QUEUE],
  check: (queue) => customerManagedKeyFindings(queue, "alias/aws/sqs", "SNS and S3 cannot deliver through"),
};

/** A queue's redrive policy: its dead-letter target when known, or `UNKNOWN` when set but not known yet. */
function redriveOf(stack: StackView, queue: ResourceView): { readonly present: boolean; readonly targets: ResourceView[] } {
  const queues = stack.ofType(QUEUE);
  const inline = queue.inputs.value("redrivePolicy");
  const separate = stack.referring(queue, [REDRIVE_POLICY], "queueUrl", ["url", "id"]);
  const sources: { holder: ResourceView; property: string; value: unknown }[] = [
    ...(inline === undefined || inline === "" ? [] : [{ holder: queue, property: "redrivePolicy", value: inline }]),
    ...separate.map((holder) => ({ holder, property: "redrivePolicy", value: holder.inputs.value("redrivePolicy") })),
  ];
  const targets = sources.flatMap(({ holder, property, value }) => {
    const arn = deadLetterTargetArn(value);
    return stack.referenced(holder, property, queues, ["arn"], arn === undefined ? [] : [arn]).filter((target) => target.urn !== queue.urn);
  });
  return { present: sources.length > 0, targets };
}

function deadLetterTargetArn(value: unknown): string | undefined {
  let parsed: unknown = value;
  if (typeof value === "string") {
    try {
      parsed = JSON.parse(value);
    } catch {
      return undefined;
    }
  }
  if (!isRecord(parsed)) return undefined;
  const arn = asString(parsed["deadLetterTargetArn"]);
  return typeof arn === "string" ? arn : undefined;
}

/** Queues consumed by at least one Lambda event source mapping. */
function consumedQueues(stack: StackView): ResourceView[] {
  return stack.ofType(QUEUE).filter((queue) => consumersOf(stack, queue).length > 0);
}

export const sqsConsumerDlq: StackRule = {
  kind: "stack",
  name: "sqs-consumer-dlq",
  description: "Every queue a Lambda function consumes has a dead-letter queue.",
  level: "mandatory",
  remediation: "Set the queue's redrivePolicy to {deadLetterTargetArn, maxReceiveCount}.",
  check: (stack) =>
    consumedQueues(stack).flatMap((queue) =>
      redriveOf(stack, queue).present
        ? []
        : [{ resource: queue, problem: "is consumed by a function but has no dead-letter queue: a message that always fails is retried until it expires", property: "redrivePolicy", fix: 'JSON {"deadLetterTargetArn": <DLQ ARN>, "maxReceiveCount": 3}' }],
    ),
};

function retentionOf(queue: ResourceView): number | typeof UNKNOWN {
  const value = queue.inputs.num("messageRetentionSeconds");
  return value === undefined ? DEFAULT_RETENTION_SECONDS : value;
}

export const sqsDlqRetentionLonger: StackRule = {
  kind: "stack",
  name: "sqs-dlq-retention-longer",
  description: "A consumed queue's dead-letter queue keeps messages longer than the queue does (standard queues).",
  level: "mandatory",
  remediation: "Set the DLQ's messageRetentionSeconds above the source queue's (or lower the source's).",
  check: (stack) =>
    consumedQueues(stack).flatMap((queue) => {
      if (queue.inputs.bool("fifoQueue") === true) return [];
      const source = retentionOf(queue);
      return redriveOf(stack, queue).targets.flatMap((dlq): Finding[] => {
        const kept = retentionOf(dlq);
        if (source === UNKNOWN || kept === UNKNOWN || kept > source) return [];
        const problem = `keeps messages ${kept} s, not longer than its source queue ${queue.name} (${source} s); a message's age counts from when it entered the source, so it can expire in the DLQ before anyone reads it`;
        // The source already keeps messages as long as SQS allows: only lowering it can fix this.
        return source >= MAX_RETENTION_SECONDS
          ? [{ resource: dlq, problem, property: "messageRetentionSeconds", on: queue, fix: `less than ${kept} (the DLQ cannot keep messages longer than ${MAX_RETENTION_SECONDS} s)` }]
          : [{ resource: dlq, problem, property: "messageRetentionSeconds", fix: `more than ${source} (at most ${MAX_RETENTION_SECONDS})` }];
      });
    }),
};

export const sqsVisibilityTimeout: StackRule = {
  kind: "stack",
  name: "sqs-visibility-timeout",
  description: "A consumed queue's visibility timeout is at least 6× its consumer function's timeout.",
  level: "mandatory",
  remediation: "Raise the queue's visibilityTimeoutSeconds to 6 × the function's timeout (or lower the timeout).",
  check: (stack) =>
    consumedQueues(stack).flatMap((queue) => {
      const visibility = queue.inputs.num("visibilityTimeoutSeconds");
      const seconds = visibility === undefined ? DEFAULT_VISIBILITY_SECONDS : visibility;
      return consumersOf(stack, queue).flatMap(({ fn }): Finding[] => {
        const timeout = fn.inputs.num("timeout");
        const functionTimeout = timeout === undefined ? DEFAULT_FUNCTION_TIMEOUT_SECONDS : timeout;
        if (seconds === UNKNOWN || functionTimeout === UNKNOWN || seconds >= VISIBILITY_TIMEOUT_FACTOR * functionTimeout) return [];
        return [
          {
            resource: queue,
            problem: `hides a received message for ${seconds} s, less than ${VISIBILITY_TIMEOUT_FACTOR} × the ${functionTimeout} s timeout of its consumer ${fn.name}`,
            property: "visibilityTimeoutSeconds",
            fix: `at least ${VISIBILITY_TIMEOUT_FACTOR * functionTimeout}`,
          },
        ];
      });
    }),
};

export const SQS_RULES = [sqsKms, sqsConsumerDlq, sqsDlqRetentionLonger, sqsVisibilityTimeout] as const;
