/**
 * Maps an HTTP request to the AWS APIs this project uses onto what IAM authorizes: the service, the
 * operation, and one or more checks, each an action on a resource ARN with the condition keys the
 * request itself sets. Pure and table-driven: the local policy endpoint feeds it every request, the
 * unit tests feed it one request per operation. Anything it does not know is `not-modelled`, so no
 * request passes unevaluated.
 *
 * Sources for each mapping: the Service Authorization Reference (actions, resources and condition
 * keys of S3, SQS, SNS, KMS, Athena: https://docs.aws.amazon.com/service-authorization/latest/reference/),
 * S3's "Multipart upload API and permissions" (UploadPart and CompleteMultipartUpload need
 * `s3:PutObject`: https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpuoverview.html#mpuAndPermissions),
 * CopyObject (`s3:GetObject` on the source, `s3:PutObject` on the target:
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html), DeleteObjects (`s3:DeleteObject`
 * for each key: https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html), SNS
 * PublishBatch (authorized as `sns:Publish`: https://docs.aws.amazon.com/sns/latest/api/API_PublishBatch.html),
 * SQS StartMessageMoveTask (`sqs:StartMessageMoveTask`, `sqs:ReceiveMessage`, `sqs:DeleteMessage`,
 * `sqs:GetQueueAttributes` on the source, `sqs:SendMessage` on the destination: SQS "API permissions
 * reference", https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-api-permissions-reference.html),
 * and STS GetCallerIdentity ("No permissions are required":
 * https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html).
 *
 * @example
 * ```ts
 * mapRequest({ method: "GET", path: "/lake/raw/a.json", query: new URLSearchParams(), headers: {}, service: "s3", region: "eu-west-1" }, env);
 * // { kind: "modelled", operation: "GetObject", checks: [{ action: "s3:GetObject", resource: "arn:aws:s3:::lake/raw/a.json", … }] }
 * ```
 */
import { parseSigV4 } from "./sigv4";

export interface HttpRequestFacts {
  readonly method: string;
  /** The request path as sent (percent-encoded), without the query string. */
  readonly path: string;
  readonly query: URLSearchParams;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** The body, for JSON and query protocol requests and S3 DeleteObjects; absent for streamed bodies. */
  readonly body?: string;
  /** The SigV4 signing name of the request (`s3`, `sqs`, `sns`, `kms`, `athena`, `sts`). */
  readonly service: string;
  readonly region: string;
}

export interface MappingEnvironment {
  readonly accountId: string;
  readonly partition: string;
  /** The account owning a bucket (S3 ARNs carry none). */
  bucketAccount(bucket: string): string;
  /** The workgroup of a query execution started earlier, if known. */
  workgroupOfExecution(queryExecutionId: string): string | undefined;
}

export type ConditionContext = Record<string, string | string[]>;

export interface AuthorizationCheck {
  readonly action: string;
  readonly resource: string;
  readonly resourceAccount: string;
  /** Condition keys the request sets (principal, transport and time keys are added at evaluation). */
  readonly context: ConditionContext;
}

export type Protocol = "rest-xml" | "json" | "query";

/** What the request acts on, for the checks AWS makes around it (implicit KMS, S3's 404 rule). */
export type Target =
  | { readonly kind: "s3-object"; readonly bucket: string; readonly key: string; readonly versionId?: string }
  | { readonly kind: "s3-bucket"; readonly bucket: string }
  | { readonly kind: "sqs-queue"; readonly arn: string }
  | { readonly kind: "sns-topic"; readonly arn: string }
  | { readonly kind: "kms-key"; readonly arn: string }
  | { readonly kind: "athena-workgroup"; readonly name: string }
  | { readonly kind: "none" };

export interface ModelledRequest {
  readonly kind: "modelled";
  readonly service: string;
  readonly protocol: Protocol;
  readonly operation: string;
  readonly checks: readonly AuthorizationCheck[];
  readonly target: Target;
  /** S3 writes: the encryption the request asks for, and a copy's source. */
  readonly s3?: {
    readonly encryption?: string;
    readonly kmsKeyId?: string;
    readonly copySource?: { readonly bucket: string; readonly key: string; readonly versionId?: string };
  };
}

