/**
 * Small factories of resources as the policy analyzer sees them, for the pack's rule tests: a
 * compliant "lake" (bucket and its configuration, key, queues, functions, network, topic, workgroup)
 * that every rule passes, and helpers to change one input so that exactly one rule fires.
 *
 * @example
 * ```ts
 * const lake = compliantLake();
 * const broken = replace(lake.all, lake.versioning, withInputs(lake.versioning, { versioningConfiguration: { status: "Suspended" } }));
 * ```
 */
import { UNKNOWN_STRING_SENTINEL } from "../policy/inputs";
import type { PolicyFixture } from "./harness/policy-run";

export const ACCOUNT = "123456789012";
export const REGION = "eu-west-1";
export const UNKNOWN = UNKNOWN_STRING_SENTINEL;

type Inputs = Record<string, unknown>;

export interface FixtureOptions {
  readonly stack?: string;
  /** Outputs AWS computes (ARNs, ids) besides the inputs. */
  readonly computed?: Inputs;
  /** Resources each input property came from. */
  readonly from?: Readonly<Record<string, readonly PolicyFixture[]>>;
  readonly protect?: boolean;
  readonly retainOnDelete?: boolean;
}

/** One resource: `inputs` for resource policies, `inputs` + `computed` for stack policies. */
export function fixture(type: string, name: string, inputs: Inputs, options: FixtureOptions = {}): PolicyFixture {
  const stack = options.stack ?? "dev";
  const propertyDependencies = Object.fromEntries(Object.entries(options.from ?? {}).map(([key, sources]) => [key, sources.map((source) => source.urn)]));
  return {
    type,
    name,
    urn: `urn:pulumi:${stack}::datalake::${type}::${name}`,
    inputs,
    outputs: { ...inputs, ...options.computed },
    ...(options.protect === undefined ? {} : { protect: options.protect }),
    ...(options.retainOnDelete === undefined ? {} : { retainOnDelete: options.retainOnDelete }),
    dependencies: [...new Set(Object.values(propertyDependencies).flat())],
    propertyDependencies,
  };
}

/** The same resource with some inputs replaced (outputs follow). */
export function withInputs(resource: PolicyFixture, patch: Inputs): PolicyFixture {
  return { ...resource, inputs: { ...resource.inputs, ...patch }, outputs: { ...resource.outputs, ...patch } };
}

/** The same resource without some inputs. */
export function withoutInputs(resource: PolicyFixture, ...keys: string[]): PolicyFixture {
  const drop = (record: Inputs) => Object.fromEntries(Object.entries(record).filter(([key]) => !keys.includes(key)));
  return { ...resource, inputs: drop(resource.inputs), outputs: drop(resource.outputs) };
}

/** `all` with `old` replaced by `replacement` (or removed). */
export function replace(all: readonly PolicyFixture[], old: PolicyFixture, replacement?: PolicyFixture): PolicyFixture[] {
  return all.flatMap((resource) => (resource.urn === old.urn ? (replacement ? [replacement] : []) : [resource]));
}

export function policyJson(...statements: Inputs[]): string {
  return JSON.stringify({ Version: "2012-10-17", Statement: statements });
}

const keyArn = `arn:aws:kms:${REGION}:${ACCOUNT}:key/lake-key-id`;
const root = `arn:aws:iam::${ACCOUNT}:root`;

/** A key policy that passes the KMS rules: root administers, services are scoped to the account. */
export function compliantKeyPolicy(): string {
  return policyJson(
    { Sid: "Root", Effect: "Allow", Principal: { AWS: root }, Action: "kms:*", Resource: "*" },
    { Sid: "S3Delivers", Effect: "Allow", Principal: { Service: "s3.amazonaws.com" }, Action: ["kms:GenerateDataKey*", "kms:Decrypt"], Resource: "*", Condition: { StringEquals: { "aws:SourceAccount": ACCOUNT } } },
    { Sid: "Logs", Effect: "Allow", Principal: { Service: `logs.${REGION}.amazonaws.com` }, Action: ["kms:Encrypt*", "kms:Decrypt*"], Resource: "*", Condition: { ArnLike: { "kms:EncryptionContext:aws:logs:arn": `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:*` } } },
  );
}

