/**
 * The policy-enforcing local endpoint in front of moto, with the dev stack's data plane and
 * policies: requests AWS would refuse are refused with AWS's own errors (as the SDK raises them),
 * requests AWS would allow reach the emulator unchanged, and every decision is logged. Principals
 * whose grants a test depends on are declared here, so the tests pin the endpoint's behaviour, not
 * the program's current policies (another change is fixing those).
 */
import { execFile } from "node:child_process";
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { AthenaClient, CreateWorkGroupCommand, GetQueryExecutionCommand, StartQueryExecutionCommand } from "@aws-sdk/client-athena";
import { CompleteMultipartUploadCommand, CreateMultipartUploadCommand, DeleteObjectsCommand, UploadPartCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client, type PutObjectCommandInput } from "@aws-sdk/client-s3";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient, SendMessageCommand, TagQueueCommand } from "@aws-sdk/client-sqs";
import type { PolicyDocument, PolicyStatement } from "../../iam/documents.js";
import { startEndpoint, type AwsEndpoint } from "../harness/emulator.js";
import { runProgram, type ProgramRun } from "../harness/program.js";
import { Substitutions, provisionDataPlane, type DataPlane } from "../harness/provision.js";
import { PROJECT_ROOT } from "../harness/stack-config.js";
import { PolicyEndpoint } from "../harness/iam/endpoint.js";
import { policyModelFromRun, type PolicyModel, type PrincipalDeclaration } from "../harness/iam/model.js";

const OTHER_ACCOUNT = "210987654321";
const PARTNER_BUCKET = "partner-drop";

let upstream: AwsEndpoint;
let run: ProgramRun;
let plane: DataPlane;
let policy: PolicyEndpoint;
let lake: string;
let lakeArn: string;
let declaredKey: string;
let emulatorKey: string;
const logDirectory = join(PROJECT_ROOT, ".tmp", "iam-endpoint-test");

const allow = (...statements: Array<Omit<PolicyStatement, "Effect">>): PolicyDocument => ({ Version: "2012-10-17", Statement: statements.map((statement) => ({ Effect: "Allow", ...statement })) });

/** The principals the tests act as, each with exactly the grants its test needs. */
function principals(): PrincipalDeclaration[] {
  const raw = `${lakeArn}/raw/*`;
  return [
    { name: "producer", policies: [allow({ Action: "s3:PutObject", Resource: raw }, { Action: ["kms:GenerateDataKey", "kms:Decrypt"], Resource: declaredKey })] },
    {
      name: "prefix-lister",
      policies: [allow({ Action: "s3:GetObject", Resource: raw }, { Action: "s3:ListBucket", Resource: lakeArn, Condition: { StringLike: { "s3:prefix": ["raw/*"] } } })],
    },
    { name: "lister", policies: [allow({ Action: "s3:GetObject", Resource: raw }, { Action: "s3:ListBucket", Resource: lakeArn }, { Action: "s3:DeleteObject", Resource: raw })] },
    { name: "reader", policies: [allow({ Action: "s3:GetObject", Resource: raw })] },
    {
      name: "keyless-writer",
      policies: [
        allow(
          { Action: "s3:PutObject", Resource: raw },
          { Action: "sns:Publish", Resource: run.one("aws:sns/topic:Topic", "datalake-pipeline-events").state.arn },
          { Action: "sqs:SendMessage", Resource: run.one("aws:sqs/queue:Queue", "datalake-processing-dlq").state.arn },
        ),
      ],
    },
    { name: "vpc-copier", networkOf: "datalake-processor", policies: [allow({ Action: "s3:*", Resource: "*" })] },
    { name: "analyst", policies: [allow({ Action: ["athena:StartQueryExecution", "athena:GetQueryExecution"], Resource: run.one("aws:athena/workgroup:Workgroup").state.arn })] },
  ];
}

