/**
 * Error responses shaped as each AWS service sends them, so that the AWS SDK raises the same error
 * for a request the local policy endpoint refuses as it does on AWS:
 * - S3 (REST-XML): 403 `<Error><Code>AccessDenied</Code>…` (no body for HEAD)
 *   (S3 API reference, "Error responses", https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html).
 * - SQS, JSON protocol: `__type` and the `x-amzn-query-error: <Code>;Sender` header, from which SDK v3
 *   takes the error's name (it is `awsQueryCompatible`): 403 `AccessDenied`, and 400
 *   `KMS.AccessDeniedException` (the SDK's `KmsAccessDenied`) when the queue's key refuses the caller;
 *   query protocol: `<ErrorResponse><Error><Type>Sender</Type><Code>…` with the same codes
 *   (SQS API reference, "Common errors" and the SendMessage errors,
 *   https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html).
 * - SNS: 403 `AuthorizationError`, 400 `KMSAccessDenied` (SNS API reference, Publish errors,
 *   https://docs.aws.amazon.com/sns/latest/api/API_Publish.html).
 * - KMS and Athena (JSON 1.1): 400 `AccessDeniedException`.
 * Messages follow IAM's access-denied format, naming the policy type that decided ("IAM User Guide,
 * Troubleshoot access denied error messages",
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html).
 *
 * @example
 * ```ts
 * const response = denialResponse({ service: "s3", protocol: "rest-xml", cause: "access", method: "PUT", message, requestId: "r1" });
 * response.status; // 403
 * ```
 */
import type { DecisiveStatement } from "./evaluate";
import type { Protocol } from "./request-mapper";

export interface ErrorResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** `access`: the request's own permission; `kms`: the service's call to KMS for the caller. */
export type DenialCause = "access" | "kms";

const POLICY_TYPE_NAMES: Readonly<Record<string, string>> = {
  identity: "identity-based policy",
  resource: "resource-based policy",
  vpce: "VPC endpoint policy",
  scp: "service control policy",
  rcp: "resource control policy",
  pb: "permissions boundary",
  session: "session policy",
};

/**
 * IAM's access-denied message for a denied check.
 *
 * @example
 * denialMessage({ callerArn: "arn:aws:sts::1:assumed-role/r/s", action: "sns:Publish", resource: "arn:aws:sns:eu-west-1:1:t", decidedBy: [{ policyType: "identity", effect: "Implicit" }] })
 * // "User: arn:aws:sts::1:assumed-role/r/s is not authorized to perform: sns:Publish on resource: arn:aws:sns:eu-west-1:1:t because no identity-based policy allows the sns:Publish action"
 */
export function denialMessage(args: { readonly callerArn: string; readonly action: string; readonly resource: string; readonly decidedBy: readonly DecisiveStatement[]; readonly quoteResource?: boolean }): string {
  const resource = args.quoteResource ? `"${args.resource}"` : args.resource;
  const head = `User: ${args.callerArn} is not authorized to perform: ${args.action} on resource: ${resource}`;
  const explicit = args.decidedBy.find((statement) => statement.effect === "Deny");
  if (explicit) return `${head} with an explicit deny in a ${POLICY_TYPE_NAMES[explicit.policyType] ?? explicit.policyType}`;
  const implicit = args.decidedBy.find((statement) => statement.effect === "Implicit");
  return `${head} because no ${POLICY_TYPE_NAMES[implicit?.policyType ?? "identity"] ?? implicit?.policyType} allows the ${args.action} action`;
}

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

interface ServiceCodes {
  readonly status: number;
  readonly code: string;
  /** JSON protocol `__type`. */
  readonly jsonType: string;
  readonly namespace?: string;
}

