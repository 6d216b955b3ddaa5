/**
 * Analytics layer: the Glue database and its tables (generated from the dataset registry, with
 * partition projection), the enforced Athena workgroup and its saved queries, and the curated zone
 * job that rebuilds `curated/` daily aggregates on a schedule.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import type { AnalyticsSettings } from "../config";
import { awsContext } from "../iam/context";
import { ZONES } from "../storage/zones";
import { PROCESSOR_ONLY_PACKAGES } from "../compute";
import { lakeFunction } from "../compute/lake-function";
import { FAILURE_QUEUE_RETENTION_SECONDS } from "../messaging";
import { CURATED_JOB_ENV, curatedJobCallbackFactory } from "./callbacks";
import { RESULTS_PREFIX, curatedJobPolicy, smokeTestPolicy } from "./policies";
import { namedQueries } from "./queries";
import { lakeTables } from "./tables";
import { functionOutputs, namedResourceOutputs, queueOutputs, type FunctionOutputs, type NamedResourceOutputs, type QueueOutputs } from "../components/outputs";

export interface AnalyticsArgs {
  readonly settings: AnalyticsSettings;
  readonly stack: string;
  readonly logRetentionDays: number;
  readonly lakeBucketName: pulumi.Input<string>;
  readonly lakeBucketArn: pulumi.Input<string>;
  readonly resultsBucketName: pulumi.Input<string>;
  readonly resultsBucketArn: pulumi.Input<string>;
  readonly kmsKeyArn: pulumi.Input<string>;
  /** Where the curated job runs: the network's private subnets, with the Lambda security group. */
  readonly privateSubnetIds: pulumi.Input<pulumi.Input<string>[]>;
  readonly lambdaSecurityGroupId: pulumi.Input<string>;
}

/** The curated zone job: its function and log group, what schedules it and where its failed runs go. */
export interface CuratedJobOutputs extends FunctionOutputs {
  /** Failed scheduled or backfill invocations, after Lambda's retries. */
  readonly failureQueue: QueueOutputs;
  /** The EventBridge rule that invokes the job: observability alarms on its failed invocations. */
  readonly scheduleRuleName: pulumi.Output<string>;
}

/** What analytics builds, as observability and users take it. */
export interface AnalyticsOutputs {
  readonly glueDatabase: NamedResourceOutputs;
  readonly workgroup: NamedResourceOutputs;
  readonly curatedJob: CuratedJobOutputs;
  /** What the CI smoke test needs (`automation/smoke.ts`): attach it to the role CI uses for the stack. */
  readonly smokeTestPolicy: NamedResourceOutputs;
}

/** Glue database names allow lowercase letters, digits and `_`: the stack name scopes it per stack. */
export function glueDatabaseName(stack: string): string {
  return `datalake_${stack.toLowerCase().replace(/[^a-z0-9_]/g, "_")}`;
}

/**
 * One run at a time: a run empties the day's curated prefix, then UNLOADs into it, so two runs of
 * the same day (the schedule, Lambda's retries, a manual backfill) could interleave and leave the
 * day empty or doubled. Further invocations are throttled, and Lambda retries throttled
 * asynchronous invocations for up to six hours (the event's maximum age).
 */
export const CURATED_JOB_RESERVED_CONCURRENCY = 1;

/** Lambda's async retries of a failed job run before the event goes to the failure queue. */
export const CURATED_JOB_RETRY_ATTEMPTS = 2;

/** The outputs are the component's fields: declared once, in `AnalyticsOutputs`. */
export interface Analytics extends AnalyticsOutputs {}

