/**
 * The Glue conversion job's role: who may assume it and what it may do, as pure functions of names
 * and ARNs. Every statement names its resources; `*` appears only with actions AWS does not scope
 * (EC2's Describe calls Glue makes to place its workers). The job publishes no CloudWatch metrics of
 * its own (`--enable-metrics` off: `cloudwatch:PutMetricData` could only be granted on `*`): its
 * runs and failures are counted from EventBridge's "Glue Job State Change" events.
 */
import { PolicyDocument, objectsUnder, policyDocument } from "../iam/documents";
import { listLakeSoMissingObjectsAre404, readRawObjects } from "../compute/policies";
import { GLUE_PREFIXES, ZONES } from "../storage/zones";

export interface GlueJobPolicyArgs {
  readonly partition: string;
  readonly region: string;
  readonly accountId: string;
  readonly lakeBucketArn: string;
  readonly kmsKeyArn: string;
  readonly processingQueueArn: string;
  /** `--custom-logGroup-prefix`: the job writes `<prefix>/output` and `<prefix>/error`. */
  readonly logGroupPrefix: string;
  readonly connectionNames: readonly string[];
}

/** The tag Glue puts on the network interfaces it creates for a job's workers. */
export const GLUE_NETWORK_INTERFACE_TAG = "aws-glue-service-resource";

/**
 * Glue assumes the role for this account's jobs only (`aws:SourceAccount`, against the confused deputy).
 *
 * @example glueAssumeRolePolicy("123456789012").Statement[0].Principal // { Service: "glue.amazonaws.com" }
 */
export function glueAssumeRolePolicy(accountId: string): PolicyDocument {
  return policyDocument({
    Sid: "GlueRunsThisAccountsJobs",
    Effect: "Allow",
    Principal: { Service: "glue.amazonaws.com" },
    Action: "sts:AssumeRole",
    Condition: { StringEquals: { "aws:SourceAccount": accountId } },
  });
}

/**
 * What the job does: reads raw objects and its own code, stages under `glue/temp/`, writes the
 * processor's outputs and its result documents, hands converted objects back to the processing
 * queue, uses the lake key (S3, SQS, bookmarks), writes its logs, and lets Glue place
 * its workers in the private subnets (network interfaces tagged by Glue).
 *
 * `s3:ListBucket` without an `s3:prefix` condition, as the processor's (`listLakeSoMissingObjectsAre404`);
 * Spark also lists what it reads and stages.
 *
 * @example
 * ```ts
 * JSON.stringify(glueJobPolicy({ partition: "aws", region: "eu-west-1", accountId: "123456789012", lakeBucketArn, kmsKeyArn, processingQueueArn, logGroupPrefix: "/datalake/dev/glue", connectionNames: ["datalake-dev-glue-0"] }));
 * ```
 */
export function glueJobPolicy(args: GlueJobPolicyArgs): PolicyDocument {
  const objects = (prefix: string): string => objectsUnder(args.lakeBucketArn, prefix);
  const ec2 = (resource: string): string => `arn:${args.partition}:ec2:${args.region}:${args.accountId}:${resource}`;
  const logGroups = [
    `arn:${args.partition}:logs:${args.region}:${args.accountId}:log-group:${args.logGroupPrefix}/*`,
    `arn:${args.partition}:logs:${args.region}:${args.accountId}:log-group:${args.logGroupPrefix}/*:log-stream:*`,
  ];
  const glue = (resource: string): string => `arn:${args.partition}:glue:${args.region}:${args.accountId}:${resource}`;
  return policyDocument(
    readRawObjects(args.lakeBucketArn),
    { Sid: "ReadJobCodeAndRunLists", Effect: "Allow", Action: ["s3:GetObject"], Resource: [objects(GLUE_PREFIXES.scripts), objects(GLUE_PREFIXES.runs)] },
    listLakeSoMissingObjectsAre404(args.lakeBucketArn),
    {
      Sid: "StageUnderTemp",
      Effect: "Allow",
      Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"],
      Resource: objects(GLUE_PREFIXES.temp),
    },
    {
      Sid: "WriteOutputsAndResults",
      Effect: "Allow",
      Action: ["s3:PutObject", "s3:AbortMultipartUpload"],
      Resource: [objects(ZONES.processed), objects(ZONES.rejected), objects(GLUE_PREFIXES.results)],
    },
    { Sid: "HandBackToProcessor", Effect: "Allow", Action: ["sqs:SendMessage"], Resource: args.processingQueueArn },
    { Sid: "UseLakeKey", Effect: "Allow", Action: ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"], Resource: args.kmsKeyArn },
    {
      Sid: "WriteJobLogs",
      Effect: "Allow",
      Action: ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:AssociateKmsKey"],
      Resource: logGroups,
    },
    {
      Sid: "ReadOwnConnections",
      Effect: "Allow",
      Action: ["glue:GetConnection"],
      Resource: [glue("catalog"), ...args.connectionNames.map((name) => glue(`connection/${name}`))],
    },
    {
      Sid: "DescribeNetworkEc2HasNoResourceScoping",
      Effect: "Allow",
      Action: [
        "ec2:DescribeNetworkInterfaces",
        "ec2:DescribeSubnets",
        "ec2:DescribeSecurityGroups",
        "ec2:DescribeVpcs",
        "ec2:DescribeVpcEndpoints",
        "ec2:DescribeRouteTables",
      ],
      Resource: "*",
    },
    { Sid: "ReadVpcAttributes", Effect: "Allow", Action: ["ec2:DescribeVpcAttribute"], Resource: ec2("vpc/*") },
    {
      Sid: "PlaceWorkersInPrivateSubnets",
      Effect: "Allow",
      Action: ["ec2:CreateNetworkInterface"],
      Resource: [ec2("network-interface/*"), ec2("subnet/*"), ec2("security-group/*")],
    },
    { Sid: "RemoveWorkerInterfaces", Effect: "Allow", Action: ["ec2:DeleteNetworkInterface"], Resource: ec2("network-interface/*") },
    {
      Sid: "TagWorkerInterfaces",
      Effect: "Allow",
      Action: ["ec2:CreateTags", "ec2:DeleteTags"],
      Resource: ec2("network-interface/*"),
      Condition: { "ForAllValues:StringEquals": { "aws:TagKeys": [GLUE_NETWORK_INTERFACE_TAG] } },
    },
  );
}
