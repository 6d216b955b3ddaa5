/**
 * The policy model of a stack, built from the resources the program declares (recorded under Pulumi
 * mocks): who may call AWS (each function's role with its inline and managed policies, plus the
 * principals a test declares, each with its own access key), the resource policies of buckets,
 * queues, topics and keys, the VPC endpoints a function's requests go through with their policies,
 * and which KMS key encrypts each bucket, topic and queue. Declared identifiers are mapped to the
 * emulator's through the data plane's `Substitutions`, so the model speaks the same ARNs as the
 * requests the local endpoint sees.
 *
 * Why: the local policy endpoint (./endpoint.ts) evaluates every request against exactly these
 * documents, so a policy mistake in the program fails locally as it would on AWS.
 *
 * @example
 * ```ts
 * const run = await runProgram("dev");
 * const plane = await provisionDataPlane(run, endpoint);
 * const model = policyModelFromRun(run, plane, {
 *   principals: [{ name: "producer", policies: [{ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:PutObject", Resource: "arn:aws:s3:::datalake-lake-mock/raw/*" }] }] }],
 * });
 * principalNamed(model, "datalake-processor").identityPolicies.length; // inline + AWSLambdaVPCAccessExecutionRole
 * ```
 */
import { createHash } from "node:crypto";
import type { PolicyDocument } from "../../../iam/documents";
import { MOCK_ACCOUNT_ID, type RecordedResource } from "../mocks";
import type { ProgramRun } from "../program";
import { ownerOf, type DataPlane } from "../provision";
import { KNOWN_MANAGED_POLICIES } from "./managed-policies";

export interface NamedPolicy {
  /** Shown in decisions, e.g. `inline:datalake-processor`, `bucket:datalake-lake-mock`. */
  readonly name: string;
  readonly document: PolicyDocument;
}

export interface VpcEndpointModel {
  /** The endpoint's id (`aws:SourceVpce`). */
  readonly id: string;
  /** `aws:SourceVpc`. */
  readonly vpcId: string;
  /** The service prefix it serves, e.g. `s3`. */
  readonly service: string;
  readonly type: "Gateway" | "Interface";
  /** Absent: the endpoint allows everything (AWS's default endpoint policy is full access). */
  readonly policy?: NamedPolicy;
}

export interface Principal {
  /** The name tests and the lead use: a declared function's name (`datalake-processor`) or a declared principal's. */
  readonly name: string;
  readonly kind: "role" | "user";
  /** `aws:PrincipalArn`: the role or user ARN. */
  readonly arn: string;
  /** The caller as AWS names it in errors: the assumed-role session ARN for roles, the user ARN for users. */
  readonly callerArn: string;
  /** `aws:userid`: `AROA…:<session>` for role sessions, `AIDA…` for users. */
  readonly userId: string;
  readonly accountId: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  readonly identityPolicies: readonly NamedPolicy[];
  /** VPC endpoints this principal's requests go through, one per service at most. */
  readonly endpoints: readonly VpcEndpointModel[];
  /** The harness's own principal: its requests are logged but not evaluated. */
  readonly admin: boolean;
}

export interface BucketEncryption {
  readonly algorithm: "aws:kms" | "AES256";
  /** The default key, for `aws:kms`. */
  readonly keyArn?: string;
  readonly bucketKeyEnabled: boolean;
}

export interface PolicyModel {
  readonly accountId: string;
  readonly region: string;
  readonly partition: string;
  readonly principals: readonly Principal[];
  /** Resource policies by resource ARN: bucket ARN, queue ARN, topic ARN, key ARN. */
  readonly resourcePolicies: Readonly<Record<string, NamedPolicy>>;
  /** Default encryption by bucket name. */
  readonly bucketEncryption: Readonly<Record<string, BucketEncryption>>;
  /** Topic ARN → ARN of the customer managed key encrypting it. */
  readonly topicKeys: Readonly<Record<string, string>>;
  /** Queue ARN → ARN of the customer managed key encrypting it. */
  readonly queueKeys: Readonly<Record<string, string>>;
  /** Bucket name → owning account, for buckets of other accounts (others belong to `accountId`). */
  readonly foreignBuckets: Readonly<Record<string, string>>;
  /** What the model could not take from the declarations, each with the reason. */
  readonly notes: readonly string[];
}

