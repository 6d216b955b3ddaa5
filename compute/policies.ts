/**
 * Least-privilege inline policies of each function's role, as pure functions of ARNs. Every
 * statement names its resources; the only `*` resource is X-Ray's, which AWS does not scope.
 */
import { PolicyDocument, PolicyStatement, objectsUnder, policyDocument } from "../iam/documents";
import { GLUE_PREFIXES, ZONES } from "../storage/zones";

/**
 * X-Ray's PutTraceSegments and PutTelemetryRecords support no resource-level permissions, so the
 * only possible resource is `*` (AWS Service Authorization Reference, AWS X-Ray).
 */
export const XRAY_STATEMENT: PolicyStatement = {
  Sid: "WriteTracesXRayHasNoResourceScoping",
  Effect: "Allow",
  Action: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
  Resource: "*",
};

const withTracing = (tracing: boolean, ...statements: PolicyStatement[]): PolicyDocument =>
  policyDocument(...statements, ...(tracing ? [XRAY_STATEMENT] : []));

export interface IngestPolicyArgs {
  readonly ingestTopicArn: string;
  /** The on-failure destination of asynchronous invocations; Lambda sends to it with the function's role. */
  readonly ingestFailuresQueueArn: string;
  readonly kmsKeyArn: string;
  readonly tracing: boolean;
}

/**
 * Ingest publishes to the ingest topic and records failed invocations, encrypting with the lake key.
 *
 * @example
 * ingestPolicy({ ingestTopicArn: "arn:aws:sns:eu-west-1:1:ingest", ingestFailuresQueueArn: "arn:aws:sqs:…", kmsKeyArn: "arn:aws:kms:…", tracing: false })
 */
export function ingestPolicy(args: IngestPolicyArgs): PolicyDocument {
  return withTracing(
    args.tracing,
    { Sid: "PublishLandedObjects", Effect: "Allow", Action: ["sns:Publish"], Resource: args.ingestTopicArn },
    { Sid: "RecordFailedInvocations", Effect: "Allow", Action: ["sqs:SendMessage"], Resource: args.ingestFailuresQueueArn },
    { Sid: "UseLakeKey", Effect: "Allow", Action: ["kms:GenerateDataKey", "kms:Decrypt"], Resource: args.kmsKeyArn },
  );
}

export interface ProcessorPolicyArgs {
  readonly lakeBucketArn: string;
  /** The heavy path's Glue job, whose runs the processor starts. */
  readonly glueJobArn: string;
  readonly processingQueueArn: string;
  readonly pipelineEventsTopicArn: string;
  readonly kmsKeyArn: string;
  readonly tracing: boolean;
}

/** Reading any version of a raw object: the processor and the Glue job read exactly the version announced. */
export function readRawObjects(lakeBucketArn: string): PolicyStatement {
  return { Sid: "ReadRawObjects", Effect: "Allow", Action: ["s3:GetObject", "s3:GetObjectVersion"], Resource: objectsUnder(lakeBucketArn, ZONES.raw) };
}

/**
 * `s3:ListBucket` on the lake bucket, with no `s3:prefix` condition: S3 answers a GetObject or
 * HeadObject on a missing key with 404 only when the caller has `s3:ListBucket` on the bucket, and
 * with 403 otherwise (Amazon S3 API Reference, GetObject, "Permissions"). That check carries no
 * prefix, so a grant limited by `s3:prefix` does not count: a deleted object would come back as
 * AccessDenied, be treated as transient and end in the dead-letter queue instead of `rejected/` as
 * `object_not_found`. Listing reveals key names only, never object data.
 */
export function listLakeSoMissingObjectsAre404(lakeBucketArn: string): PolicyStatement {
  return { Sid: "ListLakeSoMissingObjectsAre404", Effect: "Allow", Action: ["s3:ListBucket"], Resource: lakeBucketArn };
}

/**
 * The processor reads raw objects, writes processed and rejected ones (and deletes those a newer
 * version or a deletion of their raw key replaced), keeps one manifest per raw key under
 * `manifests/`, consumes its queue and announces each applied change on the pipeline-events topic.
 * Heavy objects go to the Glue job (`glue:StartJobRun` on that job only), whose result documents
 * under `glue/results/` it reads when the job hands them back.
 * `s3:ListBucket` as `listLakeSoMissingObjectsAre404` explains.
 */
export function processorPolicy(args: ProcessorPolicyArgs): PolicyDocument {
  const objects = (prefix: string): string => objectsUnder(args.lakeBucketArn, prefix);
  return withTracing(
    args.tracing,
    readRawObjects(args.lakeBucketArn),
    listLakeSoMissingObjectsAre404(args.lakeBucketArn),
    {
      Sid: "MirrorRawIntoProcessedAndRejected",
      Effect: "Allow",
      Action: ["s3:PutObject", "s3:AbortMultipartUpload", "s3:DeleteObject"],
      Resource: [objects(ZONES.processed), objects(ZONES.rejected)],
    },
    { Sid: "KeepPerKeyManifests", Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject"], Resource: objects(ZONES.manifests) },
    { Sid: "ReadGlueResults", Effect: "Allow", Action: ["s3:GetObject"], Resource: objects(GLUE_PREFIXES.results) },
    { Sid: "StartHeavyConversions", Effect: "Allow", Action: ["glue:StartJobRun"], Resource: args.glueJobArn },
    {
      Sid: "ConsumeProcessingQueue",
      Effect: "Allow",
      Action: ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"],
      Resource: args.processingQueueArn,
    },
    { Sid: "PublishCompletionEvents", Effect: "Allow", Action: ["sns:Publish"], Resource: args.pipelineEventsTopicArn },
    { Sid: "UseLakeKey", Effect: "Allow", Action: ["kms:GenerateDataKey", "kms:Decrypt"], Resource: args.kmsKeyArn },
  );
}
