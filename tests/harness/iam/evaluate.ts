/**
 * Evaluates one authorization check with `@cloud-copilot/iam-simulate`, a maintained IAM policy
 * evaluator (identity, resource and VPC endpoint policies, every condition operator, same- and
 * cross-account rules, KMS key policies): no policy logic is written here. This module only picks
 * the policies that apply to a check and turns the simulator's answer into a verdict that says
 * which policy and statement decided.
 *
 * How the simulator treats KMS (checked in tests/iam-evaluation.test.mts, and read in its
 * `KmsServiceAuthorizer`): for a key, an identity policy alone never suffices, even in the same
 * account; the key policy must allow the caller, directly or through a statement for the account's
 * root principal, which delegates to IAM (AWS KMS Developer Guide, "Default key policy",
 * https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html).
 *
 * @example
 * ```ts
 * const verdict = await simulate({ callerArn, identityPolicies, resourcePolicy, action: "s3:PutObject", resource: "arn:aws:s3:::lake/raw/a", resourceAccount: "123456789012", context: {} });
 * verdict.outcome; // "ExplicitlyDenied"
 * verdict.decidedBy; // [{ policyType: "resource", policy: "bucket:lake", sid: "DenyOtherEncryptionAlgorithms", effect: "Deny" }]
 * ```
 */
import { getDenialReasons, getGrantReasons, runSimulation, type RequestDenial, type RequestGrant } from "@cloud-copilot/iam-simulate";
import { endpointFor, requestContext, type Transport } from "./context";
import { resourcePolicyFor, type NamedPolicy, type PolicyModel, type Principal } from "./model";
import type { AuthorizationCheck, ConditionContext } from "./request-mapper";

export type EvaluationOutcome = "Allowed" | "ExplicitlyDenied" | "ImplicitlyDenied" | "Invalid";

/** The kinds of policy a decision can come from, as iam-simulate names them. */
export type PolicyType = RequestDenial["policyType"] | RequestGrant["policyType"];

export interface DecisiveStatement {
  readonly policyType: PolicyType;
  /** The policy's name in the model (`inline:…`, `bucket:…`, `key:…`, `vpce:…`). */
  readonly policy?: string;
  readonly sid?: string;
  /** 1-based index of the statement in its policy. */
  readonly index?: number;
  /** `Implicit`: no statement of this policy type allowed the request. */
  readonly effect: "Allow" | "Deny" | "Implicit";
}

export interface Verdict {
  readonly allowed: boolean;
  readonly outcome: EvaluationOutcome;
  readonly decidedBy: readonly DecisiveStatement[];
  /** Context keys the simulator dropped as not applicable to the action (see ./README.md). */
  readonly ignoredContextKeys: readonly string[];
  /** Why the simulation could not run (`Invalid`): bad policy, unknown action, wrong resource type. */
  readonly error?: string;
}

export interface SimulationInput {
  /** The caller: an assumed-role session ARN or a user ARN. */
  readonly callerArn: string;
  readonly identityPolicies: readonly NamedPolicy[];
  readonly resourcePolicy?: NamedPolicy;
  readonly vpcEndpointPolicies?: readonly NamedPolicy[];
  readonly action: string;
  readonly resource: string;
  readonly resourceAccount: string;
  readonly context: ConditionContext;
}

/** One reason of iam-simulate's analysis as a decisive statement, with the policy's name in the model. */
function decisive(reason: RequestDenial | RequestGrant, input: SimulationInput): DecisiveStatement {
  const policy = reason.policyType === "resource" ? input.resourcePolicy?.name : "policyIdentifier" in reason ? reason.policyIdentifier : undefined;
  const named = policy ? { policy } : {};
  if ("denialType" in reason && reason.denialType === "Implicit") return { policyType: reason.policyType, effect: "Implicit", ...named };
  const statement = { ...(reason.statementId ? { sid: reason.statementId } : {}), index: reason.statementIndex };
  return { policyType: reason.policyType, effect: "denialType" in reason ? "Deny" : "Allow", ...named, ...statement };
}

/**
 * Runs the simulator on explicit policies. Tests use it to pin the verdict for a given document.
 *
 * @returns `Invalid` (not allowed) when the simulator rejects the input, e.g. an unknown action.
 */
export async function simulate(input: SimulationInput): Promise<Verdict> {
  const response = await runSimulation(
    {
      request: { principal: input.callerArn, action: input.action, resource: { resource: input.resource, accountId: input.resourceAccount }, contextVariables: input.context },
      identityPolicies: input.identityPolicies.map((policy) => ({ name: policy.name, policy: policy.document })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      ...(input.resourcePolicy ? { resourcePolicy: input.resourcePolicy.document } : {}),
      ...(input.vpcEndpointPolicies ? { vpcEndpointPolicies: input.vpcEndpointPolicies.map((policy) => ({ name: policy.name, policy: policy.document })) } : {}),
    },
    { simulationMode: "Strict" },
  );
  if (response.resultType === "error") {
    return { allowed: false, outcome: "Invalid", decidedBy: [], ignoredContextKeys: [], error: JSON.stringify(response.errors) };
  }
  if (response.resultType === "wildcard") {
    // Only resources with `*` run several simulations; this module passes exact ARNs or `*` for wildcard-only actions.
    const allowed = response.overallResult === "Allowed";
    return { allowed, outcome: response.overallResult, decidedBy: [], ignoredContextKeys: response.results.flatMap((result) => result.ignoredContextKeys ?? []) };
  }
  const analysis = response.result.analysis;
  const allowed = response.overallResult === "Allowed";
  const reasons: Array<RequestDenial | RequestGrant> = allowed ? getGrantReasons(analysis) : getDenialReasons(analysis);
  return {
    allowed,
    outcome: response.overallResult,
    decidedBy: reasons.map((reason) => decisive(reason, input)),
    ignoredContextKeys: response.result.ignoredContextKeys ?? [],
  };
}

export interface CheckEvaluation {
  readonly verdict: Verdict;
  /** The full request context the check was evaluated with. */
  readonly context: ConditionContext;
}

/**
 * Evaluates a check as `principal` would be evaluated by AWS: its identity policies, the resource's
 * policy from the model, and the VPC endpoint policy its request goes through (not for a service's
 * own call to KMS, `viaService`).
 */
export async function evaluateCheck(args: {
  readonly model: PolicyModel;
  readonly principal: Principal;
  readonly check: AuthorizationCheck;
  readonly transport: Transport;
  readonly now: Date;
  readonly viaService?: string;
}): Promise<CheckEvaluation> {
  const { model, principal, check, viaService } = args;
  const context = requestContext({ principal, check, transport: args.transport, region: model.region, now: args.now, ...(viaService !== undefined ? { viaService } : {}) });
  const endpoint = endpointFor(principal, check.action, viaService);
  const resourcePolicy = check.resource === "*" ? undefined : resourcePolicyFor(model, check.resource);
  const verdict = await simulate({
    callerArn: principal.callerArn,
    identityPolicies: principal.identityPolicies,
    ...(resourcePolicy ? { resourcePolicy } : {}),
    // An endpoint without a policy allows everything: AWS's default endpoint policy is full access.
    ...(endpoint?.policy ? { vpcEndpointPolicies: [endpoint.policy] } : {}),
    action: check.action,
    resource: check.resource,
    resourceAccount: check.resourceAccount,
    context,
  });
  return { verdict, context };
}
