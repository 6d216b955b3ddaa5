/**
 * Verdicts of the policy evaluator (`@cloud-copilot/iam-simulate`) for given documents and requests,
 * without an emulator: the lake's encryption-header statements as written today and as they should
 * be, how KMS key policies and IAM policies combine, the gateway endpoint policy, and the rules
 * that derive the KMS calls AWS makes for a caller.
 */
import { describe, expect, test } from "vitest";
import type { PolicyDocument, PolicyStatement } from "../iam/documents.js";
import { gatewayEndpointPolicy } from "../network/policies.js";
import { requestContext, tlsVersionOf, type Transport } from "./harness/iam/context.js";
import { simulate, type SimulationInput } from "./harness/iam/evaluate.js";
import { implicitKmsChecks, s3ReadKmsCheck } from "./harness/iam/implicit-kms.js";
import type { NamedPolicy, PolicyModel, Principal, VpcEndpointModel } from "./harness/iam/model.js";
import { mapRequest, type AuthorizationCheck, type HttpRequestFacts, type ModelledRequest } from "./harness/iam/request-mapper.js";

const ACCOUNT = "123456789012";
const OTHER_ACCOUNT = "210987654321";
const REGION = "eu-west-1";
const BUCKET = "lake";
const BUCKET_ARN = `arn:aws:s3:::${BUCKET}`;
const KEY_ARN = `arn:aws:kms:${REGION}:${ACCOUNT}:key/lake-key`;
const TOPIC_ARN = `arn:aws:sns:${REGION}:${ACCOUNT}:events`;
const QUEUE_ARN = `arn:aws:sqs:${REGION}:${ACCOUNT}:jobs`;
const TLS: Transport = { secure: true, tlsVersion: "1.3" };
const NOW = new Date("2026-12-01T10:00:00Z");

const document = (...statements: PolicyStatement[]): PolicyDocument => ({ Version: "2012-10-17", Statement: statements });
const named = (name: string, ...statements: PolicyStatement[]): NamedPolicy => ({ name, document: document(...statements) });

function principal(overrides: Partial<Principal> = {}): Principal {
  return {
    name: "writer",
    kind: "role",
    arn: `arn:aws:iam::${ACCOUNT}:role/writer`,
    callerArn: `arn:aws:sts::${ACCOUNT}:assumed-role/writer/writer`,
    userId: "AROAEXAMPLE:writer",
    accountId: ACCOUNT,
    credentials: { accessKeyId: "AKIAWRITER", secretAccessKey: "secret" },
    identityPolicies: [],
    endpoints: [],
    admin: false,
    ...overrides,
  };
}

const model: Pick<PolicyModel, "accountId" | "region" | "partition" | "bucketEncryption" | "topicKeys" | "queueKeys"> = {
  accountId: ACCOUNT,
  region: REGION,
  partition: "aws",
  bucketEncryption: { [BUCKET]: { algorithm: "aws:kms", keyArn: KEY_ARN, bucketKeyEnabled: true }, plain: { algorithm: "AES256", bucketKeyEnabled: false } },
  topicKeys: { [TOPIC_ARN]: KEY_ARN },
  queueKeys: { [QUEUE_ARN]: KEY_ARN },
};

const environment = { accountId: ACCOUNT, partition: "aws", bucketAccount: () => ACCOUNT, workgroupOfExecution: () => undefined };

function s3Request(method: string, target: string, headers: Record<string, string> = {}): HttpRequestFacts {
  const url = new URL(target, "https://127.0.0.1");
  return { method, path: url.pathname, query: url.searchParams, headers, service: "s3", region: REGION };
}

function mapped(request: HttpRequestFacts): ModelledRequest {
  const result = mapRequest(request, environment);
  if (result.kind !== "modelled") throw new Error(JSON.stringify(result));
  return result;
}

/** The simulator input for a check, with the context the endpoint would build. */
function input(check: AuthorizationCheck, policies: { identity: NamedPolicy[]; resource?: NamedPolicy; endpoint?: VpcEndpointModel; viaService?: string; transport?: Transport }): SimulationInput {
  const caller = principal({ identityPolicies: policies.identity, endpoints: policies.endpoint ? [policies.endpoint] : [] });
  return {
    callerArn: caller.callerArn,
    identityPolicies: policies.identity,
    ...(policies.resource ? { resourcePolicy: policies.resource } : {}),
    ...(policies.endpoint?.policy && !policies.viaService ? { vpcEndpointPolicies: [policies.endpoint.policy] } : {}),
    action: check.action,
    resource: check.resource,
    resourceAccount: check.resourceAccount,
    context: requestContext({ principal: caller, check, transport: policies.transport ?? TLS, region: REGION, now: NOW, ...(policies.viaService ? { viaService: policies.viaService } : {}) }),
  };
}

