/**
 * The contents of the AWS managed policies the program attaches, so the policy model can count them
 * among a role's identity policies. AWS publishes each one in the AWS Managed Policy Reference; a
 * managed policy not listed here contributes nothing to the model (and the model says so in its
 * notes), which can only make the local endpoint stricter than AWS, never more lenient.
 */
import type { PolicyDocument } from "../../../iam/documents";

/**
 * `AWSLambdaVPCAccessExecutionRole`, policy version v3 (AWS Managed Policy Reference,
 * https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSLambdaVPCAccessExecutionRole.html).
 * It grants logs and network-interface actions only: nothing on the data path.
 */
const AWS_LAMBDA_VPC_ACCESS_EXECUTION_ROLE: PolicyDocument = {
  Version: "2012-10-17",
  Statement: [
    {
      Sid: "AWSLambdaVPCAccessExecutionPermissions",
      Effect: "Allow",
      Action: [
        "logs:CreateLogGroup",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "ec2:CreateNetworkInterface",
        "ec2:DescribeNetworkInterfaces",
        "ec2:DescribeSubnets",
        "ec2:DeleteNetworkInterface",
        "ec2:AssignPrivateIpAddresses",
        "ec2:UnassignPrivateIpAddresses",
      ],
      Resource: "*",
    },
  ],
};

/** Managed policy ARN → document, for the managed policies whose content is known here. */
export const KNOWN_MANAGED_POLICIES: Readonly<Record<string, PolicyDocument>> = {
  "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole": AWS_LAMBDA_VPC_ACCESS_EXECUTION_ROLE,
};
