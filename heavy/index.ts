/**
 * The heavy path: a Glue 5.0 Spark job (Python 3.11) that converts objects beyond one Lambda and
 * bulk backfills to the processor's outputs. The job's code lives in `glue/` and is uploaded by this
 * component with the conversion contract generated from the registry (handlers/glue-contract.ts).
 *
 * Secure by default: the job's own least-privilege role (./policies.ts), a security configuration
 * encrypting its S3 output, CloudWatch logs and bookmarks with the lake key, its own KMS-encrypted log
 * groups with retention, and one network connection per private subnet, so it runs behind the VPC
 * endpoints with its own security group (network/). Failed runs reach the alerts topic and a failure
 * queue through EventBridge ("Glue Job State Change").
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import type { GlueSettings } from "../config";
import { awsContext } from "../iam/context";
import { namedResourceOutputs, queueOutputs, type NamedResourceOutputs, type QueueOutputs } from "../components/outputs";
import { glueContract, type ConversionLimits } from "../handlers/glue-contract";
import { DATASETS } from "../handlers/datasets";
import { FAILURE_QUEUE_RETENTION_SECONDS } from "../messaging";
import { queueFromRulePolicy } from "../messaging/policies";
import { GLUE_PREFIXES } from "../storage/zones";
import { FAILED_RUN_STATES, FINAL_RUN_STATES, failedRunAlert, glueJobName, glueLogGroupPrefix, runStatePattern } from "./events";
import { glueAssumeRolePolicy, glueJobPolicy } from "./policies";

/** The job's code in the repository: the thin Glue entry point and the package it imports. */
export const GLUE_CODE_ROOT = join(__dirname, "..", "glue");
export const GLUE_PACKAGE = "datalake_glue";

/** Where the program uploads the job's code and contract in the lake bucket. */
export const GLUE_CODE_KEYS = {
  script: `${GLUE_PREFIXES.scripts}job.py`,
  package: `${GLUE_PREFIXES.scripts}${GLUE_PACKAGE}.zip`,
  contract: `${GLUE_PREFIXES.scripts}contract.json`,
} as const;

/** AWS Glue 5.0: Spark 3.5.4, Python 3.11, Java 17 ("AWS Glue versions"). */
export const GLUE_VERSION = "5.0";

/** The Python files of the job's package (never caches or tests), as an archive that imports as `datalake_glue`. */
export function gluePackageArchive(root: string = GLUE_CODE_ROOT): pulumi.asset.AssetArchive {
  const folder = join(root, GLUE_PACKAGE);
  const files = readdirSync(folder).filter((file) => file.endsWith(".py")).sort();
  return new pulumi.asset.AssetArchive(Object.fromEntries(files.map((file) => [`${GLUE_PACKAGE}/${file}`, new pulumi.asset.FileAsset(join(folder, file))])));
}

export interface HeavyConversionArgs {
  readonly settings: GlueSettings;
  readonly stack: string;
  readonly logRetentionDays: number;
  readonly lakeBucketName: pulumi.Input<string>;
  readonly lakeBucketArn: pulumi.Input<string>;
  readonly kmsKeyArn: pulumi.Input<string>;
  /** One connection per private subnet (Glue places a run's workers in one subnet). */
  readonly privateSubnetIds: pulumi.Input<pulumi.Input<string>[]>;
  readonly availabilityZones: number;
  readonly glueSecurityGroupId: pulumi.Input<string>;
  /** Where the job hands converted objects back to the processor. */
  readonly processingQueueUrl: pulumi.Input<string>;
  readonly processingQueueArn: pulumi.Input<string>;
  readonly alertsTopicArn: pulumi.Input<string>;
  /** The README the failed-run alert links to (`ObservabilitySettings.runbookUrl`). */
  readonly runbookUrl: string;
  /** The processor's record limit and projection years: the job applies the same ones (they travel in its contract). */
  readonly conversionLimits: ConversionLimits;
}

/** What compute, observability and the stack outputs take from the heavy path. */
export interface HeavyConversionOutputs {
  readonly job: NamedResourceOutputs;
  /** Failed runs' "Glue Job State Change" events, whole, for the runbook. */
  readonly failureQueue: QueueOutputs;
  /** Rules matching the job's finished runs (every final state) and its failed runs. */
  readonly runsRule: NamedResourceOutputs;
  readonly failuresRule: NamedResourceOutputs;
}

