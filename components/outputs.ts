/**
 * The shapes in which the layers publish what they build: one object per resource, holding the
 * identifiers other layers and operators use (`{ arn, url, name }` for a queue). A layer declares its
 * outputs once, as an interface of these (e.g. `MessagingOutputs`), merged into its component class,
 * so that the interface reads as the list of what the layer builds:
 *
 * @example
 * ```ts
 * export interface MessagingOutputs { readonly processingQueue: QueueOutputs; … }
 * export interface Messaging extends MessagingOutputs {}
 * export class Messaging extends pulumi.ComponentResource {
 *   constructor(…) {
 *     …
 *     const outputs: MessagingOutputs = { processingQueue: queueOutputs(processingQueue), … };
 *     Object.assign(this, outputs);
 *     this.registerOutputs(outputs);
 *   }
 * }
 * ```
 *
 * Stack outputs keep their flat names (`deadLetterQueueUrl`, …): index.ts derives them from these.
 */
import type * as pulumi from "@pulumi/pulumi";

/** A resource AWS names and gives an ARN: a topic, a bucket, a workgroup. */
export interface NamedResourceOutputs {
  readonly name: pulumi.Output<string>;
  readonly arn: pulumi.Output<string>;
}

export type TopicOutputs = NamedResourceOutputs;
export type BucketOutputs = NamedResourceOutputs;

/** An SQS queue: its ARN for policies, its URL for the SQS API, its name for CloudWatch. */
export interface QueueOutputs extends NamedResourceOutputs {
  readonly url: pulumi.Output<string>;
}

/** A Lambda function with the log group it writes to. */
export interface FunctionOutputs extends NamedResourceOutputs {
  readonly logGroupName: pulumi.Output<string>;
}

/** The outputs of anything with `arn` and `name`, e.g. an `aws.sns.Topic`. */
export function namedResourceOutputs(resource: { readonly arn: pulumi.Output<string>; readonly name: pulumi.Output<string> }): NamedResourceOutputs {
  return { name: resource.name, arn: resource.arn };
}

/** The outputs of an `aws.sqs.Queue`. */
export function queueOutputs(queue: { readonly arn: pulumi.Output<string>; readonly url: pulumi.Output<string>; readonly name: pulumi.Output<string> }): QueueOutputs {
  return { name: queue.name, arn: queue.arn, url: queue.url };
}

/** The outputs of a function and its log group. */
export function functionOutputs(fn: { readonly arn: pulumi.Output<string>; readonly name: pulumi.Output<string> }, logGroup: { readonly name: pulumi.Output<string> }): FunctionOutputs {
  return { name: fn.name, arn: fn.arn, logGroupName: logGroup.name };
}
