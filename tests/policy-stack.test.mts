/**
 * The policy pack against the program itself: every resource `dev` and `prod` register under mocks
 * (with their URNs, parents, dependencies and protection options), evaluated as the analyzer would
 * evaluate them, with known values (`pulumi up`, or a preview of an existing stack) and with the
 * values a preview of a new stack does not know yet.
 *
 * `prod` is evaluated as its operators deploy it: README asks for the team's address in
 * `datalake:alertEmails` before the first `pulumi up --stack prod`; the shipped placeholder is what
 * `prod-alert-emails-real` exists to stop, and a test below shows it does.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { createPolicies } from "../policy/pack.js";
import { asPreview, evaluate, fromProgramRun, type PolicyFixture, type Violation } from "./harness/policy-run.js";
import { runProgram } from "./harness/program.js";

const policies = createPolicies();
const resources: Record<"dev" | "prod" | "prodAsShipped", PolicyFixture[]> = { dev: [], prod: [], prodAsShipped: [] };

beforeAll(async () => {
  resources.dev = fromProgramRun(await runProgram("dev"));
  resources.prodAsShipped = fromProgramRun(await runProgram("prod"));
  resources.prod = fromProgramRun(await runProgram("prod", { "datalake:alertEmails": ["data-oncall@lake-team.io"] }));
}, 180_000);

const mandatory = (violations: readonly Violation[]) => violations.filter((violation) => violation.level === "mandatory").map((violation) => `${violation.policy}: ${violation.message}`);

describe.each(["dev", "prod"] as const)("the %s stack", (stack) => {
  it("passes every mandatory rule", async () => {
    // Act
    const violations = await evaluate(policies, resources[stack]);
    // Assess
    expect(mandatory(violations)).toEqual([]);
  });

  it("at preview of a new stack, no rule reads an unknown value, and nothing fires that the known values do not confirm", async () => {
    // Prepare
    const known = (await evaluate(policies, resources[stack])).map((violation) => `${violation.policy}: ${violation.message}`);
    for (const computed of ["unknown", "absent"] as const) {
      // Act
      const preview = await evaluate(policies, asPreview(resources[stack], computed));
      // Assess
      expect(preview.filter((violation) => violation.cannotRun)).toEqual([]);
      expect(preview.map((violation) => `${violation.policy}: ${violation.message}`).filter((violation) => !known.includes(violation))).toEqual([]);
    }
  });
});

describe("the shipped Pulumi.prod.yaml", () => {
  it("is stopped by prod-alert-emails-real until the placeholder address is replaced", async () => {
    const violations = await evaluate(policies, resources.prodAsShipped);
    expect(violations.filter((violation) => violation.policy === "prod-alert-emails-real").map((violation) => violation.message)).toEqual([
      'aws:sns/topicSubscription:TopicSubscription "datalake-alerts-email-0": sends production alerts to the placeholder data-oncall@example.com, which nobody reads. Change `endpoint`: the team\'s on-call address (stack config: datalake:alertEmails).',
    ]);
  });

  it("protects the lake bucket and the key (protect and retainOnDelete as registered)", async () => {
    const violations = await evaluate(policies, resources.prodAsShipped);
    expect(violations.filter((violation) => violation.policy === "prod-data-protected")).toEqual([]);
    const protectedOnes = resources.prodAsShipped.filter((resource) => resource.protect === true && resource.retainOnDelete === true).map((resource) => `${resource.type}::${resource.name}`);
    expect(protectedOnes).toEqual(expect.arrayContaining(["aws:kms/key:Key::datalake-key", "aws:s3/bucket:Bucket::datalake-lake"]));
  });
});
