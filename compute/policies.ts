/**
 * Least-privilege inline policies of each function's role, as pure functions of ARNs. Every
 * statement names its resources; none uses `*`.
 */
import { PolicyDocument, policyDocument } from "../iam/documents";
import { ZONES } from "../storage/zones";

export interface IngestPolicyArgs {
  readonly ingestTopicArn: string;
  /** The on-failure destination of asynchronous invocations; Lambda sends to it with the function's role. */
  readonly ingestFailuresQueueArn: string;
  readonly kmsKeyArn: string;
}

/** Ingest publishes to the ingest topic and records failed invocations, encrypting with the lake key. */
export function ingestPolicy(args: IngestPolicyArgs): PolicyDocument {
  return policyDocument(
    { Sid: "PublishLandedObjects", Effect: "Allow", Action: ["sns:Publish"], Resource: args.ingestTopicArn },
    { Sid: "RecordFailedInvocations", Effect: "Allow", Action: ["sqs:SendMessage"], Resource: args.ingestFailuresQueueArn },
    { Sid: "UseLakeKey", Effect: "Allow", Action: ["kms:GenerateDataKey", "kms:Decrypt"], Resource: args.kmsKeyArn },
  );
}

export interface ProcessorPolicyArgs {
  readonly lakeBucketArn: string;
  readonly processingQueueArn: string;
  readonly kmsKeyArn: string;
}

/** The processor reads raw objects, writes processed and rejected ones, and consumes its queue. */
export function processorPolicy(args: ProcessorPolicyArgs): PolicyDocument {
  const objects = (prefix: string): string => `${args.lakeBucketArn}/${prefix}*`;
  return policyDocument(
    { Sid: "ReadRawObjects", Effect: "Allow", Action: ["s3:GetObject", "s3:GetObjectVersion"], Resource: objects(ZONES.raw) },
    {
      Sid: "WriteProcessedAndRejectedObjects",
      Effect: "Allow",
      Action: ["s3:PutObject", "s3:AbortMultipartUpload"],
      Resource: [objects(ZONES.processed), objects(ZONES.rejected)],
    },
    {
      Sid: "ConsumeProcessingQueue",
      Effect: "Allow",
      Action: ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"],
      Resource: args.processingQueueArn,
    },
    { Sid: "UseLakeKey", Effect: "Allow", Action: ["kms:GenerateDataKey", "kms:Decrypt"], Resource: args.kmsKeyArn },
  );
}