const writeProcessed = named("inline:writer", { Sid: "WriteProcessed", Effect: "Allow", Action: ["s3:PutObject"], Resource: `${BUCKET_ARN}/processed/*` });

/** The lake bucket's encryption statement under a given condition. */
const encryptionPolicy = (condition: PolicyStatement["Condition"]): NamedPolicy =>
  named("bucket:lake", { Sid: "DenyOtherEncryptionAlgorithms", Effect: "Deny", Principal: "*", Action: "s3:PutObject", Resource: `${BUCKET_ARN}/*`, Condition: condition });

/** As `storage/policies.ts` writes it today: IfExists (hand-written here, so this test does not follow later fixes). */
const IF_EXISTS_POLICY = encryptionPolicy({ StringNotEqualsIfExists: { "s3:x-amz-server-side-encryption": "aws:kms" } });

/** The same intent, applied only to requests that carry the header: `Null` false and `StringNotEquals`. */
const NULL_GUARDED_POLICY = encryptionPolicy({ Null: { "s3:x-amz-server-side-encryption": "false" }, StringNotEquals: { "s3:x-amz-server-side-encryption": "aws:kms" } });

const headerless = () => mapped(s3Request("PUT", "/lake/processed/a.parquet")).checks[0]!;
const uploadPart = () => mapped(s3Request("PUT", "/lake/processed/a.parquet?partNumber=1&uploadId=u1")).checks[0]!;
const withEncryption = (algorithm: string) => mapped(s3Request("PUT", "/lake/processed/a.parquet", { "x-amz-server-side-encryption": algorithm })).checks[0]!;

describe("the lake's encryption statement (the bug the reviewer found)", () => {
  test("StringNotEqualsIfExists denies an upload that sends no encryption header, and every UploadPart", async () => {
    for (const check of [headerless(), uploadPart()]) {
      const verdict = await simulate(input(check, { identity: [writeProcessed], resource: IF_EXISTS_POLICY }));
      expect(verdict.outcome).toBe("ExplicitlyDenied");
      expect(verdict.decidedBy).toEqual([{ policyType: "resource", policy: "bucket:lake", effect: "Deny", sid: "DenyOtherEncryptionAlgorithms", index: 1 }]);
    }
  });

  test("with a Null guard the statement allows uploads without the header and still denies AES256", async () => {
    for (const check of [headerless(), uploadPart(), withEncryption("aws:kms")]) {
      expect((await simulate(input(check, { identity: [writeProcessed], resource: NULL_GUARDED_POLICY }))).outcome).toBe("Allowed");
    }
    const aes = await simulate(input(withEncryption("AES256"), { identity: [writeProcessed], resource: NULL_GUARDED_POLICY }));
    expect(aes.outcome).toBe("ExplicitlyDenied");
    expect(aes.decidedBy[0]).toMatchObject({ sid: "DenyOtherEncryptionAlgorithms" });
  });

  test("a request over plain HTTP is denied by the TLS-only statement", async () => {
    const tlsOnly = named("bucket:lake", { Sid: "DenyInsecureTransport", Effect: "Deny", Principal: "*", Action: "s3:*", Resource: [BUCKET_ARN, `${BUCKET_ARN}/*`], Condition: { Bool: { "aws:SecureTransport": "false" } } });
    expect((await simulate(input(headerless(), { identity: [writeProcessed], resource: tlsOnly }))).outcome).toBe("Allowed");
    expect((await simulate(input(headerless(), { identity: [writeProcessed], resource: tlsOnly, transport: { secure: false } }))).decidedBy[0]).toMatchObject({ sid: "DenyInsecureTransport", effect: "Deny" });
  });
});

