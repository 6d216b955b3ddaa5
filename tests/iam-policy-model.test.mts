/**
 * The policy model the local policy endpoint evaluates against, built from what the program
 * declares for the dev stack: one principal per function role with its inline and managed policies,
 * the declared extra principals, every resource policy, the VPC endpoints functions go through, and
 * which key encrypts what, with declared identifiers mapped to the emulator's.
 */
import { beforeAll, describe, expect, test } from "vitest";
import type { PolicyDocument } from "../iam/documents.js";
import type { RecordedResource } from "./harness/mocks.js";
import { runProgram, type ProgramRun } from "./harness/program.js";
import { Substitutions } from "./harness/provision.js";
import { bucketAccount, policyModelFromRun, principalForAccessKey, principalNamed, resourcePolicyFor, type PolicyModel } from "./harness/iam/model.js";

const ACCOUNT = "123456789012";
const LAKE = "datalake-lake-mock";
const DECLARED_KEY = "arn:aws:kms:eu-west-1:123456789012:key/datalake-key-key-id";
const EMULATOR_KEY = "arn:aws:kms:eu-west-1:123456789012:key/0f1e2d3c-moto";

const producerPolicy: PolicyDocument = {
  Version: "2012-10-17",
  Statement: [
    { Sid: "LandRawObjects", Effect: "Allow", Action: "s3:PutObject", Resource: `arn:aws:s3:::${LAKE}/raw/*` },
    { Sid: "UseLakeKey", Effect: "Allow", Action: "kms:GenerateDataKey", Resource: DECLARED_KEY },
  ],
};

/** A run of a few hand-made resources, for cases the dev stack does not have. */
function fakeRun(resources: RecordedResource[]): ProgramRun {
  const all = (type: string, name?: string) => resources.filter((resource) => resource.type === type && (name === undefined || resource.name === name));
  return {
    stack: "fake",
    config: { "aws:region": "eu-west-1" },
    resources,
    calls: [],
    outputs: {},
    program: {},
    all,
    one: (type, name) => all(type, name)[0]!,
    options: () => ({ protect: undefined, retainOnDelete: undefined }),
    registration: () => ({ protect: undefined, retainOnDelete: undefined, urn: "", parent: undefined, dependencies: [], propertyDependencies: {} }),
  };
}

function resource(type: string, name: string, inputs: Record<string, unknown>, state: Record<string, unknown> = {}): RecordedResource {
  return { type, name, id: `${name}-id`, inputs, state: { name: `${name}-mock`, ...state }, custom: true };
}

let run: ProgramRun;
let model: PolicyModel;

beforeAll(async () => {
  run = await runProgram("dev");
  const substitutions = new Substitutions();
  substitutions.add(DECLARED_KEY, EMULATOR_KEY);
  model = policyModelFromRun(run, { substitutions }, {
    principals: [
      { name: "producer", policies: [producerPolicy] },
      { name: "ci-smoke", kind: "user", policies: [{ name: "smoke", document: producerPolicy }] },
      { name: "beside-processor", networkOf: "datalake-processor" },
    ],
    foreignBuckets: { "partner-drop": "210987654321" },
  });
});

