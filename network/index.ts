/**
 * Network layer: a three-tier VPC (public, private, isolated "data" subnets), NAT for the private
 * tier, gateway endpoints for S3 and DynamoDB, the stack's interface endpoints, locked-down
 * security groups, a network ACL that keeps the data tier inside the VPC, and VPC flow logs.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import * as awsx from "@pulumi/awsx";
import type { NetworkSettings } from "../config";
import { awsContext } from "../iam/context";
import { GATEWAY_ENDPOINT_SERVICES, GatewayEndpointName, endpointServiceName } from "./endpoints";
import { flowLogsAssumeRolePolicy, flowLogsDeliveryPolicy, gatewayEndpointPolicy } from "./policies";
import { DATA_ACL_RULE_PURPOSES, dataAclRules, endpointIngressRules, glueSecurityGroupRules, lambdaEgressRules } from "./rules";

export interface NetworkArgs {
  readonly settings: NetworkSettings;
  /** The Pulumi stack name, for names unique per account (the flow-log group). */
  readonly stack: string;
  /** Retention of the flow-log group, in days. */
  readonly logRetentionDays: number;
}

/** What the network builds, as the next layers and the stack outputs take it. */
export interface NetworkOutputs {
  readonly vpc: { readonly id: pulumi.Output<string>; readonly cidr: string };
  /** Subnet ids per tier, one subnet per availability zone. */
  readonly subnetIds: {
    readonly public: pulumi.Output<string[]>;
    readonly private: pulumi.Output<string[]>;
    readonly data: pulumi.Output<string[]>;
  };
  readonly lambdaSecurityGroupId: pulumi.Output<string>;
  /** The Glue conversion job's security group (its network connection's). */
  readonly glueSecurityGroupId: pulumi.Output<string>;
  /** Endpoint ids by service (`s3`, `dynamodb` and the stack's interface endpoints). */
  readonly endpointIds: pulumi.Output<Record<string, string>>;
  readonly flowLogGroupName: pulumi.Output<string>;
}

/** Subnet tier names as awsx names them; "data" is awsx's Isolated type (no route to the internet). */
export const SUBNET_TIERS = { public: "public", private: "private", data: "data" } as const;

/** The awsx VPC arguments for the settings; pure so tests can check the layout without mocks. */
export function vpcArgs(settings: NetworkSettings): awsx.ec2.VpcArgs {
  return {
    cidrBlock: settings.vpcCidr,
    numberOfAvailabilityZones: settings.availabilityZones,
    subnetStrategy: "Auto",
    subnetSpecs: [
      { type: "Public", name: SUBNET_TIERS.public, cidrMask: settings.publicSubnetCidrMask },
      { type: "Private", name: SUBNET_TIERS.private, cidrMask: settings.privateSubnetCidrMask },
      { type: "Isolated", name: SUBNET_TIERS.data, cidrMask: settings.dataSubnetCidrMask },
    ],
    natGateways: { strategy: settings.natStrategy },
    enableDnsHostnames: true,
    enableDnsSupport: true,
  };
}

/** A route table association as awsx returns it: resource references in a deployment, plain values under mocks. */
interface AssociationLike {
  readonly subnetId: pulumi.Input<string>;
  readonly routeTableId: pulumi.Input<string>;
}

/**
 * The ids of the route tables associated with the given subnets, read from the VPC's own
 * associations (awsx gives every subnet its own route table), so no lookup runs before they exist.
 */
function routeTableIdsOf(vpc: awsx.ec2.Vpc, subnetIds: pulumi.Output<string[]>): pulumi.Output<string[]> {
  const associations = (vpc.routeTableAssociations as pulumi.Output<AssociationLike[]>).apply((list) =>
    pulumi.all(list.map((association) => pulumi.all([association.subnetId, association.routeTableId]))),
  );
  return pulumi.all([associations, subnetIds]).apply(([pairs, wanted]) => [
    ...new Set(pairs.filter(([subnetId]) => wanted.includes(subnetId)).map(([, routeTableId]) => routeTableId)),
  ]);
}

/** The outputs are the component's fields: declared once, in `NetworkOutputs`. */
export interface Network extends NetworkOutputs {}

export class Network extends pulumi.ComponentResource {
  constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("datalake:network:Network", name, {}, opts);
    const { settings } = args;
    const context = awsContext(this);

    const vpc = new awsx.ec2.Vpc(`${name}-vpc`, vpcArgs(settings), { parent: this });

    // Gateway endpoints: S3 and DynamoDB traffic of the private and data tiers stays on AWS's network.
    const gatewayRouteTableIds = routeTableIdsOf(vpc, pulumi.all([vpc.privateSubnetIds, vpc.isolatedSubnetIds]).apply(([a, b]) => [...a, ...b]));
    const gatewayEndpoints = Object.fromEntries(
      GATEWAY_ENDPOINT_SERVICES.map((service) => [
        service,
        new aws.ec2.VpcEndpoint(
          `${name}-${service}`,
          {
            vpcId: vpc.vpcId,
            vpcEndpointType: "Gateway",
            serviceName: context.apply((aws) => endpointServiceName(aws.region, service)),
            routeTableIds: gatewayRouteTableIds,
            policy: context.apply((aws) => JSON.stringify(gatewayEndpointPolicy(service, aws.accountId))),
            tags: { Name: `${name}-${service}` },
          },
          { parent: this },
        ),
      ]),
    ) as Record<GatewayEndpointName, aws.ec2.VpcEndpoint>;