describe("S3's ListBucket check for a missing object carries no prefix", () => {
  const listCheck: AuthorizationCheck = { action: "s3:ListBucket", resource: BUCKET_ARN, resourceAccount: ACCOUNT, context: {} };

  test("a ListBucket grant limited by s3:prefix does not count", async () => {
    const prefixed = named("inline:reader", { Effect: "Allow", Action: "s3:ListBucket", Resource: BUCKET_ARN, Condition: { StringLike: { "s3:prefix": ["raw/*"] } } });
    expect((await simulate(input(listCheck, { identity: [prefixed] }))).outcome).toBe("ImplicitlyDenied");
  });

  test("an unconditioned ListBucket grant does", async () => {
    const plain = named("inline:reader", { Effect: "Allow", Action: "s3:ListBucket", Resource: BUCKET_ARN });
    expect((await simulate(input(listCheck, { identity: [plain] }))).outcome).toBe("Allowed");
  });
});

describe("KMS: key policies and IAM policies together", () => {
  const generate: AuthorizationCheck = { action: "kms:GenerateDataKey", resource: KEY_ARN, resourceAccount: ACCOUNT, context: {} };
  const useKey = named("inline:writer", { Sid: "UseKey", Effect: "Allow", Action: ["kms:GenerateDataKey", "kms:Decrypt"], Resource: KEY_ARN });
  const accountThroughS3 = named("key:lake", {
    Sid: "AccountThroughS3",
    Effect: "Allow",
    Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
    Action: ["kms:GenerateDataKey*", "kms:Decrypt"],
    Resource: "*",
    Condition: { StringEquals: { "kms:CallerAccount": ACCOUNT, "kms:ViaService": `s3.${REGION}.amazonaws.com` } },
  });

  test("a key-policy statement for the account root delegates to IAM: allowed through S3", async () => {
    const verdict = await simulate(input(generate, { identity: [useKey], resource: accountThroughS3, viaService: "s3" }));
    expect(verdict.outcome).toBe("Allowed");
    expect(verdict.decidedBy).toEqual(
      expect.arrayContaining([expect.objectContaining({ policyType: "identity", sid: "UseKey" }), expect.objectContaining({ policyType: "resource", policy: "key:lake", sid: "AccountThroughS3" })]),
    );
  });

  test("the same key refuses a direct call and a call through another service (kms:ViaService)", async () => {
    expect((await simulate(input(generate, { identity: [useKey], resource: accountThroughS3 }))).outcome).toBe("ImplicitlyDenied");
    expect((await simulate(input(generate, { identity: [useKey], resource: accountThroughS3, viaService: "sns" }))).outcome).toBe("ImplicitlyDenied");
  });

  test("delegation needs the IAM grant too: a role without kms permissions is refused, even in the key's account", async () => {
    expect((await simulate(input(generate, { identity: [writeProcessed], resource: accountThroughS3, viaService: "s3" }))).outcome).toBe("ImplicitlyDenied");
  });

  test("without a statement for the account, an IAM grant alone does not open the key", async () => {
    const otherRoleOnly = named("key:lake", { Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/someone-else` }, Action: "kms:*", Resource: "*" });
    expect((await simulate(input(generate, { identity: [useKey], resource: otherRoleOnly, viaService: "s3" }))).outcome).toBe("ImplicitlyDenied");
  });

  test("a key policy naming the role allows it without any IAM grant", async () => {
    const namesTheRole = named("key:lake", { Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/writer` }, Action: "kms:GenerateDataKey", Resource: "*" });
    expect((await simulate(input(generate, { identity: [], resource: namesTheRole, viaService: "s3" }))).outcome).toBe("Allowed");
  });

  test("(g) a role that may PutObject but not use the bucket's key cannot upload: the implicit GenerateDataKey is denied", async () => {
    const [kms] = implicitKmsChecks(mapped(s3Request("PUT", "/lake/processed/a.parquet")), model);
    expect(kms).toMatchObject({ action: "kms:GenerateDataKey", resource: KEY_ARN, viaService: "s3" });
    expect((await simulate(input(kms!, { identity: [writeProcessed], resource: accountThroughS3, viaService: "s3" }))).decidedBy).toEqual([{ policyType: "identity", effect: "Implicit" }]);
    expect((await simulate(input(kms!, { identity: [writeProcessed, useKey], resource: accountThroughS3, viaService: "s3" }))).outcome).toBe("Allowed");
  });
});

