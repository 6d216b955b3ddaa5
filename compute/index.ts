/**
 * Compute layer: the ingest and processor functions as Pulumi callback functions, each with its own
 * least-privilege role and log group, wired to S3 and SQS explicitly.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import type { ComputeSettings, FunctionSettings } from "../config";
import { awsContext } from "../iam/context";
import { LAMBDA_ASSUME_ROLE_POLICY, PolicyDocument } from "../iam/documents";
import { ZONES } from "../storage/zones";
import { FUNCTION_ENV, ingestCallbackFactory, processorCallbackFactory } from "./callbacks";
import { ingestPolicy, processorPolicy } from "./policies";
import { METRICS_NAMESPACE_ENV, metricsNamespace } from "../observability/metrics";
import { PROCESSOR_NODE_OPTIONS } from "./node-options";

export interface ComputeArgs {
  readonly settings: ComputeSettings;
  readonly logRetentionDays: number;
  readonly privateSubnetIds: pulumi.Input<pulumi.Input<string>[]>;
  readonly lambdaSecurityGroupId: pulumi.Input<string>;
  readonly kmsKeyArn: pulumi.Input<string>;
  readonly lakeBucketName: pulumi.Input<string>;
  readonly lakeBucketArn: pulumi.Input<string>;
  readonly ingestTopicArn: pulumi.Input<string>;
  /** Where Lambda sends S3 events the ingest function failed on after its retries. */
  readonly ingestFailuresQueueArn: pulumi.Input<string>;
  readonly processingQueueArn: pulumi.Input<string>;
  /** The processor publishes one completion event per converted object here. */
  readonly pipelineEventsTopicArn: pulumi.Input<string>;
}

/** What observability takes from compute. */
export interface ComputeOutputs {
  readonly ingestFunctionName: pulumi.Output<string>;
  readonly ingestFunctionArn: pulumi.Output<string>;
  readonly processorFunctionName: pulumi.Output<string>;
  readonly processorFunctionArn: pulumi.Output<string>;
  readonly logGroupNames: pulumi.Output<string>[];
  readonly ingestLogGroupName: pulumi.Output<string>;
  readonly processorLogGroupName: pulumi.Output<string>;
}

/**
 * AWS SDK v3 clients ship with the Lambda Node.js runtime: leaving them out of the upload keeps the
 * artifact small. Exact package names, as `computeCodePaths` matches them.
 */
export const RUNTIME_PROVIDED_PACKAGES = [
  "@aws-sdk/client-athena",
  "@aws-sdk/client-s3",
  "@aws-sdk/client-sns",
  "@aws-sdk/client-sqs",
] as const;

/** Lambda's own default for asynchronous invocations, stated so that it is visible and tested. */
export const INGEST_ASYNC_RETRIES = 2;

/** Every function runs on Graviton: cheaper per GB-second for this workload. */
export const ARCHITECTURE = "arm64";

/**
 * Production packages only the processor loads: left out of the ingest upload to keep it small. A
 * test runs each upload from a folder holding only what it packs, so a missing package fails there.
 */
export const PROCESSOR_ONLY_PACKAGES = [
  "hyparquet",
  "hyparquet-writer",
  "hysnappy",
  "csv-parse",
  "@aws-sdk/lib-storage",
  "@aws-lambda-powertools/batch",
] as const;

interface FunctionRoleArgs {
  readonly policy: pulumi.Input<PolicyDocument>;
  readonly partition: pulumi.Input<string>;
}

export class Compute extends pulumi.ComponentResource implements ComputeOutputs {
  readonly ingestFunctionName: pulumi.Output<string>;
  readonly ingestFunctionArn: pulumi.Output<string>;
  readonly processorFunctionName: pulumi.Output<string>;
  readonly processorFunctionArn: pulumi.Output<string>;
  readonly logGroupNames: pulumi.Output<string>[];
  readonly ingestLogGroupName: pulumi.Output<string>;
  readonly processorLogGroupName: pulumi.Output<string>;

