/**
 * The network layer's resources as the whole program registers them under mocks, for dev and prod:
 * the VPC's inputs, every security group rule, the endpoints and their policies, the data ACL,
 * flow logs, outputs and the cost the declared resources add up to.
 */
import { beforeAll, describe, expect, test } from "vitest";
import { runProgram, type ProgramRun } from "./harness/program.js";
import { MOCK_ACCOUNT_ID } from "./harness/mocks.js";
import { stackConfig } from "./harness/stack-config.js";
import { REQUIRED_INTERFACE_ENDPOINTS } from "../network/endpoints.js";
import { natGatewayCount, networkMonthlyCost } from "../network/cost.js";

const VPC = "awsx:ec2:Vpc";
const SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup";
const ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint";
const ACL = "aws:ec2/networkAcl:NetworkAcl";
const LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup";

/** What each stack file declares, read independently of the program. */
const EXPECTED = {
  dev: { zones: 2, nat: "Single", cidr: "10.10.0.0/16", retention: 14, endpoints: ["sns", "athena", "glue", "sqs", "logs", "kms"] },
  prod: { zones: 3, nat: "OnePerAz", cidr: "10.20.0.0/16", retention: 365, endpoints: ["sns", "sqs", "logs", "kms", "sts", "athena", "glue", "monitoring"] },
} as const;

const runs: Record<string, ProgramRun> = {};

beforeAll(async () => {
  runs.dev = await runProgram("dev");
  runs.prod = await runProgram("prod");
});

/** Every CIDR mentioned anywhere in a resource's inputs. */
function cidrsIn(value: unknown): string[] {
  if (typeof value === "string") return /^\d+\.\d+\.\d+\.\d+\/\d+$/.test(value) ? [value] : [];
  if (Array.isArray(value)) return value.flatMap(cidrsIn);
  if (value !== null && typeof value === "object") return Object.values(value).flatMap(cidrsIn);
  return [];
}

