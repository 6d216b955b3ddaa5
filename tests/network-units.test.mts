/**
 * The network layer's pure pieces, without mocks: endpoint catalogue, traffic rules, policies,
 * subnet layout, cost, the README cost table, and the validation of network config.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { parseSettings, subnetsFit } from "../config/settings.js";
import {
  INTERFACE_ENDPOINT_NAMES,
  REQUIRED_INTERFACE_ENDPOINTS,
  SERVICES_CALLED_BY_FUNCTIONS,
  SERVICES_CALLED_BY_GLUE_JOB,
  endpointServiceName,
  servicesWithoutEndpoint,
} from "../network/endpoints.js";
import { dataAclRules, endpointIngressRules, glueSecurityGroupRules, lambdaEgressRules } from "../network/rules.js";
import { flowLogsAssumeRolePolicy, flowLogsDeliveryPolicy, gatewayEndpointPolicy } from "../network/policies.js";
import { autoSubnetLayout, overlappingSubnets } from "../network/layout.js";
import {
  HOURS_PER_MONTH,
  INTERFACE_ENDPOINT_USD_PER_AZ_HOUR,
  NAT_GATEWAY_USD_PER_HOUR,
  PUBLIC_IPV4_USD_PER_HOUR,
  networkMonthlyCost,
} from "../network/cost.js";
import { COST_STACKS, networkCostTable, stackNetworkSettings } from "../scripts/network-cost-docs.js";
import { problemsOf, rawFor } from "./harness/config.js";
import { PROJECT_ROOT } from "./harness/stack-config.js";


describe("endpoint catalogue", () => {
  test("the services functions call are a subset of the accepted interface endpoints and exclude gateway services", () => {
    for (const service of SERVICES_CALLED_BY_FUNCTIONS) expect(INTERFACE_ENDPOINT_NAMES).toContain(service);
    expect(SERVICES_CALLED_BY_FUNCTIONS).not.toContain("s3");
    expect(SERVICES_CALLED_BY_FUNCTIONS).not.toContain("dynamodb");
    expect(INTERFACE_ENDPOINT_NAMES).toContain("lambda");
    expect(SERVICES_CALLED_BY_FUNCTIONS).not.toContain("lambda");
  });

  test("servicesWithoutEndpoint lists exactly the called services left out", () => {
    expect(servicesWithoutEndpoint(REQUIRED_INTERFACE_ENDPOINTS)).toEqual([]);
    const [first, ...rest] = REQUIRED_INTERFACE_ENDPOINTS;
    expect(servicesWithoutEndpoint(rest)).toEqual([first]);
    expect(servicesWithoutEndpoint([])).toEqual(REQUIRED_INTERFACE_ENDPOINTS);
  });

  test("the endpoints a stack needs are what the functions call and what the Glue job calls", () => {
    expect([...REQUIRED_INTERFACE_ENDPOINTS].sort()).toEqual([...new Set([...SERVICES_CALLED_BY_FUNCTIONS, ...SERVICES_CALLED_BY_GLUE_JOB])].sort());
    expect(SERVICES_CALLED_BY_FUNCTIONS).toContain("glue");
    expect(SERVICES_CALLED_BY_GLUE_JOB).toEqual(expect.arrayContaining(["glue", "sqs", "logs", "kms"]));
  });

  test("endpoint service names follow com.amazonaws.<region>.<service>", () => {
    expect(endpointServiceName("eu-central-1", "sqs")).toBe("com.amazonaws.eu-central-1.sqs");
  });
});

describe("traffic rules", () => {
  test("Lambda egress is HTTPS only, to the VPC CIDR and the two prefix lists, each rule described", () => {
    const rules = lambdaEgressRules("10.1.0.0/16", { s3: "pl-s3", dynamodb: "pl-ddb" });
    for (const rule of rules) {
      expect(rule).toMatchObject({ protocol: "tcp", fromPort: 443, toPort: 443 });
      expect(rule.description.length).toBeGreaterThan(10);
    }
    expect(rules.flatMap((rule) => rule.cidrBlocks ?? [])).toEqual(["10.1.0.0/16"]);
    expect(rules.flatMap((rule) => rule.prefixListIds ?? [])).toEqual(["pl-s3", "pl-ddb"]);
  });

  test("endpoint ingress names only the Lambda and Glue security groups", () => {
    expect(endpointIngressRules("sg-lambda", "sg-glue")).toEqual([
      expect.objectContaining({ securityGroups: ["sg-lambda"], fromPort: 443, toPort: 443 }),
      expect.objectContaining({ securityGroups: ["sg-glue"], fromPort: 443, toPort: 443 }),
    ]);
    for (const rule of endpointIngressRules("sg-lambda", "sg-glue")) expect(rule).not.toHaveProperty("cidrBlocks");
  });

  test("the Glue group admits only itself, and reaches only itself, the VPC's endpoints and S3", () => {
    const rules = glueSecurityGroupRules("10.1.0.0/16", "pl-s3");
    expect(rules.ingress).toEqual([expect.objectContaining({ self: true, fromPort: 0, toPort: 65535 })]);
    expect(rules.ingress[0]).not.toHaveProperty("cidrBlocks");
    expect(rules.egress.flatMap((rule) => rule.cidrBlocks ?? [])).toEqual(["10.1.0.0/16"]);
    expect(rules.egress.flatMap((rule) => rule.prefixListIds ?? [])).toEqual(["pl-s3"]);
    expect(rules.egress.filter((rule) => rule.cidrBlocks || rule.prefixListIds).every((rule) => rule.fromPort === 443 && rule.toPort === 443)).toBe(true);
  });

  test("the data ACL allows only the VPC CIDR, with distinct rule numbers and ephemeral replies", () => {
    const rules = dataAclRules("10.2.0.0/16");
    for (const direction of [rules.ingress, rules.egress]) {
      expect(new Set(direction.map((rule) => rule.ruleNo)).size).toBe(direction.length);
      for (const rule of direction) expect(rule.cidrBlock).toBe("10.2.0.0/16");
    }
    expect(rules.egress).toContainEqual(expect.objectContaining({ action: "allow", protocol: "tcp", fromPort: 1024, toPort: 65535 }));
  });
});

describe("network policies", () => {
  test("a gateway endpoint policy is scoped to the service and to this account on both sides", () => {
    const policy = gatewayEndpointPolicy("dynamodb", "210987654321");
    expect(policy.Statement).toEqual([
      expect.objectContaining({
        Effect: "Allow",
        Action: "dynamodb:*",
        Condition: { StringEquals: { "aws:PrincipalAccount": "210987654321", "aws:ResourceAccount": "210987654321" } },
      }),
    ]);
  });

  test("flow logs' role is assumable only by the service for this account and writes only to its group", () => {
    expect(flowLogsAssumeRolePolicy("210987654321").Statement[0]).toMatchObject({
      Principal: { Service: "vpc-flow-logs.amazonaws.com" },
      Condition: { StringEquals: { "aws:SourceAccount": "210987654321" } },
    });
    const arn = "arn:aws:logs:eu-west-1:210987654321:log-group:/datalake/dev/vpc-flow-logs";
    expect(flowLogsDeliveryPolicy(arn).Statement[0]!.Resource).toEqual([arn, `${arn}:*`]);
  });
});

describe("subnet layout", () => {
  test.each(COST_STACKS)("the %s stack's three tiers fit its VPC in every zone without overlapping", (stack) => {
    const network = stackNetworkSettings(PROJECT_ROOT, stack);
    const masks = [network.publicSubnetCidrMask, network.privateSubnetCidrMask, network.dataSubnetCidrMask];
    const layout = autoSubnetLayout(network.vpcCidr, masks, network.availabilityZones);
    const [vpcNetwork, vpcPrefix] = network.vpcCidr.split("/");
    const vpcStart = vpcNetwork!.split(".").reduce((sum, octet) => sum * 256 + Number(octet), 0);
    const vpcEnd = vpcStart + 2 ** (32 - Number(vpcPrefix));
    expect(layout).toHaveLength(3 * network.availabilityZones);
    expect(overlappingSubnets(layout)).toEqual([]);
    for (const subnet of layout) {
      expect(subnet.start).toBeGreaterThanOrEqual(vpcStart);
      expect(subnet.end).toBeLessThanOrEqual(vpcEnd);
    }
  });

  test("agrees with subnetsFit: a layout that subnetsFit rejects spills out of its zone", () => {
    // /18 + /18 after a /24 in a /17 zone: the second /18 lands past the zone's end.
    expect(subnetsFit(16, [24, 18, 18], 2)).toBe(false);
    const layout = autoSubnetLayout("10.0.0.0/16", [24, 18, 18], 2);
    expect(overlappingSubnets(layout).length).toBeGreaterThan(0);
  });
});

describe("network monthly cost", () => {
  test("adds NAT gateways, their public IPv4 addresses and interface endpoint-zones at the hourly list prices", () => {
    const cost = networkMonthlyCost({ availabilityZones: 3, natStrategy: "OnePerAz", interfaceEndpoints: ["sqs", "sns", "kms"] });
    expect(cost.natGateways).toBe(3);
    expect(cost.interfaceEndpointZones).toBe(9);
    expect(cost.natGatewaysUsd).toBeCloseTo(3 * NAT_GATEWAY_USD_PER_HOUR * HOURS_PER_MONTH, 2);
    expect(cost.publicIpv4Usd).toBeCloseTo(3 * PUBLIC_IPV4_USD_PER_HOUR * HOURS_PER_MONTH, 2);
    expect(cost.interfaceEndpointsUsd).toBeCloseTo(9 * INTERFACE_ENDPOINT_USD_PER_AZ_HOUR * HOURS_PER_MONTH, 2);
    expect(cost.totalUsd).toBeCloseTo(cost.natGatewaysUsd + cost.publicIpv4Usd + cost.interfaceEndpointsUsd, 2);
  });

  test("counts one NAT gateway for Single and none for None, whatever the zones", () => {
    expect(networkMonthlyCost({ availabilityZones: 3, natStrategy: "Single", interfaceEndpoints: [] }).natGateways).toBe(1);
    const none = networkMonthlyCost({ availabilityZones: 3, natStrategy: "None", interfaceEndpoints: [] });
    expect(none.natGateways).toBe(0);
    expect(none.totalUsd).toBe(0);
  });

  test("prod's fixed network cost is above dev's", () => {
    const [dev, prod] = COST_STACKS.map((stack) => networkMonthlyCost(stackNetworkSettings(PROJECT_ROOT, stack)));
    expect(prod!.totalUsd).toBeGreaterThan(dev!.totalUsd);
  });

  test("README's cost table is the one computed from the stack files (run `npm run config:sync` when this fails)", () => {
    const readme = readFileSync(join(PROJECT_ROOT, "README.md"), "utf8");
    const table = networkCostTable(PROJECT_ROOT);
    expect(readme).toContain(table);
    for (const stack of COST_STACKS) {
      const total = networkMonthlyCost(stackNetworkSettings(PROJECT_ROOT, stack)).totalUsd;
      expect(table).toContain(`| ${stack} |`);
      expect(table).toContain(`**$${total.toFixed(2)}**`);
    }
  });
});

describe("network config validation", () => {
  const invalid = [
    { title: "an interface endpoint for a service the pipeline does not use", overrides: { "datalake:interfaceEndpoints": ["sns", "athena", "ec2"] }, mentions: ["datalake:interfaceEndpoints", "ec2", "one of sns, athena, glue, sqs"] },
    { title: "a repeated interface endpoint", overrides: { "datalake:interfaceEndpoints": ["sqs", "sqs"] }, mentions: ["datalake:interfaceEndpoints", "without repeats"] },
    { title: "interface endpoints that are not a list", overrides: { "datalake:interfaceEndpoints": "sqs" }, mentions: ["datalake:interfaceEndpoints", '"sqs"'] },
    { title: "no interface endpoint at all", overrides: { "datalake:interfaceEndpoints": [] }, mentions: ["datalake:interfaceEndpoints: [] is not accepted", "lacks sns, athena, glue, sqs, logs, kms", "never through NAT"] },
    { title: "NAT None with a called service missing", overrides: { "datalake:natStrategy": "None", "datalake:interfaceEndpoints": ["sns", "sqs", "logs"] }, mentions: ["datalake:interfaceEndpoints", "it lacks athena, glue, kms, which the functions or the Glue job call"] },
    { title: "a VPC CIDR larger than /16", overrides: { "datalake:vpcCidr": "10.0.0.0/8" }, mentions: ["datalake:vpcCidr", "from /16 to /24"] },
    { title: "a single availability zone", overrides: { "datalake:availabilityZones": 1 }, mentions: ["datalake:availabilityZones", "from 2 to 6"] },
    { title: "subnets that overflow their zone", overrides: { "datalake:vpcCidr": "10.0.0.0/20", "datalake:dataSubnetCidrMask": 22 }, mentions: ["datalake:dataSubnetCidrMask", "do not fit", "10.0.0.0/20"] },
  ];

  for (const stack of ["dev", "prod"]) {
    for (const { title, overrides, mentions } of invalid) {
      test(`${stack}: rejects ${title}, naming the key`, () => {
        const message = problemsOf(() => parseSettings(rawFor(stack, overrides), stack));
        for (const text of mentions) expect(message).toContain(text);
      });
    }

    test(`${stack}: accepts NAT None once every called service has an endpoint`, () => {
      const settings = parseSettings(rawFor(stack, { "datalake:natStrategy": "None", "datalake:interfaceEndpoints": [...REQUIRED_INTERFACE_ENDPOINTS, "lambda"] }), stack);
      expect(settings.network.natStrategy).toBe("None");
      expect(settings.network.interfaceEndpoints).toEqual([...REQUIRED_INTERFACE_ENDPOINTS, "lambda"]);
    });
  }
});