export interface PrincipalDeclaration {
  readonly name: string;
  /** Default `role`. */
  readonly kind?: "role" | "user";
  /** Default: the stack's account. */
  readonly accountId?: string;
  /** Identity policies; declared ARNs in them are mapped to the emulator's. */
  readonly policies?: readonly (PolicyDocument | NamedPolicy)[];
  /** Send requests through the VPC endpoints of this declared function, as code running beside it would. */
  readonly networkOf?: string;
  readonly admin?: boolean;
}

export interface PolicyModelOptions {
  /** Principals besides the functions' roles: producers, a CI smoke-test principal, …. */
  readonly principals?: readonly PrincipalDeclaration[];
  /** The harness principal whose requests bypass evaluation (logged). Default `admin`. */
  readonly adminName?: string;
  /** Buckets of other accounts a test refers to: bucket name → account id. */
  readonly foreignBuckets?: Readonly<Record<string, string>>;
  /** Resource policies to add or replace, by resource ARN (e.g. a foreign bucket's policy). */
  readonly resourcePolicies?: Readonly<Record<string, PolicyDocument>>;
  /** Contents of managed policies besides ./managed-policies.ts, by policy ARN. */
  readonly managedPolicies?: Readonly<Record<string, PolicyDocument>>;
}

const T = {
  role: "aws:iam/role:Role",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  attachment: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
  customerPolicy: "aws:iam/policy:Policy",
  fn: "aws:lambda/function:Function",
  bucket: "aws:s3/bucket:Bucket",
  bucketPolicy: "aws:s3/bucketPolicy:BucketPolicy",
  bucketEncryption: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
  queue: "aws:sqs/queue:Queue",
  queuePolicy: "aws:sqs/queuePolicy:QueuePolicy",
  topic: "aws:sns/topic:Topic",
  topicPolicy: "aws:sns/topicPolicy:TopicPolicy",
  key: "aws:kms/key:Key",
  alias: "aws:kms/alias:Alias",
  endpoint: "aws:ec2/vpcEndpoint:VpcEndpoint",
  securityGroup: "aws:ec2/securityGroup:SecurityGroup",
  vpc: "awsx:ec2:Vpc",
} as const;

/**
 * The key policy KMS gives a key created without one: the account's root principal may do
 * everything, which delegates the key's use to IAM policies (AWS KMS Developer Guide, "Default key
 * policy", https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html).
 */
export function defaultKeyPolicy(accountId: string, partition = "aws"): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [{ Sid: "Enable IAM User Permissions", Effect: "Allow", Principal: { AWS: `arn:${partition}:iam::${accountId}:root` }, Action: "kms:*", Resource: "*" }],
  };
}

function digest(text: string, length: number): string {
  return createHash("sha256").update(text).digest("hex").toUpperCase().slice(0, length);
}

/** Deterministic credentials per principal name, so logs and environments are reproducible. */
function credentialsFor(name: string): Principal["credentials"] {
  return { accessKeyId: `AKIA${digest(`access:${name}`, 16)}`, secretAccessKey: createHash("sha256").update(`secret:${name}`).digest("base64").slice(0, 40) };
}

function isNamedPolicy(policy: PolicyDocument | NamedPolicy): policy is NamedPolicy {
  return "document" in policy;
}

function parsePolicy(text: string): PolicyDocument {
  return JSON.parse(text) as PolicyDocument;
}

interface RouteTableAssociation {
  readonly subnetId: string;
  readonly routeTableId: string;
}

