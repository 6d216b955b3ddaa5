/**
 * Every rule of the policy pack against fixtures: a compliant lake passes every rule, and one changed
 * input makes exactly the rule about it fire, with a message naming the resource and the input to
 * change. The policies run as the analyzer calls them (inputs behind `@pulumi/policy`'s
 * unknown-checking proxy), including with the values a preview of a new stack does not know yet.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { createPolicies, RULES } from "../policy/pack.js";
import { UNKNOWN_SENTINELS } from "../policy/inputs.js";
import { asPreview, evaluate, type PolicyFixture, type Violation } from "./harness/policy-run.js";
import { ACCOUNT, REGION, UNKNOWN, compliantLake, fixture, policyJson, replace, withInputs, withoutInputs } from "./policy-fixtures.js";

const NOW = new Date("2026-11-30T00:00:00Z");
const policies = createPolicies({ now: () => NOW, waivers: [] });

async function violations(resources: readonly PolicyFixture[], options: Parameters<typeof createPolicies>[0] = {}): Promise<Violation[]> {
  return evaluate(options.waivers || options.now ? createPolicies({ now: () => NOW, waivers: [], ...options }) : policies, resources);
}

/** The policies that fired, sorted (advisory runtime warnings included). */
async function fired(resources: readonly PolicyFixture[]): Promise<string[]> {
  return (await violations(resources)).map((violation) => violation.policy).sort();
}

async function messagesOf(rule: string, resources: readonly PolicyFixture[]): Promise<string[]> {
  return (await violations(resources)).filter((violation) => violation.policy === rule).map((violation) => violation.message);
}

describe("the compliant fixture lake", () => {
  it.each(["dev", "prod"])("passes every rule in %s", async (stack) => {
    // Prepare
    const lake = compliantLake(stack);
    // Act
    const found = await violations(lake.all);
    // Assess
    expect(found).toEqual([]);
  });

  it("passes every rule at preview too (computed values unknown, or absent)", async () => {
    const lake = compliantLake("prod");
    expect(await violations(asPreview(lake.all))).toEqual([]);
    expect(await violations(asPreview(lake.all, "absent"))).toEqual([]);
  });
});

describe("S3 buckets", () => {
  it("s3-public-access-blocked: a setting off, or no block at all", async () => {
    const lake = compliantLake();
    const off = replace(lake.all, lake.publicAccess, withInputs(lake.publicAccess, { blockPublicPolicy: false }));
    expect(await fired(off)).toEqual(["s3-public-access-blocked"]);
    expect(await messagesOf("s3-public-access-blocked", off)).toEqual([
      'aws:s3/bucket:Bucket "datalake-lake": public access is not fully blocked (blockPublicPolicy not true). Change `blockPublicPolicy` of aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock "lake-public-access": set to true.',
    ]);
    const missing = replace(lake.all, lake.publicAccess);
    expect(await messagesOf("s3-public-access-blocked", missing)).toEqual([expect.stringContaining('"datalake-lake": has no public access block. Change `blockPublicAcls, blockPublicPolicy, ignorePublicAcls, restrictPublicBuckets` of a new aws:s3/bucketPublicAccessBlock')]);
  });

  it("s3-default-sse-kms: SSE-S3, or SSE-KMS without bucket keys; an access-log destination may use SSE-S3", async () => {
    const lake = compliantLake();
    const sseS3 = replace(lake.all, lake.encryption, withInputs(lake.encryption, { rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] }));
    expect(await fired(sseS3)).toEqual(["s3-default-sse-kms"]);
    expect((await messagesOf("s3-default-sse-kms", sseS3))[0]).toMatch(/"datalake-lake": default encryption is AES256\. Change `rules\[0\]\.applyServerSideEncryptionByDefault, rules\[0\]\.bucketKeyEnabled` of .*"lake-encryption"/);
    const noBucketKey = replace(lake.all, lake.encryption, withInputs(lake.encryption, { rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: "k" } }] }));
    expect(await fired(noBucketKey)).toEqual(["s3-default-sse-kms"]);
    const logging = fixture("aws:s3/bucketLogging:BucketLogging", "other-logging", { bucket: "other", targetBucket: "lake-bucket" }, { from: { targetBucket: [lake.bucket] } });
    expect(await fired([...sseS3, logging])).toEqual([]);
  });

  it("s3-versioning: suspended", async () => {
    const lake = compliantLake();
    const resources = replace(lake.all, lake.versioning, withInputs(lake.versioning, { versioningConfiguration: { status: "Suspended" } }));
    expect(await messagesOf("s3-versioning", resources)).toEqual(['aws:s3/bucket:Bucket "datalake-lake": versioning is Suspended. Change `versioningConfiguration.status` of aws:s3/bucketVersioning:BucketVersioning "lake-versioning": Enabled.']);
    expect(await fired(resources)).toEqual(["s3-versioning"]);
  });

  it("s3-owner-enforced: ACLs left on", async () => {
    const lake = compliantLake();
    const resources = replace(lake.all, lake.ownership, withInputs(lake.ownership, { rule: { objectOwnership: "ObjectWriter" } }));
    expect(await fired(resources)).toEqual(["s3-owner-enforced"]);
    expect(await messagesOf("s3-owner-enforced", resources)).toEqual([expect.stringContaining("object ownership is ObjectWriter. Change `rule.objectOwnership`")]);
  });

  it("s3-tls-only: a policy without the TLS deny fires; an unknown policy (preview) does not", async () => {
    const lake = compliantLake();
    const noTls = replace(lake.all, lake.bucketPolicy, withInputs(lake.bucketPolicy, { policy: policyJson({ Effect: "Deny", Principal: "*", Action: "s3:PutObject", Resource: "arn:aws:s3:::lake-bucket/*", Condition: { Null: { "s3:x-amz-server-side-encryption": "true" } } }) }));
    expect(await fired(noTls)).toEqual(["s3-tls-only"]);
    expect(await messagesOf("s3-tls-only", noTls)).toEqual([expect.stringContaining('"datalake-lake": its policy does not deny requests made without TLS. Change `policy` of aws:s3/bucketPolicy:BucketPolicy "lake-policy"')]);
    const unknown = replace(lake.all, lake.bucketPolicy, withInputs(lake.bucketPolicy, { policy: UNKNOWN }));
    expect(await fired(unknown)).toEqual([]);
  });

  it("s3-abort-incomplete-uploads: only a prefixed rule aborts uploads", async () => {
    const lake = compliantLake();
    const resources = replace(lake.all, lake.lifecycle, withInputs(lake.lifecycle, { rules: [{ id: "raw", status: "Enabled", filter: { prefix: "raw/" }, abortIncompleteMultipartUpload: { daysAfterInitiation: 7 } }] }));
    expect(await fired(resources)).toEqual(["s3-abort-incomplete-uploads"]);
    expect(await messagesOf("s3-abort-incomplete-uploads", resources)).toEqual([expect.stringContaining("no enabled lifecycle rule aborts incomplete multipart uploads across the bucket. Change `rules`")]);
  });
});

