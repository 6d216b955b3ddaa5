/**
 * Compute layer: the ingest and processor functions as Pulumi callback functions, each with its own
 * least-privilege role and log group, wired to S3 and SQS explicitly.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import type { ComputeSettings, FunctionSettings } from "../config";
import { awsContext } from "../iam/context";
import type { PolicyDocument } from "../iam/documents";
import { ZONES } from "../storage/zones";
import { lakeFunction } from "./lake-function";
import { FUNCTION_ENV, ingestCallbackFactory, processorCallbackFactory } from "./callbacks";
import { ingestPolicy, processorPolicy } from "./policies";
import { METRICS_NAMESPACE_ENV, metricsNamespace } from "../observability/metrics";
import { processorNodeOptions } from "./node-options";
import { functionOutputs, type FunctionOutputs } from "../components/outputs";

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
  /** The heavy path: the Glue job the processor hands objects at or above the threshold to. */
  readonly heavy: { readonly jobName: pulumi.Input<string>; readonly jobArn: pulumi.Input<string>; readonly thresholdBytes: number };
}

/** What compute builds, as observability and operators take it. */
export interface ComputeOutputs {
  /** Announces objects landed under `raw/` on the ingest topic. */
  readonly ingest: FunctionOutputs;
  /** Converts the processing queue's objects to Parquet. */
  readonly processor: FunctionOutputs;
}

export { ARCHITECTURE, LAYER_PROVIDED_PACKAGES, RUNTIME_PROVIDED_PACKAGES, functionLogGroupName } from "./lake-function";

/** The S3 events of `raw/` that ingest announces: new versions, and deletions or delete markers. */
export const RAW_NOTIFICATION_EVENTS = ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"] as const;

/** Lambda's own default for asynchronous invocations, stated so that it is visible and tested. */
export const INGEST_ASYNC_RETRIES = 2;

/**
 * Production packages only the processor loads: left out of the ingest upload to keep it small. A
 * test runs each upload from a folder holding only what it packs, so a missing package fails there.
 */
export const PROCESSOR_ONLY_PACKAGES = ["hysnappy"] as const;

/** The outputs are the component's fields: declared once, in `ComputeOutputs`. */
export interface Compute extends ComputeOutputs {}

