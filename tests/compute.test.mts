import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { runProgram, type ProgramRun } from "./harness/program.js";
import { functionPackage, startFunction } from "./harness/lambda.js";
import { materializeUpload, removeUpload, zippedSize } from "./harness/upload.js";
import type { LocalFunction } from "./harness/local-function.js";
import { MOCK_ACCOUNT_ID, type RecordedResource } from "./harness/mocks.js";
import { s3ObjectCreatedEvent, sqsEvent } from "./events.js";
import { clientConfig, startEndpoint, type AwsEndpoint } from "./harness/emulator.js";
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutBucketPolicyCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { ingestPolicy, processorPolicy, XRAY_STATEMENT } from "../compute/policies.js";
import { RUNTIME_PROVIDED_PACKAGES } from "../compute/index.js";
import { maxOldSpaceMb, processorNodeOptions } from "../compute/node-options.js";
import { rejectedObjectKey } from "../handlers/processor.js";
import { UNREGISTERED_DATASET } from "./harness/sample-data.js";

const FUNCTION = "aws:lambda/function:Function";
const FIVE_MB = 5 * 1024 * 1024;
const UPLOAD_BOUND_BYTES = 1.5 * 1024 * 1024;
const runs: Record<string, ProgramRun> = {};

beforeAll(async () => {
  runs.dev = await runProgram("dev");
  runs.prod = await runProgram("prod");
});

const inlinePolicyOf = (run: ProgramRun, fn: RecordedResource) => {
  const role = run.all("aws:iam/role:Role").find((candidate) => candidate.state.arn === fn.inputs.role)!;
  const policy = run.all("aws:iam/rolePolicy:RolePolicy").find((candidate) => candidate.inputs.role === role.id)!;
  return JSON.parse(policy.inputs.policy) as { Statement: Array<{ Sid: string; Action: string[]; Resource: string | string[] }> };
};

describe("the Lambda runtime", () => {
  test("defaults to nodejs24.x; nodejs22.x (deprecated on 2027-04-30) stays selectable for every function", async () => {
    const node22 = await runProgram("dev", { "datalake:lambdaRuntime": "nodejs22.x" });
    expect(node22.all(FUNCTION).map((fn) => fn.inputs.runtime)).toEqual(node22.all(FUNCTION).map(() => "nodejs22.x"));
    expect(runs.dev!.all(FUNCTION).map((fn) => fn.inputs.runtime)).toEqual(runs.dev!.all(FUNCTION).map(() => "nodejs24.x"));
  });

  test("datalake:powertoolsVersion picks the layer number every function declares", async () => {
    // Act
    const older = await runProgram("dev", { "datalake:powertoolsVersion": "2.33.1" });
    // Assess
    expect(older.all(FUNCTION).map((fn) => (fn.inputs.layers as string[])[0]!.split(":").at(-1))).toEqual(older.all(FUNCTION).map(() => "48"));
  });
});

