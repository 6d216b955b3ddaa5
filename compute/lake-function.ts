/**
 * One Lambda function of the lake with its secure defaults in one place: its own KMS-encrypted log
 * group with retention (JSON logs), its own role with a least-privilege inline policy plus
 * `AWSLambdaVPCAccessExecutionRole`, arm64, the private subnets and the Lambda security group, and
 * an upload without the SDK clients the runtime ships nor Powertools, which comes from AWS's published
 * layer at the stack's pinned version (./powertools-layer). Compute's ingest and processor and the
 * analytics layer's curated job are built with it.
 *
 * @example
 * ```ts
 * const { fn, logGroup } = lakeFunction(this, `${name}-curated`, {
 *   functionName: "curated", stack, runtime: "nodejs22.x", memoryMb: 512, timeoutSeconds: 300, …,
 *   policy: documentOutput, callbackFactory: curatedJobCallbackFactory,
 * });
 * ```
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { LAMBDA_ASSUME_ROLE_POLICY, type PolicyDocument } from "../iam/documents";
import { powertoolsLayerArn, type PowertoolsLayer } from "./powertools-layer";

/** Every function runs on Graviton: cheaper per GB-second for this workload. */
export const ARCHITECTURE = "arm64";

/**
 * AWS SDK v3 clients ship with the Lambda Node.js runtime: leaving them out of the upload keeps the
 * artifact small. Exact package names, as `computeCodePaths` matches them.
 */
export const RUNTIME_PROVIDED_PACKAGES = [
  "@aws-sdk/client-athena",
  "@aws-sdk/client-glue",
  "@aws-sdk/client-s3",
  "@aws-sdk/client-sns",
  "@aws-sdk/client-sqs",
] as const;

/**
 * The Powertools packages the functions load, provided by the Powertools layer (at
 * `/opt/nodejs/node_modules`, on the runtime's NODE_PATH) and so left out of every upload; their own
 * dependencies (commons, @aws/lambda-invoke-store) go with them, as `computeCodePaths` drops what only
 * excluded packages need.
 */
export const LAYER_PROVIDED_PACKAGES = ["@aws-lambda-powertools/batch", "@aws-lambda-powertools/logger", "@aws-lambda-powertools/metrics"] as const;

/** The log group a stack's function writes to. */
export function functionLogGroupName(stack: string, functionName: string): string {
  return `/datalake/${stack}/${functionName}`;
}

export interface LakeFunctionArgs<E, R> {
  /** Short name: the log group's last segment (`/datalake/<stack>/<functionName>`). */
  readonly functionName: string;
  readonly stack: string;
  readonly description: string;
  readonly roleDescription: string;
  readonly runtime: string;
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  /** Reserved concurrent executions; omitted leaves the function without the setting. */
  readonly reservedConcurrency?: number;
  /** X-Ray active tracing; omitted leaves the function without the setting. */
  readonly tracing?: boolean;
  readonly logRetentionDays: number;
  readonly kmsKeyArn: pulumi.Input<string>;
  readonly partition: pulumi.Input<string>;
  readonly region: pulumi.Input<string>;
  /** The Powertools layer the function declares (the stack's `powertoolsVersion`). */
  readonly powertools: PowertoolsLayer;
  readonly privateSubnetIds: pulumi.Input<pulumi.Input<string>[]>;
  readonly lambdaSecurityGroupId: pulumi.Input<string>;
  readonly policy: pulumi.Input<PolicyDocument>;
  readonly environment: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** Production packages this function does not load, left out of its upload. */
  readonly excludePackages?: readonly string[];
  readonly callbackFactory: aws.lambda.CallbackFactory<E, R>;
  /** Resources the function must wait for, besides its role's grants and its log group. */
  readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
}

export interface LakeFunction<E, R> {
  readonly fn: aws.lambda.CallbackFunction<E, R>;
  readonly logGroup: aws.cloudwatch.LogGroup;
  readonly role: aws.iam.Role;
  /** The role's inline policy and managed-policy attachment: anything the function's triggers need first. */
  readonly grants: readonly pulumi.Resource[];
}

/** Creates the function `resourceName` (also the name of its role and log group resources) under `parent`. */
export function lakeFunction<E, R>(parent: pulumi.Resource, resourceName: string, args: LakeFunctionArgs<E, R>): LakeFunction<E, R> {
  const logGroup = new aws.cloudwatch.LogGroup(
    resourceName,
    { name: functionLogGroupName(args.stack, args.functionName), retentionInDays: args.logRetentionDays, kmsKeyId: args.kmsKeyArn },
    { parent },
  );
  const role = new aws.iam.Role(resourceName, { assumeRolePolicy: JSON.stringify(LAMBDA_ASSUME_ROLE_POLICY), description: args.roleDescription }, { parent });
  const inline = new aws.iam.RolePolicy(
    resourceName,
    { role: role.id, policy: pulumi.output(args.policy).apply((document) => JSON.stringify(document)) },
    { parent: role },
  );
  // Network interfaces in the VPC and writing to the log group; EC2's interface actions take no resource scoping.
  const vpcAccess = new aws.iam.RolePolicyAttachment(
    `${resourceName}-vpc-access`,
    { role: role.name, policyArn: pulumi.interpolate`arn:${args.partition}:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole` },
    { parent: role },
  );
  const grants = [inline, vpcAccess];
  const fn = new aws.lambda.CallbackFunction<E, R>(
    resourceName,
    {
      description: args.description,
      runtime: args.runtime,
      architectures: [ARCHITECTURE],
      memorySize: args.memoryMb,
      timeout: args.timeoutSeconds,
      role: role.arn,
      layers: [pulumi.all([args.partition, args.region]).apply(([partition, region]) => powertoolsLayerArn({ partition, region }, args.powertools.layerVersion))],
      vpcConfig: { subnetIds: args.privateSubnetIds, securityGroupIds: [args.lambdaSecurityGroupId] },
      loggingConfig: { logFormat: "JSON", logGroup: logGroup.name, applicationLogLevel: "INFO", systemLogLevel: "WARN" },
      kmsKeyArn: args.kmsKeyArn,
      ...(args.reservedConcurrency !== undefined ? { reservedConcurrentExecutions: args.reservedConcurrency } : {}),
      ...(args.tracing !== undefined ? { tracingConfig: { mode: args.tracing ? "Active" : "PassThrough" } } : {}),
      environment: { variables: args.environment },
      codePathOptions: { extraExcludePackages: [...RUNTIME_PROVIDED_PACKAGES, ...LAYER_PROVIDED_PACKAGES, ...(args.excludePackages ?? [])] },
      callbackFactory: args.callbackFactory,
    },
    { parent, dependsOn: [...grants, logGroup, ...(args.dependsOn ?? [])] },
  );
  return { fn, logGroup, role, grants };
}