/** The model of the dev data plane with the tests' principals, optionally with the lake bucket's policy replaced. */
function testModel(lakePolicy?: PolicyDocument): PolicyModel {
  return policyModelFromRun(run, plane, {
    principals: principals(),
    foreignBuckets: { [PARTNER_BUCKET]: OTHER_ACCOUNT },
    resourcePolicies: {
      // The partner's bucket lets this account write; only the gateway endpoint policy stands in the way.
      [`arn:aws:s3:::${PARTNER_BUCKET}`]: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: "arn:aws:iam::123456789012:root" }, Action: "s3:PutObject", Resource: `arn:aws:s3:::${PARTNER_BUCKET}/*` }] },
      ...(lakePolicy ? { [lakeArn]: lakePolicy } : {}),
    },
  });
}

let logs = 0;
const startPolicyEndpoint = (model: PolicyModel): Promise<PolicyEndpoint> =>
  PolicyEndpoint.start(upstream, model, { plainHttp: true, decisionLogPath: join(logDirectory, `decisions-${++logs}.jsonl`) });

const s3As = (name: string, endpoint = policy) => new S3Client(endpoint.clientConfigFor(name));
const sqsAs = (name: string) => new SQSClient(policy.clientConfigFor(name));
const snsAs = (name: string) => new SNSClient(policy.clientConfigFor(name));

/** The error an SDK call raises, as the assertions need it. */
async function failure(call: Promise<unknown>): Promise<{ name: string; status: number | undefined; message: string }> {
  try {
    await call;
  } catch (error) {
    const { name, message, $metadata } = error as Error & { $metadata?: { httpStatusCode?: number } };
    return { name, status: $metadata?.httpStatusCode, message };
  }
  throw new Error("the call succeeded");
}

const putToLake = (client: S3Client, key: string, extra: Partial<PutObjectCommandInput> = {}) => client.send(new PutObjectCommand({ Bucket: lake, Key: key, Body: "{}\n", ...extra }));

beforeAll(async () => {
  rmSync(logDirectory, { recursive: true, force: true });
  mkdirSync(logDirectory, { recursive: true });
  upstream = await startEndpoint();
  run = await runProgram("dev");
  await upstream.reset();
  // Provisioned through the policy endpoint as the admin, so the emulator's queue URLs name it;
  // then the requests are evaluated against the model of that plane.
  policy = await startPolicyEndpoint(policyModelFromRun(run, { substitutions: new Substitutions() }));
  plane = await provisionDataPlane(run, policy.awsEndpointFor("admin"));
  lake = plane.buckets["datalake-lake"]!;
  lakeArn = `arn:aws:s3:::${lake}`;
  declaredKey = run.one("aws:kms/key:Key").state.arn;
  emulatorKey = plane.substitutions.apply(declaredKey);
  policy.useModel(testModel());
  policy.log.clear();
});

afterEach(() => {
  try {
    policy.assertNoUnexpectedDenials();
  } finally {
    policy.log.clear();
  }
});

afterAll(async () => {
  await policy?.stop();
  await upstream?.stop();
});