describe("the S3 gateway endpoint policy", () => {
  const endpoint: VpcEndpointModel = { id: "vpce-s3", vpcId: "vpc-1", service: "s3", type: "Gateway", policy: { name: "vpce:vpce-s3", document: gatewayEndpointPolicy("s3", ACCOUNT) } };
  const anyS3 = named("inline:copier", { Effect: "Allow", Action: "s3:*", Resource: "*" });
  const partnerGrantsUs = named("bucket:partner-drop", { Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: "s3:PutObject", Resource: "arn:aws:s3:::partner-drop/*" });

  test("(f) a request from the VPC to another account's bucket is denied by the endpoint policy", async () => {
    const check: AuthorizationCheck = { action: "s3:PutObject", resource: "arn:aws:s3:::partner-drop/a.json", resourceAccount: OTHER_ACCOUNT, context: {} };
    const verdict = await simulate(input(check, { identity: [anyS3], resource: partnerGrantsUs, endpoint }));
    expect(verdict.outcome).toBe("ImplicitlyDenied");
    expect(verdict.decidedBy).toContainEqual(expect.objectContaining({ policyType: "vpce", effect: "Implicit" }));
    // Outside the VPC, the partner's grant and the identity policy allow it.
    expect((await simulate(input(check, { identity: [anyS3], resource: partnerGrantsUs }))).outcome).toBe("Allowed");
  });

  test("the account's own bucket is reachable through it", async () => {
    expect((await simulate(input(headerless(), { identity: [anyS3], endpoint }))).outcome).toBe("Allowed");
  });
});

describe("the simulator's limits, pinned", () => {
  test("an action IAM does not know is Invalid, never allowed", async () => {
    const check: AuthorizationCheck = { action: "sns:PublishBatch", resource: TOPIC_ARN, resourceAccount: ACCOUNT, context: {} };
    const verdict = await simulate(input(check, { identity: [named("inline:x", { Effect: "Allow", Action: "sns:*", Resource: "*" })] }));
    expect(verdict).toMatchObject({ allowed: false, outcome: "Invalid" });
  });

  test("kms:EncryptionContext:<key> condition keys are dropped as not applicable (iam-simulate 0.1.173)", async () => {
    const check = s3ReadKmsCheck(model, BUCKET, "raw/a.json", undefined)!;
    const anyKey = named("inline:x", { Effect: "Allow", Action: "kms:*", Resource: "*" });
    const verdict = await simulate(input(check, { identity: [anyKey], resource: named("key:lake", { Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: "kms:*", Resource: "*" }), viaService: "s3" }));
    expect(verdict.ignoredContextKeys).toContain("kms:EncryptionContext:aws:s3:arn");
  });
});