describe("principals", () => {
  test("one per function, named after the declared function, acting as its role's Lambda session", () => {
    const functions = run.all("aws:lambda/function:Function");
    for (const fn of functions) {
      const principal = principalNamed(model, fn.name);
      expect(principal).toMatchObject({ kind: "role", arn: fn.inputs.role, accountId: ACCOUNT, admin: false });
      expect(principal.callerArn).toBe(`arn:aws:sts::${ACCOUNT}:assumed-role/${String(fn.inputs.role).split("/").pop()}/${fn.state.name}`);
      expect(principal.userId).toMatch(new RegExp(`^AROA[0-9A-F]+:${fn.state.name}$`));
    }
  });

  test("a function's identity policies are its role's inline policy and its managed policies", () => {
    const processor = principalNamed(model, "datalake-processor");
    expect(processor.identityPolicies.map((policy) => policy.name)).toEqual(["inline:datalake-processor", "managed:AWSLambdaVPCAccessExecutionRole"]);
    const inline = JSON.parse(run.one("aws:iam/rolePolicy:RolePolicy", "datalake-processor").inputs.policy) as PolicyDocument;
    expect(processor.identityPolicies[0]!.document.Statement.map((statement) => statement.Sid)).toEqual(inline.Statement.map((statement) => statement.Sid));
  });

  test("declared ARNs in identity policies are mapped to the emulator's", () => {
    const useKey = principalNamed(model, "datalake-processor").identityPolicies[0]!.document.Statement.find((statement) => statement.Sid === "UseLakeKey");
    expect(useKey?.Resource).toBe(EMULATOR_KEY);
    expect(principalNamed(model, "producer").identityPolicies[0]!.document.Statement[1]!.Resource).toBe(EMULATOR_KEY);
  });

  test("every principal has its own access key, and the endpoint finds the principal by it", () => {
    const keys = model.principals.map((principal) => principal.credentials.accessKeyId);
    expect(new Set(keys).size).toBe(keys.length);
    for (const principal of model.principals) expect(principalForAccessKey(model, principal.credentials.accessKeyId)?.name).toBe(principal.name);
    expect(principalForAccessKey(model, "AKIAUNKNOWN")).toBeUndefined();
  });

  test("declared principals: roles by default, users on request, and the harness admin", () => {
    expect(principalNamed(model, "producer")).toMatchObject({ kind: "role", arn: `arn:aws:iam::${ACCOUNT}:role/producer`, callerArn: `arn:aws:sts::${ACCOUNT}:assumed-role/producer/producer`, endpoints: [] });
    expect(principalNamed(model, "ci-smoke")).toMatchObject({ kind: "user", arn: `arn:aws:iam::${ACCOUNT}:user/ci-smoke`, callerArn: `arn:aws:iam::${ACCOUNT}:user/ci-smoke` });
    expect(principalNamed(model, "ci-smoke").identityPolicies.map((policy) => policy.name)).toEqual(["smoke"]);
    expect(principalNamed(model, "admin")).toMatchObject({ admin: true, identityPolicies: [] });
  });

  test("an unknown name is refused with the known ones", () => {
    expect(() => principalNamed(model, "nobody")).toThrow(/datalake-processor/);
  });
});

describe("network", () => {
  test("functions in the VPC send S3 requests through the gateway endpoint and its policy", () => {
    const s3 = principalNamed(model, "datalake-processor").endpoints.find((endpoint) => endpoint.service === "s3");
    const declared = run.one("aws:ec2/vpcEndpoint:VpcEndpoint", "datalake-s3");
    expect(s3).toMatchObject({ id: declared.id, vpcId: declared.inputs.vpcId, type: "Gateway", policy: { name: `vpce:${declared.id}`, document: JSON.parse(declared.inputs.policy) } });
  });

  test("interface endpoints without a policy allow everything", () => {
    const sns = principalNamed(model, "datalake-ingest").endpoints.find((endpoint) => endpoint.service === "sns");
    expect(sns).toMatchObject({ type: "Interface" });
    expect(sns?.policy).toBeUndefined();
  });

  test("a declared principal can send its requests from a function's network", () => {
    expect(principalNamed(model, "beside-processor").endpoints).toEqual(principalNamed(model, "datalake-processor").endpoints);
  });
});