/** Builds the endpoints a function in `vpcConfig` sends its requests through. */
function endpointsOfFunction(run: ProgramRun, vpcConfig: { subnetIds?: string[]; securityGroupIds?: string[] } | undefined, endpoints: readonly (VpcEndpointModel & { routeTableIds: readonly string[]; privateDns: boolean })[]): VpcEndpointModel[] {
  const subnetIds = vpcConfig?.subnetIds ?? [];
  if (subnetIds.length === 0) return [];
  const groups = run.all(T.securityGroup).filter((group) => (vpcConfig?.securityGroupIds ?? []).includes(group.id));
  const vpcIds = new Set(groups.map((group) => String(group.inputs.vpcId)));
  const associations = run.all(T.vpc).flatMap((vpc) => (vpc.state.routeTableAssociations ?? []) as RouteTableAssociation[]);
  const routeTables = new Set(associations.filter((association) => subnetIds.includes(association.subnetId)).map((association) => association.routeTableId));
  const reached = endpoints.filter((endpoint) => {
    if (endpoint.type === "Gateway") {
      // A gateway endpoint serves the subnets whose route tables it is associated with (Amazon VPC, "Gateway endpoints").
      return routeTables.size > 0 ? endpoint.routeTableIds.some((id) => routeTables.has(id)) : vpcIds.has(endpoint.vpcId);
    }
    // An interface endpoint with private DNS takes the service's default DNS name for the whole VPC.
    return endpoint.privateDns && vpcIds.has(endpoint.vpcId);
  });
  const byService = new Map<string, VpcEndpointModel>();
  for (const { routeTableIds: _routes, privateDns: _dns, ...endpoint } of reached) if (!byService.has(endpoint.service)) byService.set(endpoint.service, endpoint);
  return [...byService.values()];
}

/**
 * Builds the policy model of a program run whose data plane was provisioned as `plane`.
 *
 * Unknown managed policies contribute nothing (noted in `notes`): the endpoint is then stricter than
 * AWS, never more lenient. AWS managed keys (`alias/aws/…`) are left out of the encryption maps:
 * their key policies allow every principal of the account through the owning service.
 *
 * @param plane - only its `substitutions` are used; pass `{ substitutions: new Substitutions() }` to
 *   model the declared identifiers as they are.
 * @throws when two principals share a name, or a declared principal copies the network of an unknown function.
 */
