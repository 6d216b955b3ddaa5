/**
 * The condition keys AWS adds to every request from who sends it, how, and when: the principal's
 * keys, TLS, time, region, the resource's account, the VPC endpoint a request goes through, and
 * for KMS the calling account and the service acting for the caller. The request mapper supplies
 * the keys the request itself sets; this module supplies the rest, so the two together are the
 * request context IAM evaluates.
 *
 * Keys and their values: IAM User Guide, "AWS global condition context keys"
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html);
 * `s3:TlsVersion` (S3 condition keys, https://docs.aws.amazon.com/AmazonS3/latest/userguide/amazon-s3-policy-keys.html);
 * `kms:CallerAccount` and `kms:ViaService` (AWS KMS condition keys,
 * https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html).
 *
 * @example
 * ```ts
 * requestContext({ principal, check, transport: { secure: true, tlsVersion: "1.3" }, region: "eu-west-1", now: new Date() });
 * // { "aws:PrincipalArn": "arn:aws:iam::123456789012:role/…", "aws:SecureTransport": "true", "s3:TlsVersion": "1.3", … }
 * ```
 */
import type { AuthorizationCheck, ConditionContext } from "./request-mapper";
import type { Principal, VpcEndpointModel } from "./model";

export interface Transport {
  /** Whether the request came over TLS. */
  readonly secure: boolean;
  /** The negotiated TLS version as S3 reports it, e.g. `1.3`. */
  readonly tlsVersion?: string;
}

/** Node's `TLSv1.3` → S3's `1.3`. */
export function tlsVersionOf(protocol: string | null | undefined): string | undefined {
  const match = /^TLSv(\d(?:\.\d)?)$/.exec(protocol ?? "");
  return match ? (match[1]!.includes(".") ? match[1] : `${match[1]}.0`) : undefined;
}

export interface ContextArguments {
  readonly principal: Principal;
  readonly check: AuthorizationCheck;
  readonly transport: Transport;
  readonly region: string;
  readonly now: Date;
  /**
   * For a call a service makes to KMS for the caller (S3, SNS, SQS): the service's name, e.g. `s3`.
   * Such a call carries `kms:ViaService` and does not go through the caller's VPC endpoint.
   */
  readonly viaService?: string;
}

function serviceOf(action: string): string {
  return action.split(":")[0]!.toLowerCase();
}

/** The VPC endpoint a principal's request for this action goes through, if any. */
export function endpointFor(principal: Principal, action: string, viaService?: string): VpcEndpointModel | undefined {
  if (viaService !== undefined) return undefined;
  return principal.endpoints.find((endpoint) => endpoint.service === serviceOf(action));
}

/** The full request context of one check: the request's own keys plus the principal's, transport's and time's. */
export function requestContext(args: ContextArguments): ConditionContext {
  const { principal, check, transport, region, now, viaService } = args;
  const service = serviceOf(check.action);
  const context: ConditionContext = {
    "aws:PrincipalArn": principal.arn,
    "aws:PrincipalAccount": principal.accountId,
    "aws:PrincipalType": principal.kind === "role" ? "AssumedRole" : "User",
    "aws:PrincipalIsAWSService": "false",
    "aws:userid": principal.userId,
    "aws:CurrentTime": now.toISOString().replace(/\.\d{3}Z$/, "Z"),
    "aws:EpochTime": String(Math.floor(now.getTime() / 1000)),
    "aws:RequestedRegion": region,
    "aws:ResourceAccount": check.resourceAccount,
    // A service calling KMS for the caller does so over TLS inside AWS.
    "aws:SecureTransport": viaService !== undefined || transport.secure ? "true" : "false",
  };
  if (principal.kind === "user") context["aws:username"] = principal.arn.split("/").pop()!;
  if (service === "s3" && transport.secure && transport.tlsVersion !== undefined) context["s3:TlsVersion"] = transport.tlsVersion;
  if (service === "kms") context["kms:CallerAccount"] = principal.accountId;
  if (viaService !== undefined) {
    context["kms:ViaService"] = `${viaService}.${region}.amazonaws.com`;
    context["aws:ViaAWSService"] = "true";
  }
  const endpoint = endpointFor(principal, check.action, viaService);
  if (endpoint) {
    context["aws:SourceVpce"] = endpoint.id;
    context["aws:SourceVpc"] = endpoint.vpcId;
  }
  return { ...context, ...check.context };
}