export interface AlwaysAllowedRequest {
  readonly kind: "always-allowed";
  readonly service: string;
  readonly protocol: Protocol;
  readonly operation: string;
  readonly reason: string;
}

export interface NotModelledRequest {
  readonly kind: "not-modelled";
  readonly service: string;
  readonly protocol: Protocol;
  readonly operation?: string;
  readonly reason: string;
}

export type MappedRequest = ModelledRequest | AlwaysAllowedRequest | NotModelledRequest;

// ---------------------------------------------------------------------------------------------
// S3 (REST, path-style addressing as moto serves it)

/** Query parameters that select an S3 sub-resource (and so another operation). */
const S3_SUBRESOURCES = new Set([
  "accelerate", "acl", "analytics", "attributes", "cors", "delete", "encryption", "intelligent-tiering", "inventory", "legal-hold",
  "lifecycle", "location", "logging", "metrics", "notification", "object-lock", "ownershipControls", "partNumber", "policy",
  "policyStatus", "publicAccessBlock", "replication", "requestPayment", "restore", "retention", "select", "tagging", "torrent",
  "uploadId", "uploads", "versioning", "versions", "website",
]);

interface S3Request {
  readonly bucket: string;
  readonly key?: string;
  readonly versionId?: string;
  readonly query: URLSearchParams;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body?: string;
}

type S3Check = { readonly action: string; readonly resource: "object" | "bucket" | "service"; readonly context?: ConditionContext; readonly object?: { bucket: string; key: string } };

interface S3Rule {
  readonly operation: string;
  readonly method: string;
  readonly scope: "object" | "bucket" | "service";
  /** The sub-resources the request carries, exactly (`partNumber` and `uploadId` count). */
  readonly subresources?: readonly string[];
  /** The rule applies only when this request header is present. */
  readonly header?: string;
  /** The rule applies only when this query parameter has this value. */
  readonly queryEquals?: readonly [name: string, value: string];
  readonly checks: (request: S3Request) => S3Check[] | string;
}

/** `s3:GetObject` or, for a request naming a version, `s3:GetObjectVersion` with `s3:VersionId`. */
const versioned = (action: string, versionAction: string) => (request: S3Request): S3Check[] => [
  request.versionId !== undefined ? { action: versionAction, resource: "object", context: { "s3:VersionId": request.versionId } } : { action, resource: "object" },
];
const onObject = (action: string) => (): S3Check[] => [{ action, resource: "object" }];
const onBucket = (action: string) => (): S3Check[] => [{ action, resource: "bucket" }];

/** `s3:prefix`, `s3:delimiter` and `s3:max-keys` as the list request sets them. */
const listing = (action: string) => (request: S3Request): S3Check[] => {
  const context: ConditionContext = {};
  for (const [parameter, key] of [["prefix", "s3:prefix"], ["delimiter", "s3:delimiter"], ["max-keys", "s3:max-keys"]] as const) {
    const value = request.query.get(parameter);
    if (value !== null) context[key] = value;
  }
  return [{ action, resource: "bucket", context }];
};