  constructor(name: string, args: ComputeArgs, opts?: pulumi.ComponentResourceOptions) {
    super("datalake:compute:Compute", name, {}, opts);
    const { settings } = args;
    const context = awsContext(this);
    const stack = pulumi.getStack();

    const functionRole = (functionName: string, roleArgs: FunctionRoleArgs) => {
      const role = new aws.iam.Role(
        `${name}-${functionName}`,
        { assumeRolePolicy: JSON.stringify(LAMBDA_ASSUME_ROLE_POLICY), description: `The ${functionName} function of the ${stack} data lake` },
        { parent: this },
      );
      const inline = new aws.iam.RolePolicy(
        `${name}-${functionName}`,
        { role: role.id, policy: pulumi.output(roleArgs.policy).apply((document) => JSON.stringify(document)) },
        { parent: role },
      );
      // Network interfaces in the VPC and writing to the function's log group.
      const vpcAccess = new aws.iam.RolePolicyAttachment(
        `${name}-${functionName}-vpc-access`,
        {
          role: role.name,
          policyArn: pulumi.interpolate`arn:${roleArgs.partition}:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole`,
        },
        { parent: role },
      );
      return { role, grants: [inline, vpcAccess] };
    };

    const logGroup = (functionName: string) =>
      new aws.cloudwatch.LogGroup(
        `${name}-${functionName}`,
        { name: `/datalake/${stack}/${functionName}`, retentionInDays: args.logRetentionDays, kmsKeyId: args.kmsKeyArn },
        { parent: this },
      );

    const commonFunctionArgs = (functionSettings: FunctionSettings, logs: aws.cloudwatch.LogGroup, excludePackages: readonly string[]) => ({
      runtime: settings.runtime,
      architectures: [ARCHITECTURE],
      memorySize: functionSettings.memoryMb,
      timeout: functionSettings.timeoutSeconds,
      vpcConfig: { subnetIds: args.privateSubnetIds, securityGroupIds: [args.lambdaSecurityGroupId] },
      loggingConfig: { logFormat: "JSON", logGroup: logs.name, applicationLogLevel: "INFO", systemLogLevel: "WARN" },
      kmsKeyArn: args.kmsKeyArn,
      reservedConcurrentExecutions: functionSettings.reservedConcurrency ?? -1,
      tracingConfig: { mode: settings.tracing ? "Active" : "PassThrough" },
      codePathOptions: { extraExcludePackages: [...RUNTIME_PROVIDED_PACKAGES, ...excludePackages] },
    });

    // Ingest: S3 ObjectCreated on raw/ → one SNS message per object.
    const ingestLogs = logGroup("ingest");
    const ingestRole = functionRole("ingest", {
      partition: context.partition,
      policy: pulumi
        .all([args.ingestTopicArn, args.ingestFailuresQueueArn, args.kmsKeyArn])
        .apply(([ingestTopicArn, ingestFailuresQueueArn, kmsKeyArn]) =>
          ingestPolicy({ ingestTopicArn, ingestFailuresQueueArn, kmsKeyArn, tracing: settings.tracing }),
        ),
    });
    const ingest = new aws.lambda.CallbackFunction(
      `${name}-ingest`,
      {
        ...commonFunctionArgs(settings.ingest, ingestLogs, PROCESSOR_ONLY_PACKAGES),
        description: `Publishes objects landed under ${ZONES.raw} of the ${stack} lake`,
        role: ingestRole.role.arn,
        environment: { variables: { [FUNCTION_ENV.ingestTopicArn]: args.ingestTopicArn, POWERTOOLS_SERVICE_NAME: "ingest", [METRICS_NAMESPACE_ENV]: metricsNamespace(stack) } },
        callbackFactory: ingestCallbackFactory,
      },
      { parent: this, dependsOn: [...ingestRole.grants, ingestLogs] },
    );
    // S3 invokes asynchronously: after Lambda's retries the event goes to the failures queue.
    new aws.lambda.FunctionEventInvokeConfig(
      `${name}-ingest-async`,
      {
        functionName: ingest.name,
        maximumRetryAttempts: INGEST_ASYNC_RETRIES,
        destinationConfig: { onFailure: { destination: args.ingestFailuresQueueArn } },
      },
      { parent: this, dependsOn: ingestRole.grants },
    );
    const invokeFromLake = new aws.lambda.Permission(
      `${name}-ingest-from-lake`,
      {
        action: "lambda:InvokeFunction",
        function: ingest.name,
        principal: "s3.amazonaws.com",
        sourceArn: args.lakeBucketArn,
        sourceAccount: context.accountId,
      },
      { parent: this },
    );
    new aws.s3.BucketNotification(
      `${name}-raw-objects`,
      {
        bucket: args.lakeBucketName,
        lambdaFunctions: [{ lambdaFunctionArn: ingest.arn, events: ["s3:ObjectCreated:*"], filterPrefix: ZONES.raw }],
      },
      { parent: this, dependsOn: [invokeFromLake] },
    );

    // Processor: SQS batches → Parquet in processed/, rejects in rejected/.
    const processorLogs = logGroup("processor");
    const processorRole = functionRole("processor", {
      partition: context.partition,
      policy: pulumi
        .all([args.lakeBucketArn, args.processingQueueArn, args.pipelineEventsTopicArn, args.kmsKeyArn])
        .apply(([lakeBucketArn, processingQueueArn, pipelineEventsTopicArn, kmsKeyArn]) =>
          processorPolicy({ lakeBucketArn, processingQueueArn, pipelineEventsTopicArn, kmsKeyArn, tracing: settings.tracing }),
        ),
    });
    const processor = new aws.lambda.CallbackFunction(
      `${name}-processor`,
      {
        ...commonFunctionArgs(settings.processor, processorLogs, []),
        description: `Converts raw objects of the ${stack} lake to partitioned Parquet`,
        role: processorRole.role.arn,
        environment: {
          variables: {
            [FUNCTION_ENV.lakeBucket]: args.lakeBucketName,
            [FUNCTION_ENV.pipelineEventsTopicArn]: args.pipelineEventsTopicArn,
            POWERTOOLS_SERVICE_NAME: "processor",
            [METRICS_NAMESPACE_ENV]: metricsNamespace(stack),
            // V8 heap sizing measured for the conversion (see compute/node-options.ts).
            NODE_OPTIONS: PROCESSOR_NODE_OPTIONS,
          },
        },
        callbackFactory: processorCallbackFactory,
      },
      { parent: this, dependsOn: [...processorRole.grants, processorLogs] },
    );
    new aws.lambda.EventSourceMapping(
      `${name}-processor-queue`,
      {
        eventSourceArn: args.processingQueueArn,
        functionName: processor.arn,
        batchSize: settings.processor.batchSize,
        maximumBatchingWindowInSeconds: settings.processor.batchWindowSeconds,
        scalingConfig: { maximumConcurrency: settings.processor.maxConcurrency },
        functionResponseTypes: ["ReportBatchItemFailures"],
      },
      { parent: this },
    );

    this.ingestFunctionName = ingest.name;
    this.ingestFunctionArn = ingest.arn;
    this.processorFunctionName = processor.name;
    this.processorFunctionArn = processor.arn;
    this.ingestLogGroupName = ingestLogs.name;
    this.processorLogGroupName = processorLogs.name;
    this.logGroupNames = [ingestLogs.name, processorLogs.name];

    this.registerOutputs({
      ingestFunctionName: this.ingestFunctionName,
      processorFunctionName: this.processorFunctionName,
    });
  }
}
