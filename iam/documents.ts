/**
 * Typed IAM policy documents. Builders elsewhere return these plain objects, so tests can parse and
 * check every statement; `JSON.stringify` turns them into what AWS takes.
 */
export type PolicyPrincipal = "*" | { readonly AWS?: string | readonly string[]; readonly Service?: string | readonly string[] };

export type PolicyCondition = Readonly<Record<string, Readonly<Record<string, string | boolean | readonly string[]>>>>;

export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: "Allow" | "Deny";
  readonly Principal?: PolicyPrincipal;
  readonly Action: string | readonly string[];
  /** Omitted only in trust policies. */
  readonly Resource?: string | readonly string[];
  readonly Condition?: PolicyCondition;
}

export interface PolicyDocument {
  readonly Version: "2012-10-17";
  readonly Statement: readonly PolicyStatement[];
}

export function policyDocument(...statements: PolicyStatement[]): PolicyDocument {
  return { Version: "2012-10-17", Statement: statements };
}

/** The objects of a bucket under `prefix`, as a policy resource. */
export function objectsUnder(bucketArn: string, prefix: string): string {
  return `${bucketArn}/${prefix}*`;
}

/** Denies every request that does not use TLS, for resource policies. */
export function denyInsecureTransport(action: string, resources: readonly string[]): PolicyStatement {
  return {
    Sid: "DenyInsecureTransport",
    Effect: "Deny",
    Principal: "*",
    Action: action,
    Resource: resources,
    Condition: { Bool: { "aws:SecureTransport": "false" } },
  };
}

/** The trust policy that lets Lambda assume a function's role. */
export const LAMBDA_ASSUME_ROLE_POLICY: PolicyDocument = policyDocument({
  Effect: "Allow",
  Principal: { Service: "lambda.amazonaws.com" },
  Action: "sts:AssumeRole",
});