describe("S3 policy correctness", () => {
  it("s3-no-ifexists-encryption-deny: a Deny under StringNotEqualsIfExists on the encryption header", async () => {
    const lake = compliantLake();
    const policy = policyJson({ Sid: "DenyOtherEncryptionAlgorithms", Effect: "Deny", Principal: "*", Action: "s3:PutObject", Resource: "arn:aws:s3:::lake-bucket/*", Condition: { StringNotEqualsIfExists: { "s3:x-amz-server-side-encryption": "aws:kms" } } }, { Effect: "Deny", Principal: "*", Action: "s3:*", Resource: ["arn:aws:s3:::lake-bucket", "arn:aws:s3:::lake-bucket/*"], Condition: { Bool: { "aws:SecureTransport": "false" } } });
    const resources = replace(lake.all, lake.bucketPolicy, withInputs(lake.bucketPolicy, { policy }));
    expect(await fired(resources)).toEqual(["s3-no-ifexists-encryption-deny"]);
    expect(await messagesOf("s3-no-ifexists-encryption-deny", resources)).toEqual([
      'aws:s3/bucketPolicy:BucketPolicy "lake-policy": statement "DenyOtherEncryptionAlgorithms" denies s3:PutObject under StringNotEqualsIfExists on s3:x-amz-server-side-encryption, which also denies every upload that sends no encryption header. Change `policy`: test the header with "Null": {"s3:x-amz-server-side-encryption": "false"} and StringNotEquals on it, in one statement.',
    ]);
  });

  it("s3-event-readers-can-list: an event-driven reader with ListBucket only under s3:prefix; a scheduled reader is not concerned", async () => {
    const lake = compliantLake();
    const statements = JSON.parse(lake.worker.rolePolicy.inputs["policy"] as string).Statement.map((statement: { Sid: string }) =>
      statement.Sid === "ListLake" ? { ...statement, Condition: { StringLike: { "s3:prefix": ["raw/*"] } } } : statement,
    );
    const resources = replace(lake.all, lake.worker.rolePolicy, withInputs(lake.worker.rolePolicy, { policy: policyJson(...statements) }));
    expect(await fired(resources)).toEqual(["s3-event-readers-can-list"]);
    expect(await messagesOf("s3-event-readers-can-list", resources)).toEqual([
      'aws:iam/role:Role "worker": worker reads objects of arn:aws:s3:::lake-bucket named by its events but holds s3:ListBucket on it only under an s3:prefix condition, so S3 answers a missing object with 403 instead of 404. Change `policy` of aws:iam/rolePolicy:RolePolicy "worker": allow s3:ListBucket on arn:aws:s3:::lake-bucket without an s3:prefix condition.',
    ]);
    const jobReads = replace(lake.all, lake.job.rolePolicy, withInputs(lake.job.rolePolicy, { policy: policyJson({ Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::lake-bucket/processed/*" }, { Effect: "Allow", Action: "s3:ListBucket", Resource: "arn:aws:s3:::lake-bucket", Condition: { StringLike: { "s3:prefix": "processed/*" } } }) }));
    expect(await fired(jobReads)).toEqual([]);
  });
});

describe("SQS queues", () => {
  it("sqs-kms: no key, or SQS's AWS-managed key", async () => {
    const lake = compliantLake();
    expect(await messagesOf("sqs-kms", replace(lake.all, lake.dlq, withoutInputs(lake.dlq, "kmsMasterKeyId")))).toEqual(['aws:sqs/queue:Queue "work-dlq": is not encrypted with a KMS key. Change `kmsMasterKeyId`: the ARN of the lake\'s customer-managed key.']);
    expect(await fired(replace(lake.all, lake.dlq, withInputs(lake.dlq, { kmsMasterKeyId: "alias/aws/sqs" })))).toEqual(["sqs-kms"]);
  });

  it("sqs-consumer-dlq: a consumed queue without redrive policy", async () => {
    const lake = compliantLake();
    const resources = replace(lake.all, lake.queue, withoutInputs(lake.queue, "redrivePolicy"));
    expect(await fired(resources)).toEqual(["sqs-consumer-dlq"]);
    expect(await messagesOf("sqs-consumer-dlq", resources)).toEqual([expect.stringContaining('aws:sqs/queue:Queue "work": is consumed by a function but has no dead-letter queue')]);
  });

  it("sqs-dlq-retention-longer: equal retention; at SQS's maximum the source must be lowered", async () => {
    const lake = compliantLake();
    const equal = replace(lake.all, lake.dlq, withInputs(lake.dlq, { messageRetentionSeconds: 345_600 }));
    expect(await messagesOf("sqs-dlq-retention-longer", equal)).toEqual([
      'aws:sqs/queue:Queue "work-dlq": keeps messages 345600 s, not longer than its source queue work (345600 s); a message\'s age counts from when it entered the source, so it can expire in the DLQ before anyone reads it. Change `messageRetentionSeconds`: more than 345600 (at most 1209600) (stack config: datalake:queueRetentionDays).',
    ]);
    const atMaximum = replace(lake.all, lake.queue, withInputs(lake.queue, { messageRetentionSeconds: 1_209_600 }));
    expect(await messagesOf("sqs-dlq-retention-longer", atMaximum)).toEqual([expect.stringContaining('Change `messageRetentionSeconds` of aws:sqs/queue:Queue "work": less than 1209600')]);
    expect(await fired(atMaximum)).toEqual(["sqs-dlq-retention-longer"]);
  });

  it("sqs-visibility-timeout: less than 6 × the consumer's timeout", async () => {
    const lake = compliantLake();
    const resources = replace(lake.all, lake.queue, withInputs(lake.queue, { visibilityTimeoutSeconds: 300 }));
    expect(await fired(resources)).toEqual(["sqs-visibility-timeout"]);
    expect(await messagesOf("sqs-visibility-timeout", resources)).toEqual([expect.stringContaining("hides a received message for 300 s, less than 6 × the 60 s timeout of its consumer worker. Change `visibilityTimeoutSeconds`: at least 360")]);
  });
});

describe("SNS topics", () => {
  it("sns-kms: no key", async () => {
    const lake = compliantLake();
    const resources = replace(lake.all, lake.topic, withoutInputs(lake.topic, "kmsMasterKeyId"));
    expect(await fired(resources)).toEqual(["sns-kms"]);
    expect(await messagesOf("sns-kms", resources)).toEqual(['aws:sns/topic:Topic "events": is not encrypted with a KMS key. Change `kmsMasterKeyId`: the ARN of the lake\'s customer-managed key.']);
  });

  it.each([
    ["another account", { AWS: "arn:aws:iam::999999999999:root" }, undefined, "allows arn:aws:iam::999999999999:root, outside the topic's account"],
    ["anyone", "*", undefined, "allows any principal without an account condition"],
    ["a service without a source condition", { Service: "events.amazonaws.com" }, undefined, "allows events.amazonaws.com without aws:SourceAccount or aws:SourceArn"],
  ])("sns-account-only-publish: %s may publish", async (_case, principal, condition, reason) => {
    const lake = compliantLake();
    const topicArn = `arn:aws:sns:${REGION}:${ACCOUNT}:events`;
    const policy = policyJson({ Sid: "Open", Effect: "Allow", Principal: principal, Action: "sns:Publish", Resource: topicArn, ...(condition ? { Condition: condition } : {}) });
    const resources = replace(lake.all, lake.topicPolicy, withInputs(lake.topicPolicy, { policy }));
    expect(await fired(resources)).toEqual(["sns-account-only-publish"]);
    expect(await messagesOf("sns-account-only-publish", resources)).toEqual([`aws:sns/topicPolicy:TopicPolicy "events-policy": statement "Open" lets others publish: it ${reason}. Change \`policy\`: allow sns:Publish only to arn:aws:iam::${ACCOUNT}:root, or to service principals with aws:SourceAccount/aws:SourceArn of this account.`]);
  });
});

describe("KMS keys", () => {
  const keyPolicy = (...extra: Record<string, unknown>[]) => policyJson({ Sid: "Root", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: "kms:*", Resource: "*" }, ...extra);

  it("kms-rotation: rotation off", async () => {
    const lake = compliantLake();
    const resources = replace(lake.all, lake.key, withInputs(lake.key, { enableKeyRotation: false }));
    expect(await messagesOf("kms-rotation", resources)).toEqual(['aws:kms/key:Key "lake-key": does not rotate its key material. Change `enableKeyRotation`: true.']);
    expect(await fired(resources)).toEqual(["kms-rotation"]);
  });

  it("kms-no-wildcard-grant: kms:* to a role", async () => {
    const lake = compliantLake();
    const resources = replace(lake.all, lake.key, withInputs(lake.key, { policy: keyPolicy({ Sid: "Admins", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/admin` }, Action: "kms:*", Resource: "*" }) }));
    expect(await fired(resources)).toEqual(["kms-no-wildcard-grant"]);
    expect(await messagesOf("kms-no-wildcard-grant", resources)).toEqual([expect.stringContaining(`statement "Admins" gives kms:* to arn:aws:iam::${ACCOUNT}:role/admin. Change \`policy\``)]);
  });

  it("kms-service-principals-scoped: a service statement without aws:SourceAccount/aws:SourceArn", async () => {
    const lake = compliantLake();
    const resources = replace(lake.all, lake.key, withInputs(lake.key, { policy: keyPolicy({ Sid: "Sns", Effect: "Allow", Principal: { Service: "sns.amazonaws.com" }, Action: ["kms:GenerateDataKey*", "kms:Decrypt"], Resource: "*" }) }));
    expect(await fired(resources)).toEqual(["kms-service-principals-scoped"]);
    expect(await messagesOf("kms-service-principals-scoped", resources)).toEqual([expect.stringContaining('statement "Sns" lets sns.amazonaws.com use the key for any account\'s resources. Change `policy`: add aws:SourceAccount or aws:SourceArn')]);
  });
});

describe("Lambda functions", () => {
  it("lambda-in-vpc: no VPC configuration", async () => {
    const lake = compliantLake();
    const resources = replace(lake.all, lake.worker.fn, withoutInputs(lake.worker.fn, "vpcConfig"));
    expect(await fired(resources)).toEqual(["lambda-in-vpc"]);
    expect(await messagesOf("lambda-in-vpc", resources)).toEqual(['aws:lambda/function:Function "worker": runs outside the VPC (no subnetIds, no securityGroupIds). Change `vpcConfig.subnetIds, vpcConfig.securityGroupIds`: the private subnets and the Lambda security group.']);
  });

  it("lambda-json-logs: text logs", async () => {
    const lake = compliantLake();
    const resources = replace(lake.all, lake.worker.fn, withInputs(lake.worker.fn, { loggingConfig: { logFormat: "Text", logGroup: "/lake/worker" } }));
    expect(await fired(resources)).toEqual(["lambda-json-logs"]);
    expect(await messagesOf("lambda-json-logs", resources)).toEqual(['aws:lambda/function:Function "worker": logs in Text format, which metric filters and Logs Insights cannot query by field. Change `loggingConfig.logFormat`: "JSON".']);
  });

  it("lambda-environment-kms: variables without a key", async () => {
    const lake = compliantLake();
    const resources = replace(lake.all, lake.worker.fn, withoutInputs(lake.worker.fn, "kmsKeyArn"));
    expect(await fired(resources)).toEqual(["lambda-environment-kms"]);
    expect(await messagesOf("lambda-environment-kms", resources)).toEqual(['aws:lambda/function:Function "worker": has environment variables encrypted only with the AWS-managed key. Change `kmsKeyArn`: the ARN of the lake\'s customer-managed key.']);
  });

  it("lambda-heap-below-memory: a 2048 MB heap cap on a 1024 MB function", async () => {
    const lake = compliantLake();
    const resources = replace(lake.all, lake.worker.fn, withInputs(lake.worker.fn, { memorySize: 1024, environment: { variables: { NODE_OPTIONS: "--max-old-space-size=2048 --max-semi-space-size=16" } } }));
    expect(await fired(resources)).toEqual(["lambda-heap-below-memory"]);
    expect(await messagesOf("lambda-heap-below-memory", resources)).toEqual([
      'aws:lambda/function:Function "worker": caps its V8 heap at 2048 MB with 1024 MB of memory, so the heap can outgrow the sandbox before V8 collects. Change `environment.variables.NODE_OPTIONS`: --max-old-space-size below 1024 (or raise memorySize above 2048) (stack config: datalake:processorMemoryMb).',
    ]);
  });

  it("lambda-log-group: no retention; no declared group at all", async () => {
    const lake = compliantLake();
    const forever = replace(lake.all, lake.worker.logGroup, withoutInputs(lake.worker.logGroup, "retentionInDays"));
    expect(await messagesOf("lambda-log-group", forever)).toEqual(['aws:cloudwatch/logGroup:LogGroup "worker": the log group of worker has no retentionInDays. Change `retentionInDays`: a retention in days and the lake key\'s ARN.']);
    const undeclared = replace(lake.all, lake.worker.logGroup);
    expect(await messagesOf("lambda-log-group", undeclared)).toEqual([expect.stringContaining('"worker": writes to /lake/worker that the stack does not declare')]);
  });

  it("lambda-runtime-supported: deprecated or unknown runtimes", async () => {
    const lake = compliantLake();
    const deprecated = replace(lake.all, lake.worker.fn, withInputs(lake.worker.fn, { runtime: "nodejs20.x" }));
    expect(await messagesOf("lambda-runtime-supported", deprecated)).toEqual(['aws:lambda/function:Function "worker": runs on nodejs20.x, deprecated since 2026-04-30. Change `runtime`: nodejs24.x (stack config: datalake:lambdaRuntime).']);
    expect(await fired(replace(lake.all, lake.worker.fn, withInputs(lake.worker.fn, { runtime: "nodejs16.x" })))).toEqual(["lambda-runtime-supported"]);
  });

  it("lambda-runtime-deprecation-soon: advisory within 180 days of the deprecation date, silent before", async () => {
    const lake = compliantLake();
    const resources = replace(lake.all, lake.worker.fn, withInputs(lake.worker.fn, { runtime: "nodejs22.x" }));
    const now = await violations(resources);
    expect(now).toEqual([expect.objectContaining({ policy: "lambda-runtime-deprecation-soon", level: "advisory", message: expect.stringContaining("runs on nodejs22.x, which Lambda deprecates on 2027-04-30 (in 151 days)") })]);
    expect(await violations(resources, { now: () => new Date("2026-06-01T00:00:00Z") })).toEqual([]);
  });

  it("lambda-async-failure-destination: S3 invokes a function that has no failure destination", async () => {
    const lake = compliantLake();
    const resources = replace(lake.all, lake.ingestAsync);
    // Without the destination, the role's sqs:SendMessage becomes a call of the function's own, which needs an endpoint too.
    expect(await fired(resources)).toEqual(["lambda-async-failure-destination", "network-interface-endpoints"]);
    expect(await messagesOf("lambda-async-failure-destination", resources)).toEqual([expect.stringContaining('aws:lambda/function:Function "ingest": is invoked asynchronously but has no dead-letter queue or on-failure destination')]);
  });

  it("lambda-reserved-concurrency-budget: reservations that leave less than 100 unreserved", async () => {
    const lake = compliantLake();
    const resources = replace(lake.all, lake.worker.fn, withInputs(lake.worker.fn, { reservedConcurrentExecutions: 950 }));
    expect(await fired(resources)).toEqual(["lambda-reserved-concurrency-budget"]);
    expect(await messagesOf("lambda-reserved-concurrency-budget", resources)).toEqual([expect.stringContaining("the stack reserves 951 concurrent executions (worker 950, job 1), more than the 900 an account of 1000 can reserve while keeping 100 unreserved. Change `reservedConcurrentExecutions`: at most 899")]);
  });

  it("lambda-scheduled-single-run: a scheduled job without reserved concurrency 1", async () => {
    const lake = compliantLake();
    const resources = replace(lake.all, lake.job.fn, withInputs(lake.job.fn, { reservedConcurrentExecutions: -1 }));
    expect(await messagesOf("lambda-scheduled-single-run", resources)).toEqual(['aws:lambda/function:Function "job": runs on a schedule with no reserved concurrency, so a slow run and the next one can overlap. Change `reservedConcurrentExecutions`: 1.']);
    expect(await fired(resources)).toEqual(["lambda-scheduled-single-run"]);
  });
});

describe("IAM", () => {
  const withWorkerPolicy = (lake: ReturnType<typeof compliantLake>, ...statements: Record<string, unknown>[]) =>
    replace(lake.all, lake.worker.rolePolicy, withInputs(lake.worker.rolePolicy, { policy: policyJson(...JSON.parse(lake.worker.rolePolicy.inputs["policy"] as string).Statement, ...statements) }));

  it("iam-no-wildcard-action: s3:*", async () => {
    const lake = compliantLake();
    const resources = withWorkerPolicy(lake, { Sid: "Everything", Effect: "Allow", Action: "s3:*", Resource: "arn:aws:s3:::lake-bucket/*" });
    expect(await fired(resources)).toEqual(["iam-no-wildcard-action"]);
    expect(await messagesOf("iam-no-wildcard-action", resources)).toEqual(['aws:iam/rolePolicy:RolePolicy "worker": statement "Everything" allows s3:*. Change `policy`: the specific actions needed.']);
  });

  it("iam-no-wildcard-resource: GetObject on * fires, X-Ray's wildcard-only actions do not", async () => {
    const lake = compliantLake();
    const resources = withWorkerPolicy(lake, { Sid: "AnyObject", Effect: "Allow", Action: ["s3:GetObject"], Resource: "*" });
    expect(await fired(resources)).toEqual(["iam-no-wildcard-resource"]);
    expect(await messagesOf("iam-no-wildcard-resource", resources)).toEqual([expect.stringContaining('statement "AnyObject" allows s3:GetObject on "*", though these accept resource ARNs')]);
    expect(await fired(withWorkerPolicy(lake, { Effect: "Allow", Action: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], Resource: "*" }))).toEqual([]);
  });

  it("iam-no-full-access-managed-policy: AmazonS3FullAccess attached", async () => {
    const lake = compliantLake();
    const resources = replace(lake.all, lake.vpcAccess, withInputs(lake.vpcAccess, { policyArn: "arn:aws:iam::aws:policy/AmazonS3FullAccess" }));
    expect(await fired(resources)).toEqual(["iam-no-full-access-managed-policy"]);
    expect(await messagesOf("iam-no-full-access-managed-policy", resources)).toEqual([expect.stringContaining('"worker-vpc-access": attaches the AWS-managed AmazonS3FullAccess')]);
  });

  it("iam-known-actions-and-keys: a misspelt action and a misspelt condition key", async () => {
    const lake = compliantLake();
    const resources = withWorkerPolicy(lake, { Sid: "Typos", Effect: "Allow", Action: "s3:GetObjekt", Resource: "arn:aws:s3:::lake-bucket/*", Condition: { StringEquals: { "s3:x-amz-server-side-encrytion": "aws:kms" } } });
    expect(await messagesOf("iam-known-actions-and-keys", resources)).toEqual([
      'aws:iam/rolePolicy:RolePolicy "worker": statement "Typos" names the action s3:GetObjekt, which IAM does not know. Change `policy`: an existing action name.',
      'aws:iam/rolePolicy:RolePolicy "worker": statement "Typos" tests the condition key s3:x-amz-server-side-encrytion, which IAM does not know. Change `policy`: an existing condition key.',
    ]);
    expect(await fired(resources)).toEqual(["iam-known-actions-and-keys", "iam-known-actions-and-keys"]);
  });
});

describe("Network", () => {
  it("network-no-public-ingress: a security group and an ingress rule open to the internet", async () => {
    const lake = compliantLake();
    const openGroup = replace(lake.all, lake.securityGroup, withInputs(lake.securityGroup, { ingress: [{ protocol: "tcp", fromPort: 22, toPort: 22, cidrBlocks: ["0.0.0.0/0"] }] }));
    expect(await messagesOf("network-no-public-ingress", openGroup)).toEqual(['aws:ec2/securityGroup:SecurityGroup "lambda": ingress rule #1 admits 0.0.0.0/0. Change `ingress[0].cidrBlocks`: the VPC CIDR or a source security group.']);
    const rule = fixture("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "open-v6", { securityGroupId: "sg-lambda", cidrIpv6: "::/0", ipProtocol: "tcp", fromPort: 443, toPort: 443 });
    expect(await fired([...lake.all, rule])).toEqual(["network-no-public-ingress"]);
  });

  it("network-vpc-flow-logs: a VPC without flow log", async () => {
    const lake = compliantLake();
    const resources = replace(lake.all, lake.flowLog);
    expect(await messagesOf("network-vpc-flow-logs", resources)).toEqual(['awsx:ec2:Vpc "vpc": records no flow logs. Change `vpcId, trafficType` of a new aws:ec2/flowLog:FlowLog for this VPC: the VPC\'s id and ALL.']);
  });

  it("network-interface-endpoints: functions publish to SNS but the VPC has no SNS endpoint", async () => {
    const lake = compliantLake();
    const resources = replace(lake.all, lake.endpoints[1]!);
    expect(await fired(resources)).toEqual(["network-interface-endpoints", "network-interface-endpoints"]);
    expect(await messagesOf("network-interface-endpoints", resources)).toEqual([
      expect.stringContaining('aws:lambda/function:Function "worker": calls sns but its VPC has no endpoint for it'),
      'aws:lambda/function:Function "ingest": calls sns but its VPC has no endpoint for it, and its security group allows no other way out. Change `serviceName` of a new aws:ec2/vpcEndpoint:VpcEndpoint (Interface, privateDnsEnabled) in the function\'s VPC: com.amazonaws.<region>.sns (stack config: datalake:interfaceEndpoints).',
    ]);
  });
});

describe("Athena and Glue", () => {
  it("athena-workgroup-enforced: not enforced, SSE-S3 results, no cutoff", async () => {
    const lake = compliantLake();
    const resources = replace(lake.all, lake.workgroup, withInputs(lake.workgroup, { configuration: { enforceWorkgroupConfiguration: false, resultConfiguration: { encryptionConfiguration: { encryptionOption: "SSE_S3" } } } }));
    expect(await messagesOf("athena-workgroup-enforced", resources)).toEqual([
      expect.stringContaining("Change `configuration.enforceWorkgroupConfiguration`: true"),
      expect.stringContaining("writes query results with SSE_S3 and no key. Change `configuration.resultConfiguration.encryptionConfiguration`"),
      expect.stringContaining("Change `configuration.bytesScannedCutoffPerQuery`: a byte limit (at least 10485760) (stack config: datalake:athenaBytesScannedCutoffMb)"),
    ]);
  });

  it("glue-job-security-configuration: a job without one, and a configuration that leaves bookmarks unencrypted", async () => {
    const lake = compliantLake();
    const none = replace(lake.all, lake.glueJob, withoutInputs(lake.glueJob, "securityConfiguration"));
    expect(await messagesOf("glue-job-security-configuration", none)).toEqual([expect.stringContaining('aws:glue/job:Job "etl": runs without a security configuration')]);
    const weak = replace(lake.all, lake.glueSecurity, withInputs(lake.glueSecurity, { encryptionConfiguration: { s3Encryption: { s3EncryptionMode: "SSE-KMS" }, cloudwatchEncryption: { cloudwatchEncryptionMode: "SSE-KMS" }, jobBookmarksEncryption: { jobBookmarksEncryptionMode: "DISABLED" } } }));
    expect(await messagesOf("glue-job-security-configuration", weak)).toEqual([expect.stringContaining('"etl-security": used by etl, leaves job bookmarks (jobBookmarksEncryption.jobBookmarksEncryptionMode CSE-KMS) unset')]);
  });
});

describe("Production", () => {
  it("prod-data-protected: the lake bucket not protected, the key not retained; nothing in dev", async () => {
    const lake = compliantLake("prod");
    const resources = replace(replace(lake.all, lake.bucket, { ...lake.bucket, protect: false }), lake.key, { ...lake.key, retainOnDelete: false });
    expect(await messagesOf("prod-data-protected", resources)).toEqual([
      'aws:kms/key:Key "lake-key": holds production data but is not retainOnDelete. Change `opts.retainOnDelete`: true (resource options) (stack config: datalake:environment).',
      'aws:s3/bucket:Bucket "datalake-lake": holds production data but is not protect. Change `opts.protect`: true (resource options) (stack config: datalake:environment).',
    ]);
    const dev = compliantLake("dev");
    expect(await fired(replace(dev.all, dev.bucket, { ...dev.bucket, protect: false }))).toEqual([]);
  });

  it("prod-alert-emails-real: the shipped placeholder address", async () => {
    const lake = compliantLake("prod");
    const resources = replace(lake.all, lake.subscription, withInputs(lake.subscription, { endpoint: "data-oncall@example.com" }));
    expect(await messagesOf("prod-alert-emails-real", resources)).toEqual(['aws:sns/topicSubscription:TopicSubscription "alerts-email-0": sends production alerts to the placeholder data-oncall@example.com, which nobody reads. Change `endpoint`: the team\'s on-call address (stack config: datalake:alertEmails).']);
  });
});

describe("waivers", () => {
  const suspended = (lake: ReturnType<typeof compliantLake>) => replace(lake.all, lake.versioning, withInputs(lake.versioning, { versioningConfiguration: { status: "Suspended" } }));

  it("a policy-waiver:<rule> tag with a reason silences that rule on that resource and is reported", async () => {
    const lake = compliantLake();
    const resources = replace(suspended(lake), lake.bucket, withInputs(lake.bucket, { tags: { "policy-waiver:s3-versioning": "scratch bucket, objects are re-creatable" } }));
    expect(await violations(resources)).toEqual([
      expect.objectContaining({ policy: "policy-waivers", level: "advisory", message: expect.stringContaining('"datalake-lake": s3-versioning is waived (tag policy-waiver:s3-versioning): scratch bucket, objects are re-creatable') }),
    ]);
  });

  it("a waiver without a reason, or for an unknown rule, is not honoured and is flagged", async () => {
    const lake = compliantLake();
    const resources = replace(suspended(lake), lake.bucket, withInputs(lake.bucket, { tags: { "policy-waiver:s3-versioning": " ", "policy-waiver:s3-nonsense": "typo" } }));
    expect((await violations(resources)).map((violation) => [violation.policy, violation.level])).toEqual([
      ["s3-versioning", "mandatory"],
      ["policy-waivers", "advisory"],
      ["policy-waivers", "advisory"],
    ]);
  });

  it("policy/waivers.json waives a rule for a resource that takes no tags; a stale entry is flagged", async () => {
    const lake = compliantLake();
    const policy = policyJson({ Sid: "Legacy", Effect: "Deny", Principal: "*", Action: "s3:PutObject", Resource: "arn:aws:s3:::lake-bucket/*", Condition: { StringNotEqualsIfExists: { "s3:x-amz-server-side-encryption": "aws:kms" } } }, { Effect: "Deny", Principal: "*", Action: "s3:*", Resource: ["arn:aws:s3:::lake-bucket", "arn:aws:s3:::lake-bucket/*"], Condition: { Bool: { "aws:SecureTransport": "false" } } });
    const resources = replace(lake.all, lake.bucketPolicy, withInputs(lake.bucketPolicy, { policy }));
    const waivers = [
      { rule: "s3-no-ifexists-encryption-deny", resource: "lake-policy", reason: "every writer sends the header", stacks: ["dev"] },
      { rule: "s3-versioning", resource: "gone-bucket", reason: "old" },
    ];
    expect((await violations(resources, { waivers })).map((violation) => violation.message)).toEqual([
      expect.stringContaining('aws:s3/bucketPolicy:BucketPolicy "lake-policy": s3-no-ifexists-encryption-deny is waived (policy/waivers.json): every writer sends the header'),
      expect.stringContaining('policy/waivers.json waives s3-versioning for "gone-bucket", which this stack does not have'),
    ]);
  });
});

describe("values unknown at preview", () => {
  it("the engine's unknown sentinels are the ones @pulumi/policy uses", () => {
    const proxy = createRequire(import.meta.url)("@pulumi/policy/proxy") as Record<string, unknown>;
    const sentinels = Object.entries(proxy).filter(([key]) => /^unknown\w+Value$/.test(key)).map(([, value]) => value);
    expect(new Set(sentinels)).toEqual(UNKNOWN_SENTINELS);
  });

  it("stack rules still correlate through input dependencies when ARNs and names are unknown", async () => {
    // Prepare: a retention and a concurrency defect, then everything computed by AWS unknown
    const lake = compliantLake();
    const broken = replace(replace(lake.all, lake.dlq, withInputs(lake.dlq, { messageRetentionSeconds: 345_600 })), lake.job.fn, withInputs(lake.job.fn, { reservedConcurrentExecutions: -1 }));
    for (const computed of ["unknown", "absent"] as const) {
      // Act
      const found = await violations(asPreview(broken, computed));
      // Assess
      expect(found.map((violation) => violation.policy).sort()).toEqual(["lambda-scheduled-single-run", "sqs-dlq-retention-longer"]);
    }
  });

  it("documents that are unknown are not judged (checked during `up`), and nothing reads an unknown through the proxy", async () => {
    const lake = compliantLake();
    const unknownDocuments = lake.all.map((resource) => ("policy" in resource.inputs ? withInputs(resource, { policy: UNKNOWN }) : resource));
    const found = await violations(unknownDocuments);
    expect(found).toEqual([]);
  });

  it("every rule of the pack is exercised by a test in this file", () => {
    const source = readFileSync(new URL(import.meta.url), "utf8");
    const untested = [...RULES.map((rule) => rule.name), "policy-waivers"].filter((name) => !source.includes(`"${name}`) && !source.includes(`${name}:`));
    expect(untested).toEqual([]);
  });
});