export class Compute extends pulumi.ComponentResource {
  constructor(name: string, args: ComputeArgs, opts?: pulumi.ComponentResourceOptions) {
    super("datalake:compute:Compute", name, {}, opts);
    const { settings } = args;
    const context = awsContext(this);
    const stack = pulumi.getStack();

    // What the compute layer's functions share; lakeFunction adds the secure defaults of every function.
    const computeFunction = <E, R>(
      functionName: string,
      functionSettings: FunctionSettings,
      spec: {
        readonly description: string;
        readonly policy: pulumi.Input<PolicyDocument>;
        readonly environment: Record<string, pulumi.Input<string>>;
        readonly excludePackages: readonly string[];
        readonly callbackFactory: aws.lambda.CallbackFactory<E, R>;
      },
    ) =>
      lakeFunction<E, R>(this, `${name}-${functionName}`, {
        functionName,
        stack,
        description: spec.description,
        roleDescription: `The ${functionName} function of the ${stack} data lake`,
        runtime: settings.runtime,
        memoryMb: functionSettings.memoryMb,
        timeoutSeconds: functionSettings.timeoutSeconds,
        reservedConcurrency: functionSettings.reservedConcurrency ?? -1,
        tracing: settings.tracing,
        logRetentionDays: args.logRetentionDays,
        kmsKeyArn: args.kmsKeyArn,
        partition: context.partition,
        region: context.region,
        powertools: settings.powertools,
        privateSubnetIds: args.privateSubnetIds,
        lambdaSecurityGroupId: args.lambdaSecurityGroupId,
        policy: spec.policy,
        environment: { ...spec.environment, POWERTOOLS_SERVICE_NAME: functionName, [METRICS_NAMESPACE_ENV]: metricsNamespace(stack) },
        excludePackages: spec.excludePackages,
        callbackFactory: spec.callbackFactory,
      });

    // Ingest: S3 ObjectCreated on raw/ → one SNS message per object.
    const ingestFunction = computeFunction("ingest", settings.ingest, {
      description: `Publishes objects landed under ${ZONES.raw} of the ${stack} lake`,
      policy: pulumi
        .all([args.ingestTopicArn, args.ingestFailuresQueueArn, args.kmsKeyArn])
        .apply(([ingestTopicArn, ingestFailuresQueueArn, kmsKeyArn]) =>
          ingestPolicy({ ingestTopicArn, ingestFailuresQueueArn, kmsKeyArn, tracing: settings.tracing }),
        ),
      environment: { [FUNCTION_ENV.ingestTopicArn]: args.ingestTopicArn },
      excludePackages: PROCESSOR_ONLY_PACKAGES,
      callbackFactory: ingestCallbackFactory,
    });
    const ingest = ingestFunction.fn;
    // S3 invokes asynchronously: after Lambda's retries the event goes to the failures queue.
    new aws.lambda.FunctionEventInvokeConfig(
      `${name}-ingest-async`,
      {
        functionName: ingest.name,
        maximumRetryAttempts: INGEST_ASYNC_RETRIES,
        destinationConfig: { onFailure: { destination: args.ingestFailuresQueueArn } },
      },
      { parent: this, dependsOn: [...ingestFunction.grants] },
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
        // Deletions too: the lake mirrors raw/, so a deleted key's outputs are removed (handlers/apply-change.ts).
        lambdaFunctions: [{ lambdaFunctionArn: ingest.arn, events: [...RAW_NOTIFICATION_EVENTS], filterPrefix: ZONES.raw }],
      },
      { parent: this, dependsOn: [invokeFromLake] },
    );

    // Processor: SQS batches → Parquet in processed/, rejects in rejected/.
    const processorFunction = computeFunction("processor", settings.processor, {
      description: `Converts raw objects of the ${stack} lake to partitioned Parquet`,
      policy: pulumi
        .all([args.lakeBucketArn, args.processingQueueArn, args.pipelineEventsTopicArn, args.kmsKeyArn, args.heavy.jobArn])
        .apply(([lakeBucketArn, processingQueueArn, pipelineEventsTopicArn, kmsKeyArn, glueJobArn]) =>
          processorPolicy({
            lakeBucketArn,
            glueJobArn,
            processingQueueArn,
            pipelineEventsTopicArn,
            kmsKeyArn,
            tracing: settings.tracing,
          }),
        ),
      environment: {
        [FUNCTION_ENV.lakeBucket]: args.lakeBucketName,
        [FUNCTION_ENV.pipelineEventsTopicArn]: args.pipelineEventsTopicArn,
        [FUNCTION_ENV.planningMbPerSecond]: String(settings.processor.planningMbPerSecond),
        [FUNCTION_ENV.maxRecordBytes]: String(settings.processor.maxRecordBytes),
        [FUNCTION_ENV.partitionFirstYear]: String(settings.processor.partitionYears.first),
        [FUNCTION_ENV.partitionLastYear]: String(settings.processor.partitionYears.last),
        [FUNCTION_ENV.glueJobName]: args.heavy.jobName,
        [FUNCTION_ENV.heavyThresholdBytes]: String(args.heavy.thresholdBytes),
        // V8 heap capped below the function's memory (see compute/node-options.ts).
        NODE_OPTIONS: processorNodeOptions(settings.processor.memoryMb),
      },
      excludePackages: [],
      callbackFactory: processorCallbackFactory,
    });
    const processor = processorFunction.fn;
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

    const outputs: ComputeOutputs = {
      ingest: functionOutputs(ingest, ingestFunction.logGroup),
      processor: functionOutputs(processor, processorFunction.logGroup),
    };
    Object.assign(this, outputs);
    this.registerOutputs(outputs);
  }
}
