/**
 * What the local policy endpoint answers and records: AWS's access-denied messages and error shapes
 * per service and protocol, and the decision log's expectations of denials.
 */
import { describe, expect, test } from "vitest";
import { denialMessage, denialResponse, unknownCallerResponse } from "./harness/iam/aws-errors.js";
import { DecisionLog, type Decision } from "./harness/iam/decision-log.js";

const CALLER = "arn:aws:sts::123456789012:assumed-role/processor/processor";

describe("access-denied messages name the policy type that decided", () => {
  test("an implicit deny: no identity-based policy allows", () => {
    expect(denialMessage({ callerArn: CALLER, action: "sns:Publish", resource: "arn:aws:sns:eu-west-1:123456789012:t", decidedBy: [{ policyType: "identity", effect: "Implicit" }] })).toBe(
      `User: ${CALLER} is not authorized to perform: sns:Publish on resource: arn:aws:sns:eu-west-1:123456789012:t because no identity-based policy allows the sns:Publish action`,
    );
  });

  test("an explicit deny in a resource-based policy, S3 quoting the resource", () => {
    const message = denialMessage({ callerArn: CALLER, action: "s3:PutObject", resource: "arn:aws:s3:::lake/a", quoteResource: true, decidedBy: [{ policyType: "resource", effect: "Deny", sid: "DenyInsecureTransport" }] });
    expect(message).toBe(`User: ${CALLER} is not authorized to perform: s3:PutObject on resource: "arn:aws:s3:::lake/a" with an explicit deny in a resource-based policy`);
  });

  test("a VPC endpoint policy that allows nothing for the request", () => {
    expect(denialMessage({ callerArn: CALLER, action: "s3:GetObject", resource: "arn:aws:s3:::other/a", decidedBy: [{ policyType: "vpce", effect: "Implicit" }] })).toMatch(/because no VPC endpoint policy allows the s3:GetObject action$/);
  });
});

describe("error shapes", () => {
  const common = { message: "denied", requestId: "REQ1", method: "POST" };

  test("S3: 403 AccessDenied in XML, without a body for HEAD", () => {
    const get = denialResponse({ ...common, service: "s3", protocol: "rest-xml", method: "GET", cause: "access" });
    expect(get.status).toBe(403);
    expect(get.body).toContain("<Code>AccessDenied</Code><Message>denied</Message><RequestId>REQ1</RequestId>");
    expect(denialResponse({ ...common, service: "s3", protocol: "rest-xml", method: "HEAD", cause: "kms" })).toMatchObject({ status: 403, body: "" });
  });

  test("SQS JSON: AccessDenied (403) and KMS.AccessDeniedException (400) through x-amzn-query-error", () => {
    const access = denialResponse({ ...common, service: "sqs", protocol: "json", cause: "access" });
    expect(access).toMatchObject({ status: 403, headers: { "x-amzn-query-error": "AccessDenied;Sender" } });
    expect(JSON.parse(access.body)).toEqual({ __type: "com.amazon.coral.service#AccessDeniedException", message: "denied" });
    const kms = denialResponse({ ...common, service: "sqs", protocol: "json", cause: "kms" });
    expect(kms).toMatchObject({ status: 400, headers: { "x-amzn-query-error": "KMS.AccessDeniedException;Sender" } });
    expect(JSON.parse(kms.body).__type).toBe("com.amazonaws.sqs#KmsAccessDenied");
  });

  test("SQS and SNS query protocol: ErrorResponse with Type Sender and the service's code", () => {
    expect(denialResponse({ ...common, service: "sqs", protocol: "query", cause: "access" }).body).toContain("<Error><Type>Sender</Type><Code>AccessDenied</Code>");
    expect(denialResponse({ ...common, service: "sns", protocol: "query", cause: "access" })).toMatchObject({ status: 403, body: expect.stringContaining("<Code>AuthorizationError</Code>") });
    expect(denialResponse({ ...common, service: "sns", protocol: "query", cause: "kms" })).toMatchObject({ status: 400, body: expect.stringContaining("<Code>KMSAccessDenied</Code>") });
  });

  test("KMS and Athena: 400 AccessDeniedException in JSON 1.1", () => {
    for (const service of ["kms", "athena"]) {
      const response = denialResponse({ ...common, service, protocol: "json", cause: "access" });
      expect(response).toMatchObject({ status: 400, headers: { "content-type": "application/x-amz-json-1.1" } });
      expect(JSON.parse(response.body).__type).toBe("AccessDeniedException");
    }
  });

  test("an unknown access key: S3 InvalidAccessKeyId, others InvalidClientTokenId", () => {
    expect(unknownCallerResponse({ ...common, service: "s3", protocol: "rest-xml" }).body).toContain("<Code>InvalidAccessKeyId</Code>");
    expect(JSON.parse(unknownCallerResponse({ ...common, service: "sqs", protocol: "json" }).body).__type).toBe("InvalidClientTokenId");
  });

  test("messages are escaped in XML", () => {
    expect(denialResponse({ ...common, message: 'a <b> & "c"', service: "s3", protocol: "rest-xml", method: "GET", cause: "access" }).body).toContain("a &lt;b&gt; &amp; &quot;c&quot;");
  });
});

describe("decision log", () => {
  const denial = (principal: string, action: string, resource: string): Omit<Decision, "sequence" | "time"> => ({
    requestId: "R",
    principal,
    service: action.split(":")[0]!,
    action,
    resource,
    phase: "request",
    decision: "deny",
    outcome: "ImplicitlyDenied",
    decidedBy: [{ policyType: "identity", effect: "Implicit" }],
  });

  test("numbers decisions and lists denials", () => {
    const log = new DecisionLog();
    log.record({ ...denial("p", "s3:GetObject", "arn:aws:s3:::b/k"), decision: "allow", outcome: "Allowed" });
    log.record(denial("p", "s3:PutObject", "arn:aws:s3:::b/k"));
    expect(log.decisions.map((decision) => decision.sequence)).toEqual([1, 2]);
    expect(log.denials().map((decision) => decision.action)).toEqual(["s3:PutObject"]);
  });

  test("expected denials are left out of unexpectedDenials, each expectation up to its count", () => {
    const log = new DecisionLog();
    log.expectDenial({ principal: "producer", action: "s3:PutObject", resource: /\/processed\//, times: 1 });
    log.record(denial("producer", "s3:PutObject", "arn:aws:s3:::lake/processed/a"));
    log.record(denial("producer", "s3:PutObject", "arn:aws:s3:::lake/processed/b"));
    log.record(denial("reader", "sns:Publish", "arn:aws:sns:eu-west-1:1:t"));
    expect(log.unexpectedDenials().map((decision) => decision.resource)).toEqual(["arn:aws:s3:::lake/processed/b", "arn:aws:sns:eu-west-1:1:t"]);
    expect(() => log.assertNoUnexpectedDenials()).toThrow(/reader sns:Publish/);
    log.clear();
    expect(log.decisions).toEqual([]);
    expect(() => log.assertNoUnexpectedDenials()).not.toThrow();
  });
});