export class Analytics extends pulumi.ComponentResource {
  constructor(name: string, args: AnalyticsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("datalake:analytics:Analytics", name, {}, opts);
    const { settings, stack } = args;
    const context = awsContext(this);

    const database = new aws.glue.CatalogDatabase(
      `${name}-catalog`,
      {
        name: glueDatabaseName(stack),
        description: `Tables over the ${stack} data lake`,
        locationUri: pulumi.interpolate`s3://${args.lakeBucketName}/`,
      },
      { parent: this },
    );

    const workgroup = new aws.athena.Workgroup(
      `${name}-workgroup`,
      {
        name: `datalake-${stack}`,
        description: `Queries over the ${stack} data lake`,
        forceDestroy: true,
        configuration: {
          enforceWorkgroupConfiguration: true,
          publishCloudwatchMetricsEnabled: true,
          bytesScannedCutoffPerQuery: settings.bytesScannedCutoffPerQuery,
          engineVersion: { selectedEngineVersion: "Athena engine version 3" },
          resultConfiguration: {
            outputLocation: pulumi.interpolate`s3://${args.resultsBucketName}/${RESULTS_PREFIX}`,
            encryptionConfiguration: { encryptionOption: "SSE_KMS", kmsKeyArn: args.kmsKeyArn },
          },
        },
      },
      { parent: this },
    );

    // Tables: names are known now, locations once the bucket's name is.
    const tableNames = lakeTables({ lakeBucket: "bucket", projectionYears: settings.projectionYears }).map((table) => table.name);
    const tables = tableNames.map((tableName) => {
      const definition = pulumi
        .output(args.lakeBucketName)
        .apply((lakeBucket) => lakeTables({ lakeBucket, projectionYears: settings.projectionYears }).find((table) => table.name === tableName)!);
      return new aws.glue.CatalogTable(
        `${name}-table-${tableName}`,
        {
          databaseName: database.name,
          name: tableName,
          description: definition.description,
          tableType: definition.tableType,
          parameters: definition.parameters,
          partitionKeys: definition.partitionKeys.apply((keys) => keys.map((key) => ({ ...key }))),
          storageDescriptor: definition.storageDescriptor.apply((descriptor) => ({
            ...descriptor,
            columns: descriptor.columns.map((column) => ({ ...column })),
          })),
        },
        { parent: this },
      );
    });

    for (const query of namedQueries(glueDatabaseName(stack))) {
      new aws.athena.NamedQuery(
        `${name}-query-${query.key}`,
        { name: query.name, description: query.description, database: database.name, workgroup: workgroup.name, query: query.sql },
        { parent: this },
      );
    }

    // The curated zone job: scheduled, VPC-placed, with its own role, logs and failure queue.
    const job = settings.curatedJob;
    const failureQueue = new aws.sqs.Queue(
      `${name}-curated-failures`,
      { kmsMasterKeyId: args.kmsKeyArn, messageRetentionSeconds: FAILURE_QUEUE_RETENTION_SECONDS },
      { parent: this },
    );
    const { fn, logGroup: logs } = lakeFunction(this, `${name}-curated`, {
      functionName: "curated",
      stack,
      description: `Builds the ${stack} lake's ${ZONES.curated} daily aggregates with Athena`,
      roleDescription: `The curated zone job of the ${stack} data lake`,
      runtime: job.runtime,
      memoryMb: job.memoryMb,
      timeoutSeconds: job.timeoutSeconds,
      reservedConcurrency: CURATED_JOB_RESERVED_CONCURRENCY,
      logRetentionDays: args.logRetentionDays,
      kmsKeyArn: args.kmsKeyArn,
      partition: context.partition,
      region: context.region,
      powertools: job.powertools,
      privateSubnetIds: args.privateSubnetIds,
      lambdaSecurityGroupId: args.lambdaSecurityGroupId,
      policy: pulumi
        .all([context, workgroup.name, database.name, args.lakeBucketArn, args.resultsBucketArn, args.kmsKeyArn, failureQueue.arn])
        .apply(([ctx, workgroupName, databaseName, lakeBucketArn, resultsBucketArn, kmsKeyArn, failureQueueArn]) =>
          curatedJobPolicy({ ...ctx, workgroupName, databaseName, lakeBucketArn, resultsBucketArn, kmsKeyArn, failureQueueArn }),
        ),
      environment: {
        [CURATED_JOB_ENV.lakeBucket]: args.lakeBucketName,
        [CURATED_JOB_ENV.database]: database.name,
        [CURATED_JOB_ENV.workGroup]: workgroup.name,
        POWERTOOLS_SERVICE_NAME: "curated",
      },
      excludePackages: PROCESSOR_ONLY_PACKAGES,
      callbackFactory: curatedJobCallbackFactory,
      // The tables must exist before the first scheduled run queries them.
      dependsOn: tables,
    });
    new aws.lambda.FunctionEventInvokeConfig(
      `${name}-curated`,
      {
        functionName: fn.name,
        maximumRetryAttempts: CURATED_JOB_RETRY_ATTEMPTS,
        destinationConfig: { onFailure: { destination: failureQueue.arn } },
      },
      { parent: this },
    );

    const schedule = new aws.cloudwatch.EventRule(
      `${name}-curated-schedule`,
      { description: `Builds yesterday's curated aggregates of the ${stack} lake`, scheduleExpression: job.schedule },
      { parent: this },
    );
    const invokeFromSchedule = new aws.lambda.Permission(
      `${name}-curated-from-schedule`,
      { action: "lambda:InvokeFunction", function: fn.name, principal: "events.amazonaws.com", sourceArn: schedule.arn },
      { parent: this },
    );
    new aws.cloudwatch.EventTarget(
      `${name}-curated-schedule`,
      { rule: schedule.name, arn: fn.arn },
      { parent: this, dependsOn: [invokeFromSchedule] },
    );

    // The CI smoke test's own grants, declared with the stack so that they change with it.
    const smokeTest = new aws.iam.Policy(
      `${name}-smoke-test`,
      {
        description: `The CI smoke test of the ${stack} data lake: land a sample, query it, remove it`,
        policy: pulumi
          .all([context, workgroup.name, database.name, args.lakeBucketArn, args.resultsBucketArn, args.kmsKeyArn])
          .apply(([ctx, workgroupName, databaseName, lakeBucketArn, resultsBucketArn, kmsKeyArn]) =>
            JSON.stringify(smokeTestPolicy({ ...ctx, workgroupName, databaseName, lakeBucketArn, resultsBucketArn, kmsKeyArn })),
          ),
      },
      { parent: this },
    );

    const outputs: AnalyticsOutputs = {
      glueDatabase: namedResourceOutputs(database),
      workgroup: namedResourceOutputs(workgroup),
      curatedJob: { ...functionOutputs(fn, logs), failureQueue: queueOutputs(failureQueue), scheduleRuleName: schedule.name },
      smokeTestPolicy: namedResourceOutputs(smokeTest),
    };
    Object.assign(this, outputs);
    this.registerOutputs(outputs);
  }
}
