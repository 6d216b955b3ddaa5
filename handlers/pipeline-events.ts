/**
 * The pipeline-events contract: one event per change of a raw key the processor applied to the lake
 * (`processing.completed` for a version converted, `processing.deleted` for a deleted key whose
 * outputs were removed), published to the pipeline-events topic (messaging layer) after the change is
 * committed. Subscribers filter on the message attributes without parsing the body.
 */
import { PublishCommand, type PublishCommandInput, type SNSClient } from "@aws-sdk/client-sns";
import type { BoundedPartitionList } from "./completion-event";

/** Bumped when a field changes meaning; subscribers may filter on it. */
export const PIPELINE_EVENT_VERSION = "1";

/** Message attributes every pipeline event carries. */
export const PIPELINE_EVENT_ATTRIBUTES = { type: "eventType", dataset: "dataset", version: "eventVersion" } as const;

/** The raw object version an event is about. */
export interface EventSource {
  readonly bucket: string;
  readonly key: string;
  readonly etag: string;
  readonly versionId?: string;
}

/**
 * `partitions` lists the partitions written under `processed/<dataset>/` (path such as
 * `year=2026/month=11/day=20`, first file's key, rows, and file count when several), as many as fit
 * in one SNS message; `partitionCount` counts them all and `partitionsOmitted` those left out.
 */
export interface ProcessingCompletedEvent extends BoundedPartitionList {
  readonly type: "processing.completed";
  readonly dataset: string;
  readonly source: EventSource;
  readonly rowsRead: number;
  readonly rowsWritten: number;
  readonly rowsRejected: number;
  /** Outputs of the key's previous version that this one replaced (and that were deleted). */
  readonly replacedOutputs: number;
  /** ISO 8601, UTC. */
  readonly completedAt: string;
}

export interface ProcessingDeletedEvent {
  readonly type: "processing.deleted";
  readonly dataset: string;
  readonly source: EventSource;
  /** Outputs of the deleted key that were removed from the lake. */
  readonly removedOutputs: number;
  /** ISO 8601, UTC. */
  readonly completedAt: string;
}

export type PipelineEvent = ProcessingCompletedEvent | ProcessingDeletedEvent;

/**
 * The SNS publish request for an event: its JSON body and the attributes subscribers filter on.
 *
 * @example
 * ```ts
 * await sns.send(new PublishCommand(pipelineEventMessage(topicArn, event)));
 * ```
 */
export function pipelineEventMessage(topicArn: string, event: PipelineEvent): PublishCommandInput {
  return {
    TopicArn: topicArn,
    Message: JSON.stringify({ version: PIPELINE_EVENT_VERSION, ...event }),
    MessageAttributes: {
      [PIPELINE_EVENT_ATTRIBUTES.type]: { DataType: "String", StringValue: event.type },
      [PIPELINE_EVENT_ATTRIBUTES.dataset]: { DataType: "String", StringValue: event.dataset },
      [PIPELINE_EVENT_ATTRIBUTES.version]: { DataType: "String", StringValue: PIPELINE_EVENT_VERSION },
    },
  };
}

/**
 * Publishes one pipeline event.
 *
 * @example
 * ```ts
 * await publishPipelineEvent({ sns, topicArn }, { type: "processing.completed", dataset: "events", ... });
 * ```
 */
export async function publishPipelineEvent(
  deps: { readonly sns: Pick<SNSClient, "send">; readonly topicArn: string },
  event: PipelineEvent,
): Promise<void> {
  await deps.sns.send(new PublishCommand(pipelineEventMessage(deps.topicArn, event)));
}