describe("resources", () => {
  test("bucket policies govern the bucket and its objects", () => {
    const declared = JSON.parse(run.one("aws:s3/bucketPolicy:BucketPolicy", "datalake-lake-policy").inputs.policy) as PolicyDocument;
    expect(resourcePolicyFor(model, `arn:aws:s3:::${LAKE}`)?.name).toBe(`bucket:${LAKE}`);
    expect(resourcePolicyFor(model, `arn:aws:s3:::${LAKE}/raw/a.json`)?.document.Statement.map((statement) => statement.Sid)).toEqual(declared.Statement.map((statement) => statement.Sid));
  });

  test("queue, topic and key policies are keyed by the resource's ARN, the key's mapped to the emulator's", () => {
    for (const policy of run.all("aws:sqs/queuePolicy:QueuePolicy")) {
      const queue = run.all("aws:sqs/queue:Queue").find((candidate) => candidate.state.url === policy.inputs.queueUrl)!;
      expect(resourcePolicyFor(model, queue.state.arn)?.name).toBe(`queue:${queue.name}`);
    }
    for (const policy of run.all("aws:sns/topicPolicy:TopicPolicy")) expect(resourcePolicyFor(model, policy.inputs.arn)).toBeDefined();
    expect(resourcePolicyFor(model, EMULATOR_KEY)?.document.Statement.map((statement) => statement.Sid)).toContain("AccountUsesKeyThroughLakeServices");
    expect(resourcePolicyFor(model, DECLARED_KEY)).toBeUndefined();
  });

  test("which key encrypts each bucket, topic and queue", () => {
    expect(model.bucketEncryption[LAKE]).toEqual({ algorithm: "aws:kms", keyArn: EMULATOR_KEY, bucketKeyEnabled: true });
    expect(model.bucketEncryption["datalake-access-logs-mock"]).toEqual({ algorithm: "AES256", bucketKeyEnabled: false });
    for (const topic of run.all("aws:sns/topic:Topic")) expect(model.topicKeys[topic.state.arn]).toBe(EMULATOR_KEY);
    for (const queue of run.all("aws:sqs/queue:Queue")) expect(model.queueKeys[queue.state.arn]).toBe(EMULATOR_KEY);
  });

  test("buckets belong to the stack's account unless declared foreign", () => {
    expect(bucketAccount(model, LAKE)).toBe(ACCOUNT);
    expect(bucketAccount(model, "partner-drop")).toBe("210987654321");
  });

  test("the dev stack leaves nothing unmodelled", () => {
    expect(model.notes).toEqual([]);
  });
});

describe("declarations the dev stack does not have", () => {
  const role = resource("aws:iam/role:Role", "job", {}, { arn: `arn:aws:iam::${ACCOUNT}:role/job-mock` });
  const fn = resource("aws:lambda/function:Function", "job", { role: role.state.arn }, { arn: `arn:aws:lambda:eu-west-1:${ACCOUNT}:function:job-mock` });

  test("an unknown managed policy grants nothing and is noted; a key without policy gets KMS's default", () => {
    const attachment = resource("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "job-admin", { role: "job-mock", policyArn: "arn:aws:iam::aws:policy/AdministratorAccess" });
    const key = resource("aws:kms/key:Key", "plain", {}, { arn: `arn:aws:kms:eu-west-1:${ACCOUNT}:key/plain`, keyId: "plain" });
    const fake = policyModelFromRun(fakeRun([role, fn, attachment, key]), { substitutions: new Substitutions() });
    expect(principalNamed(fake, "job").identityPolicies).toEqual([]);
    expect(fake.notes).toEqual([expect.stringMatching(/AdministratorAccess has no known content/)]);
    expect(fake.resourcePolicies[key.state.arn]?.document.Statement[0]).toMatchObject({ Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: "kms:*" });
  });

  test("queues under an AWS managed key are left out of the KMS checks, and noted", () => {
    const queue = resource("aws:sqs/queue:Queue", "q", { kmsMasterKeyId: "alias/aws/sqs" }, { arn: `arn:aws:sqs:eu-west-1:${ACCOUNT}:q-mock` });
    const fake = policyModelFromRun(fakeRun([queue]), { substitutions: new Substitutions() });
    expect(fake.queueKeys).toEqual({});
    expect(fake.notes).toEqual([expect.stringMatching(/alias\/aws\/sqs/)]);
  });

  test("two principals of one name are refused", () => {
    expect(() => policyModelFromRun(fakeRun([role, fn]), { substitutions: new Substitutions() }, { principals: [{ name: "job" }] })).toThrow(/Two principals are named job/);
  });
});
