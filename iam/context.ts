import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";

/** The account, region and partition a stack deploys to, for ARNs and policy conditions. */
export interface AwsContext {
  readonly accountId: string;
  readonly region: string;
  readonly partition: string;
}

export function awsContext(parent: pulumi.Resource): pulumi.Output<AwsContext> {
  const opts = { parent };
  return pulumi
    .all([aws.getCallerIdentityOutput({}, opts), aws.getRegionOutput({}, opts), aws.getPartitionOutput({}, opts)])
    .apply(([identity, region, partition]) => ({
      accountId: identity.accountId,
      region: region.region,
      partition: partition.partition,
    }));
}