describe("implicit KMS calls", () => {
  const actions = (request: ModelledRequest) => implicitKmsChecks(request, model).map(({ action, resource, viaService, context }) => ({ action, resource, viaService, context }));
  const s3Context = (arn: string) => ({ "kms:EncryptionContext:aws:s3:arn": arn, "kms:EncryptionContextKeys": ["aws:s3:arn"] });

  test("S3 writes generate a data key with the bucket's default key; with an S3 Bucket Key the context is the bucket", () => {
    for (const target of ["/lake/raw/a.json", "/lake/raw/a.json?uploads"]) {
      expect(actions(mapped(s3Request(target.endsWith("uploads") ? "POST" : "PUT", target)))).toEqual([{ action: "kms:GenerateDataKey", resource: KEY_ARN, viaService: "s3", context: s3Context(BUCKET_ARN) }]);
    }
  });

  test("an upload asking for SSE-S3 involves no KMS key; one naming a key uses that key", () => {
    expect(actions(mapped(s3Request("PUT", "/lake/raw/a.json", { "x-amz-server-side-encryption": "AES256" })))).toEqual([]);
    const other = `arn:aws:kms:${REGION}:${ACCOUNT}:key/other`;
    expect(actions(mapped(s3Request("PUT", "/lake/raw/a.json", { "x-amz-server-side-encryption": "aws:kms", "x-amz-server-side-encryption-aws-kms-key-id": other })))[0]).toMatchObject({ resource: other });
    expect(actions(mapped(s3Request("PUT", "/plain/a.json")))).toEqual([]);
  });

  test("UploadPart decrypts with the upload's key; CopyObject decrypts the source and generates for the target", () => {
    expect(actions(mapped(s3Request("PUT", "/lake/raw/a.json?partNumber=1&uploadId=u1"))).map((check) => check.action)).toEqual(["kms:Decrypt"]);
    expect(actions(mapped(s3Request("PUT", "/lake/curated/b.json", { "x-amz-copy-source": "/lake/raw/a.json" }))).map((check) => check.action)).toEqual(["kms:Decrypt", "kms:GenerateDataKey"]);
  });

  test("an S3 read decrypts with the key the object names, else the bucket default", () => {
    expect(s3ReadKmsCheck(model, BUCKET, "raw/a.json", "arn:aws:kms:eu-west-1:123456789012:key/named")).toMatchObject({ action: "kms:Decrypt", resource: "arn:aws:kms:eu-west-1:123456789012:key/named" });
    expect(s3ReadKmsCheck(model, BUCKET, "raw/a.json", undefined)).toMatchObject({ resource: KEY_ARN });
    expect(s3ReadKmsCheck(model, "plain", "a.json", undefined)).toBeUndefined();
  });

  test("SNS Publish to an encrypted topic: GenerateDataKey and Decrypt through SNS", () => {
    const publish: ModelledRequest = { kind: "modelled", service: "sns", protocol: "query", operation: "Publish", checks: [], target: { kind: "sns-topic", arn: TOPIC_ARN } };
    expect(actions(publish)).toEqual(["kms:GenerateDataKey", "kms:Decrypt"].map((action) => ({ action, resource: KEY_ARN, viaService: "sns", context: { "kms:EncryptionContext:aws:sns:topicArn": TOPIC_ARN, "kms:EncryptionContextKeys": ["aws:sns:topicArn"] } })));
  });

  test("SQS: SendMessage generates and decrypts, ReceiveMessage decrypts, other calls need no key", () => {
    const call = (operation: string): ModelledRequest => ({ kind: "modelled", service: "sqs", protocol: "json", operation, checks: [], target: { kind: "sqs-queue", arn: QUEUE_ARN } });
    expect(actions(call("SendMessageBatch")).map((check) => check.action)).toEqual(["kms:GenerateDataKey", "kms:Decrypt"]);
    expect(actions(call("ReceiveMessage")).map((check) => `${check.action} via ${check.viaService}`)).toEqual(["kms:Decrypt via sqs"]);
    expect(actions(call("GetQueueAttributes"))).toEqual([]);
  });
});

describe("request context", () => {
  const check: AuthorizationCheck = { action: "s3:GetObject", resource: `${BUCKET_ARN}/raw/a.json`, resourceAccount: ACCOUNT, context: { "s3:authType": "REST-HEADER" } };
  const endpoint: VpcEndpointModel = { id: "vpce-s3", vpcId: "vpc-1", service: "s3", type: "Gateway" };

  test("the principal's keys, TLS, time and the request's own keys", () => {
    const context = requestContext({ principal: principal(), check, transport: TLS, region: REGION, now: NOW });
    expect(context).toMatchObject({
      "aws:PrincipalArn": `arn:aws:iam::${ACCOUNT}:role/writer`,
      "aws:PrincipalAccount": ACCOUNT,
      "aws:userid": "AROAEXAMPLE:writer",
      "aws:SecureTransport": "true",
      "s3:TlsVersion": "1.3",
      "aws:CurrentTime": "2026-12-01T10:00:00Z",
      "aws:ResourceAccount": ACCOUNT,
      "s3:authType": "REST-HEADER",
    });
    expect(context).not.toHaveProperty("aws:SourceVpce");
  });

  test("a VPC function's S3 request carries its gateway endpoint; a service's call to KMS for it does not", () => {
    const inVpc = principal({ endpoints: [endpoint] });
    expect(requestContext({ principal: inVpc, check, transport: TLS, region: REGION, now: NOW })).toMatchObject({ "aws:SourceVpce": "vpce-s3", "aws:SourceVpc": "vpc-1" });
    const kms = requestContext({ principal: inVpc, check: { ...check, action: "kms:Decrypt", resource: KEY_ARN }, transport: TLS, region: REGION, now: NOW, viaService: "s3" });
    expect(kms).toMatchObject({ "kms:ViaService": `s3.${REGION}.amazonaws.com`, "kms:CallerAccount": ACCOUNT });
    expect(kms).not.toHaveProperty("aws:SourceVpce");
  });

  test("Node's TLS protocol names become S3's s3:TlsVersion values", () => {
    expect([tlsVersionOf("TLSv1.3"), tlsVersionOf("TLSv1.2"), tlsVersionOf("TLSv1"), tlsVersionOf(null)]).toEqual(["1.3", "1.2", "1.0", undefined]);
  });
});
