/**
 * The curated zone job's inline policy, as a pure function of names and ARNs. Athena runs a query
 * with the caller's permissions, so the job's role needs what the query reads and writes: the Glue
 * tables, `processed/` objects, the `curated/` prefix it unloads into, the results bucket and the key.
 *
 * Every statement names its resources. Where AWS offers no resource scoping, the only wildcard is in
 * the attached `AWSLambdaVPCAccessExecutionRole` (EC2 network-interface actions accept only `*`).
 */
import { PolicyDocument, policyDocument } from "../iam/documents";
import { ZONES } from "../storage/zones";

export interface CuratedJobPolicyArgs {
  readonly partition: string;
  readonly region: string;
  readonly accountId: string;
  readonly workgroupName: string;
  readonly databaseName: string;
  readonly lakeBucketArn: string;
  readonly resultsBucketArn: string;
  readonly kmsKeyArn: string;
  readonly failureQueueArn: string;
}

/** The prefix of the results bucket where the workgroup writes query results (and UNLOAD manifests). */
export const RESULTS_PREFIX = "results/";

/**
 * @example
 * ```ts
 * JSON.stringify(curatedJobPolicy({ partition: "aws", region: "eu-west-1", accountId: "123456789012", workgroupName: "datalake-dev", ... }));
 * ```
 */
export function curatedJobPolicy(args: CuratedJobPolicyArgs): PolicyDocument {
  const glue = (resource: string) => `arn:${args.partition}:glue:${args.region}:${args.accountId}:${resource}`;
  const lakeObjects = (prefix: string) => `${args.lakeBucketArn}/${prefix}*`;
  return policyDocument(
    {
      Sid: "RunQueriesInTheLakeWorkgroup",
      Effect: "Allow",
      Action: ["athena:StartQueryExecution", "athena:GetQueryExecution", "athena:GetQueryResults", "athena:StopQueryExecution"],
      Resource: `arn:${args.partition}:athena:${args.region}:${args.accountId}:workgroup/${args.workgroupName}`,
    },
    {
      Sid: "ReadTheLakeCatalog",
      Effect: "Allow",
      Action: ["glue:GetDatabase", "glue:GetTable", "glue:GetPartition", "glue:GetPartitions"],
      Resource: [glue("catalog"), glue(`database/${args.databaseName}`), glue(`table/${args.databaseName}/*`)],
    },
    {
      Sid: "ListProcessedAndCuratedZones",
      Effect: "Allow",
      Action: ["s3:ListBucket"],
      Resource: args.lakeBucketArn,
      Condition: { StringLike: { "s3:prefix": [`${ZONES.processed}*`, `${ZONES.curated}*`] } },
    },
    { Sid: "LocateBuckets", Effect: "Allow", Action: ["s3:GetBucketLocation"], Resource: [args.lakeBucketArn, args.resultsBucketArn] },
    { Sid: "ReadProcessedObjects", Effect: "Allow", Action: ["s3:GetObject"], Resource: lakeObjects(ZONES.processed) },
    {
      Sid: "ReplaceCuratedObjects",
      Effect: "Allow",
      Action: ["s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
      Resource: lakeObjects(ZONES.curated),
    },
    {
      Sid: "ListQueryResults",
      Effect: "Allow",
      Action: ["s3:ListBucket", "s3:ListBucketMultipartUploads"],
      Resource: args.resultsBucketArn,
    },
    {
      Sid: "ReadAndWriteQueryResults",
      Effect: "Allow",
      Action: ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
      Resource: `${args.resultsBucketArn}/${RESULTS_PREFIX}*`,
    },
    { Sid: "UseLakeKey", Effect: "Allow", Action: ["kms:GenerateDataKey", "kms:Decrypt"], Resource: args.kmsKeyArn },
    { Sid: "SendFailedInvocations", Effect: "Allow", Action: ["sqs:SendMessage"], Resource: args.failureQueueArn },
  );
}