describe("S3 through the policy endpoint", () => {
  test("an upload naming the lake key passes the bucket policy and the key policy (through S3), and lands", async () => {
    await putToLake(s3As("producer"), "raw/events/landed.jsonl", { ServerSideEncryption: "aws:kms", SSEKMSKeyId: emulatorKey });

    const read = await s3As("admin").send(new GetObjectCommand({ Bucket: lake, Key: "raw/events/landed.jsonl" }));
    expect(await read.Body!.transformToString()).toBe("{}\n");
    const producerDecisions = policy.decisions.filter((decision) => decision.principal === "producer");
    expect(producerDecisions.map(({ phase, action, decision }) => ({ phase, action, decision }))).toEqual([
      { phase: "request", action: "s3:PutObject", decision: "allow" },
      { phase: "implicit-kms", action: "kms:GenerateDataKey", decision: "allow" },
    ]);
    expect(producerDecisions[1]!.decidedBy).toContainEqual(expect.objectContaining({ policyType: "resource", policy: "key:datalake-key" }));
  });

  test("(b) an upload asking for AES256 is denied by the lake's policy, with S3's AccessDenied", async () => {
    policy.expectDenial({ principal: "producer", action: "s3:PutObject", times: 1 });

    const error = await failure(putToLake(s3As("producer"), "raw/events/aes.jsonl", { ServerSideEncryption: "AES256" }));

    expect(error).toMatchObject({ name: "AccessDenied", status: 403 });
    expect(error.message).toMatch(/is not authorized to perform: s3:PutObject on resource: "arn:aws:s3:::datalake-lake-mock\/raw\/events\/aes.jsonl" with an explicit deny in a resource-based policy/);
    expect(policy.denials()[0]!.decidedBy).toContainEqual(expect.objectContaining({ sid: "DenyOtherEncryptionAlgorithms", effect: "Deny" }));
  });

  test("(c) a missing object: 403 AccessDenied with a prefix-limited ListBucket, 404 NoSuchKey with an unconditioned one", async () => {
    policy.expectDenial({ principal: "prefix-lister", action: "s3:ListBucket", phase: "missing-object", times: 2 });

    const limited = await failure(s3As("prefix-lister").send(new GetObjectCommand({ Bucket: lake, Key: "raw/events/missing.jsonl" })));
    const limitedHead = await failure(s3As("prefix-lister").send(new HeadObjectCommand({ Bucket: lake, Key: "raw/events/missing.jsonl" })));
    const unconditioned = await failure(s3As("lister").send(new GetObjectCommand({ Bucket: lake, Key: "raw/events/missing.jsonl" })));

    expect(limited).toMatchObject({ name: "AccessDenied", status: 403 });
    expect(limited.message).toMatch(/s3:ListBucket on resource: "arn:aws:s3:::datalake-lake-mock" because no identity-based policy allows/);
    expect(limitedHead.status).toBe(403);
    expect(unconditioned).toMatchObject({ name: "NoSuchKey", status: 404 });
  });

  test("(e) a request without TLS is denied by the TLS-only bucket and queue policies", async () => {
    policy.expectDenial({ principal: "producer", action: "s3:PutObject", times: 1 });
    policy.expectDenial({ principal: "datalake-processor", action: "sqs:ReceiveMessage", times: 1 });

    const s3 = await failure(putToLake(new S3Client(policy.clientConfigFor("producer", { insecure: true })), "raw/events/plain.jsonl", { ServerSideEncryption: "aws:kms", SSEKMSKeyId: emulatorKey }));
    const sqs = await failure(new SQSClient(policy.clientConfigFor("datalake-processor", { insecure: true })).send(new ReceiveMessageCommand({ QueueUrl: plane.queues["datalake-processing"]!.url, WaitTimeSeconds: 0 })));

    expect(s3).toMatchObject({ name: "AccessDenied", status: 403 });
    expect(sqs).toMatchObject({ name: "AccessDenied", status: 403 });
    for (const denial of policy.denials()) expect(denial.decidedBy).toContainEqual(expect.objectContaining({ sid: "DenyInsecureTransport", effect: "Deny" }));
  });

  test("(f) a request from a VPC function to another account's bucket is denied by the gateway endpoint policy", async () => {
    policy.expectDenial({ principal: "vpc-copier", action: "s3:PutObject", resource: /partner-drop/, times: 1 });

    const error = await failure(s3As("vpc-copier").send(new PutObjectCommand({ Bucket: PARTNER_BUCKET, Key: "exfiltrated.jsonl", Body: "{}" })));

    expect(error).toMatchObject({ name: "AccessDenied", status: 403 });
    expect(error.message).toMatch(/because no VPC endpoint policy allows the s3:PutObject action/);
  });

  test("(g) implicit KMS: a role that may PutObject but not use the lake key cannot upload", async () => {
    policy.expectDenial({ principal: "keyless-writer", action: "kms:GenerateDataKey", phase: "implicit-kms", times: 1 });

    const error = await failure(putToLake(s3As("keyless-writer"), "raw/events/keyless.jsonl", { ServerSideEncryption: "aws:kms", SSEKMSKeyId: emulatorKey }));

    expect(error).toMatchObject({ name: "AccessDenied", status: 403 });
    expect(error.message).toContain(`is not authorized to perform: kms:GenerateDataKey on resource: ${emulatorKey} because no identity-based policy allows`);
  });

  test("DeleteObjects: a refused key is reported in the result, the allowed ones are deleted", async () => {
    const admin = s3As("admin");
    await putToLake(admin, "raw/events/old.jsonl");
    await putToLake(admin, "processed/events/keep.parquet");
    policy.expectDenial({ principal: "lister", action: "s3:DeleteObject", resource: /processed/, times: 1 });

    const result = await s3As("lister").send(new DeleteObjectsCommand({ Bucket: lake, Delete: { Objects: [{ Key: "raw/events/old.jsonl" }, { Key: "processed/events/keep.parquet" }], Quiet: true } }));

    expect(result.Errors).toEqual([expect.objectContaining({ Key: "processed/events/keep.parquet", Code: "AccessDenied" })]);
    expect((await failure(admin.send(new HeadObjectCommand({ Bucket: lake, Key: "raw/events/old.jsonl" })))).status).toBe(404);
    expect((await admin.send(new HeadObjectCommand({ Bucket: lake, Key: "processed/events/keep.parquet" }))).$metadata.httpStatusCode).toBe(200);
  });
});