describe.each([
  ["dev", { memory: 256, processorMemory: 1024, tracing: "PassThrough", reserved: -1, maxConcurrency: 10, batchSize: 10, window: 0 }],
  ["prod", { memory: 256, processorMemory: 2048, tracing: "Active", reserved: 25, maxConcurrency: 20, batchSize: 50, window: 5 }],
] as const)("stack %s", (stack, expected) => {
  const run = () => runs[stack]!;
  const ingest = () => run().one(FUNCTION, "datalake-ingest");
  const processor = () => run().one(FUNCTION, "datalake-processor");

  test("every function: pinned runtime, arm64, private subnets, own JSON log group with retention", () => {
    const vpc = run().one("awsx:ec2:Vpc");
    const securityGroup = run().one("aws:ec2/securityGroup:SecurityGroup", "datalake-lambda");
    for (const fn of [ingest(), processor()]) {
      expect(fn.inputs.runtime).toBe("nodejs24.x");
      expect(fn.inputs.architectures).toEqual(["arm64"]);
      expect(fn.inputs.handler).toBe("__index.handler");
      expect(fn.inputs.vpcConfig).toEqual({ subnetIds: vpc.state.privateSubnetIds, securityGroupIds: [securityGroup.id] });
      const logGroup = run().all("aws:cloudwatch/logGroup:LogGroup").find((group) => group.inputs.name === fn.inputs.loggingConfig.logGroup)!;
      expect(logGroup.inputs.retentionInDays).toBe(Number(run().config["datalake:logRetentionDays"]));
      expect(logGroup.inputs.kmsKeyId).toBe(run().one("aws:kms/key:Key").state.arn);
      expect(fn.inputs.loggingConfig).toMatchObject({ logFormat: "JSON", applicationLogLevel: "INFO" });
      expect(fn.inputs.tracingConfig).toEqual({ mode: expected.tracing });
    }
  });

  test("every function declares AWS's Powertools layer at the pinned version, in the stack's region, and packs no Powertools", async () => {
    // Prepare
    const region = run().config["aws:region"];
    // Assess: the curated job included
    for (const fn of run().all(FUNCTION)) {
      expect(fn.inputs.layers, fn.name).toEqual([`arn:aws:lambda:${region}:094274105915:layer:AWSLambdaPowertoolsTypeScriptV2:50`]);
      const { packedPaths } = await functionPackage(fn);
      expect(packedPaths.filter((path) => /@aws-lambda-powertools|@aws\/lambda-invoke-store/.test(path)), fn.name).toEqual([]);
    }
  });

  test("memory, timeout and reserved concurrency come from config", () => {
    expect(ingest().inputs).toMatchObject({ memorySize: expected.memory, timeout: 30, reservedConcurrentExecutions: -1 });
    expect(processor().inputs).toMatchObject({ memorySize: expected.processorMemory, timeout: 300, reservedConcurrentExecutions: expected.reserved });
  });

  test("environment names everything the functions need", () => {
    expect(ingest().inputs.environment.variables).toEqual({
      INGEST_TOPIC_ARN: run().one("aws:sns/topic:Topic", "datalake-ingest").state.arn,
      POWERTOOLS_SERVICE_NAME: "ingest",
      POWERTOOLS_METRICS_NAMESPACE: `datalake/${stack}`,
    });
    expect(processor().inputs.environment.variables).toMatchObject({
      LAKE_BUCKET: run().one("aws:s3/bucket:Bucket", "datalake-lake").state.bucket,
      POWERTOOLS_SERVICE_NAME: "processor",
      POWERTOOLS_METRICS_NAMESPACE: `datalake/${stack}`,
      NODE_OPTIONS: processorNodeOptions(expected.processorMemory),
      PROCESSOR_PLANNING_MB_PER_SECOND: "20",
    });
  });

  test("every function's V8 heap cap stays below its memory, so V8 collects before Lambda kills the sandbox", () => {
    for (const fn of run().all(FUNCTION)) {
      const cap = maxOldSpaceMb(fn.inputs.environment?.variables?.NODE_OPTIONS ?? "");
      if (cap !== undefined) expect(cap, fn.name).toBeLessThan(fn.inputs.memorySize);
    }
    expect(maxOldSpaceMb(processor().inputs.environment.variables.NODE_OPTIONS)).toBe(Math.floor(expected.processorMemory * 0.75));
  });

  test("ingest's role may publish to the ingest topic, record failed invocations and use the key, nothing else", () => {
    const policy = inlinePolicyOf(run(), ingest());
    const topic = run().one("aws:sns/topic:Topic", "datalake-ingest").state.arn;
    const failures = run().one("aws:sqs/queue:Queue", "datalake-ingest-failures").state.arn;
    const key = run().one("aws:kms/key:Key").state.arn;
    expect(policy.Statement.map(({ Sid, Action, Resource }) => ({ Sid, Action, Resource }))).toEqual([
      { Sid: "PublishLandedObjects", Action: ["sns:Publish"], Resource: topic },
      { Sid: "RecordFailedInvocations", Action: ["sqs:SendMessage"], Resource: failures },
      { Sid: "UseLakeKey", Action: ["kms:GenerateDataKey", "kms:Decrypt"], Resource: key },
      ...(expected.tracing === "Active" ? [{ Sid: XRAY_STATEMENT.Sid, Action: XRAY_STATEMENT.Action, Resource: "*" }] : []),
    ]);
  });

  test("the processor's role reads raw/, mirrors it into processed/ and rejected/, keeps manifests, consumes its queue, uses the key", () => {
    const policy = inlinePolicyOf(run(), processor());
    const bucket = run().one("aws:s3/bucket:Bucket", "datalake-lake").state.arn;
    const queue = run().one("aws:sqs/queue:Queue", "datalake-processing").state.arn;
    const key = run().one("aws:kms/key:Key").state.arn;
    const byId = Object.fromEntries(policy.Statement.map((statement) => [statement.Sid, statement]));
    expect(byId.ReadRawObjects).toMatchObject({ Action: ["s3:GetObject", "s3:GetObjectVersion"], Resource: `${bucket}/raw/*` });
    expect(byId.MirrorRawIntoProcessedAndRejected).toMatchObject({
      Action: ["s3:PutObject", "s3:AbortMultipartUpload", "s3:DeleteObject"],
      Resource: [`${bucket}/processed/*`, `${bucket}/rejected/*`],
    });
    expect(byId.KeepPerKeyManifests).toMatchObject({ Action: ["s3:GetObject", "s3:PutObject"], Resource: `${bucket}/manifests/*` });
    // Unconditioned: S3 answers a missing key with 404 only to callers that may list the bucket.
    expect(byId.ListLakeSoMissingObjectsAre404).toEqual({ Sid: "ListLakeSoMissingObjectsAre404", Effect: "Allow", Action: ["s3:ListBucket"], Resource: bucket });
    expect(byId.ConsumeProcessingQueue).toMatchObject({
      Action: ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"],
      Resource: queue,
    });
    expect(byId.UseLakeKey).toMatchObject({ Resource: key });
    for (const statement of policy.Statement) {
      expect(statement.Action.some((action) => action.includes("*")), statement.Sid).toBe(false);
      if (statement.Sid !== XRAY_STATEMENT.Sid) expect(statement.Resource, statement.Sid).not.toBe("*");
    }
  });

  test("roles carry only the VPC access managed policy, never CallbackFunction's defaults", () => {
    const attachments = run().all("aws:iam/rolePolicyAttachment:RolePolicyAttachment").filter((attachment) => attachment.name.startsWith("datalake-ingest") || attachment.name.startsWith("datalake-processor"));
    expect(attachments.map((attachment) => attachment.inputs.policyArn)).toEqual([
      "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole",
      "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole",
    ]);
  });

  test("S3 invokes ingest only from this bucket and account, for objects under raw/", () => {
    const bucket = run().one("aws:s3/bucket:Bucket", "datalake-lake");
    const permission = run().one("aws:lambda/permission:Permission", "datalake-ingest-from-lake");
    expect(permission.inputs).toMatchObject({
      action: "lambda:InvokeFunction",
      principal: "s3.amazonaws.com",
      function: ingest().state.name,
      sourceArn: bucket.state.arn,
      sourceAccount: MOCK_ACCOUNT_ID,
    });
    const notification = run().one("aws:s3/bucketNotification:BucketNotification");
    expect(notification.inputs.bucket).toBe(bucket.state.bucket);
    expect(notification.inputs.lambdaFunctions).toEqual([{ lambdaFunctionArn: ingest().state.arn, events: ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"], filterPrefix: "raw/" }]);
  });

  test("the event source mapping reports partial batch failures with batch settings from config", () => {
    const mapping = run().one("aws:lambda/eventSourceMapping:EventSourceMapping");
    expect(mapping.inputs).toMatchObject({
      functionResponseTypes: ["ReportBatchItemFailures"],
      batchSize: expected.batchSize,
      maximumBatchingWindowInSeconds: expected.window,
      scalingConfig: { maximumConcurrency: expected.maxConcurrency },
    });
  });

  test("uploads leave out the SDK clients the runtime ships and stay under 1.5 MB unzipped (the benchmark tracks the exact figure)", async () => {
    // Every function of the stack, the curated job included.
    for (const fn of run().all(FUNCTION)) {
      const upload = await functionPackage(fn);
      for (const excluded of RUNTIME_PROVIDED_PACKAGES) expect(upload.packedPaths).not.toContain(`node_modules/${excluded}`);
      expect(upload.packedPaths.some((path) => path.includes("@pulumi"))).toBe(false);
      const materialized = materializeUpload(upload, fn.name);
      const zipped = zippedSize(materialized.dir);
      removeUpload(materialized);
      console.log(`${stack} ${fn.name}: ${zipped} bytes zipped, ${materialized.bytes} bytes in ${materialized.files} files unzipped (__index.js ${upload.indexJs.length} bytes)`);
      expect(zipped).toBeLessThan(FIVE_MB);
      // Issue 20's target is 1 MB unzipped; 1.5 MB here so that noise never fails CI (npm run bench:cold-start prints the figure).
      expect(materialized.bytes, fn.name).toBeLessThan(UPLOAD_BOUND_BYTES);
      expect(upload.indexJs.length).toBeLessThan(256 * 1024);
    }
    const ingestUpload = await functionPackage(ingest());
    expect(ingestUpload.packedPaths).not.toContain("node_modules/hysnappy");
  });

  test("no upload packs an AWS SDK or Smithy package: it would run against the runtime's client-s3 of another release (issue 14, blocker 4)", async () => {
    // e.g. @aws-sdk/lib-storage, which calls client configuration only recent clients have
    for (const fn of run().all(FUNCTION)) {
      const { packedPaths } = await functionPackage(fn);
      expect(packedPaths.filter((path) => /node_modules\/@(aws-sdk|smithy)\//.test(path.replace(/\\/g, "/"))), fn.name).toEqual([]);
    }
  });
});

describe("policy builders", () => {
  test("add the X-Ray statement only with tracing on", () => {
    const args = { ingestTopicArn: "arn:topic", ingestFailuresQueueArn: "arn:failures", kmsKeyArn: "arn:key" };
    expect(ingestPolicy({ ...args, tracing: false }).Statement).not.toContainEqual(XRAY_STATEMENT);
    expect(ingestPolicy({ ...args, tracing: true }).Statement).toContainEqual(XRAY_STATEMENT);
    const processorArgs = { lakeBucketArn: "arn:aws:s3:::lake", glueJobArn: "arn:aws:glue:eu-west-1:123456789012:job/convert", processingQueueArn: "arn:queue", pipelineEventsTopicArn: "arn:events", kmsKeyArn: "arn:key" };
    expect(processorPolicy({ ...processorArgs, tracing: true }).Statement).toContainEqual(XRAY_STATEMENT);
  });
});

describe("the uploads, run from a folder holding only what they pack", () => {
  let endpoint: AwsEndpoint;
  const started: LocalFunction[] = [];
  beforeAll(async () => {
    endpoint = await startEndpoint();
  });
  afterAll(async () => {
    await Promise.all(started.map((fn) => fn.stop()));
    await endpoint?.stop();
  });

  async function start(name: string, environment: Record<string, string>): Promise<{ fn: LocalFunction }> {
    const fn = await startFunction(runs.dev!.one(FUNCTION, name), { ...endpoint.environment, S3_FORCE_PATH_STYLE: "true", ...environment });
    started.push(fn);
    return { fn };
  }

  test("ingest returns its result for an event that needs no publish", async () => {
    const { fn } = await start("datalake-ingest", { INGEST_TOPIC_ARN: "arn:aws:sns:eu-west-1:123456789012:unused" });
    const outcome = await fn.invoke(s3ObjectCreatedEvent("lake", [{ key: "raw/events/", size: 0 }, { key: "raw/loose.csv", size: 4 }]));
    expect(outcome).toMatchObject({ ok: true, result: { published: 0, skipped: 2 } });
  });

  test("the processor returns batchItemFailures as Lambda expects: converted and rejected messages acknowledged, failing ones listed", async () => {
    // Prepare: a lake with one valid object, and a bucket whose policy refuses reads (a transient failure)
    const s3 = new S3Client(clientConfig(endpoint));
    for (const bucket of ["lake", "locked"]) {
      await s3.send(new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: "eu-west-1" } }));
    }
    await s3.send(
      new PutBucketPolicyCommand({
        Bucket: "locked",
        Policy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Deny", Principal: "*", Action: "s3:GetObject", Resource: "arn:aws:s3:::locked/*" }] }),
      }),
    );
    const record = { event_id: "e-1", user_id: 7, event_timestamp: "2026-11-20T09:30:00Z", event_type: "page_view", properties: { page: "/" } };
    const put = await s3.send(new PutObjectCommand({ Bucket: "lake", Key: "raw/events/ok.jsonl", Body: `${JSON.stringify(record)}\n` }));
    // No pipeline-events topic in this emulator: announcements are not what this test is about.
    const { fn } = await start("datalake-processor", { LAKE_BUCKET: "lake", PIPELINE_EVENTS_TOPIC_ARN: "" });
    const message = (bucket: string, key: string, etag: string, dataset: string) =>
      JSON.stringify({ bucket, key, size: 10, etag, eventTime: "2026-11-20T10:00:00Z", dataset, change: "created", sequencer: "0055AED6DCD90281E5" });

    // Act
    const outcome = await fn.invoke(
      sqsEvent([
        message("lake", `raw/${UNREGISTERED_DATASET}/a.jsonl`, "e1", UNREGISTERED_DATASET),
        message("lake", "raw/events/missing.jsonl", "e2", "events"),
        message("locked", "raw/events/b.jsonl", "e3", "events"),
        message("lake", "raw/events/ok.jsonl", put.ETag!, "events"),
      ]),
    );

    // Assess: only the unreadable-for-now message is retried; the others are done
    expect(outcome).toMatchObject({ ok: true, result: { batchItemFailures: [{ itemIdentifier: "message-2" }] } });
    const rejected = await s3.send(new GetObjectCommand({ Bucket: "lake", Key: rejectedObjectKey({ bucket: "lake", dataset: UNREGISTERED_DATASET, key: `raw/${UNREGISTERED_DATASET}/a.jsonl`, etag: "e1" }) }));
    expect(JSON.parse(await rejected.Body!.transformToString())).toMatchObject({ reason: "unknown_dataset", source: { key: `raw/${UNREGISTERED_DATASET}/a.jsonl` } });
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: "lake" }));
    const keys = (listed.Contents ?? []).map((object) => object.Key!);
    expect(keys.filter((key) => key.startsWith("processed/events/year=2026/month=11/day=20/") && key.endsWith(".parquet"))).toHaveLength(1);
    expect(keys.filter((key) => key.startsWith("rejected/events/_objects/"))).toHaveLength(1);
    // The Glue client is loaded at the first heavy object, not at init (handlers/heavy-route.ts, StartJobRun)
    expect(fn.sdkClientsAtInit).toEqual(["@aws-sdk/client-s3", "@aws-sdk/client-sns"]);
  });
});
