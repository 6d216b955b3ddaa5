/**
 * Policies of the principals that query the lake through Athena, as pure functions of names and
 * ARNs: the curated zone job's role, and the CI smoke test's managed policy. Athena runs a query with
 * the caller's permissions, so each needs what its queries read and write: the Glue tables,
 * `processed/` objects, the results bucket and the key (`queryStatements`), plus its own work.
 *
 * Every statement names its resources. Where AWS offers no resource scoping, the only wildcard is in
 * the attached `AWSLambdaVPCAccessExecutionRole` (EC2 network-interface actions accept only `*`).
 */
import { PolicyDocument, PolicyStatement, objectsUnder, policyDocument } from "../iam/documents";
import { EVENTS } from "../handlers/datasets";
import { SMOKE_KEY_PREFIX } from "../automation/smoke";
import { datasetPrefix, ZONES } from "../storage/zones";

/** What querying the lake in the stack's workgroup is about. */
export interface LakeQueryArgs {
  readonly partition: string;
  readonly region: string;
  readonly accountId: string;
  readonly workgroupName: string;
  readonly databaseName: string;
  readonly lakeBucketArn: string;
  readonly resultsBucketArn: string;
  readonly kmsKeyArn: string;
}

export interface CuratedJobPolicyArgs extends LakeQueryArgs {
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
  return policyDocument(
    ...queryStatements(args),
    {
      Sid: "ListProcessedAndCuratedZones",
      Effect: "Allow",
      Action: ["s3:ListBucket"],
      Resource: args.lakeBucketArn,
      Condition: { StringLike: { "s3:prefix": [`${ZONES.processed}*`, `${ZONES.curated}*`] } },
    },
    {
      Sid: "ReplaceCuratedObjects",
      Effect: "Allow",
      Action: ["s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
      Resource: objectsUnder(args.lakeBucketArn, ZONES.curated),
    },
    { Sid: "SendFailedInvocations", Effect: "Allow", Action: ["sqs:SendMessage"], Resource: args.failureQueueArn },
  );
}

/**
 * The CI smoke test's policy (`automation/smoke.ts`): land its sample under
 * `raw/events/smoke-…`, watch for its Parquet under `processed/events/`, count it through the
 * workgroup, and delete every version of both. Attach it to the role CI deploys with, or to a
 * dedicated smoke-test role (stack output `smokeTestPolicyArn`).
 *
 * @example
 * ```ts
 * smokeTestPolicy({ partition: "aws", region: "eu-west-1", accountId: "123456789012", workgroupName: "datalake-dev", … });
 * ```
 */
export function smokeTestPolicy(args: LakeQueryArgs): PolicyDocument {
  const smokeRaw = `${datasetPrefix("raw", EVENTS.name)}${SMOKE_KEY_PREFIX}`;
  const processedEvents = datasetPrefix("processed", EVENTS.name);
  return policyDocument(
    ...queryStatements(args),
    { Sid: "LandTheSmokeSample", Effect: "Allow", Action: ["s3:PutObject"], Resource: objectsUnder(args.lakeBucketArn, smokeRaw) },
    {
      Sid: "ListTheSmokeSampleAndItsOutputs",
      Effect: "Allow",
      Action: ["s3:ListBucket", "s3:ListBucketVersions"],
      Resource: args.lakeBucketArn,
      Condition: { StringLike: { "s3:prefix": [`${smokeRaw}*`, `${processedEvents}*`] } },
    },
    {
      Sid: "RemoveTheSmokeSampleAndItsOutputs",
      Effect: "Allow",
      Action: ["s3:DeleteObject", "s3:DeleteObjectVersion"],
      Resource: [objectsUnder(args.lakeBucketArn, smokeRaw), objectsUnder(args.lakeBucketArn, processedEvents)],
    },
  );
}

/** Running queries in the workgroup over the lake's tables, with results in the results bucket. */
function queryStatements(args: LakeQueryArgs): PolicyStatement[] {
  const glue = (resource: string) => `arn:${args.partition}:glue:${args.region}:${args.accountId}:${resource}`;
  return [
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
    { Sid: "LocateBuckets", Effect: "Allow", Action: ["s3:GetBucketLocation"], Resource: [args.lakeBucketArn, args.resultsBucketArn] },
    { Sid: "ReadProcessedObjects", Effect: "Allow", Action: ["s3:GetObject"], Resource: objectsUnder(args.lakeBucketArn, ZONES.processed) },
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
      Resource: objectsUnder(args.resultsBucketArn, RESULTS_PREFIX),
    },
    { Sid: "UseLakeKey", Effect: "Allow", Action: ["kms:GenerateDataKey", "kms:Decrypt"], Resource: args.kmsKeyArn },
  ];
}