describe("multipart uploads stream through the endpoint and are judged part by part", () => {
  const PART = 5 * 1024 * 1024;
  const parts = () => Buffer.alloc(6 * 1024 * 1024 + 10, "a");
  /** A multipart upload of `parts()` in 5 MiB parts; only CreateMultipartUpload names the encryption, as in S3's API. */
  const multipartUpload = async (client: S3Client, key: string): Promise<void> => {
    const body = parts();
    const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: lake, Key: key, ServerSideEncryption: "aws:kms", SSEKMSKeyId: emulatorKey }));
    const completed = [];
    for (let start = 0, number = 1; start < body.length; start += PART, number += 1) {
      const { ETag } = await client.send(new UploadPartCommand({ Bucket: lake, Key: key, UploadId, PartNumber: number, Body: body.subarray(start, start + PART) }));
      completed.push({ PartNumber: number, ETag });
    }
    await client.send(new CompleteMultipartUploadCommand({ Bucket: lake, Key: key, UploadId, MultipartUpload: { Parts: completed } }));
  };
  const statement = (condition: PolicyStatement["Condition"]): PolicyDocument => ({
    Version: "2012-10-17",
    Statement: [{ Sid: "DenyOtherEncryptionAlgorithms", Effect: "Deny", Principal: "*", Action: "s3:PutObject", Resource: `${lakeArn}/*`, Condition: condition }],
  });

  test("with a Null-guarded encryption statement, CreateMultipartUpload, UploadPart and Complete pass and the object lands", async () => {
    const guarded = await startPolicyEndpoint(testModel(statement({ Null: { "s3:x-amz-server-side-encryption": "false" }, StringNotEquals: { "s3:x-amz-server-side-encryption": "aws:kms" } })));
    try {
      await multipartUpload(s3As("producer", guarded), "raw/events/big.jsonl");

      const head = await s3As("admin").send(new HeadObjectCommand({ Bucket: lake, Key: "raw/events/big.jsonl" }));
      expect(head.ContentLength).toBe(parts().length);
      expect(guarded.decisions.filter((decision) => decision.phase === "request").map((decision) => decision.operation)).toEqual(["CreateMultipartUpload", "UploadPart", "UploadPart", "CompleteMultipartUpload"]);
      expect(guarded.denials()).toEqual([]);
    } finally {
      await guarded.stop();
    }
  });

  test("with the IfExists statement, the first UploadPart (which carries no encryption header) is denied", async () => {
    const ifExists = await startPolicyEndpoint(testModel(statement({ StringNotEqualsIfExists: { "s3:x-amz-server-side-encryption": "aws:kms" } })));
    try {
      expect(await failure(multipartUpload(s3As("producer", ifExists), "raw/events/big-denied.jsonl"))).toMatchObject({ name: "AccessDenied", status: 403 });
      expect(ifExists.denials().map((denial) => denial.operation)).toContain("UploadPart");
    } finally {
      await ifExists.stop();
    }
  });
});

