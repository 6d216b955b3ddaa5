/**
 * Subscribers of the pipeline-events topic, written in stack config as `<protocol>:<endpoint>`
 * strings so that one list key holds every kind: `email:data-team@example.com`,
 * `https://hooks.example.com/datalake`, `sqs:arn:aws:sqs:eu-west-1:123456789012:lake-events`.
 */
import { EMAIL_PATTERN } from "./keys";

export type SubscriberProtocol = "email" | "https" | "sqs";

export interface PipelineEventSubscriber {
  readonly protocol: SubscriberProtocol;
  /** What SNS takes as the subscription endpoint: the address, the URL or the queue ARN. */
  readonly endpoint: string;
}

/** What a subscriber entry may look like, in words, for error messages and the README. */
export const SUBSCRIBER_ACCEPTS =
  "subscribers written email:<address>, https://<host>/<path> or sqs:<standard queue ARN>, e.g. email:data-team@example.com";

/** A standard queue's ARN: FIFO queues cannot subscribe to a standard topic. */
const SQS_ARN_PATTERN = /^arn:aws(?:-[a-z]+)*:sqs:[a-z]{2}(?:-[a-z]+)+-\d:\d{12}:[A-Za-z0-9_-]{1,80}$/;

function httpsEndpoint(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.protocol !== "https:" || url.hostname === "" || url.username !== "" || url.password !== "") return undefined;
  return value;
}

/**
 * Reads one subscriber entry, or returns undefined when it is not one of the accepted forms.
 *
 * @example
 * ```ts
 * parseSubscriber("sqs:arn:aws:sqs:eu-west-1:123456789012:lake-events");
 * // { protocol: "sqs", endpoint: "arn:aws:sqs:eu-west-1:123456789012:lake-events" }
 * ```
 */
export function parseSubscriber(entry: string): PipelineEventSubscriber | undefined {
  const value = entry.trim();
  if (value.startsWith("email:")) {
    const address = value.slice("email:".length);
    return EMAIL_PATTERN.test(address) ? { protocol: "email", endpoint: address } : undefined;
  }
  if (value.startsWith("https://")) {
    const url = httpsEndpoint(value);
    return url === undefined ? undefined : { protocol: "https", endpoint: url };
  }
  if (value.startsWith("sqs:")) {
    const arn = value.slice("sqs:".length);
    return SQS_ARN_PATTERN.test(arn) ? { protocol: "sqs", endpoint: arn } : undefined;
  }
  return undefined;
}