describe.each(["dev", "prod"] as const)("network of stack %s", (stack) => {
  const run = () => runs[stack]!;
  const expected = EXPECTED[stack];

  test("the stack file declares what this test expects", () => {
    // Guards the table above against silently drifting from Pulumi.<stack>.yaml.
    const config = stackConfig(stack);
    expect(Number(config["datalake:availabilityZones"])).toBe(expected.zones);
    expect(config["datalake:natStrategy"]).toBe(expected.nat);
    expect(JSON.parse(config["datalake:interfaceEndpoints"]!)).toEqual(expected.endpoints);
  });

  test("gives the VPC the stack's zones, CIDR, three subnet tiers and NAT strategy", () => {
    const vpc = run().one(VPC);
    expect(vpc.inputs.cidrBlock).toBe(expected.cidr);
    expect(vpc.inputs.numberOfAvailabilityZones).toBe(expected.zones);
    expect(vpc.inputs.natGateways).toEqual({ strategy: expected.nat });
    expect(vpc.inputs.subnetStrategy).toBe("Auto");
    expect(vpc.inputs.subnetSpecs).toEqual([
      { type: "Public", name: "public", cidrMask: 24 },
      { type: "Private", name: "private", cidrMask: 20 },
      { type: "Isolated", name: "data", cidrMask: 22 },
    ]);
    expect(vpc.inputs.enableDnsHostnames).toBe(true);
    expect(vpc.inputs.enableDnsSupport).toBe(true);
  });

  test("no security group rule anywhere opens 0.0.0.0/0 or ::/0", () => {
    const groups = run().all(SECURITY_GROUP);
    expect(groups.length).toBeGreaterThan(0);
    for (const group of groups) {
      for (const rule of [...(group.inputs.ingress ?? []), ...(group.inputs.egress ?? [])]) {
        expect(rule.cidrBlocks ?? [], `${group.name}: ${rule.description}`).not.toContain("0.0.0.0/0");
        expect(rule.ipv6CidrBlocks ?? [], `${group.name}: ${rule.description}`).not.toContain("::/0");
      }
    }
    const standaloneRules = run().resources.filter((resource) => /securityGroup(Ingress|Egress)?Rule/.test(resource.type));
    expect(standaloneRules).toEqual([]);
  });

  test("every security group rule has a description", () => {
    for (const group of run().all(SECURITY_GROUP)) {
      expect(group.inputs.description, group.name).toEqual(expect.any(String));
      for (const rule of [...(group.inputs.ingress ?? []), ...(group.inputs.egress ?? [])]) {
        expect(rule.description?.length ?? 0, `${group.name} rule ${JSON.stringify(rule)}`).toBeGreaterThan(10);
      }
    }
  });

  test("the Lambda group has no ingress and egress only HTTPS to the VPC and the S3 and DynamoDB prefix lists", () => {
    const lambda = run().one(SECURITY_GROUP, "datalake-lambda");
    const s3 = run().one(ENDPOINT, "datalake-s3");
    const dynamodb = run().one(ENDPOINT, "datalake-dynamodb");
    expect(lambda.inputs.ingress).toEqual([]);
    const egress = lambda.inputs.egress as { protocol: string; fromPort: number; toPort: number; cidrBlocks?: string[]; prefixListIds?: string[] }[];
    expect(egress.map((rule) => [rule.protocol, rule.fromPort, rule.toPort])).toEqual(egress.map(() => ["tcp", 443, 443]));
    expect(egress.flatMap((rule) => rule.cidrBlocks ?? [])).toEqual([expected.cidr]);
    expect(egress.flatMap((rule) => rule.prefixListIds ?? []).sort()).toEqual([s3.state.prefixListId, dynamodb.state.prefixListId].sort());
    expect(s3.state.prefixListId).toMatch(/^pl-/);
  });

  test("the endpoint group admits HTTPS only from the Lambda and Glue groups and sends nothing", () => {
    const endpoints = run().one(SECURITY_GROUP, "datalake-endpoints");
    const lambda = run().one(SECURITY_GROUP, "datalake-lambda");
    const glue = run().one(SECURITY_GROUP, "datalake-glue");
    expect(endpoints.inputs.egress).toEqual([]);
    expect(endpoints.inputs.ingress).toEqual([
      { description: expect.any(String), protocol: "tcp", fromPort: 443, toPort: 443, securityGroups: [lambda.id] },
      { description: expect.any(String), protocol: "tcp", fromPort: 443, toPort: 443, securityGroups: [glue.id] },
    ]);
  });

  test("the Glue group admits only its own workers and reaches only them, the VPC's endpoints and S3", () => {
    const glue = run().one(SECURITY_GROUP, "datalake-glue");
    const s3 = run().one(ENDPOINT, "datalake-s3");
    expect(glue.inputs.ingress).toEqual([{ description: expect.any(String), protocol: "tcp", fromPort: 0, toPort: 65535, self: true }]);
    expect(glue.inputs.egress).toEqual([
      { description: expect.any(String), protocol: "tcp", fromPort: 0, toPort: 65535, self: true },
      { description: expect.any(String), protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: [expected.cidr] },
      { description: expect.any(String), protocol: "tcp", fromPort: 443, toPort: 443, prefixListIds: [s3.state.prefixListId] },
    ]);
  });

  test("puts S3 and DynamoDB gateway endpoints on the private and data route tables only", () => {
    const vpc = run().one(VPC);
    const routeTableOf = new Map<string, string>(vpc.state.routeTableAssociations.map((a: { subnetId: string; routeTableId: string }) => [a.subnetId, a.routeTableId]));
    const expectedTables = [...vpc.state.privateSubnetIds, ...vpc.state.isolatedSubnetIds].map((subnet: string) => routeTableOf.get(subnet));
    const publicTables = vpc.state.publicSubnetIds.map((subnet: string) => routeTableOf.get(subnet));
    for (const service of ["s3", "dynamodb"]) {
      const endpoint = run().one(ENDPOINT, `datalake-${service}`);
      expect(endpoint.inputs.vpcEndpointType).toBe("Gateway");
      expect(endpoint.inputs.vpcId).toBe(vpc.state.vpcId);
      expect(endpoint.inputs.serviceName).toBe(`com.amazonaws.eu-west-1.${service}`);
      expect([...endpoint.inputs.routeTableIds].sort()).toEqual([...expectedTables].sort());
      expect(endpoint.inputs.routeTableIds).toHaveLength(2 * expected.zones);
      for (const table of publicTables) expect(endpoint.inputs.routeTableIds).not.toContain(table);
    }
  });

  test("gateway endpoint policies allow only this account's principals and resources", () => {
    for (const service of ["s3", "dynamodb"]) {
      const policy = JSON.parse(run().one(ENDPOINT, `datalake-${service}`).inputs.policy);
      expect(policy.Statement).toHaveLength(1);
      const [statement] = policy.Statement;
      expect(statement.Effect).toBe("Allow");
      expect(statement.Action).toBe(`${service}:*`);
      expect(statement.Condition).toEqual({ StringEquals: { "aws:PrincipalAccount": MOCK_ACCOUNT_ID, "aws:ResourceAccount": MOCK_ACCOUNT_ID } });
    }
  });

  test("creates exactly the stack's interface endpoints, private DNS on, in the private subnets behind the endpoint group", () => {
    const vpc = run().one(VPC);
    const endpointGroup = run().one(SECURITY_GROUP, "datalake-endpoints");
    const interfaces = run().all(ENDPOINT).filter((endpoint) => endpoint.inputs.vpcEndpointType === "Interface");
    expect(interfaces.map((endpoint) => endpoint.inputs.serviceName)).toEqual(expected.endpoints.map((service) => `com.amazonaws.eu-west-1.${service}`));
    for (const endpoint of interfaces) {
      expect(endpoint.inputs.privateDnsEnabled).toBe(true);
      expect(endpoint.inputs.subnetIds).toEqual(vpc.state.privateSubnetIds);
      expect(endpoint.inputs.securityGroupIds).toEqual([endpointGroup.id]);
    }
  });

  test("the data subnets' ACL admits only the VPC CIDR, with ephemeral ports for replies", () => {
    const vpc = run().one(VPC);
    const acl = run().one(ACL, "datalake-data");
    expect(acl.inputs.subnetIds).toEqual(vpc.state.isolatedSubnetIds);
    expect(new Set(cidrsIn(acl.inputs))).toEqual(new Set([expected.cidr]));
    const rules = [...acl.inputs.ingress, ...acl.inputs.egress];
    expect(rules.every((rule: { action: string }) => rule.action === "allow")).toBe(true);
    expect(acl.inputs.egress).toContainEqual(expect.objectContaining({ protocol: "tcp", fromPort: 1024, toPort: 65535, cidrBlock: expected.cidr }));
    expect(acl.inputs.ingress).toEqual([expect.objectContaining({ protocol: "-1", cidrBlock: expected.cidr })]);
    for (const rule of acl.inputs.ingress) expect(acl.inputs.tags[`rule-ingress-${rule.ruleNo}`]).toEqual(expect.any(String));
    for (const rule of acl.inputs.egress) expect(acl.inputs.tags[`rule-egress-${rule.ruleNo}`]).toEqual(expect.any(String));
  });

  test("sends all flow logs to a log group with the stack's retention, through a role limited to that group", () => {
    const vpc = run().one(VPC);
    const group = run().one(LOG_GROUP, "datalake-flow-logs");
    const flowLog = run().one("aws:ec2/flowLog:FlowLog", "datalake-flow-logs");
    const role = run().one("aws:iam/role:Role", "datalake-flow-logs");
    const policy = JSON.parse(run().one("aws:iam/rolePolicy:RolePolicy", "datalake-flow-logs").inputs.policy);
    expect(group.inputs.retentionInDays).toBe(expected.retention);
    expect(flowLog.inputs).toMatchObject({ vpcId: vpc.state.vpcId, trafficType: "ALL", logDestinationType: "cloud-watch-logs", logDestination: group.state.arn, iamRoleArn: role.state.arn });
    expect(JSON.parse(role.inputs.assumeRolePolicy).Statement[0].Principal).toEqual({ Service: "vpc-flow-logs.amazonaws.com" });
    expect(policy.Statement.flatMap((statement: { Resource: string[] }) => statement.Resource)).toEqual([group.state.arn, `${group.state.arn}:*`]);
  });

  test("exports the VPC, its subnets per tier, the Lambda group and the endpoint ids", () => {
    const { outputs } = run();
    const vpc = run().one(VPC);
    expect(outputs.vpcId).toBe(vpc.state.vpcId);
    expect(outputs.vpcCidr).toBe(expected.cidr);
    expect(outputs.publicSubnetIds).toEqual(vpc.state.publicSubnetIds);
    expect(outputs.privateSubnetIds).toEqual(vpc.state.privateSubnetIds);
    expect(outputs.dataSubnetIds).toEqual(vpc.state.isolatedSubnetIds);
    expect(outputs.lambdaSecurityGroupId).toBe(run().one(SECURITY_GROUP, "datalake-lambda").id);
    const endpointIds = outputs.vpcEndpointIds as Record<string, string>;
    expect(Object.keys(endpointIds).sort()).toEqual(["dynamodb", "s3", ...expected.endpoints].sort());
    for (const [service, id] of Object.entries(endpointIds)) expect(id).toBe(run().one(ENDPOINT, `datalake-${service}`).id);
  });

  test("the cost function counts the endpoint-zones and NAT gateways the program declares", () => {
    const vpc = run().one(VPC);
    const interfaces = run().all(ENDPOINT).filter((endpoint) => endpoint.inputs.vpcEndpointType === "Interface");
    const declaredEndpointZones = interfaces.reduce((sum, endpoint) => sum + endpoint.inputs.subnetIds.length, 0);
    const cost = networkMonthlyCost({ availabilityZones: vpc.inputs.numberOfAvailabilityZones, natStrategy: vpc.inputs.natGateways.strategy, interfaceEndpoints: expected.endpoints });
    expect(cost.interfaceEndpointZones).toBe(declaredEndpointZones);
    expect(cost.natGateways).toBe(natGatewayCount(vpc.inputs.natGateways.strategy, vpc.inputs.numberOfAvailabilityZones));
    expect(cost.natGateways).toBe(stack === "dev" ? 1 : 3);
  });
});

describe("natStrategy None", () => {
  test("builds a VPC without NAT when the interface endpoints cover every service the functions and the Glue job call", async () => {
    const run = await runProgram("dev", { "datalake:natStrategy": "None", "datalake:interfaceEndpoints": [...REQUIRED_INTERFACE_ENDPOINTS] });
    expect(run.one(VPC).inputs.natGateways).toEqual({ strategy: "None" });
    expect(run.all(ENDPOINT).filter((endpoint) => endpoint.inputs.vpcEndpointType === "Interface")).toHaveLength(REQUIRED_INTERFACE_ENDPOINTS.length);
  });

  test("fails the program naming the key when a service the functions or the Glue job call has no endpoint", async () => {
    await expect(runProgram("prod", { "datalake:interfaceEndpoints": ["sns", "sqs"] })).rejects.toThrow(
      /datalake:interfaceEndpoints: \["sns","sqs"\] is not accepted: it lacks athena, glue, logs, kms, which the functions or the Glue job call/,
    );
  });
});