    const lambdaSecurityGroup = new aws.ec2.SecurityGroup(
      `${name}-lambda`,
      {
        vpcId: vpc.vpcId,
        description: "Lambda functions of the data lake: no ingress, HTTPS egress to VPC endpoints only",
        ingress: [],
        egress: pulumi
          .all([gatewayEndpoints.s3.prefixListId, gatewayEndpoints.dynamodb.prefixListId])
          .apply(([s3, dynamodb]) => lambdaEgressRules(settings.vpcCidr, { s3, dynamodb })),
        tags: { Name: `${name}-lambda` },
      },
      { parent: this },
    );

    // The Glue job's workers: each other, the endpoints and S3, as Glue requires and nothing more.
    const glueRules = gatewayEndpoints.s3.prefixListId.apply((s3) => glueSecurityGroupRules(settings.vpcCidr, s3));
    const glueSecurityGroup = new aws.ec2.SecurityGroup(
      `${name}-glue`,
      {
        vpcId: vpc.vpcId,
        description: "Glue conversion job of the data lake: its workers to each other, HTTPS to VPC endpoints only",
        ingress: glueRules.apply((rules) => rules.ingress),
        egress: glueRules.apply((rules) => rules.egress),
        tags: { Name: `${name}-glue` },
      },
      { parent: this },
    );

    // Interface endpoints answer on the AWS service names (private DNS) from the private subnets.
    const endpointSecurityGroup = new aws.ec2.SecurityGroup(
      `${name}-endpoints`,
      {
        vpcId: vpc.vpcId,
        description: "Interface VPC endpoints: HTTPS from the data lake's Lambda functions and Glue job only",
        ingress: pulumi.all([lambdaSecurityGroup.id, glueSecurityGroup.id]).apply(([lambda, glue]) => endpointIngressRules(lambda, glue)),
        egress: [],
        tags: { Name: `${name}-endpoints` },
      },
      { parent: this },
    );
    const interfaceEndpoints = settings.interfaceEndpoints.map(
      (service) =>
        [
          service,
          new aws.ec2.VpcEndpoint(
            `${name}-${service}`,
            {
              vpcId: vpc.vpcId,
              vpcEndpointType: "Interface",
              serviceName: context.apply((aws) => endpointServiceName(aws.region, service)),
              privateDnsEnabled: true,
              subnetIds: vpc.privateSubnetIds,
              securityGroupIds: [endpointSecurityGroup.id],
              tags: { Name: `${name}-${service}` },
            },
            { parent: this },
          ),
        ] as const,
    );

    // The data tier talks only to the VPC: NACLs are stateless, so replies get their own rule.
    const aclRules = dataAclRules(settings.vpcCidr);
    new aws.ec2.NetworkAcl(
      `${name}-data`,
      {
        vpcId: vpc.vpcId,
        subnetIds: vpc.isolatedSubnetIds,
        ingress: aclRules.ingress,
        egress: aclRules.egress,
        tags: {
          Name: `${name}-data`,
          ...Object.fromEntries(Object.entries(DATA_ACL_RULE_PURPOSES).map(([rule, purpose]) => [`rule-${rule}`, purpose])),
        },
      },
      { parent: this },
    );

    const flowLogGroup = new aws.cloudwatch.LogGroup(
      `${name}-flow-logs`,
      { name: `/datalake/${args.stack}/vpc-flow-logs`, retentionInDays: args.logRetentionDays },
      { parent: this },
    );
    const flowLogRole = new aws.iam.Role(
      `${name}-flow-logs`,
      { assumeRolePolicy: context.apply((aws) => JSON.stringify(flowLogsAssumeRolePolicy(aws.accountId))) },
      { parent: this },
    );
    new aws.iam.RolePolicy(
      `${name}-flow-logs`,
      { role: flowLogRole.id, policy: flowLogGroup.arn.apply((arn) => JSON.stringify(flowLogsDeliveryPolicy(arn))) },
      { parent: this },
    );
    new aws.ec2.FlowLog(
      `${name}-flow-logs`,
      {
        vpcId: vpc.vpcId,
        trafficType: "ALL",
        logDestinationType: "cloud-watch-logs",
        logDestination: flowLogGroup.arn,
        iamRoleArn: flowLogRole.arn,
        maxAggregationInterval: 60,
        tags: { Name: `${name}-flow-logs` },
      },
      { parent: this },
    );

    const endpoints: (readonly [string, aws.ec2.VpcEndpoint])[] = [...Object.entries(gatewayEndpoints), ...interfaceEndpoints];
    const outputs: NetworkOutputs = {
      vpc: { id: vpc.vpcId, cidr: settings.vpcCidr },
      subnetIds: { public: vpc.publicSubnetIds, private: vpc.privateSubnetIds, data: vpc.isolatedSubnetIds },
      lambdaSecurityGroupId: lambdaSecurityGroup.id,
      glueSecurityGroupId: glueSecurityGroup.id,
      endpointIds: pulumi
        .all(endpoints.map(([service, endpoint]) => endpoint.id.apply((id) => [service, id] as const)))
        .apply((pairs) => Object.fromEntries(pairs)),
      flowLogGroupName: flowLogGroup.name,
    };
    Object.assign(this, outputs);
    this.registerOutputs(outputs);
  }
}
