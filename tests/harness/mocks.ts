/**
 * Pulumi mocks that record every registered resource with its type, name and inputs, and answer
 * with the attributes real resources would have (ARNs, names, URLs) so that outputs flow between
 * layers as they do in a deployment.
 */
import * as pulumi from "@pulumi/pulumi";

export const MOCK_ACCOUNT_ID = "123456789012";

export interface RecordedResource {
  readonly type: string;
  readonly name: string;
  readonly urn?: string;
  readonly inputs: Record<string, any>;
  readonly state: Record<string, any>;
  readonly id: string;
  readonly provider?: string;
  readonly custom: boolean;
}

export interface RecordedCall {
  readonly token: string;
  readonly inputs: Record<string, any>;
}

function serviceOf(type: string): string {
  return type.split(":")[1]?.split("/")[0] ?? "unknown";
}

/** Attributes AWS would compute for a resource of this type. */
export function computedState(type: string, name: string, inputs: Record<string, any>, region: string, availabilityZones: number): Record<string, any> {
  const account = MOCK_ACCOUNT_ID;
  const resourceName: string = inputs.name ?? `${name}-mock`;
  const base: Record<string, any> = { name: resourceName, arn: `arn:aws:${serviceOf(type)}:${region}:${account}:${resourceName}` };
  switch (type) {
    case "aws:s3/bucket:Bucket": {
      const bucket: string = inputs.bucket ?? `${name}-mock`;
      return { bucket, arn: `arn:aws:s3:::${bucket}`, bucketDomainName: `${bucket}.s3.amazonaws.com` };
    }
    case "aws:sqs/queue:Queue":
      return { ...base, url: `https://sqs.${region}.amazonaws.com/${account}/${resourceName}` };
    case "aws:sns/topic:Topic":
      return { ...base, arn: `arn:aws:sns:${region}:${account}:${resourceName}` };
    case "aws:kms/key:Key":
      return { keyId: `${name}-key-id`, arn: `arn:aws:kms:${region}:${account}:key/${name}-key-id` };
    case "aws:iam/role:Role":
      return { ...base, arn: `arn:aws:iam::${account}:role/${resourceName}` };
    case "aws:lambda/function:Function":
      return { ...base, arn: `arn:aws:lambda:${region}:${account}:function:${resourceName}` };
    case "aws:cloudwatch/logGroup:LogGroup":
      return { ...base, arn: `arn:aws:logs:${region}:${account}:log-group:${resourceName}` };
    case "aws:cloudwatch/metricAlarm:MetricAlarm":
      return { ...base, arn: `arn:aws:cloudwatch:${region}:${account}:alarm:${resourceName}` };
    case "aws:cloudwatch/compositeAlarm:CompositeAlarm":
      return { alarmName: inputs.alarmName, arn: `arn:aws:cloudwatch:${region}:${account}:alarm:${inputs.alarmName}` };
    case "aws:cloudwatch/dashboard:Dashboard":
      return { dashboardName: inputs.dashboardName, dashboardArn: `arn:aws:cloudwatch::${account}:dashboard/${inputs.dashboardName}` };
    case "aws:athena/workgroup:Workgroup":
      return { ...base, arn: `arn:aws:athena:${region}:${account}:workgroup/${resourceName}` };
    case "aws:glue/job:Job":
      return { ...base, arn: `arn:aws:glue:${region}:${account}:job/${resourceName}` };
    case "aws:glue/catalogDatabase:CatalogDatabase":
      return { ...base, arn: `arn:aws:glue:${region}:${account}:database/${resourceName}` };
    case "awsx:ec2:Vpc": {
      const ids = (tier: string) => Array.from({ length: availabilityZones }, (_, index) => `subnet-${tier}-${index}`);
      // awsx gives every subnet its own route table; a deployment returns these as resource references.
      const routeTableAssociations = ["public", "private", "data"].flatMap((tier) =>
        ids(tier).map((subnetId) => ({ subnetId, routeTableId: subnetId.replace("subnet-", "rtb-") })),
      );
      return {
        vpcId: `vpc-${name}`,
        publicSubnetIds: ids("public"),
        privateSubnetIds: ids("private"),
        isolatedSubnetIds: ids("data"),
        routeTableAssociations,
      };
    }
    case "aws:ec2/vpcEndpoint:VpcEndpoint":
      // Gateway endpoints publish the service's managed prefix list, which security groups reference.
      return {
        arn: `arn:aws:ec2:${region}:${account}:vpc-endpoint/vpce-${name}`,
        ...(inputs.vpcEndpointType === "Gateway" ? { prefixListId: `pl-${name}` } : {}),
      };
    default:
      return base;
  }
}

/** Answers for the provider functions the program calls. */
export function callResult(token: string, inputs: Record<string, any>, region: string): Record<string, any> {
  switch (token) {
    case "aws:index/getCallerIdentity:getCallerIdentity":
      return { accountId: MOCK_ACCOUNT_ID, arn: `arn:aws:iam::${MOCK_ACCOUNT_ID}:user/test`, userId: "AIDTEST", id: MOCK_ACCOUNT_ID };
    case "aws:index/getRegion:getRegion":
      return { region, name: region, id: region, endpoint: `ec2.${region}.amazonaws.com`, description: region };
    case "aws:ec2/getSubnet:getSubnet": {
      // Subnets are named subnet-<tier>-<index> by the VPC mock; their zones follow the index.
      const index = Number(String(inputs.id ?? "").split("-").pop());
      return { ...inputs, availabilityZone: `${region}${String.fromCharCode(97 + (Number.isNaN(index) ? 0 : index))}` };
    }
    case "aws:index/getPartition:getPartition":
      return { partition: "aws", dnsSuffix: "amazonaws.com", id: "aws", reverseDnsPrefix: "com.amazonaws" };
    default:
      return inputs;
  }
}

export function createMocks(
  resources: RecordedResource[],
  calls: RecordedCall[],
  options: { region: string; availabilityZones: number },
): pulumi.runtime.Mocks {
  return {
    newResource(args: pulumi.runtime.MockResourceArgs) {
      const state = { ...args.inputs, ...computedState(args.type, args.name, args.inputs, options.region, options.availabilityZones) };
      const id = `${args.name}-id`;
      resources.push({ type: args.type, name: args.name, inputs: args.inputs, state, id, provider: args.provider, custom: args.custom ?? true });
      return { id, state };
    },
    call(args: pulumi.runtime.MockCallArgs) {
      calls.push({ token: args.token, inputs: args.inputs });
      return callResult(args.token, args.inputs, options.region);
    },
  };
}
