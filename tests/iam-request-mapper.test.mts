/**
 * The request mapper of the local policy endpoint, operation by operation: which action, resource
 * ARN and request condition keys IAM sees for each S3, SQS, SNS, KMS, Athena and STS request this
 * project makes, and that anything else is refused as not modelled.
 */
import { describe, expect, test } from "vitest";
import { mapRequest, parseCopySource, queueArnFromUrl, type HttpRequestFacts, type MappedRequest, type MappingEnvironment, type ModelledRequest } from "./harness/iam/request-mapper.js";
import { parseSigV4 } from "./harness/iam/sigv4.js";

const ACCOUNT = "123456789012";
const REGION = "eu-west-1";
const QUEUE_URL = `https://127.0.0.1:4566/${ACCOUNT}/jobs`;
const QUEUE_ARN = `arn:aws:sqs:${REGION}:${ACCOUNT}:jobs`;
const TOPIC_ARN = `arn:aws:sns:${REGION}:${ACCOUNT}:events`;

function environment(overrides: Partial<MappingEnvironment> = {}): MappingEnvironment {
  return {
    accountId: ACCOUNT,
    partition: "aws",
    bucketAccount: (bucket) => (bucket === "partner-drop" ? "210987654321" : ACCOUNT),
    workgroupOfExecution: (id) => (id === "known-execution" ? "datalake-dev" : undefined),
    ...overrides,
  };
}

const signed = (service: string) => ({ authorization: `AWS4-HMAC-SHA256 Credential=AKIATEST/20260101/${REGION}/${service}/aws4_request, SignedHeaders=host, Signature=00` });

function s3Request(method: string, target: string, headers: Record<string, string> = {}, body?: string): HttpRequestFacts {
  const url = new URL(target, "https://127.0.0.1");
  return { method, path: url.pathname, query: url.searchParams, headers: { ...signed("s3"), ...headers }, ...(body !== undefined ? { body } : {}), service: "s3", region: REGION };
}

function jsonRequest(service: string, target: string, params: Record<string, unknown>): HttpRequestFacts {
  return { method: "POST", path: "/", query: new URLSearchParams(), headers: { ...signed(service), "x-amz-target": target }, body: JSON.stringify(params), service, region: REGION };
}