export function compliantBucketPolicy(bucketArn: string): string {
  return policyJson(
    { Sid: "DenyInsecureTransport", Effect: "Deny", Principal: "*", Action: "s3:*", Resource: [bucketArn, `${bucketArn}/*`], Condition: { Bool: { "aws:SecureTransport": "false" } } },
    { Sid: "DenyOtherEncryption", Effect: "Deny", Principal: "*", Action: "s3:PutObject", Resource: `${bucketArn}/*`, Condition: { Null: { "s3:x-amz-server-side-encryption": "false" }, StringNotEquals: { "s3:x-amz-server-side-encryption": "aws:kms" } } },
  );
}

function functionSet(name: string, key: PolicyFixture, vpc: PolicyFixture, securityGroup: PolicyFixture, statements: Inputs[], extra: Inputs = {}) {
  const role = fixture("aws:iam/role:Role", name, { assumeRolePolicy: policyJson({ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }) }, { computed: { arn: `arn:aws:iam::${ACCOUNT}:role/${name}`, id: `${name}-role`, name: `${name}-role` } });
  const rolePolicy = fixture("aws:iam/rolePolicy:RolePolicy", name, { role: `${name}-role`, policy: policyJson(...statements) }, { from: { role: [role] } });
  const logGroup = fixture("aws:cloudwatch/logGroup:LogGroup", name, { name: `/lake/${name}`, retentionInDays: 30, kmsKeyId: keyArn }, { from: { kmsKeyId: [key] }, computed: { arn: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/lake/${name}` } });
  const fn = fixture(
    "aws:lambda/function:Function",
    name,
    {
      runtime: "nodejs24.x",
      memorySize: 512,
      timeout: 60,
      role: role.outputs["arn"],
      kmsKeyArn: keyArn,
      environment: { variables: { NODE_OPTIONS: "--max-old-space-size=384", STAGE: "dev" } },
      loggingConfig: { logFormat: "JSON", logGroup: `/lake/${name}` },
      vpcConfig: { subnetIds: ["subnet-a", "subnet-b"], securityGroupIds: ["sg-lambda"] },
      reservedConcurrentExecutions: -1,
      ...extra,
    },
    { from: { role: [role], loggingConfig: [logGroup], vpcConfig: [vpc, securityGroup], kmsKeyArn: [key] }, computed: { arn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`, name } },
  );
  return { fn, role, rolePolicy, logGroup };
}