/** `x-amz-copy-source: /bucket/key?versionId=…` (URL-encoded, leading slash optional). */
export function parseCopySource(header: string): { bucket: string; key: string; versionId?: string } | undefined {
  const [path = "", query = ""] = header.split("?");
  const decoded = decodeURIComponent(path).replace(/^\//, "");
  const slash = decoded.indexOf("/");
  if (slash <= 0 || slash === decoded.length - 1) return undefined;
  const versionId = new URLSearchParams(query).get("versionId");
  return { bucket: decoded.slice(0, slash), key: decoded.slice(slash + 1), ...(versionId ? { versionId } : {}) };
}

const copying = (request: S3Request): S3Check[] | string => {
  const source = parseCopySource(request.headers["x-amz-copy-source"] ?? "");
  if (!source) return `unreadable x-amz-copy-source ${request.headers["x-amz-copy-source"]}`;
  return [
    { action: "s3:PutObject", resource: "object" },
    source.versionId !== undefined
      ? { action: "s3:GetObjectVersion", resource: "object", object: source, context: { "s3:VersionId": source.versionId } }
      : { action: "s3:GetObject", resource: "object", object: source },
  ];
};

function decodeXml(text: string): string {
  return text
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&#x([0-9a-fA-F]+);/g, (_, hex: string) => String.fromCodePoint(parseInt(hex, 16)))
    .replace(/&#(\d+);/g, (_, decimal: string) => String.fromCodePoint(Number(decimal)))
    .replace(/&amp;/g, "&");
}

/** One `s3:DeleteObject` (or `s3:DeleteObjectVersion`) check per `<Object>` of the DeleteObjects body. */
const deletingMany = (request: S3Request): S3Check[] | string => {
  const objects = [...(request.body ?? "").matchAll(/<Object>([\s\S]*?)<\/Object>/g)].map((match) => match[1]!);
  if (objects.length === 0) return "DeleteObjects body names no object";
  return objects.map((object) => {
    const key = decodeXml(/<Key>([\s\S]*?)<\/Key>/.exec(object)?.[1] ?? "");
    const versionId = /<VersionId>([\s\S]*?)<\/VersionId>/.exec(object)?.[1];
    const target = { bucket: request.bucket, key };
    return versionId !== undefined
      ? { action: "s3:DeleteObjectVersion", resource: "object", object: target, context: { "s3:VersionId": decodeXml(versionId) } }
      : { action: "s3:DeleteObject", resource: "object", object: target };
  });
};

/** First match wins; a rule matches on method, scope, exact sub-resources and the optional header. */
const S3_RULES: readonly S3Rule[] = [
  // objects
  { operation: "ListParts", method: "GET", scope: "object", subresources: ["uploadId"], checks: onObject("s3:ListMultipartUploadParts") },
  { operation: "GetObjectAcl", method: "GET", scope: "object", subresources: ["acl"], checks: versioned("s3:GetObjectAcl", "s3:GetObjectVersionAcl") },
  { operation: "GetObjectTagging", method: "GET", scope: "object", subresources: ["tagging"], checks: versioned("s3:GetObjectTagging", "s3:GetObjectVersionTagging") },
  { operation: "GetObjectAttributes", method: "GET", scope: "object", subresources: ["attributes"], checks: versioned("s3:GetObjectAttributes", "s3:GetObjectVersionAttributes") },
  { operation: "GetObject", method: "GET", scope: "object", checks: versioned("s3:GetObject", "s3:GetObjectVersion") },
  { operation: "HeadObject", method: "HEAD", scope: "object", checks: versioned("s3:GetObject", "s3:GetObjectVersion") },
  { operation: "UploadPartCopy", method: "PUT", scope: "object", subresources: ["partNumber", "uploadId"], header: "x-amz-copy-source", checks: copying },
  { operation: "UploadPart", method: "PUT", scope: "object", subresources: ["partNumber", "uploadId"], checks: onObject("s3:PutObject") },
  { operation: "PutObjectTagging", method: "PUT", scope: "object", subresources: ["tagging"], checks: versioned("s3:PutObjectTagging", "s3:PutObjectVersionTagging") },
  { operation: "PutObjectAcl", method: "PUT", scope: "object", subresources: ["acl"], checks: versioned("s3:PutObjectAcl", "s3:PutObjectVersionAcl") },
  { operation: "CopyObject", method: "PUT", scope: "object", header: "x-amz-copy-source", checks: copying },
  { operation: "PutObject", method: "PUT", scope: "object", checks: onObject("s3:PutObject") },
  { operation: "CreateMultipartUpload", method: "POST", scope: "object", subresources: ["uploads"], checks: onObject("s3:PutObject") },
  { operation: "CompleteMultipartUpload", method: "POST", scope: "object", subresources: ["uploadId"], checks: onObject("s3:PutObject") },
  { operation: "AbortMultipartUpload", method: "DELETE", scope: "object", subresources: ["uploadId"], checks: onObject("s3:AbortMultipartUpload") },
  { operation: "DeleteObjectTagging", method: "DELETE", scope: "object", subresources: ["tagging"], checks: versioned("s3:DeleteObjectTagging", "s3:DeleteObjectVersionTagging") },
  { operation: "DeleteObject", method: "DELETE", scope: "object", checks: versioned("s3:DeleteObject", "s3:DeleteObjectVersion") },
  // buckets
  { operation: "ListObjectVersions", method: "GET", scope: "bucket", subresources: ["versions"], checks: listing("s3:ListBucketVersions") },
  { operation: "ListMultipartUploads", method: "GET", scope: "bucket", subresources: ["uploads"], checks: onBucket("s3:ListBucketMultipartUploads") },
  { operation: "GetBucketVersioning", method: "GET", scope: "bucket", subresources: ["versioning"], checks: onBucket("s3:GetBucketVersioning") },
  { operation: "GetBucketLocation", method: "GET", scope: "bucket", subresources: ["location"], checks: onBucket("s3:GetBucketLocation") },
  { operation: "GetBucketPolicy", method: "GET", scope: "bucket", subresources: ["policy"], checks: onBucket("s3:GetBucketPolicy") },
  { operation: "GetBucketEncryption", method: "GET", scope: "bucket", subresources: ["encryption"], checks: onBucket("s3:GetEncryptionConfiguration") },
  { operation: "GetBucketNotificationConfiguration", method: "GET", scope: "bucket", subresources: ["notification"], checks: onBucket("s3:GetBucketNotification") },
  { operation: "GetPublicAccessBlock", method: "GET", scope: "bucket", subresources: ["publicAccessBlock"], checks: onBucket("s3:GetBucketPublicAccessBlock") },
  { operation: "GetBucketTagging", method: "GET", scope: "bucket", subresources: ["tagging"], checks: onBucket("s3:GetBucketTagging") },
  { operation: "GetBucketLifecycleConfiguration", method: "GET", scope: "bucket", subresources: ["lifecycle"], checks: onBucket("s3:GetLifecycleConfiguration") },
  { operation: "ListObjectsV2", method: "GET", scope: "bucket", queryEquals: ["list-type", "2"], checks: listing("s3:ListBucket") },
  { operation: "ListObjects", method: "GET", scope: "bucket", checks: listing("s3:ListBucket") },
  { operation: "HeadBucket", method: "HEAD", scope: "bucket", checks: onBucket("s3:ListBucket") },
  { operation: "DeleteObjects", method: "POST", scope: "bucket", subresources: ["delete"], checks: deletingMany },
  { operation: "PutBucketVersioning", method: "PUT", scope: "bucket", subresources: ["versioning"], checks: onBucket("s3:PutBucketVersioning") },
  { operation: "PutBucketPolicy", method: "PUT", scope: "bucket", subresources: ["policy"], checks: onBucket("s3:PutBucketPolicy") },
  { operation: "PutBucketEncryption", method: "PUT", scope: "bucket", subresources: ["encryption"], checks: onBucket("s3:PutEncryptionConfiguration") },
  { operation: "PutBucketNotificationConfiguration", method: "PUT", scope: "bucket", subresources: ["notification"], checks: onBucket("s3:PutBucketNotification") },
  { operation: "PutPublicAccessBlock", method: "PUT", scope: "bucket", subresources: ["publicAccessBlock"], checks: onBucket("s3:PutBucketPublicAccessBlock") },
  { operation: "CreateBucket", method: "PUT", scope: "bucket", checks: onBucket("s3:CreateBucket") },
  { operation: "DeleteBucket", method: "DELETE", scope: "bucket", checks: onBucket("s3:DeleteBucket") },
  // the service
  { operation: "ListBuckets", method: "GET", scope: "service", checks: () => [{ action: "s3:ListAllMyBuckets", resource: "service" }] },
];

/** Condition keys S3 takes from request headers, set only when the header is present. */
const S3_HEADER_KEYS = [
  "x-amz-server-side-encryption",
  "x-amz-server-side-encryption-aws-kms-key-id",
  "x-amz-acl",
  "x-amz-storage-class",
  "x-amz-copy-source",
  "x-amz-metadata-directive",
  "x-amz-content-sha256",
] as const;

function s3RequestContext(request: HttpRequestFacts): ConditionContext {
  const context: ConditionContext = {};
  for (const header of S3_HEADER_KEYS) {
    const value = request.headers[header];
    if (value !== undefined) context[`s3:${header}`] = value;
  }
  const signature = parseSigV4(request.headers, request.query);
  if (signature) {
    context["s3:authType"] = signature.authType;
    context["s3:signatureversion"] = signature.signatureVersion;
  }
  return context;
}

function mapS3(request: HttpRequestFacts, env: MappingEnvironment): MappedRequest {
  const base = { service: "s3", protocol: "rest-xml" as const };
  const [, bucket = "", ...rest] = request.path.split("/");
  const rawKey = rest.join("/");
  let key: string | undefined;
  try {
    key = rawKey === "" ? undefined : decodeURIComponent(rawKey);
  } catch {
    return { kind: "not-modelled", ...base, reason: `undecodable object key ${rawKey}` };
  }
  const scope = bucket === "" ? "service" : key === undefined ? "bucket" : "object";
  const subresources = [...new Set([...request.query.keys()].filter((name) => S3_SUBRESOURCES.has(name)))].sort();
  const rule = S3_RULES.find(
    (candidate) =>
      candidate.method === request.method &&
      candidate.scope === scope &&
      [...(candidate.subresources ?? [])].sort().join("&") === subresources.join("&") &&
      (candidate.header === undefined || request.headers[candidate.header] !== undefined) &&
      (candidate.queryEquals === undefined || request.query.get(candidate.queryEquals[0]) === candidate.queryEquals[1]),
  );
  if (!rule) return { kind: "not-modelled", ...base, reason: `S3 ${request.method} on a ${scope}${subresources.length > 0 ? ` with ?${subresources.join("&")}` : ""} is not modelled` };
  const versionId = request.query.get("versionId") ?? undefined;
  const s3Request: S3Request = { bucket, ...(key !== undefined ? { key } : {}), ...(versionId !== undefined ? { versionId } : {}), query: request.query, headers: request.headers, ...(request.body !== undefined ? { body: request.body } : {}) };
  const checks = rule.checks(s3Request);
  if (typeof checks === "string") return { kind: "not-modelled", ...base, operation: rule.operation, reason: checks };
  const shared = s3RequestContext(request);
  const partition = env.partition;
  const target: Target = scope === "object" ? { kind: "s3-object", bucket, key: key!, ...(versionId !== undefined ? { versionId } : {}) } : scope === "bucket" ? { kind: "s3-bucket", bucket } : { kind: "none" };
  const encryption = request.headers["x-amz-server-side-encryption"];
  const kmsKeyId = request.headers["x-amz-server-side-encryption-aws-kms-key-id"];
  const copySource = request.headers["x-amz-copy-source"] !== undefined ? parseCopySource(request.headers["x-amz-copy-source"]!) : undefined;
  return {
    kind: "modelled",
    ...base,
    operation: rule.operation,
    target,
    s3: { ...(encryption ? { encryption } : {}), ...(kmsKeyId ? { kmsKeyId } : {}), ...(copySource ? { copySource } : {}) },
    checks: checks.map((check) => {
      const object = check.object ?? (key !== undefined ? { bucket, key } : undefined);
      const resource =
        check.resource === "service" ? "*" : check.resource === "bucket" ? `arn:${partition}:s3:::${bucket}` : `arn:${partition}:s3:::${object!.bucket}/${object!.key}`;
      const owner = check.resource === "object" ? object!.bucket : bucket;
      return { action: check.action, resource, resourceAccount: check.resource === "service" ? env.accountId : env.bucketAccount(owner), context: { ...shared, ...(check.context ?? {}) } };
    }),
  };
}

// ---------------------------------------------------------------------------------------------
// JSON (X-Amz-Target) and query (Action=) protocol services

interface RpcCall {
  readonly protocol: "json" | "query";
  readonly operation: string;
  readonly params: Readonly<Record<string, unknown>>;
}

/** Reads the operation and parameters of a JSON (`X-Amz-Target`) or query (`Action=`) request. */
function rpcCall(request: HttpRequestFacts): RpcCall | string {
  const target = request.headers["x-amz-target"];
  if (target) {
    let params: unknown;
    try {
      params = JSON.parse(request.body && request.body.length > 0 ? request.body : "{}");
    } catch {
      return `unreadable JSON body for ${target}`;
    }
    return { protocol: "json", operation: target.slice(target.lastIndexOf(".") + 1), params: (params ?? {}) as Record<string, unknown> };
  }
  const form = new URLSearchParams(request.body ?? "");
  const params: Record<string, string> = Object.fromEntries(request.query);
  for (const [name, value] of form) params[name] = value;
  const operation = params.Action;
  return operation ? { protocol: "query", operation, params } : "neither X-Amz-Target nor Action=";
}

const text = (value: unknown): string | undefined => (typeof value === "string" && value.length > 0 ? value : undefined);

function accountOfArn(arn: string, fallback: string): string {
  return arn.split(":")[4] || fallback;
}

type RpcChecks = Array<{ action: string; resource: string; context?: ConditionContext }>;
interface RpcMapping {
  readonly checks: RpcChecks;
  readonly target: Target;
}
type RpcRule = (params: Readonly<Record<string, unknown>>, request: HttpRequestFacts, env: MappingEnvironment) => RpcMapping | string;

/** Queue ARN from a queue URL (`https://host/<account>/<name>`), as SQS names queues. */
export function queueArnFromUrl(queueUrl: string, region: string, partition: string): string | undefined {
  let path: string;
  try {
    path = new URL(queueUrl).pathname;
  } catch {
    path = queueUrl;
  }
  const match = /^\/(\d{12})\/([^/]+)\/?$/.exec(path);
  return match ? `arn:${partition}:sqs:${region}:${match[1]}:${match[2]}` : undefined;
}

function sqsQueue(params: Readonly<Record<string, unknown>>, request: HttpRequestFacts, env: MappingEnvironment): string | undefined {
  const url = text(params.QueueUrl) ?? (request.path.length > 1 ? request.path : undefined);
  return url ? queueArnFromUrl(url, request.region, env.partition) : undefined;
}

const onQueue = (...actions: string[]): RpcRule => (params, request, env) => {
  const arn = sqsQueue(params, request, env);
  return arn ? { checks: actions.map((action) => ({ action, resource: arn })), target: { kind: "sqs-queue", arn } } : "no QueueUrl";
};
const queueByName = (action: string): RpcRule => (params, request, env) => {
  const name = text(params.QueueName);
  if (!name) return "no QueueName";
  const arn = `arn:${env.partition}:sqs:${request.region}:${text(params.QueueOwnerAWSAccountId) ?? env.accountId}:${name}`;
  return { checks: [{ action, resource: arn }], target: { kind: "sqs-queue", arn } };
};
const wildcard = (action: string): RpcRule => () => ({ checks: [{ action, resource: "*" }], target: { kind: "none" } });

const SQS_RULES: Readonly<Record<string, RpcRule>> = {
  SendMessage: onQueue("sqs:SendMessage"),
  SendMessageBatch: onQueue("sqs:SendMessage"),
  ReceiveMessage: onQueue("sqs:ReceiveMessage"),
  DeleteMessage: onQueue("sqs:DeleteMessage"),
  DeleteMessageBatch: onQueue("sqs:DeleteMessage"),
  ChangeMessageVisibility: onQueue("sqs:ChangeMessageVisibility"),
  ChangeMessageVisibilityBatch: onQueue("sqs:ChangeMessageVisibility"),
  GetQueueAttributes: onQueue("sqs:GetQueueAttributes"),
  SetQueueAttributes: onQueue("sqs:SetQueueAttributes"),
  PurgeQueue: onQueue("sqs:PurgeQueue"),
  DeleteQueue: onQueue("sqs:DeleteQueue"),
  ListDeadLetterSourceQueues: onQueue("sqs:ListDeadLetterSourceQueues"),
  GetQueueUrl: queueByName("sqs:GetQueueUrl"),
  CreateQueue: queueByName("sqs:CreateQueue"),
  ListQueues: wildcard("sqs:ListQueues"),
  ListMessageMoveTasks: (params) => {
    const source = text(params.SourceArn);
    return source ? { checks: [{ action: "sqs:ListMessageMoveTasks", resource: source }], target: { kind: "sqs-queue", arn: source } } : "no SourceArn";
  },
  StartMessageMoveTask: (params) => {
    const source = text(params.SourceArn);
    if (!source) return "no SourceArn";
    const destination = text(params.DestinationArn);
    const onSource = ["sqs:StartMessageMoveTask", "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"].map((action) => ({ action, resource: source }));
    // Without DestinationArn, messages go back to their original source queues, unknown here.
    return { checks: [...onSource, ...(destination ? [{ action: "sqs:SendMessage", resource: destination }] : [])], target: { kind: "sqs-queue", arn: source } };
  },
};

const onTopic = (action: string, parameter = "TopicArn"): RpcRule => (params) => {
  const arn = text(params[parameter]) ?? (parameter === "TopicArn" ? text(params.TargetArn) : undefined);
  return arn ? { checks: [{ action, resource: arn }], target: { kind: "sns-topic", arn } } : `no ${parameter}`;
};

const SNS_RULES: Readonly<Record<string, RpcRule>> = {
  Publish: onTopic("sns:Publish"),
  PublishBatch: onTopic("sns:Publish"),
  Subscribe: onTopic("sns:Subscribe"),
  GetTopicAttributes: onTopic("sns:GetTopicAttributes"),
  SetTopicAttributes: onTopic("sns:SetTopicAttributes"),
  ListSubscriptionsByTopic: onTopic("sns:ListSubscriptionsByTopic"),
  DeleteTopic: onTopic("sns:DeleteTopic"),
  CreateTopic: (params, request, env) => {
    const name = text(params.Name);
    if (!name) return "no Name";
    const arn = `arn:${env.partition}:sns:${request.region}:${env.accountId}:${name}`;
    return { checks: [{ action: "sns:CreateTopic", resource: arn }], target: { kind: "sns-topic", arn } };
  },
  ListTopics: wildcard("sns:ListTopics"),
};

/** A KMS `KeyId` (key id, key ARN, alias name or alias ARN) as the ARN IAM authorizes. */
export function kmsKeyArn(keyId: string, region: string, accountId: string, partition: string): string {
  if (keyId.startsWith("arn:")) return keyId;
  if (keyId.startsWith("alias/")) return `arn:${partition}:kms:${region}:${accountId}:${keyId}`;
  return `arn:${partition}:kms:${region}:${accountId}:key/${keyId}`;
}

/** `kms:EncryptionContext:<key>` for each pair and `kms:EncryptionContextKeys` (AWS KMS condition keys). */
export function encryptionContextKeys(context: Readonly<Record<string, string>>): ConditionContext {
  const keys = Object.keys(context);
  if (keys.length === 0) return {};
  return { ...Object.fromEntries(keys.map((key) => [`kms:EncryptionContext:${key}`, context[key]!])), "kms:EncryptionContextKeys": keys };
}

const onKey = (action: string): RpcRule => (params, request, env) => {
  const keyId = text(params.KeyId);
  if (!keyId) return `${action} without KeyId (the key inside a ciphertext is not read here)`;
  const arn = kmsKeyArn(keyId, request.region, env.accountId, env.partition);
  const context = encryptionContextKeys((params.EncryptionContext ?? {}) as Record<string, string>);
  return { checks: [{ action, resource: arn, context }], target: { kind: "kms-key", arn } };
};

const KMS_RULES: Readonly<Record<string, RpcRule>> = {
  Encrypt: onKey("kms:Encrypt"),
  Decrypt: onKey("kms:Decrypt"),
  GenerateDataKey: onKey("kms:GenerateDataKey"),
  GenerateDataKeyWithoutPlaintext: onKey("kms:GenerateDataKeyWithoutPlaintext"),
  DescribeKey: onKey("kms:DescribeKey"),
  GetKeyPolicy: onKey("kms:GetKeyPolicy"),
  CreateKey: wildcard("kms:CreateKey"),
  ListKeys: wildcard("kms:ListKeys"),
  ListAliases: wildcard("kms:ListAliases"),
};

const workgroupArn = (name: string, request: HttpRequestFacts, env: MappingEnvironment): string => `arn:${env.partition}:athena:${request.region}:${env.accountId}:workgroup/${name}`;

const onWorkgroup = (action: string): RpcRule => (params, request, env) => {
  // Without WorkGroup, Athena uses the `primary` workgroup (Athena API reference, StartQueryExecution).
  const name = text(params.WorkGroup) ?? "primary";
  return { checks: [{ action, resource: workgroupArn(name, request, env) }], target: { kind: "athena-workgroup", name } };
};
const onExecution = (action: string): RpcRule => (params, request, env) => {
  const id = text(params.QueryExecutionId);
  if (!id) return "no QueryExecutionId";
  const name = env.workgroupOfExecution(id);
  if (!name) return `query execution ${id} was not started through this endpoint, so its workgroup is unknown`;
  return { checks: [{ action, resource: workgroupArn(name, request, env) }], target: { kind: "athena-workgroup", name } };
};

const ATHENA_RULES: Readonly<Record<string, RpcRule>> = {
  StartQueryExecution: onWorkgroup("athena:StartQueryExecution"),
  GetWorkGroup: onWorkgroup("athena:GetWorkGroup"),
  ListQueryExecutions: onWorkgroup("athena:ListQueryExecutions"),
  GetQueryExecution: onExecution("athena:GetQueryExecution"),
  GetQueryResults: onExecution("athena:GetQueryResults"),
  StopQueryExecution: onExecution("athena:StopQueryExecution"),
};

/** A Glue job's ARN: `arn:aws:glue:<region>:<account>:job/<name>` (Service Authorization Reference, AWS Glue, resource type `job`). */
const onJob = (action: string): RpcRule => (params, request, env) => {
  const name = text(params.JobName);
  if (!name) return "no JobName";
  return { checks: [{ action, resource: `arn:${env.partition}:glue:${request.region}:${env.accountId}:job/${name}` }], target: { kind: "none" } };
};

/** The Glue calls the processor (StartJobRun) and operators (the runs' state) make; the job's own are S3 and SQS calls. */
const GLUE_RULES: Readonly<Record<string, RpcRule>> = {
  StartJobRun: onJob("glue:StartJobRun"),
  GetJobRun: onJob("glue:GetJobRun"),
  GetJobRuns: onJob("glue:GetJobRuns"),
  GetJob: onJob("glue:GetJob"),
};

const RPC_SERVICES: Readonly<Record<string, Readonly<Record<string, RpcRule>>>> = { sqs: SQS_RULES, sns: SNS_RULES, kms: KMS_RULES, athena: ATHENA_RULES, glue: GLUE_RULES };

function mapRpc(request: HttpRequestFacts, env: MappingEnvironment): MappedRequest {
  const call = rpcCall(request);
  const protocol: Protocol = request.headers["x-amz-target"] ? "json" : "query";
  if (typeof call === "string") return { kind: "not-modelled", service: request.service, protocol, reason: call };
  const base = { service: request.service, protocol: call.protocol, operation: call.operation };
  if (request.service === "sts" && call.operation === "GetCallerIdentity") {
    return { kind: "always-allowed", ...base, reason: "GetCallerIdentity needs no permission (STS API reference)" };
  }
  const rule = RPC_SERVICES[request.service]?.[call.operation];
  if (!rule) return { kind: "not-modelled", ...base, reason: `${request.service}:${call.operation} is not modelled` };
  const mapping = rule(call.params, request, env);
  if (typeof mapping === "string") return { kind: "not-modelled", ...base, reason: mapping };
  return {
    kind: "modelled",
    ...base,
    target: mapping.target,
    checks: mapping.checks.map((check) => ({ action: check.action, resource: check.resource, resourceAccount: check.resource === "*" ? env.accountId : accountOfArn(check.resource, env.accountId), context: check.context ?? {} })),
  };
}

/**
 * Maps one request. Pure: the same facts give the same answer.
 *
 * @example
 * ```ts
 * mapRequest({ method: "POST", path: "/", query: new URLSearchParams(), headers: { "x-amz-target": "AmazonSQS.ReceiveMessage" },
 *   body: JSON.stringify({ QueueUrl: "https://127.0.0.1:4566/123456789012/jobs" }), service: "sqs", region: "eu-west-1" }, env).checks[0].resource;
 * // "arn:aws:sqs:eu-west-1:123456789012:jobs"
 * ```
 */
export function mapRequest(request: HttpRequestFacts, env: MappingEnvironment): MappedRequest {
  if (request.service === "s3") return mapS3(request, env);
  if (request.service in RPC_SERVICES || request.service === "sts") return mapRpc(request, env);
  return { kind: "not-modelled", service: request.service, protocol: request.headers["x-amz-target"] ? "json" : "query", reason: `service ${request.service} is not modelled` };
}