function queryRequest(service: string, params: Record<string, string>, path = "/"): HttpRequestFacts {
  return { method: "POST", path, query: new URLSearchParams(), headers: { ...signed(service), "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(params).toString(), service, region: REGION };
}

function modelled(mapped: MappedRequest): ModelledRequest {
  if (mapped.kind !== "modelled") throw new Error(`expected a modelled request, got ${JSON.stringify(mapped)}`);
  return mapped;
}

/** Action and resource of each check, the shape most cases assert. */
const checksOf = (mapped: MappedRequest) => modelled(mapped).checks.map(({ action, resource }) => ({ action, resource }));

describe("S3 (path-style, as moto serves it)", () => {
  const lake = "arn:aws:s3:::lake";
  const cases: ReadonlyArray<{ name: string; request: HttpRequestFacts; operation: string; checks: Array<{ action: string; resource: string }> }> = [
    { name: "GetObject", request: s3Request("GET", "/lake/raw/a%20b%2Bc.json?x-id=GetObject"), operation: "GetObject", checks: [{ action: "s3:GetObject", resource: `${lake}/raw/a b+c.json` }] },
    { name: "GetObject of a version", request: s3Request("GET", "/lake/raw/a.json?versionId=v1"), operation: "GetObject", checks: [{ action: "s3:GetObjectVersion", resource: `${lake}/raw/a.json` }] },
    { name: "HeadObject", request: s3Request("HEAD", "/lake/raw/a.json"), operation: "HeadObject", checks: [{ action: "s3:GetObject", resource: `${lake}/raw/a.json` }] },
    { name: "PutObject", request: s3Request("PUT", "/lake/processed/a.parquet?x-id=PutObject"), operation: "PutObject", checks: [{ action: "s3:PutObject", resource: `${lake}/processed/a.parquet` }] },
    { name: "a folder marker", request: s3Request("PUT", "/lake/raw/"), operation: "PutObject", checks: [{ action: "s3:PutObject", resource: `${lake}/raw/` }] },
    { name: "CreateMultipartUpload", request: s3Request("POST", "/lake/processed/a.parquet?uploads"), operation: "CreateMultipartUpload", checks: [{ action: "s3:PutObject", resource: `${lake}/processed/a.parquet` }] },
    { name: "UploadPart", request: s3Request("PUT", "/lake/processed/a.parquet?partNumber=2&uploadId=u1"), operation: "UploadPart", checks: [{ action: "s3:PutObject", resource: `${lake}/processed/a.parquet` }] },
    { name: "CompleteMultipartUpload", request: s3Request("POST", "/lake/processed/a.parquet?uploadId=u1"), operation: "CompleteMultipartUpload", checks: [{ action: "s3:PutObject", resource: `${lake}/processed/a.parquet` }] },
    { name: "AbortMultipartUpload", request: s3Request("DELETE", "/lake/processed/a.parquet?uploadId=u1"), operation: "AbortMultipartUpload", checks: [{ action: "s3:AbortMultipartUpload", resource: `${lake}/processed/a.parquet` }] },
    { name: "ListParts", request: s3Request("GET", "/lake/processed/a.parquet?uploadId=u1"), operation: "ListParts", checks: [{ action: "s3:ListMultipartUploadParts", resource: `${lake}/processed/a.parquet` }] },
    { name: "ListObjectsV2", request: s3Request("GET", "/lake?list-type=2&prefix=raw%2F"), operation: "ListObjectsV2", checks: [{ action: "s3:ListBucket", resource: lake }] },
    { name: "ListObjects", request: s3Request("GET", "/lake/"), operation: "ListObjects", checks: [{ action: "s3:ListBucket", resource: lake }] },
    { name: "HeadBucket", request: s3Request("HEAD", "/lake"), operation: "HeadBucket", checks: [{ action: "s3:ListBucket", resource: lake }] },
    { name: "ListObjectVersions", request: s3Request("GET", "/lake?versions&prefix=raw%2F"), operation: "ListObjectVersions", checks: [{ action: "s3:ListBucketVersions", resource: lake }] },
    { name: "DeleteObject", request: s3Request("DELETE", "/lake/curated/a.parquet"), operation: "DeleteObject", checks: [{ action: "s3:DeleteObject", resource: `${lake}/curated/a.parquet` }] },
    { name: "DeleteObject of a version", request: s3Request("DELETE", "/lake/raw/a.json?versionId=v2"), operation: "DeleteObject", checks: [{ action: "s3:DeleteObjectVersion", resource: `${lake}/raw/a.json` }] },
    { name: "GetBucketVersioning", request: s3Request("GET", "/lake?versioning"), operation: "GetBucketVersioning", checks: [{ action: "s3:GetBucketVersioning", resource: lake }] },
    { name: "GetBucketLocation", request: s3Request("GET", "/lake?location"), operation: "GetBucketLocation", checks: [{ action: "s3:GetBucketLocation", resource: lake }] },
    { name: "GetObjectTagging", request: s3Request("GET", "/lake/raw/a.json?tagging"), operation: "GetObjectTagging", checks: [{ action: "s3:GetObjectTagging", resource: `${lake}/raw/a.json` }] },
    { name: "ListBuckets", request: s3Request("GET", "/"), operation: "ListBuckets", checks: [{ action: "s3:ListAllMyBuckets", resource: "*" }] },
  ];
  test.each(cases)("$name", ({ request, operation, checks }) => {
    const mapped = modelled(mapRequest(request, environment()));
    expect(mapped.operation).toBe(operation);
    expect(checksOf(mapped)).toEqual(checks);
  });

  test("a versioned read carries s3:VersionId", () => {
    expect(modelled(mapRequest(s3Request("GET", "/lake/raw/a.json?versionId=v1"), environment())).checks[0]!.context["s3:VersionId"]).toBe("v1");
  });

  test("listing conditions come from the query: s3:prefix, s3:delimiter, s3:max-keys, and only when sent", () => {
    const withAll = modelled(mapRequest(s3Request("GET", "/lake?list-type=2&prefix=raw%2Fevents%2F&delimiter=%2F&max-keys=10"), environment()));
    expect(withAll.checks[0]!.context).toMatchObject({ "s3:prefix": "raw/events/", "s3:delimiter": "/", "s3:max-keys": "10" });
    const bare = modelled(mapRequest(s3Request("GET", "/lake?list-type=2"), environment()));
    expect(bare.checks[0]!.context).not.toHaveProperty("s3:prefix");
  });

  test("encryption headers become s3:x-amz-server-side-encryption(-aws-kms-key-id), only when sent", () => {
    const key = "arn:aws:kms:eu-west-1:123456789012:key/k1";
    const put = modelled(mapRequest(s3Request("PUT", "/lake/raw/a.json", { "x-amz-server-side-encryption": "aws:kms", "x-amz-server-side-encryption-aws-kms-key-id": key }), environment()));
    expect(put.checks[0]!.context).toMatchObject({ "s3:x-amz-server-side-encryption": "aws:kms", "s3:x-amz-server-side-encryption-aws-kms-key-id": key });
    expect(put.s3).toEqual({ encryption: "aws:kms", kmsKeyId: key });
    const part = modelled(mapRequest(s3Request("PUT", "/lake/raw/a.json?partNumber=1&uploadId=u1"), environment()));
    expect(part.checks[0]!.context).not.toHaveProperty("s3:x-amz-server-side-encryption");
  });

  test("the signature gives s3:authType and s3:signatureversion", () => {
    expect(modelled(mapRequest(s3Request("GET", "/lake/raw/a.json"), environment())).checks[0]!.context).toMatchObject({ "s3:authType": "REST-HEADER", "s3:signatureversion": "AWS4-HMAC-SHA256" });
  });

  test("DeleteObjects is one check per key of its XML body, versions included", () => {
    const body = `<?xml version="1.0" encoding="UTF-8"?><Delete><Object><Key>curated/a&amp;b.parquet</Key></Object><Object><Key>raw/x.json</Key><VersionId>v9</VersionId></Object><Quiet>true</Quiet></Delete>`;
    const mapped = modelled(mapRequest(s3Request("POST", "/lake?delete", {}, body), environment()));
    expect(mapped.operation).toBe("DeleteObjects");
    expect(checksOf(mapped)).toEqual([
      { action: "s3:DeleteObject", resource: "arn:aws:s3:::lake/curated/a&b.parquet" },
      { action: "s3:DeleteObjectVersion", resource: "arn:aws:s3:::lake/raw/x.json" },
    ]);
    expect(mapped.checks[1]!.context["s3:VersionId"]).toBe("v9");
  });

  test("CopyObject needs s3:PutObject on the target and s3:GetObject(Version) on the source", () => {
    const mapped = modelled(mapRequest(s3Request("PUT", "/lake/curated/b.json", { "x-amz-copy-source": "/source-bucket/raw/a%20b.json?versionId=v3" }), environment()));
    expect(mapped.operation).toBe("CopyObject");
    expect(checksOf(mapped)).toEqual([
      { action: "s3:PutObject", resource: "arn:aws:s3:::lake/curated/b.json" },
      { action: "s3:GetObjectVersion", resource: "arn:aws:s3:::source-bucket/raw/a b.json" },
    ]);
    expect(mapped.s3?.copySource).toEqual({ bucket: "source-bucket", key: "raw/a b.json", versionId: "v3" });
  });

  test("a bucket of another account is the resource account of its checks", () => {
    expect(modelled(mapRequest(s3Request("PUT", "/partner-drop/a.json"), environment())).checks[0]!.resourceAccount).toBe("210987654321");
  });

  test("an operation not in the table is not modelled, with the reason", () => {
    const mapped = mapRequest(s3Request("PUT", "/lake?website"), environment());
    expect(mapped).toMatchObject({ kind: "not-modelled", service: "s3", protocol: "rest-xml" });
    expect(mapped.kind === "not-modelled" && mapped.reason).toMatch(/website/);
  });

  test("the copy source header parses with and without a leading slash", () => {
    expect(parseCopySource("bucket/key/with%2Fslash")).toEqual({ bucket: "bucket", key: "key/with/slash" });
    expect(parseCopySource("/bucket")).toBeUndefined();
  });
});

describe("SQS", () => {
  const jsonCases: ReadonlyArray<{ operation: string; params: Record<string, unknown>; checks: Array<{ action: string; resource: string }> }> = [
    { operation: "SendMessage", params: { QueueUrl: QUEUE_URL, MessageBody: "x" }, checks: [{ action: "sqs:SendMessage", resource: QUEUE_ARN }] },
    { operation: "SendMessageBatch", params: { QueueUrl: QUEUE_URL, Entries: [] }, checks: [{ action: "sqs:SendMessage", resource: QUEUE_ARN }] },
    { operation: "ReceiveMessage", params: { QueueUrl: QUEUE_URL }, checks: [{ action: "sqs:ReceiveMessage", resource: QUEUE_ARN }] },
    { operation: "DeleteMessage", params: { QueueUrl: QUEUE_URL, ReceiptHandle: "r" }, checks: [{ action: "sqs:DeleteMessage", resource: QUEUE_ARN }] },
    { operation: "DeleteMessageBatch", params: { QueueUrl: QUEUE_URL, Entries: [] }, checks: [{ action: "sqs:DeleteMessage", resource: QUEUE_ARN }] },
    { operation: "ChangeMessageVisibility", params: { QueueUrl: QUEUE_URL }, checks: [{ action: "sqs:ChangeMessageVisibility", resource: QUEUE_ARN }] },
    { operation: "ChangeMessageVisibilityBatch", params: { QueueUrl: QUEUE_URL }, checks: [{ action: "sqs:ChangeMessageVisibility", resource: QUEUE_ARN }] },
    { operation: "GetQueueAttributes", params: { QueueUrl: QUEUE_URL }, checks: [{ action: "sqs:GetQueueAttributes", resource: QUEUE_ARN }] },
    { operation: "PurgeQueue", params: { QueueUrl: QUEUE_URL }, checks: [{ action: "sqs:PurgeQueue", resource: QUEUE_ARN }] },
    { operation: "GetQueueUrl", params: { QueueName: "jobs" }, checks: [{ action: "sqs:GetQueueUrl", resource: QUEUE_ARN }] },
    { operation: "ListMessageMoveTasks", params: { SourceArn: QUEUE_ARN }, checks: [{ action: "sqs:ListMessageMoveTasks", resource: QUEUE_ARN }] },
    {
      operation: "StartMessageMoveTask",
      params: { SourceArn: QUEUE_ARN, DestinationArn: `${QUEUE_ARN}-main` },
      checks: [
        { action: "sqs:StartMessageMoveTask", resource: QUEUE_ARN },
        { action: "sqs:ReceiveMessage", resource: QUEUE_ARN },
        { action: "sqs:DeleteMessage", resource: QUEUE_ARN },
        { action: "sqs:GetQueueAttributes", resource: QUEUE_ARN },
        { action: "sqs:SendMessage", resource: `${QUEUE_ARN}-main` },
      ],
    },
  ];
  test.each(jsonCases)("JSON protocol $operation", ({ operation, params, checks }) => {
    const mapped = modelled(mapRequest(jsonRequest("sqs", `AmazonSQS.${operation}`, params), environment()));
    expect(mapped).toMatchObject({ service: "sqs", protocol: "json", operation });
    expect(checksOf(mapped)).toEqual(checks);
  });

  test("query protocol: Action= with QueueUrl in the body, or the queue in the path", () => {
    const inBody = modelled(mapRequest(queryRequest("sqs", { Action: "SendMessage", QueueUrl: QUEUE_URL, MessageBody: "x" }), environment()));
    expect(inBody).toMatchObject({ protocol: "query", operation: "SendMessage", target: { kind: "sqs-queue", arn: QUEUE_ARN } });
    const inPath = modelled(mapRequest(queryRequest("sqs", { Action: "ReceiveMessage" }, `/${ACCOUNT}/jobs`), environment()));
    expect(checksOf(inPath)).toEqual([{ action: "sqs:ReceiveMessage", resource: QUEUE_ARN }]);
  });

  test("queue URLs of any host map to the queue ARN", () => {
    expect(queueArnFromUrl(`https://sqs.eu-west-1.amazonaws.com/${ACCOUNT}/jobs`, REGION, "aws")).toBe(QUEUE_ARN);
    expect(queueArnFromUrl("https://example.com/not-a-queue", REGION, "aws")).toBeUndefined();
  });

  test("an unknown operation is not modelled", () => {
    expect(mapRequest(jsonRequest("sqs", "AmazonSQS.TagQueue", { QueueUrl: QUEUE_URL }), environment())).toMatchObject({ kind: "not-modelled", operation: "TagQueue" });
  });
});

describe("SNS, KMS, Athena, STS", () => {
  test.each(["Publish", "PublishBatch"])("SNS %s (query protocol) is sns:Publish on the topic", (operation) => {
    const mapped = modelled(mapRequest(queryRequest("sns", { Action: operation, TopicArn: TOPIC_ARN }), environment()));
    expect(mapped).toMatchObject({ protocol: "query", operation, target: { kind: "sns-topic", arn: TOPIC_ARN } });
    expect(checksOf(mapped)).toEqual([{ action: "sns:Publish", resource: TOPIC_ARN }]);
  });

  test("KMS GenerateDataKey: the key's ARN from its id, and the encryption context as condition keys", () => {
    const mapped = modelled(mapRequest(jsonRequest("kms", "TrentService.GenerateDataKey", { KeyId: "k1", EncryptionContext: { purpose: "test" } }), environment()));
    expect(checksOf(mapped)).toEqual([{ action: "kms:GenerateDataKey", resource: `arn:aws:kms:${REGION}:${ACCOUNT}:key/k1` }]);
    expect(mapped.checks[0]!.context).toEqual({ "kms:EncryptionContext:purpose": "test", "kms:EncryptionContextKeys": ["purpose"] });
  });

  test("KMS Decrypt without KeyId is not modelled (the key is inside the ciphertext)", () => {
    expect(mapRequest(jsonRequest("kms", "TrentService.Decrypt", { CiphertextBlob: "AA==" }), environment())).toMatchObject({ kind: "not-modelled", operation: "Decrypt" });
  });

  test("Athena StartQueryExecution: the named workgroup, or primary", () => {
    const named = modelled(mapRequest(jsonRequest("athena", "AmazonAthena.StartQueryExecution", { QueryString: "SELECT 1", WorkGroup: "datalake-dev" }), environment()));
    expect(checksOf(named)).toEqual([{ action: "athena:StartQueryExecution", resource: `arn:aws:athena:${REGION}:${ACCOUNT}:workgroup/datalake-dev` }]);
    const primary = modelled(mapRequest(jsonRequest("athena", "AmazonAthena.StartQueryExecution", { QueryString: "SELECT 1" }), environment()));
    expect(primary.target).toEqual({ kind: "athena-workgroup", name: "primary" });
  });

  test.each(["GetQueryExecution", "GetQueryResults", "StopQueryExecution"])("Athena %s: the workgroup of a known execution, not modelled for an unknown one", (operation) => {
    const known = modelled(mapRequest(jsonRequest("athena", `AmazonAthena.${operation}`, { QueryExecutionId: "known-execution" }), environment()));
    expect(checksOf(known)).toEqual([{ action: `athena:${operation}`, resource: `arn:aws:athena:${REGION}:${ACCOUNT}:workgroup/datalake-dev` }]);
    expect(mapRequest(jsonRequest("athena", `AmazonAthena.${operation}`, { QueryExecutionId: "other" }), environment())).toMatchObject({ kind: "not-modelled" });
  });

  test("STS GetCallerIdentity is always allowed", () => {
    expect(mapRequest(queryRequest("sts", { Action: "GetCallerIdentity", Version: "2011-06-15" }), environment())).toMatchObject({ kind: "always-allowed", operation: "GetCallerIdentity" });
  });

  test("a service the mapper does not know is not modelled", () => {
    expect(mapRequest(jsonRequest("glue", "AWSGlue.GetTable", { Name: "t" }), environment())).toMatchObject({ kind: "not-modelled", service: "glue" });
  });
});

describe("SigV4 credential scope", () => {
  test("from the Authorization header", () => {
    expect(parseSigV4(signed("sqs"), new URLSearchParams())).toEqual({ accessKeyId: "AKIATEST", date: "20260101", region: REGION, service: "sqs", authType: "REST-HEADER", signatureVersion: "AWS4-HMAC-SHA256" });
  });

  test("from a presigned URL", () => {
    const query = new URLSearchParams({ "X-Amz-Algorithm": "AWS4-HMAC-SHA256", "X-Amz-Credential": `AKIATEST/20260101/${REGION}/s3/aws4_request` });
    expect(parseSigV4({}, query)).toMatchObject({ accessKeyId: "AKIATEST", service: "s3", authType: "REST-QUERY-STRING" });
  });

  test("an unsigned request has none", () => {
    expect(parseSigV4({}, new URLSearchParams())).toBeUndefined();
  });
});