/** Every kind of resource the rules look at, configured as the rules require. */
export function compliantLake(stack = "dev") {
  const options = (extra: FixtureOptions = {}): FixtureOptions => ({ stack, ...extra });
  const key = fixture("aws:kms/key:Key", "lake-key", { enableKeyRotation: true, policy: compliantKeyPolicy() }, options({ computed: { arn: keyArn, keyId: "lake-key-id" }, protect: true, retainOnDelete: true }));
  const bucketArn = "arn:aws:s3:::lake-bucket";
  const bucket = fixture("aws:s3/bucket:Bucket", "datalake-lake", {}, options({ computed: { bucket: "lake-bucket", arn: bucketArn, id: "lake-bucket" }, protect: true, retainOnDelete: true }));
  const onBucket = (type: string, name: string, inputs: Inputs) => fixture(type, name, { bucket: "lake-bucket", ...inputs }, options({ from: { bucket: [bucket] } }));
  const publicAccess = onBucket("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "lake-public-access", { blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true });
  const encryption = onBucket("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "lake-encryption", { rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: keyArn }, bucketKeyEnabled: true }] });
  const versioning = onBucket("aws:s3/bucketVersioning:BucketVersioning", "lake-versioning", { versioningConfiguration: { status: "Enabled" } });
  const ownership = onBucket("aws:s3/bucketOwnershipControls:BucketOwnershipControls", "lake-ownership", { rule: { objectOwnership: "BucketOwnerEnforced" } });
  const bucketPolicy = onBucket("aws:s3/bucketPolicy:BucketPolicy", "lake-policy", { policy: compliantBucketPolicy(bucketArn) });
  const lifecycle = onBucket("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "lake-lifecycle", { rules: [{ id: "abort", status: "Enabled", filter: {}, abortIncompleteMultipartUpload: { daysAfterInitiation: 7 } }] });

  const vpc = fixture("awsx:ec2:Vpc", "vpc", { cidrBlock: "10.0.0.0/16" }, options({ computed: { vpcId: "vpc-1", privateSubnetIds: ["subnet-a", "subnet-b"] } }));
  const securityGroup = fixture("aws:ec2/securityGroup:SecurityGroup", "lambda", { vpcId: "vpc-1", ingress: [], egress: [{ protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["10.0.0.0/16"] }] }, options({ from: { vpcId: [vpc] }, computed: { id: "sg-lambda" } }));
  const flowLog = fixture("aws:ec2/flowLog:FlowLog", "vpc-flow", { vpcId: "vpc-1", trafficType: "ALL" }, options({ from: { vpcId: [vpc] } }));
  const endpoint = (service: string, type: "Gateway" | "Interface") =>
    fixture("aws:ec2/vpcEndpoint:VpcEndpoint", `endpoint-${service}`, { vpcId: "vpc-1", vpcEndpointType: type, serviceName: `com.amazonaws.${REGION}.${service}` }, options({ from: { vpcId: [vpc] } }));
  const endpoints = [endpoint("s3", "Gateway"), endpoint("sns", "Interface"), endpoint("athena", "Interface")];

  const queueArn = `arn:aws:sqs:${REGION}:${ACCOUNT}:work`;
  const dlq = fixture("aws:sqs/queue:Queue", "work-dlq", { kmsMasterKeyId: keyArn, messageRetentionSeconds: 1_209_600 }, options({ computed: { arn: `${queueArn}-dlq`, url: "https://sqs/work-dlq" } }));
  const queue = fixture(
    "aws:sqs/queue:Queue",
    "work",
    { kmsMasterKeyId: keyArn, messageRetentionSeconds: 345_600, visibilityTimeoutSeconds: 360, redrivePolicy: JSON.stringify({ deadLetterTargetArn: `${queueArn}-dlq`, maxReceiveCount: 3 }) },
    options({ from: { redrivePolicy: [dlq], kmsMasterKeyId: [key] }, computed: { arn: queueArn, url: "https://sqs/work" } }),
  );
  const failures = fixture("aws:sqs/queue:Queue", "ingest-failures", { kmsMasterKeyId: keyArn, messageRetentionSeconds: 1_209_600 }, options({ computed: { arn: `${queueArn}-ingest-failures` } }));
  const topicArn = `arn:aws:sns:${REGION}:${ACCOUNT}:events`;
  const topic = fixture("aws:sns/topic:Topic", "events", { kmsMasterKeyId: keyArn }, options({ computed: { arn: topicArn } }));
  const topicPolicy = fixture(
    "aws:sns/topicPolicy:TopicPolicy",
    "events-policy",
    { arn: topicArn, policy: policyJson({ Sid: "AccountPublishes", Effect: "Allow", Principal: { AWS: root }, Action: "sns:Publish", Resource: topicArn }, { Sid: "Alarms", Effect: "Allow", Principal: { Service: "cloudwatch.amazonaws.com" }, Action: "sns:Publish", Resource: topicArn, Condition: { StringEquals: { "aws:SourceAccount": ACCOUNT } } }) },
    options({ from: { arn: [topic] } }),
  );
  const subscription = fixture("aws:sns/topicSubscription:TopicSubscription", "alerts-email-0", { topic: topicArn, protocol: "email", endpoint: "oncall@lake-team.io" }, options({ from: { topic: [topic] } }));

  const worker = functionSet("worker", key, vpc, securityGroup, [
    { Sid: "ReadRaw", Effect: "Allow", Action: ["s3:GetObject"], Resource: `${bucketArn}/raw/*` },
    { Sid: "ListLake", Effect: "Allow", Action: ["s3:ListBucket"], Resource: bucketArn },
    { Sid: "Consume", Effect: "Allow", Action: ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"], Resource: queueArn },
    { Sid: "Publish", Effect: "Allow", Action: ["sns:Publish"], Resource: topicArn },
    { Sid: "Key", Effect: "Allow", Action: ["kms:Decrypt", "kms:GenerateDataKey"], Resource: keyArn },
  ]);
  const mapping = fixture("aws:lambda/eventSourceMapping:EventSourceMapping", "work-mapping", { eventSourceArn: queueArn, functionName: worker.fn.outputs["arn"], batchSize: 10 }, options({ from: { eventSourceArn: [queue], functionName: [worker.fn] } }));

  const ingest = functionSet("ingest", key, vpc, securityGroup, [
    { Sid: "Publish", Effect: "Allow", Action: ["sns:Publish"], Resource: topicArn },
    { Sid: "Failures", Effect: "Allow", Action: ["sqs:SendMessage"], Resource: failures.outputs["arn"] },
  ]);
  const permission = fixture("aws:lambda/permission:Permission", "ingest-from-lake", { action: "lambda:InvokeFunction", function: "ingest", principal: "s3.amazonaws.com", sourceArn: bucketArn }, options({ from: { function: [ingest.fn], sourceArn: [bucket] } }));
  const notification = fixture("aws:s3/bucketNotification:BucketNotification", "raw-objects", { bucket: "lake-bucket", lambdaFunctions: [{ lambdaFunctionArn: ingest.fn.outputs["arn"], events: ["s3:ObjectCreated:*"] }] }, options({ from: { bucket: [bucket], lambdaFunctions: [ingest.fn] } }));
  const ingestAsync = fixture("aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig", "ingest-async", { functionName: "ingest", destinationConfig: { onFailure: { destination: failures.outputs["arn"] } } }, options({ from: { functionName: [ingest.fn], destinationConfig: [failures] } }));

  const job = functionSet("job", key, vpc, securityGroup, [{ Sid: "Query", Effect: "Allow", Action: ["athena:StartQueryExecution", "athena:GetQueryExecution"], Resource: `arn:aws:athena:${REGION}:${ACCOUNT}:workgroup/lake` }, { Sid: "Catalog", Effect: "Allow", Action: ["glue:GetTable"], Resource: `arn:aws:glue:${REGION}:${ACCOUNT}:catalog` }], { reservedConcurrentExecutions: 1 });
  const rule = fixture("aws:cloudwatch/eventRule:EventRule", "job-schedule", { scheduleExpression: "cron(30 2 * * ? *)" }, options({ computed: { name: "job-schedule", arn: `arn:aws:events:${REGION}:${ACCOUNT}:rule/job-schedule` } }));
  const target = fixture("aws:cloudwatch/eventTarget:EventTarget", "job-schedule", { rule: "job-schedule", arn: job.fn.outputs["arn"] }, options({ from: { rule: [rule], arn: [job.fn] } }));
  const jobFailures = fixture("aws:sqs/queue:Queue", "job-failures", { kmsMasterKeyId: keyArn }, options({ computed: { arn: `${queueArn}-job-failures` } }));
  const jobAsync = fixture("aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig", "job-async", { functionName: "job", destinationConfig: { onFailure: { destination: jobFailures.outputs["arn"] } } }, options({ from: { functionName: [job.fn], destinationConfig: [jobFailures] } }));
  const vpcAccess = fixture("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "worker-vpc-access", { role: "worker-role", policyArn: "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole" }, options({ from: { role: [worker.role] } }));

  const workgroup = fixture(
    "aws:athena/workgroup:Workgroup",
    "lake",
    { name: "lake", configuration: { enforceWorkgroupConfiguration: true, bytesScannedCutoffPerQuery: 1_073_741_824, resultConfiguration: { outputLocation: "s3://results/", encryptionConfiguration: { encryptionOption: "SSE_KMS", kmsKeyArn: keyArn } } } },
    options(),
  );
  const glueSecurity = fixture("aws:glue/securityConfiguration:SecurityConfiguration", "etl-security", { name: "etl-security", encryptionConfiguration: { s3Encryption: { s3EncryptionMode: "SSE-KMS", kmsKeyArn: keyArn }, cloudwatchEncryption: { cloudwatchEncryptionMode: "SSE-KMS", kmsKeyArn: keyArn }, jobBookmarksEncryption: { jobBookmarksEncryptionMode: "CSE-KMS", kmsKeyArn: keyArn } } }, options());
  const glueJob = fixture("aws:glue/job:Job", "etl", { roleArn: "arn:aws:iam::123456789012:role/etl", command: { scriptLocation: "s3://scripts/etl.py" }, securityConfiguration: "etl-security" }, options({ from: { securityConfiguration: [glueSecurity] } }));

  const functions = [worker, ingest, job].flatMap((set) => [set.fn, set.role, set.rolePolicy, set.logGroup]);
  const all = [
    key, bucket, publicAccess, encryption, versioning, ownership, bucketPolicy, lifecycle,
    vpc, securityGroup, flowLog, ...endpoints,
    dlq, queue, failures, jobFailures, topic, topicPolicy, subscription,
    ...functions, mapping, permission, notification, ingestAsync, rule, target, jobAsync, vpcAccess,
    workgroup, glueSecurity, glueJob,
  ];
  return {
    all, key, bucket, publicAccess, encryption, versioning, ownership, bucketPolicy, lifecycle,
    vpc, securityGroup, flowLog, endpoints, dlq, queue, failures, topic, topicPolicy, subscription,
    worker, ingest, job, mapping, permission, notification, ingestAsync, rule, target, jobAsync, vpcAccess,
    workgroup, glueSecurity, glueJob,
  };
}
