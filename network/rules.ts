/**
 * Pure builders of the network's traffic rules: the Lambda and endpoint security groups and the
 * data subnets' network ACL. Every rule carries a description; no rule names 0.0.0.0/0.
 */

export const HTTPS_PORT = 443;
/** The ephemeral port range clients (Linux, Lambda, AWS services) reply to. */
export const EPHEMERAL_PORTS = { from: 1024, to: 65535 } as const;

/** The shape of an inline security group rule, as `aws.ec2.SecurityGroup` takes it. */
export interface SecurityGroupRule {
  readonly description: string;
  readonly protocol: "tcp";
  readonly fromPort: number;
  readonly toPort: number;
  readonly cidrBlocks?: string[];
  readonly prefixListIds?: string[];
  readonly securityGroups?: string[];
  /** The group itself as the peer. */
  readonly self?: boolean;
}

/** Every TCP port: Glue's workers talk to each other on any of them. */
export const ALL_TCP_PORTS = { from: 0, to: 65535 } as const;

/**
 * The Lambda security group's egress: HTTPS to the VPC (interface endpoints) and to the S3 and
 * DynamoDB prefix lists (gateway endpoints). With a NAT gateway, calls to services without an
 * interface endpoint leave through NAT only if they go to one of these destinations, so every
 * service the functions call needs an endpoint or a gateway route.
 *
 * @example
 * ```ts
 * lambdaEgressRules("10.10.0.0/16", { s3: "pl-6da54004", dynamodb: "pl-6fa54006" }).length; // 3
 * ```
 */
export function lambdaEgressRules(vpcCidr: string, prefixLists: { readonly s3: string; readonly dynamodb: string }): SecurityGroupRule[] {
  const https = { protocol: "tcp", fromPort: HTTPS_PORT, toPort: HTTPS_PORT } as const;
  return [
    { ...https, description: "HTTPS to the interface endpoints inside the VPC", cidrBlocks: [vpcCidr] },
    { ...https, description: "HTTPS to S3 through the gateway endpoint", prefixListIds: [prefixLists.s3] },
    { ...https, description: "HTTPS to DynamoDB through the gateway endpoint", prefixListIds: [prefixLists.dynamodb] },
  ];
}

/**
 * The endpoint security group admits HTTPS from the Lambda security group and from the Glue job's,
 * and nothing else.
 *
 * @example endpointIngressRules("sg-lambda", "sg-glue").map((rule) => rule.securityGroups) // [["sg-lambda"], ["sg-glue"]]
 */
export function endpointIngressRules(lambdaSecurityGroupId: string, glueSecurityGroupId: string): SecurityGroupRule[] {
  const https = { protocol: "tcp", fromPort: HTTPS_PORT, toPort: HTTPS_PORT } as const;
  return [
    { ...https, description: "HTTPS from the data lake's Lambda functions", securityGroups: [lambdaSecurityGroupId] },
    { ...https, description: "HTTPS from the data lake's Glue conversion job", securityGroups: [glueSecurityGroupId] },
  ];
}

/**
 * The Glue job's security group. Glue requires a rule admitting all TCP traffic from the group
 * itself (its workers' network interfaces talk to each other); beyond that, like the Lambda
 * group: HTTPS to the VPC's interface endpoints and to S3 through its gateway endpoint, no ingress
 * from anywhere else and no way to the internet.
 *
 * @example glueSecurityGroupRules("10.0.0.0/16", "pl-s3").egress.length // 3
 */
export function glueSecurityGroupRules(vpcCidr: string, s3PrefixList: string): { ingress: SecurityGroupRule[]; egress: SecurityGroupRule[] } {
  const https = { protocol: "tcp", fromPort: HTTPS_PORT, toPort: HTTPS_PORT } as const;
  const allTcp = { protocol: "tcp", fromPort: ALL_TCP_PORTS.from, toPort: ALL_TCP_PORTS.to } as const;
  return {
    ingress: [{ ...allTcp, description: "Glue workers of the job, to each other (required by Glue)", self: true }],
    egress: [
      { ...allTcp, description: "Glue workers of the job, to each other (required by Glue)", self: true },
      { ...https, description: "HTTPS to the interface endpoints inside the VPC", cidrBlocks: [vpcCidr] },
      { ...https, description: "HTTPS to S3 through the gateway endpoint", prefixListIds: [s3PrefixList] },
    ],
  };
}

/** One network ACL entry, as the inline `ingress`/`egress` of `aws.ec2.NetworkAcl` takes it. */
export interface NetworkAclRule {
  readonly ruleNo: number;
  readonly action: "allow" | "deny";
  /** "-1" is every protocol. */
  readonly protocol: "-1" | "tcp";
  readonly fromPort: number;
  readonly toPort: number;
  readonly cidrBlock: string;
}

export interface DataAclRules {
  readonly ingress: NetworkAclRule[];
  readonly egress: NetworkAclRule[];
}

/**
 * The data subnets' ACL. NACLs are stateless, so replies need their own rules. Inbound: anything
 * from inside the VPC (requests from the app tier and replies to the data tier's own calls).
 * Outbound: replies to clients inside the VPC on their ephemeral ports, and HTTPS to the interface
 * endpoints. Everything else, including any address outside the VPC, hits the ACL's final deny.
 *
 * @example
 * ```ts
 * dataAclRules("10.20.0.0/16").egress.map((rule) => rule.fromPort); // [1024, 443]
 * ```
 */
export function dataAclRules(vpcCidr: string): DataAclRules {
  return {
    ingress: [{ ruleNo: 100, action: "allow", protocol: "-1", fromPort: 0, toPort: 0, cidrBlock: vpcCidr }],
    egress: [
      { ruleNo: 100, action: "allow", protocol: "tcp", fromPort: EPHEMERAL_PORTS.from, toPort: EPHEMERAL_PORTS.to, cidrBlock: vpcCidr },
      { ruleNo: 110, action: "allow", protocol: "tcp", fromPort: HTTPS_PORT, toPort: HTTPS_PORT, cidrBlock: vpcCidr },
    ],
  };
}

/** What each data ACL rule is for: NACL entries have no description field, so the ACL's tags carry them. */
export const DATA_ACL_RULE_PURPOSES: Readonly<Record<string, string>> = {
  "ingress-100": "any traffic from inside the VPC",
  "egress-100": "replies to clients inside the VPC on ephemeral ports",
  "egress-110": "HTTPS to the interface endpoints",
};
