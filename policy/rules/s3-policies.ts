/**
 * S3 policy correctness: bucket policies that look strict but break uploads, and readers that turn a
 * missing object into "access denied".
 *
 * - `s3-no-ifexists-encryption-deny`: a Deny on `s3:PutObject` under an `…IfExists` operator on an
 *   encryption header denies the uploads that send no header at all. IAM evaluates an `…IfExists`
 *   test as true when the key is absent (IAM User Guide, "IAM JSON policy elements: Condition
 *   operators", `…IfExists`), so the Deny applies to every header-less PutObject, including those the
 *   bucket's default encryption would have encrypted correctly. Use a `Null` test for "header sent"
 *   plus a plain `StringNotEquals`.
 * - `s3-event-readers-can-list`: S3 answers GetObject/HeadObject on a missing key with 404 only when
 *   the caller may `s3:ListBucket` on the bucket, else 403 (S3 API Reference, GetObject,
 *   "Permissions"). That check carries no prefix, so a ListBucket grant limited by an `s3:prefix`
 *   condition does not count. A function that reads objects named by events (SQS, S3, SNS) will meet
 *   deleted or replaced objects and must tell "gone" (permanent) from "denied" (retry): its role needs
 *   ListBucket on the bucket without an `s3:prefix` condition. Role documents are built from ARNs, so
 *   this stack rule can read them only once those are known (after the first `up`).
 */
import { ConditionTest, Statement, allowsAction, conditionsOn, coversAction, coversResource, parseDocument, statementLabel } from "../documents";
import { FUNCTION, functionDocuments, mappingsOf, notificationsOf, rolesOf, subscriptionsOf } from "../functions";
import { UNKNOWN } from "../inputs";
import type { ResourceView, StackView } from "../resources";
import type { Finding, ResourceRule, StackRule } from "../rule";
import { BUCKET_POLICY, BUCKET_TYPES, bucketOfArn } from "./s3";

const ENCRYPTION_HEADER_KEYS = ["s3:x-amz-server-side-encryption", "s3:x-amz-server-side-encryption-aws-kms-key-id"];

/** `…IfExists` tests on the encryption headers in a Deny that covers PutObject. */
function ifExistsOnEncryptionHeaders(statement: Statement): ConditionTest[] {
  if (statement.effect !== "Deny" || !coversAction(statement, "s3:PutObject")) return [];
  return ENCRYPTION_HEADER_KEYS.flatMap((key) => conditionsOn(statement, key)).filter((condition) => /IfExists$/i.test(condition.operator));
}

export const s3NoIfExistsEncryptionDeny: ResourceRule = {
  kind: "resource",
  name: "s3-no-ifexists-encryption-deny",
  description: "No bucket policy denies s3:PutObject under an …IfExists test on an encryption header (it denies uploads that send no header).",
  level: "mandatory",
  remediation: 'Replace the …IfExists test by a "Null": {"<header>": "false"} test plus a plain StringNotEquals on the header.',
  types: [BUCKET_POLICY, ...BUCKET_TYPES],
  check: (resource) => {
    const document = parseDocument(resource.inputs.value("policy"));
    // Unknown at preview of a new stack (the document names the bucket's ARN): checked during `up`.
    if (document === UNKNOWN || document === undefined) return [];
    return document.statements.flatMap((statement, index) =>
      ifExistsOnEncryptionHeaders(statement).map(
        (condition): Finding => ({
          resource,
          problem: `${statementLabel(statement, index)} denies s3:PutObject under ${condition.operator} on ${condition.key}, which also denies every upload that sends no encryption header`,
          property: "policy",
          fix: `test the header with "Null": {"${condition.key}": "false"} and ${condition.operator.replace(/IfExists$/i, "")} on it, in one statement`,
        }),
      ),
    );
  },
};

/** Whether a statement grants ListBucket on `bucketArn` with no `s3:prefix` condition. */
function listsWholeBucket(statement: Statement, bucketArn: string): boolean {
  return allowsAction(statement, "s3:ListBucket") && coversResource(statement, bucketArn) && conditionsOn(statement, "s3:prefix").length === 0;
}

/** Buckets (as ARN partition + name) whose objects a statement lets the holder read. */
function readBuckets(statement: Statement): string[] {
  if (!allowsAction(statement, "s3:GetObject") && !allowsAction(statement, "s3:GetObjectVersion")) return [];
  return statement.resources.flatMap((resource) => {
    const bucket = bucketOfArn(resource);
    const partition = /^arn:([^:]+):/.exec(resource)?.[1];
    return bucket && partition && !bucket.includes("*") && resource.includes("/") ? [`arn:${partition}:s3:::${bucket}`] : [];
  });
}

/** Whether something delivers events naming objects to the function (SQS mapping, S3 notification, SNS subscription). */
function isEventDriven(stack: StackView, fn: ResourceView): boolean {
  return mappingsOf(stack, fn).length > 0 || notificationsOf(stack, fn).length > 0 || subscriptionsOf(stack, fn).length > 0;
}

export const s3EventReadersCanList: StackRule = {
  kind: "stack",
  name: "s3-event-readers-can-list",
  description: "A function that reads objects named by events holds s3:ListBucket on their bucket without an s3:prefix condition (so a missing object is 404, not 403).",
  level: "mandatory",
  remediation: "Grant the function's role s3:ListBucket on the bucket ARN with no s3:prefix condition.",
  check: (stack) =>
    stack.ofType(FUNCTION).flatMap((fn) => {
      if (!isEventDriven(stack, fn)) return [];
      const held = functionDocuments(stack, fn);
      // A document not known yet (preview of a new stack): nothing can be said until `up`.
      if (held.some((entry) => entry.document === UNKNOWN)) return [];
      const statements = held.flatMap((entry) => (entry.document === undefined || entry.document === UNKNOWN ? [] : entry.document.statements.map((statement) => ({ statement, holder: entry.holder }))));
      const buckets = [...new Set(statements.flatMap(({ statement }) => readBuckets(statement)))];
      const role = rolesOf(stack, fn)[0] ?? fn;
      return buckets
        .filter((bucketArn) => !statements.some(({ statement }) => listsWholeBucket(statement, bucketArn)))
        .map((bucketArn): Finding => {
          const prefixed = statements.find(({ statement }) => allowsAction(statement, "s3:ListBucket") && coversResource(statement, bucketArn));
          return {
            resource: role,
            problem: `${fn.name} reads objects of ${bucketArn} named by its events but ${prefixed ? "holds s3:ListBucket on it only under an s3:prefix condition" : "holds no s3:ListBucket on it"}, so S3 answers a missing object with 403 instead of 404`,
            property: "policy",
            on: prefixed?.holder ?? held[0]?.holder ?? role,
            fix: `allow s3:ListBucket on ${bucketArn} without an s3:prefix condition`,
          };
        });
    }),
};

export const S3_POLICY_RULES = [s3NoIfExistsEncryptionDeny, s3EventReadersCanList] as const;
