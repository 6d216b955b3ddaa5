/**
 * The heavy path's declared resources, for dev and prod under Pulumi mocks: the Glue job and its
 * arguments, its security configuration, role and statements, network connections, code objects and
 * contract, log groups, failure rules and queue, and what the processor is given to route to it.
 */
import { beforeAll, describe, expect, test } from "vitest";
import { runProgram, type ProgramRun } from "./harness/program.js";
import { MOCK_ACCOUNT_ID } from "./harness/mocks.js";
import type { PolicyDocument, PolicyStatement } from "../iam/documents.js";
import { glueContract, type GlueContract } from "../handlers/glue-contract.js";
import { DATASETS } from "../handlers/datasets.js";
import { FUNCTION_ENV } from "../compute/callbacks.js";
import { GLUE_CODE_KEYS, GLUE_VERSION, gluePackageArchive } from "../heavy/index.js";
import { FAILED_RUN_STATES, glueJobName } from "../heavy/events.js";
import { heavyObjectThresholdMbFor } from "../config/heavy.js";

const JOB = "aws:glue/job:Job";
const MB = 1024 * 1024;
const runs: Record<string, ProgramRun> = {};

beforeAll(async () => {
  runs.dev = await runProgram("dev");
  runs.prod = await runProgram("prod");
});

const statements = (document: string): PolicyStatement[] => (JSON.parse(document) as PolicyDocument).Statement as PolicyStatement[];
const list = (value: string | readonly string[] | undefined): string[] => (value === undefined ? [] : typeof value === "string" ? [value] : [...value]);