/** Status and code per service for each cause. */
function codesFor(service: string, cause: DenialCause): ServiceCodes {
  switch (service) {
    case "s3":
      return { status: 403, code: "AccessDenied", jsonType: "AccessDenied" };
    case "sqs":
      return cause === "kms"
        ? { status: 400, code: "KMS.AccessDeniedException", jsonType: "com.amazonaws.sqs#KmsAccessDenied", namespace: "http://queue.amazonaws.com/doc/2012-11-05/" }
        : { status: 403, code: "AccessDenied", jsonType: "com.amazon.coral.service#AccessDeniedException", namespace: "http://queue.amazonaws.com/doc/2012-11-05/" };
    case "sns":
      return cause === "kms"
        ? { status: 400, code: "KMSAccessDenied", jsonType: "KMSAccessDenied", namespace: "https://sns.amazonaws.com/doc/2010-03-31/" }
        : { status: 403, code: "AuthorizationError", jsonType: "AuthorizationError", namespace: "https://sns.amazonaws.com/doc/2010-03-31/" };
    case "sts":
      return { status: 403, code: "AccessDenied", jsonType: "AccessDenied", namespace: "https://sts.amazonaws.com/doc/2011-06-15/" };
    default:
      // KMS, Athena and other JSON 1.1 services.
      return { status: 400, code: "AccessDeniedException", jsonType: "AccessDeniedException" };
  }
}

export interface ErrorArguments {
  readonly service: string;
  readonly protocol: Protocol;
  readonly method: string;
  readonly message: string;
  readonly requestId: string;
}

/** An error with an explicit status and code, in the service's protocol (e.g. S3 `InvalidAccessKeyId`). */
export function errorResponse(args: ErrorArguments & { readonly status: number; readonly code: string; readonly jsonType?: string; readonly namespace?: string }): ErrorResponse {
  const { protocol, message, requestId } = args;
  if (protocol === "rest-xml") {
    const headers = { "content-type": "application/xml", "x-amz-request-id": requestId, "x-amz-id-2": requestId };
    if (args.method === "HEAD") return { status: args.status, headers, body: "" };
    const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${args.code}</Code><Message>${escapeXml(message)}</Message><RequestId>${requestId}</RequestId><HostId>${requestId}</HostId></Error>`;
    return { status: args.status, headers, body };
  }
  if (protocol === "json") {
    const contentType = args.service === "sqs" ? "application/x-amz-json-1.0" : "application/x-amz-json-1.1";
    return {
      status: args.status,
      headers: { "content-type": contentType, "x-amzn-requestid": requestId, "x-amzn-query-error": `${args.code};Sender` },
      body: JSON.stringify({ __type: args.jsonType ?? args.code, message }),
    };
  }
  const namespace = args.namespace ? ` xmlns="${args.namespace}"` : "";
  return {
    status: args.status,
    headers: { "content-type": "text/xml", "x-amzn-requestid": requestId },
    body: `<?xml version="1.0"?>\n<ErrorResponse${namespace}><Error><Type>Sender</Type><Code>${args.code}</Code><Message>${escapeXml(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
  };
}

/** The response AWS gives a request it refuses, for the service and protocol of the request. */
export function denialResponse(args: ErrorArguments & { readonly cause: DenialCause }): ErrorResponse {
  const codes = codesFor(args.service, args.cause);
  // SQS and SNS report a KMS refusal as KMS does, in the message of their own error.
  const message = args.cause === "kms" && args.service !== "s3" ? `${args.message} (Service: AWSKMS; Status Code: 400; Error Code: AccessDeniedException; Request ID: ${args.requestId})` : args.message;
  return errorResponse({ ...args, message, status: codes.status, code: codes.code, jsonType: codes.jsonType, ...(codes.namespace ? { namespace: codes.namespace } : {}) });
}

/** The response to a request whose access key belongs to no principal of the model (or that is not signed). */
export function unknownCallerResponse(args: ErrorArguments): ErrorResponse {
  if (args.service === "s3") return errorResponse({ ...args, status: 403, code: "InvalidAccessKeyId" });
  return errorResponse({ ...args, status: 403, code: "InvalidClientTokenId", jsonType: "InvalidClientTokenId" });
}