describe("SQS, SNS and Athena through the policy endpoint", () => {
  test("the processor consumes its queue and announces on its topic with its own role's grants, keys included", async () => {
    await sqsAs("datalake-processor").send(new ReceiveMessageCommand({ QueueUrl: plane.queues["datalake-processing"]!.url, WaitTimeSeconds: 0 }));
    await snsAs("datalake-processor").send(new PublishCommand({ TopicArn: plane.topics["datalake-pipeline-events"], Message: "{}" }));

    expect(policy.decisions.map(({ principal, action, decision }) => `${principal} ${action} ${decision}`)).toEqual([
      "datalake-processor sqs:ReceiveMessage allow",
      "datalake-processor kms:Decrypt allow",
      "datalake-processor sns:Publish allow",
      "datalake-processor kms:GenerateDataKey allow",
      "datalake-processor kms:Decrypt allow",
    ]);
  });

  test("(d) a principal without sns:Publish gets SNS's AuthorizationError", async () => {
    policy.expectDenial({ principal: "reader", action: "sns:Publish", times: 1 });

    const error = await failure(snsAs("reader").send(new PublishCommand({ TopicArn: plane.topics["datalake-pipeline-events"], Message: "{}" })));

    expect(error).toMatchObject({ name: "AuthorizationErrorException", status: 403 });
    expect(error.message).toMatch(/because no identity-based policy allows the sns:Publish action/);
  });

  test("SQS without permission raises AccessDenied; without the queue's key, KmsAccessDenied; SNS without the topic's key, KMSAccessDeniedException", async () => {
    policy.expectDenial({ principal: "reader", action: "sqs:ReceiveMessage", times: 1 });
    policy.expectDenial({ principal: "keyless-writer", phase: "implicit-kms", times: 2 });

    const noGrant = await failure(sqsAs("reader").send(new ReceiveMessageCommand({ QueueUrl: plane.queues["datalake-processing"]!.url, WaitTimeSeconds: 0 })));
    const noKeyQueue = await failure(sqsAs("keyless-writer").send(new SendMessageCommand({ QueueUrl: plane.queues["datalake-processing-dlq"]!.url, MessageBody: "{}" })));
    const noKeyTopic = await failure(snsAs("keyless-writer").send(new PublishCommand({ TopicArn: plane.topics["datalake-pipeline-events"], Message: "{}" })));

    expect(noGrant).toMatchObject({ name: "AccessDenied", status: 403 });
    expect(noKeyQueue).toMatchObject({ name: "KmsAccessDenied", status: 400 });
    expect(noKeyTopic).toMatchObject({ name: "KMSAccessDeniedException", status: 400 });
  });

  test("Athena: the workgroup of an execution is learned from StartQueryExecution; others get AccessDeniedException", async () => {
    const workgroup = run.one("aws:athena/workgroup:Workgroup").inputs.name as string;
    await new AthenaClient(policy.clientConfigFor("admin")).send(new CreateWorkGroupCommand({ Name: workgroup }));
    const analyst = new AthenaClient(policy.clientConfigFor("analyst"));
    policy.expectDenial({ principal: "reader", action: "athena:GetQueryExecution", times: 1 });

    const { QueryExecutionId } = await analyst.send(new StartQueryExecutionCommand({ QueryString: "SELECT 1", WorkGroup: workgroup, ResultConfiguration: { OutputLocation: "s3://datalake-athena-results-mock/results/" } }));
    await analyst.send(new GetQueryExecutionCommand({ QueryExecutionId }));
    const error = await failure(new AthenaClient(policy.clientConfigFor("reader")).send(new GetQueryExecutionCommand({ QueryExecutionId })));

    expect(error).toMatchObject({ name: "AccessDeniedException", status: 400 });
    expect(policy.decisions.find((decision) => decision.principal === "analyst" && decision.action === "athena:GetQueryExecution")).toMatchObject({
      decision: "allow",
      resource: run.one("aws:athena/workgroup:Workgroup").state.arn,
    });
  });
});

