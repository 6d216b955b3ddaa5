/**
 * Who signed a request: the access key id, region and service of an AWS Signature Version 4
 * `Authorization` header (or of a presigned URL's `X-Amz-Credential`). The policy endpoint uses the
 * access key id to find the caller's principal, and the credential scope's service to know which
 * API the request is for. The signature itself is not checked (see ./README.md).
 *
 * Format: `AWS4-HMAC-SHA256 Credential=<key>/<yyyymmdd>/<region>/<service>/aws4_request,
 * SignedHeaders=<h1;h2>, Signature=<hex>` (AWS General Reference, "Signature Version 4 signing
 * process": https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv.html).
 *
 * @example
 * ```ts
 * parseSigV4({ authorization: "AWS4-HMAC-SHA256 Credential=AKIA1/20260101/eu-west-1/s3/aws4_request, SignedHeaders=host, Signature=ab" }, new URLSearchParams());
 * // { accessKeyId: "AKIA1", date: "20260101", region: "eu-west-1", service: "s3", authType: "REST-HEADER", ... }
 * ```
 */

export interface SigV4Credential {
  readonly accessKeyId: string;
  /** The scope's date, `yyyymmdd`. */
  readonly date: string;
  readonly region: string;
  /** The signing name, e.g. `s3`, `sqs`, `sns`, `kms`, `athena`, `sts`. */
  readonly service: string;
  /** `s3:authType`: `REST-HEADER` for an Authorization header, `REST-QUERY-STRING` for a presigned URL. */
  readonly authType: "REST-HEADER" | "REST-QUERY-STRING";
  /** `s3:signatureversion`. */
  readonly signatureVersion: "AWS4-HMAC-SHA256";
}

const SCOPE = /^([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request$/;

function fromScope(credential: string, authType: SigV4Credential["authType"]): SigV4Credential | undefined {
  const match = SCOPE.exec(credential.trim());
  if (!match) return undefined;
  const [, accessKeyId, date, region, service] = match;
  return { accessKeyId: accessKeyId!, date: date!, region: region!, service: service!, authType, signatureVersion: "AWS4-HMAC-SHA256" };
}

/**
 * @param headers - request headers with lower-case names.
 * @returns `undefined` for an unsigned request or another signature version.
 */
export function parseSigV4(headers: Readonly<Record<string, string | undefined>>, query: URLSearchParams): SigV4Credential | undefined {
  const authorization = headers.authorization;
  if (authorization?.startsWith("AWS4-HMAC-SHA256 ")) {
    const credential = /Credential=([^,\s]+)/.exec(authorization)?.[1];
    return credential ? fromScope(credential, "REST-HEADER") : undefined;
  }
  if (query.get("X-Amz-Algorithm") === "AWS4-HMAC-SHA256") {
    const credential = query.get("X-Amz-Credential");
    return credential ? fromScope(credential, "REST-QUERY-STRING") : undefined;
  }
  return undefined;
}
