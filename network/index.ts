/**
 * Network layer: a three-tier VPC (public, private, isolated "data" subnets), NAT for the private
 * tier, and the security group the Lambdas run in.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import * as awsx from "@pulumi/awsx";
import type { NetworkSettings } from "../config";

export interface NetworkArgs {
  readonly settings: NetworkSettings;
}

/** What the next layers take from the network. */
export interface NetworkOutputs {
  readonly vpcId: pulumi.Output<string>;
  readonly vpcCidr: string;
  readonly publicSubnetIds: pulumi.Output<string[]>;
  readonly privateSubnetIds: pulumi.Output<string[]>;
  readonly dataSubnetIds: pulumi.Output<string[]>;
  readonly lambdaSecurityGroupId: pulumi.Output<string>;
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

export class Network extends pulumi.ComponentResource implements NetworkOutputs {
  readonly vpcId: pulumi.Output<string>;
  readonly vpcCidr: string;
  readonly publicSubnetIds: pulumi.Output<string[]>;
  readonly privateSubnetIds: pulumi.Output<string[]>;
  readonly dataSubnetIds: pulumi.Output<string[]>;
  readonly lambdaSecurityGroupId: pulumi.Output<string>;

  constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("datalake:network:Network", name, {}, opts);
    const { settings } = args;

    const vpc = new awsx.ec2.Vpc(`${name}-vpc`, vpcArgs(settings), { parent: this });

    const lambdaSecurityGroup = new aws.ec2.SecurityGroup(
      `${name}-lambda`,
      {
        vpcId: vpc.vpcId,
        description: "Lambda functions of the data lake: no ingress, HTTPS egress only",
        ingress: [],
        egress: [
          {
            description: "HTTPS to AWS APIs through the NAT gateway",
            protocol: "tcp",
            fromPort: 443,
            toPort: 443,
            cidrBlocks: ["0.0.0.0/0"],
          },
        ],
      },
      { parent: this },
    );

    this.vpcId = vpc.vpcId;
    this.vpcCidr = settings.vpcCidr;
    this.publicSubnetIds = vpc.publicSubnetIds;
    this.privateSubnetIds = vpc.privateSubnetIds;
    this.dataSubnetIds = vpc.isolatedSubnetIds;
    this.lambdaSecurityGroupId = lambdaSecurityGroup.id;

    this.registerOutputs({
      vpcId: this.vpcId,
      publicSubnetIds: this.publicSubnetIds,
      privateSubnetIds: this.privateSubnetIds,
      dataSubnetIds: this.dataSubnetIds,
      lambdaSecurityGroupId: this.lambdaSecurityGroupId,
    });
  }
}