describe("callers and the log", () => {
  test("a function's process calls AWS as its role with the environment from environmentFor", async () => {
    // Configured only by AWS_ENDPOINT_URL, the SQS client sends to the host of the QueueUrl it is given
    // (useQueueUrlAsEndpoint): provisioned through the policy endpoint, queue URLs name it.
    const queueUrl = plane.queues["datalake-processing"]!.url;
    expect(queueUrl.startsWith(policy.url)).toBe(true);
    const script = `
      const { SQSClient, GetQueueAttributesCommand } = require("@aws-sdk/client-sqs");
      new SQSClient({}).send(new GetQueueAttributesCommand({ QueueUrl: process.argv[1], AttributeNames: ["QueueArn"] }))
        .then((result) => console.log(result.Attributes.QueueArn), (error) => { console.error(error.name); process.exit(1); });`;
    const environment = { ...process.env, ...policy.environmentFor("datalake-processor") };

    const { stdout } = await promisify(execFile)(process.execPath, ["-e", script, queueUrl], { env: environment, cwd: PROJECT_ROOT });

    expect(stdout.trim()).toBe(plane.queues["datalake-processing"]!.arn);
    expect(policy.decisions).toEqual([expect.objectContaining({ principal: "datalake-processor", action: "sqs:GetQueueAttributes", decision: "allow" })]);
  });

  test("an unknown access key is refused as AWS refuses it, and an unmodelled operation is refused with the reason", async () => {
    policy.expectDenial({ phase: "unknown-caller" });
    policy.expectDenial({ principal: "datalake-processor", phase: "not-modelled" });
    const stranger = new S3Client({ ...policy.clientConfigFor("reader"), credentials: { accessKeyId: "AKIASTRANGER", secretAccessKey: "x" } });

    const unknown = await failure(stranger.send(new GetObjectCommand({ Bucket: lake, Key: "raw/events/landed.jsonl" })));
    const unmodelled = await failure(sqsAs("datalake-processor").send(new TagQueueCommand({ QueueUrl: plane.queues["datalake-processing"]!.url, Tags: { a: "b" } })));

    expect(unknown).toMatchObject({ name: "InvalidAccessKeyId", status: 403 });
    expect(unmodelled).toMatchObject({ name: "AccessDenied", status: 403 });
    expect(unmodelled.message).toMatch(/TagQueue is not modelled by the local policy endpoint/);
  });

  test("the admin's requests bypass evaluation but are logged, to memory and to the JSON Lines file", async () => {
    await s3As("admin").send(new PutObjectCommand({ Bucket: lake, Key: "processed/events/by-admin.parquet", Body: "x" }));
    await sqsAs("admin").send(new GetQueueAttributesCommand({ QueueUrl: plane.queues["datalake-processing"]!.url, AttributeNames: ["All"] }));

    expect(policy.decisions.map(({ principal, phase, outcome }) => `${principal} ${phase} ${outcome}`)).toEqual(["admin admin Bypassed", "admin admin Bypassed"]);
    const logged = readFileSync(join(logDirectory, "decisions-1.jsonl"), "utf8").trim().split("\n").map((line) => JSON.parse(line) as { phase: string });
    expect(logged.filter((entry) => entry.phase === "admin").length).toBeGreaterThanOrEqual(2);
  });
});
