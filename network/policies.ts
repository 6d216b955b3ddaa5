/**
 * Pure policy documents of the network layer: the gateway endpoints' policies and the flow-log
 * role's trust and permissions.
 */
import { PolicyDocument, policyDocument } from "../iam/documents";
import type { GatewayEndpointName } from "./endpoints";

/**
 * The policy of a gateway endpoint: requests through it are allowed only when both the caller and
 * the resource belong to this account, so a compromised function cannot copy data to (or read
 * tooling from) another account's bucket or table through the endpoint.
 *
 * @example
 * ```ts
 * gatewayEndpointPolicy("s3", "123456789012").Statement[0].Condition;
 * // { StringEquals: { "aws:PrincipalAccount": "123456789012", "aws:ResourceAccount": "123456789012" } }
 * ```
 */
export function gatewayEndpointPolicy(service: GatewayEndpointName, accountId: string): PolicyDocument {
  return policyDocument({
    Sid: "OnlyThisAccountsPrincipalsAndResources",
    Effect: "Allow",
    Principal: "*",
    Action: `${service}:*`,
    Resource: "*",
    Condition: { StringEquals: { "aws:PrincipalAccount": accountId, "aws:ResourceAccount": accountId } },
  });
}

/** Lets VPC Flow Logs assume the delivery role, only on behalf of this account. */
export function flowLogsAssumeRolePolicy(accountId: string): PolicyDocument {
  return policyDocument({
    Effect: "Allow",
    Principal: { Service: "vpc-flow-logs.amazonaws.com" },
    Action: "sts:AssumeRole",
    Condition: { StringEquals: { "aws:SourceAccount": accountId } },
  });
}

/** What Flow Logs needs to deliver records: streams and events in its one log group. */
export function flowLogsDeliveryPolicy(logGroupArn: string): PolicyDocument {
  return policyDocument({
    Sid: "DeliverFlowLogs",
    Effect: "Allow",
    Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogGroups", "logs:DescribeLogStreams"],
    Resource: [logGroupArn, `${logGroupArn}:*`],
  });
}