/** The outputs are the component's fields: declared once, in `HeavyConversionOutputs`. */
export interface HeavyConversion extends HeavyConversionOutputs {}

export class HeavyConversion extends pulumi.ComponentResource {
  constructor(name: string, args: HeavyConversionArgs, opts?: pulumi.ComponentResourceOptions) {
    super("datalake:heavy:HeavyConversion", name, {}, opts);
    const { settings, stack } = args;
    const context = awsContext(this);
    const jobName = glueJobName(stack);
    const logPrefix = glueLogGroupPrefix(stack);

    const code = (key: string, source: pulumi.asset.Asset | pulumi.asset.Archive, contentType: string, suffix: string) =>
      new aws.s3.BucketObjectv2(`${name}-glue-${suffix}`, { bucket: args.lakeBucketName, key, source, contentType }, { parent: this });
    const script = code(GLUE_CODE_KEYS.script, new pulumi.asset.FileAsset(join(GLUE_CODE_ROOT, "job.py")), "text/x-python", "script");
    const pythonPackage = code(GLUE_CODE_KEYS.package, gluePackageArchive(), "application/zip", "package");
    const contract = code(GLUE_CODE_KEYS.contract, new pulumi.asset.StringAsset(JSON.stringify(glueContract(DATASETS, args.conversionLimits), null, 2)), "application/json", "contract");

    const securityConfiguration = new aws.glue.SecurityConfiguration(
      `${name}-glue`,
      {
        name: `datalake-${stack}-glue`,
        encryptionConfiguration: {
          s3Encryption: { s3EncryptionMode: "SSE-KMS", kmsKeyArn: args.kmsKeyArn },
          cloudwatchEncryption: { cloudwatchEncryptionMode: "SSE-KMS", kmsKeyArn: args.kmsKeyArn },
          jobBookmarksEncryption: { jobBookmarksEncryptionMode: "CSE-KMS", kmsKeyArn: args.kmsKeyArn },
        },
      },
      { parent: this },
    );

    // The job's log groups exist before its first run, with retention and the lake key.
    const logGroups = ["output", "error"].map(
      (stream) =>
        new aws.cloudwatch.LogGroup(`${name}-glue-${stream}`, { name: `${logPrefix}/${stream}`, retentionInDays: args.logRetentionDays, kmsKeyId: args.kmsKeyArn }, { parent: this }),
    );

    const subnetIds = pulumi.output(args.privateSubnetIds);
    const connectionNames = Array.from({ length: args.availabilityZones }, (_, index) => `datalake-${stack}-glue-${index}`);
    const connections = connectionNames.map((connectionName, index) => {
      const subnetId = subnetIds.apply((ids) => ids[index]!);
      const subnet = aws.ec2.getSubnetOutput({ id: subnetId }, { parent: this });
      return new aws.glue.Connection(
        `${name}-glue-${index}`,
        {
          name: connectionName,
          description: `The ${stack} lake's private subnet ${index + 1} of ${args.availabilityZones}, behind its VPC endpoints`,
          connectionType: "NETWORK",
          physicalConnectionRequirements: { subnetId, availabilityZone: subnet.availabilityZone, securityGroupIdLists: [args.glueSecurityGroupId] },
        },
        { parent: this },
      );
    });

    const role = new aws.iam.Role(
      `${name}-glue`,
      { description: `The Glue conversion job of the ${stack} data lake`, assumeRolePolicy: context.apply((ctx) => JSON.stringify(glueAssumeRolePolicy(ctx.accountId))) },
      { parent: this },
    );
    const grant = new aws.iam.RolePolicy(
      `${name}-glue`,
      {
        role: role.id,
        policy: pulumi
          .all([context, args.lakeBucketArn, args.kmsKeyArn, args.processingQueueArn])
          .apply(([ctx, lakeBucketArn, kmsKeyArn, processingQueueArn]) =>
            JSON.stringify(glueJobPolicy({ ...ctx, lakeBucketArn, kmsKeyArn, processingQueueArn, logGroupPrefix: logPrefix, connectionNames })),
          ),
      },
      { parent: role },
    );

    const s3 = (key: string) => pulumi.interpolate`s3://${args.lakeBucketName}/${key}`;
    const job = new aws.glue.Job(
      `${name}-glue`,
      {
        name: jobName,
        description: `Converts heavy raw objects and backfills of the ${stack} lake to the processor's Parquet (README, The heavy path)`,
        roleArn: role.arn,
        glueVersion: GLUE_VERSION,
        command: { name: "glueetl", pythonVersion: "3", scriptLocation: s3(GLUE_CODE_KEYS.script) },
        workerType: settings.workerType,
        numberOfWorkers: settings.numberOfWorkers,
        timeout: settings.timeoutMinutes,
        // A failed run is not retried blindly: it alerts, and the runbook replays its objects.
        maxRetries: 0,
        executionProperty: { maxConcurrentRuns: settings.maxConcurrentRuns },
        executionClass: "STANDARD",
        securityConfiguration: securityConfiguration.name,
        connections: connections.map((connection) => connection.name),
        defaultArguments: {
          "--job-language": "python",
          "--extra-py-files": s3(GLUE_CODE_KEYS.package),
          "--TempDir": s3(`${GLUE_PREFIXES.temp}spark/`),
          "--job-bookmark-option": "job-bookmark-disable",
          // No job metrics (`--enable-metrics` is left out: its presence turns them on): they need
          // cloudwatch:PutMetricData on "*" (heavy/policies.ts); EventBridge counts runs and failures.
          "--enable-observability-metrics": "false",
          "--custom-logGroup-prefix": logPrefix,
          "--lake_bucket": args.lakeBucketName,
          "--contract_key": GLUE_CODE_KEYS.contract,
          "--temp_prefix": GLUE_PREFIXES.temp,
          "--handback_queue_url": args.processingQueueUrl,
        },
      },
      { parent: this, dependsOn: [grant, script, pythonPackage, contract, ...logGroups] },
    );

    // Failed runs: the alerts topic (readable text) and a failure queue (the whole event, for the runbook).
    const failureQueue = new aws.sqs.Queue(`${name}-glue-failures`, { kmsMasterKeyId: args.kmsKeyArn, messageRetentionSeconds: FAILURE_QUEUE_RETENTION_SECONDS }, { parent: this });
    const runsRule = new aws.cloudwatch.EventRule(
      `${name}-glue-runs`,
      { description: `Every finished run of ${jobName} (counted on the dashboard)`, eventPattern: runStatePattern(jobName, FINAL_RUN_STATES) },
      { parent: this },
    );
    const failuresRule = new aws.cloudwatch.EventRule(
      `${name}-glue-failures`,
      { description: `Failed runs of ${jobName}: to the alerts topic and the failure queue`, eventPattern: runStatePattern(jobName, FAILED_RUN_STATES) },
      { parent: this },
    );
    const queuePolicy = new aws.sqs.QueuePolicy(
      `${name}-glue-failures`,
      {
        queueUrl: failureQueue.url,
        policy: pulumi.all([failureQueue.arn, failuresRule.arn]).apply(([queueArn, ruleArn]) => JSON.stringify(queueFromRulePolicy({ queueArn, ruleArn }))),
      },
      { parent: this },
    );
    new aws.cloudwatch.EventTarget(`${name}-glue-failures-queue`, { rule: failuresRule.name, arn: failureQueue.arn }, { parent: this, dependsOn: [queuePolicy] });
    new aws.cloudwatch.EventTarget(`${name}-glue-failures-alert`, { rule: failuresRule.name, arn: args.alertsTopicArn, inputTransformer: failedRunAlert(args.runbookUrl) }, { parent: this });

    const outputs: HeavyConversionOutputs = {
      job: namedResourceOutputs(job),
      failureQueue: queueOutputs(failureQueue),
      runsRule: namedResourceOutputs(runsRule),
      failuresRule: namedResourceOutputs(failuresRule),
    };
    Object.assign(this, outputs);
    this.registerOutputs(outputs);
  }
}