describe.each(["dev", "prod"])("stack %s: the heavy path", (stack) => {
  const run = () => runs[stack]!;
  const job = () => run().one(JOB);
  const lakeBucket = () => run().one("aws:s3/bucket:Bucket", "datalake-lake").state.bucket as string;
  const lakeKey = () => run().one("aws:kms/key:Key").state.arn as string;
  const role = () => run().one("aws:iam/role:Role", "datalake-glue");
  const policy = () => statements(run().one("aws:iam/rolePolicy:RolePolicy", "datalake-glue").inputs.policy);
  const statement = (sid: string) => policy().find((candidate) => candidate.Sid === sid)!;

  test("the job runs Glue 5.0 from the uploaded script, with config's workers, timeout and concurrency, and no retries", () => {
    // Act
    const { inputs } = job();
    // Assess
    expect(inputs).toMatchObject({
      name: glueJobName(stack),
      glueVersion: GLUE_VERSION,
      command: { name: "glueetl", pythonVersion: "3", scriptLocation: `s3://${lakeBucket()}/${GLUE_CODE_KEYS.script}` },
      workerType: "G.1X",
      numberOfWorkers: 4,
      timeout: 120,
      maxRetries: 0,
      executionProperty: { maxConcurrentRuns: 3 },
      roleArn: role().state.arn,
    });
  });

  test("its arguments name its package, staging, contract, handback queue and log groups; bookmarks and metrics are off", () => {
    // Act
    const args = job().inputs.defaultArguments as Record<string, string>;
    // Assess
    expect(args).toEqual({
      "--job-language": "python",
      "--extra-py-files": `s3://${lakeBucket()}/${GLUE_CODE_KEYS.package}`,
      "--TempDir": `s3://${lakeBucket()}/glue/temp/spark/`,
      "--job-bookmark-option": "job-bookmark-disable",
      "--enable-observability-metrics": "false",
      "--custom-logGroup-prefix": `/datalake/${stack}/glue`,
      "--lake_bucket": lakeBucket(),
      "--contract_key": GLUE_CODE_KEYS.contract,
      "--temp_prefix": "glue/temp/",
      "--handback_queue_url": run().one("aws:sqs/queue:Queue", "datalake-processing").state.url,
    });
  });

  test("its security configuration encrypts S3 output and logs with SSE-KMS and bookmarks with CSE-KMS, all with the lake key", () => {
    // Act
    const configuration = run().one("aws:glue/securityConfiguration:SecurityConfiguration");
    // Assess
    expect(job().inputs.securityConfiguration).toBe(configuration.inputs.name);
    expect(configuration.inputs.encryptionConfiguration).toEqual({
      s3Encryption: { s3EncryptionMode: "SSE-KMS", kmsKeyArn: lakeKey() },
      cloudwatchEncryption: { cloudwatchEncryptionMode: "SSE-KMS", kmsKeyArn: lakeKey() },
      jobBookmarksEncryption: { jobBookmarksEncryptionMode: "CSE-KMS", kmsKeyArn: lakeKey() },
    });
  });

  test("it runs in every private subnet's connection, behind the Glue security group, in that subnet's zone", () => {
    // Prepare
    const connections = run().all("aws:glue/connection:Connection");
    const privateSubnets = run().outputs.privateSubnetIds as string[];
    const glueGroup = run().one("aws:ec2/securityGroup:SecurityGroup", "datalake-glue").id;
    // Act / Assess
    expect(connections).toHaveLength(privateSubnets.length);
    expect(job().inputs.connections).toEqual(connections.map((connection) => connection.inputs.name));
    connections.forEach((connection, index) => {
      expect(connection.inputs).toMatchObject({
        connectionType: "NETWORK",
        physicalConnectionRequirements: { subnetId: privateSubnets[index], securityGroupIdLists: [glueGroup], availabilityZone: `eu-west-1${String.fromCharCode(97 + index)}` },
      });
    });
  });

  test("its role is assumed by Glue for this account only", () => {
    // Act
    const trust = statements(role().inputs.assumeRolePolicy);
    // Assess
    expect(trust).toEqual([
      { Sid: "GlueRunsThisAccountsJobs", Effect: "Allow", Principal: { Service: "glue.amazonaws.com" }, Action: "sts:AssumeRole", Condition: { StringEquals: { "aws:SourceAccount": MOCK_ACCOUNT_ID } } },
    ]);
  });

  test("its role reads raw/ and its code, stages in glue/temp/, writes only the processor's outputs and results, and hands back to the processing queue", () => {
    // Prepare
    const lake = run().one("aws:s3/bucket:Bucket", "datalake-lake").state.arn as string;
    // Act / Assess
    expect(list(statement("ReadRawObjects").Resource)).toEqual([`${lake}/raw/*`]);
    expect(list(statement("ReadJobCodeAndRunLists").Resource)).toEqual([`${lake}/glue/scripts/*`, `${lake}/glue/runs/*`]);
    expect(list(statement("StageUnderTemp").Resource)).toEqual([`${lake}/glue/temp/*`]);
    expect(list(statement("WriteOutputsAndResults").Action)).toEqual(["s3:PutObject", "s3:AbortMultipartUpload"]);
    expect(list(statement("WriteOutputsAndResults").Resource)).toEqual([`${lake}/processed/*`, `${lake}/rejected/*`, `${lake}/glue/results/*`]);
    expect(statement("HandBackToProcessor")).toMatchObject({ Action: ["sqs:SendMessage"], Resource: run().one("aws:sqs/queue:Queue", "datalake-processing").state.arn });
    expect(statement("UseLakeKey").Resource).toBe(lakeKey());
    expect(list(statement("WriteJobLogs").Resource)).toEqual([
      `arn:aws:logs:eu-west-1:${MOCK_ACCOUNT_ID}:log-group:/datalake/${stack}/glue/*`,
      `arn:aws:logs:eu-west-1:${MOCK_ACCOUNT_ID}:log-group:/datalake/${stack}/glue/*:log-stream:*`,
    ]);
  });

  test("its role grants no wildcard action, and * only to EC2's Describe calls", () => {
    // Act
    const wildcard = policy().filter((candidate) => list(candidate.Resource).includes("*"));
    // Assess
    for (const candidate of policy()) for (const action of list(candidate.Action)) expect(action).not.toMatch(/(^\*$|:\*$)/);
    expect(wildcard.flatMap((candidate) => list(candidate.Action)).every((action) => action.startsWith("ec2:Describe"))).toBe(true);
  });

  test("its code, package and contract are objects of the lake bucket; the contract is the registry's", async () => {
    // Prepare
    const objects = run().all("aws:s3/bucketObjectv2:BucketObjectv2");
    const byKey = (key: string) => objects.find((object) => object.inputs.key === key)!;
    // Act
    const packaged = Object.keys(await gluePackageArchive().assets);
    // Assess
    for (const key of Object.values(GLUE_CODE_KEYS)) expect(byKey(key).inputs.bucket).toBe(lakeBucket());
    expect(packaged.every((path) => path.startsWith("datalake_glue/") && path.endsWith(".py"))).toBe(true);
    expect(packaged).toContain("datalake_glue/conversion.py");
    const contract = JSON.parse(await byKey(GLUE_CODE_KEYS.contract).inputs.source.text) as GlueContract;
    expect(contract).toEqual(glueContract(DATASETS, { maxRecordBytes: contract.reading.maxRecordBytes, partitionYears: contract.partition.years }));
  });

  test("its contract carries the processor's record limit and projection years, as the processor's environment gives them", async () => {
    // Prepare
    const environment = run().one("aws:lambda/function:Function", "datalake-processor").inputs.environment.variables as Record<string, string>;
    const source = run().one("aws:s3/bucketObjectv2:BucketObjectv2", "datalake-glue-contract").inputs.source as { text: string | Promise<string> };
    // Act
    const contract = JSON.parse(await source.text) as GlueContract;
    // Assess
    expect(contract.reading.maxRecordBytes).toBe(Number(environment[FUNCTION_ENV.maxRecordBytes]));
    expect(contract.partition.years).toEqual({ first: Number(environment[FUNCTION_ENV.partitionFirstYear]), last: Number(environment[FUNCTION_ENV.partitionLastYear]) });
  });

  test("its log groups have the stack's retention and the lake key", () => {
    // Act
    const groups = run().all("aws:cloudwatch/logGroup:LogGroup").filter((group) => String(group.inputs.name).startsWith(`/datalake/${stack}/glue/`));
    // Assess
    expect(groups.map((group) => group.inputs.name).sort()).toEqual([`/datalake/${stack}/glue/error`, `/datalake/${stack}/glue/output`]);
    for (const group of groups) expect(group.inputs).toMatchObject({ retentionInDays: stack === "dev" ? 14 : 365, kmsKeyId: lakeKey() });
  });

  test("failed runs go to the alerts topic and an encrypted failure queue only that rule may send to", () => {
    // Prepare
    const rule = run().one("aws:cloudwatch/eventRule:EventRule", "datalake-glue-failures");
    const queue = run().one("aws:sqs/queue:Queue", "datalake-glue-failures");
    const targets = run().all("aws:cloudwatch/eventTarget:EventTarget").filter((target) => target.inputs.rule === rule.state.name);
    // Act
    const pattern = JSON.parse(rule.inputs.eventPattern);
    const queuePolicy = statements(run().one("aws:sqs/queuePolicy:QueuePolicy", "datalake-glue-failures").inputs.policy);
    // Assess
    expect(pattern).toEqual({ source: ["aws.glue"], "detail-type": ["Glue Job State Change"], detail: { jobName: [glueJobName(stack)], state: [...FAILED_RUN_STATES] } });
    expect(targets.map((target) => target.inputs.arn).sort()).toEqual([queue.state.arn, run().one("aws:sns/topic:Topic", "datalake-alerts").state.arn].sort());
    expect(queue.inputs.kmsMasterKeyId).toBe(lakeKey());
    expect(queuePolicy[0]).toMatchObject({ Principal: { Service: "events.amazonaws.com" }, Action: "sqs:SendMessage", Condition: { ArnEquals: { "aws:SourceArn": rule.state.arn } } });
    const alert = targets.find((target) => target.inputs.inputTransformer)!.inputs.inputTransformer;
    expect(JSON.parse(alert.inputTemplate)).toContain("README.md#heavy-conversion-run-failed");
  });

  test("the processor may start only this job's runs, and is told its name and the threshold derived from its timeout", () => {
    // Prepare
    const processor = run().all("aws:lambda/function:Function").find((fn) => String(fn.name).endsWith("processor"))!;
    const processorPolicy = statements(run().one("aws:iam/rolePolicy:RolePolicy", "datalake-processor").inputs.policy);
    // Act
    const start = processorPolicy.find((candidate) => list(candidate.Action).includes("glue:StartJobRun"))!;
    // Assess
    expect(start.Resource).toBe(`arn:aws:glue:eu-west-1:${MOCK_ACCOUNT_ID}:job/${glueJobName(stack)}`);
    expect(processor.inputs.environment.variables).toMatchObject({
      GLUE_JOB_NAME: glueJobName(stack),
      HEAVY_OBJECT_THRESHOLD_BYTES: String(heavyObjectThresholdMbFor(300) * MB),
    });
    expect(run().outputs.glueJobName).toBe(glueJobName(stack));
  });
});