export function policyModelFromRun(run: ProgramRun, plane: Pick<DataPlane, "substitutions">, options: PolicyModelOptions = {}): PolicyModel {
  const { substitutions } = plane;
  const accountId = MOCK_ACCOUNT_ID;
  const region = run.config["aws:region"] ?? "us-east-1";
  const partition = "aws";
  const notes: string[] = [];
  const mapped = (document: PolicyDocument): PolicyDocument => substitutions.applyDeep(document);

  // KMS keys and their references (ARN, key id, alias).
  const keys = run.all(T.key);
  const keyArnOf = (reference: string | undefined, what: string): string | undefined => {
    if (!reference) return undefined;
    const key = keys.find((candidate) => [candidate.id, candidate.state.arn, candidate.state.keyId].includes(reference));
    if (key) return substitutions.apply(key.state.arn);
    const alias = run.all(T.alias).find((candidate) => candidate.inputs.name === reference || candidate.state.arn === reference);
    if (alias) return keyArnOf(alias.inputs.targetKeyId, what);
    if (reference.startsWith("alias/aws/")) {
      notes.push(`${what}: encrypted with the AWS managed key ${reference}, whose policy allows the account's principals through the service; no KMS check is modelled`);
      return undefined;
    }
    if (reference.startsWith("arn:")) return substitutions.apply(reference);
    notes.push(`${what}: key reference ${reference} matches no declared key; no KMS check is modelled`);
    return undefined;
  };

  const resourcePolicies: Record<string, NamedPolicy> = {};
  for (const key of keys) {
    const arn = substitutions.apply(key.state.arn);
    resourcePolicies[arn] = { name: `key:${key.name}`, document: key.inputs.policy ? mapped(parsePolicy(key.inputs.policy)) : defaultKeyPolicy(accountId, partition) };
  }
  const buckets = run.all(T.bucket);
  const bucketName = (reference: string): string | undefined => ownerOf(buckets, reference)?.state.bucket;
  for (const policy of run.all(T.bucketPolicy)) {
    const bucket = bucketName(policy.inputs.bucket);
    if (!bucket) notes.push(`${policy.name}: its bucket ${policy.inputs.bucket} is not declared; policy left out`);
    else resourcePolicies[`arn:${partition}:s3:::${bucket}`] = { name: `bucket:${bucket}`, document: mapped(parsePolicy(policy.inputs.policy)) };
  }
  const queues = run.all(T.queue);
  for (const policy of run.all(T.queuePolicy)) {
    const queue = ownerOf(queues, policy.inputs.queueUrl);
    if (!queue) notes.push(`${policy.name}: its queue ${policy.inputs.queueUrl} is not declared; policy left out`);
    else resourcePolicies[substitutions.apply(queue.state.arn)] = { name: `queue:${queue.name}`, document: mapped(parsePolicy(policy.inputs.policy)) };
  }
  for (const policy of run.all(T.topicPolicy)) {
    resourcePolicies[substitutions.apply(policy.inputs.arn)] = { name: `topic:${policy.name}`, document: mapped(parsePolicy(policy.inputs.policy)) };
  }
  for (const [arn, document] of Object.entries(options.resourcePolicies ?? {})) resourcePolicies[substitutions.apply(arn)] = { name: `declared:${arn}`, document: mapped(document) };

  const bucketEncryption: Record<string, BucketEncryption> = {};
  for (const encryption of run.all(T.bucketEncryption)) {
    const bucket = bucketName(encryption.inputs.bucket);
    const rule = (encryption.inputs.rules as Array<{ applyServerSideEncryptionByDefault?: { sseAlgorithm: string; kmsMasterKeyId?: string }; bucketKeyEnabled?: boolean }>)[0];
    const defaults = rule?.applyServerSideEncryptionByDefault;
    if (!bucket || !defaults) continue;
    const algorithm = defaults.sseAlgorithm === "aws:kms" ? "aws:kms" : "AES256";
    // SSE-KMS without a key id uses the AWS managed key aws/s3.
    const keyArn = algorithm === "aws:kms" ? keyArnOf(defaults.kmsMasterKeyId ?? "alias/aws/s3", `bucket ${bucket}`) : undefined;
    bucketEncryption[bucket] = { algorithm, ...(keyArn ? { keyArn } : {}), bucketKeyEnabled: rule?.bucketKeyEnabled === true };
  }
  const topicKeys: Record<string, string> = {};
  for (const topic of run.all(T.topic)) {
    const keyArn = keyArnOf(topic.inputs.kmsMasterKeyId, `topic ${topic.name}`);
    if (keyArn) topicKeys[substitutions.apply(topic.state.arn)] = keyArn;
  }
  const queueKeys: Record<string, string> = {};
  for (const queue of queues) {
    const keyArn = keyArnOf(queue.inputs.kmsMasterKeyId, `queue ${queue.name}`);
    if (keyArn) queueKeys[substitutions.apply(queue.state.arn)] = keyArn;
  }

  const endpoints = run.all(T.endpoint).map((endpoint) => ({
    id: endpoint.id,
    vpcId: String(endpoint.inputs.vpcId),
    service: String(endpoint.inputs.serviceName).split(".").pop()!,
    type: endpoint.inputs.vpcEndpointType === "Interface" ? ("Interface" as const) : ("Gateway" as const),
    ...(endpoint.inputs.policy ? { policy: { name: `vpce:${endpoint.id}`, document: mapped(parsePolicy(endpoint.inputs.policy)) } } : {}),
    routeTableIds: (endpoint.inputs.routeTableIds ?? []) as string[],
    privateDns: endpoint.inputs.privateDnsEnabled !== false,
  }));

  // Identity policies of a role: inline documents and managed policies attached to it.
  const roles = run.all(T.role);
  const roleOf = (reference: string): RecordedResource | undefined => roles.find((role) => [role.id, role.name, role.state.arn, role.state.name].includes(reference));
  const managed = { ...KNOWN_MANAGED_POLICIES, ...(options.managedPolicies ?? {}) };
  const customerPolicies = run.all(T.customerPolicy);
  const identityPoliciesOf = (role: RecordedResource): NamedPolicy[] => {
    const inline = run
      .all(T.rolePolicy)
      .filter((policy) => roleOf(policy.inputs.role) === role)
      .map((policy) => ({ name: `inline:${policy.name}`, document: mapped(parsePolicy(policy.inputs.policy)) }));
    const attached = run
      .all(T.attachment)
      .filter((attachment) => roleOf(attachment.inputs.role) === role)
      .flatMap((attachment): NamedPolicy[] => {
        const arn: string = attachment.inputs.policyArn;
        const customer = customerPolicies.find((policy) => policy.state.arn === arn || policy.id === arn);
        if (customer) return [{ name: `managed:${customer.name}`, document: mapped(parsePolicy(customer.inputs.policy)) }];
        if (managed[arn]) return [{ name: `managed:${arn.split("/").pop()}`, document: managed[arn]! }];
        notes.push(`${role.name}: managed policy ${arn} has no known content; it grants nothing here`);
        return [];
      });
    return [...inline, ...attached];
  };

  const principals: Principal[] = [];
  const add = (principal: Principal): void => {
    if (principals.some((existing) => existing.name === principal.name)) throw new Error(`Two principals are named ${principal.name}`);
    principals.push(principal);
  };
  const functions = run.all(T.fn);
  for (const fn of functions) {
    const role = roleOf(fn.inputs.role);
    if (!role) {
      notes.push(`${fn.name}: its role ${fn.inputs.role} is not declared; no principal`);
      continue;
    }
    const roleName: string = role.state.name;
    const session: string = fn.state.name;
    add({
      name: fn.name,
      kind: "role",
      arn: substitutions.apply(role.state.arn),
      // Lambda names the execution role's session after the function.
      callerArn: `arn:${partition}:sts::${accountId}:assumed-role/${roleName}/${session}`,
      userId: `AROA${digest(`role:${roleName}`, 17)}:${session}`,
      accountId,
      credentials: credentialsFor(fn.name),
      identityPolicies: identityPoliciesOf(role),
      endpoints: endpointsOfFunction(run, fn.inputs.vpcConfig, endpoints),
      admin: false,
    });
  }

  const adminName = options.adminName ?? "admin";
  const declarations: PrincipalDeclaration[] = [{ name: adminName, kind: "user", admin: true }, ...(options.principals ?? [])];
  for (const declaration of declarations) {
    const kind = declaration.kind ?? "role";
    const principalAccount = declaration.accountId ?? accountId;
    const arn = `arn:${partition}:iam::${principalAccount}:${kind}/${declaration.name}`;
    let network: readonly VpcEndpointModel[] = [];
    if (declaration.networkOf !== undefined) {
      const twin = principals.find((principal) => principal.name === declaration.networkOf);
      if (!twin) throw new Error(`${declaration.name}: networkOf names ${declaration.networkOf}, which is no declared function`);
      network = twin.endpoints;
    }
    add({
      name: declaration.name,
      kind,
      arn,
      callerArn: kind === "role" ? `arn:${partition}:sts::${principalAccount}:assumed-role/${declaration.name}/${declaration.name}` : arn,
      userId: kind === "role" ? `AROA${digest(`role:${declaration.name}`, 17)}:${declaration.name}` : `AIDA${digest(`user:${declaration.name}`, 17)}`,
      accountId: principalAccount,
      credentials: credentialsFor(declaration.name),
      identityPolicies: (declaration.policies ?? []).map((policy, index) =>
        isNamedPolicy(policy) ? { name: policy.name, document: mapped(policy.document) } : { name: `${declaration.name}:${index + 1}`, document: mapped(policy) },
      ),
      endpoints: network,
      admin: declaration.admin === true,
    });
  }

  return { accountId, region, partition, principals, resourcePolicies, bucketEncryption, topicKeys, queueKeys, foreignBuckets: { ...(options.foreignBuckets ?? {}) }, notes };
}

/** @throws when the model has no principal of that name. */
export function principalNamed(model: PolicyModel, name: string): Principal {
  const principal = model.principals.find((candidate) => candidate.name === name);
  if (!principal) throw new Error(`No principal named ${name}; known: ${model.principals.map((candidate) => candidate.name).join(", ")}`);
  return principal;
}

export function principalForAccessKey(model: PolicyModel, accessKeyId: string): Principal | undefined {
  return model.principals.find((principal) => principal.credentials.accessKeyId === accessKeyId);
}

/** The account a bucket belongs to (S3 ARNs carry none). */
export function bucketAccount(model: PolicyModel, bucket: string): string {
  return model.foreignBuckets[bucket] ?? model.accountId;
}

/**
 * The resource policy governing a resource: a bucket's for the bucket and its objects, otherwise the
 * one attached to exactly that ARN.
 */
export function resourcePolicyFor(model: PolicyModel, resourceArn: string): NamedPolicy | undefined {
  const s3 = /^arn:[^:]+:s3:::([^/]+)/.exec(resourceArn);
  return s3 ? model.resourcePolicies[`arn:${model.partition}:s3:::${s3[1]}`] : model.resourcePolicies[resourceArn];
}
