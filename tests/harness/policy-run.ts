/**
 * Runs the policy pack's policies the way the Pulumi analyzer does, without starting it: resource
 * policies get each resource's inputs, stack policies every resource's outputs with their parent and
 * dependencies, all wrapped in `@pulumi/policy`'s own unknown-checking proxy. Resources come from a
 * program run under mocks ({@link fromProgramRun}) or from fixtures.
 *
 * {@link asPreview} turns known resources into what `pulumi preview` of a new stack sees: every value
 * computed by AWS (ARNs, ids, URLs, generated names) and every input derived from one becomes unknown.
 *
 * @example
 * ```ts
 * const dev = await runProgram("dev");
 * const violations = await evaluate(policies, fromProgramRun(dev));
 * expect(violations.filter((v) => v.level === "mandatory")).toEqual([]);
 * ```
 */
import type { EnforcementLevel, PolicyResource, PolicyResourceOptions, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { UNKNOWN_STRING_SENTINEL } from "../../policy/inputs";
import type { ProgramRun } from "./program";

/** A resource as a policy sees it. */
export interface PolicyFixture {
  readonly type: string;
  readonly name: string;
  readonly urn: string;
  /** What resource policies see. */
  readonly inputs: Record<string, unknown>;
  /** What stack policies see (inputs plus what AWS computes). */
  readonly outputs: Record<string, unknown>;
  readonly protect?: boolean;
  readonly retainOnDelete?: boolean;
  readonly parent?: string;
  readonly dependencies?: readonly string[];
  readonly propertyDependencies?: Readonly<Record<string, readonly string[]>>;
}

export interface Violation {
  readonly policy: string;
  readonly level: EnforcementLevel;
  readonly message: string;
  /** The resource a stack policy named; resource policies always name the resource validated. */
  readonly urn: string | undefined;
  /** True when the analyzer would have reported "can't run during preview" instead (an unknown was read through the proxy). */
  readonly cannotRun?: boolean;
}

type Policy = ResourceValidationPolicy | StackValidationPolicy;

/** `@pulumi/policy`'s proxy module: its exports are internal (no typings), so they are typed here. */
const proxy = require("@pulumi/policy/proxy") as {
  unknownCheckingProxy<T extends object>(props: T): T;
  UnknownValueError: new (...args: never[]) => Error;
};

/** A deep copy of plain data (objects and arrays); other values (assets, promises) are shared. */
function copy(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(copy);
  if (typeof value === "object" && value !== null && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([key, element]) => [key, copy(element)]));
  }
  return value;
}

function proxied(props: Record<string, unknown>): Record<string, unknown> {
  return proxy.unknownCheckingProxy(copy(props) as Record<string, unknown>);
}

/** The resources a mock program run registered, with their URNs, parents and dependencies. */
export function fromProgramRun(run: ProgramRun): PolicyFixture[] {
  return run.resources.map((resource) => {
    const registration = run.registration(resource);
    return {
      type: resource.type,
      name: resource.name,
      urn: registration.urn,
      inputs: resource.inputs,
      outputs: resource.state,
      ...(registration.protect === undefined ? {} : { protect: registration.protect }),
      ...(registration.retainOnDelete === undefined ? {} : { retainOnDelete: registration.retainOnDelete }),
      ...(registration.parent === undefined ? {} : { parent: registration.parent }),
      dependencies: registration.dependencies,
      propertyDependencies: registration.propertyDependencies,
    };
  });
}

function replaceDeep(value: unknown, replace: (text: string) => unknown): unknown {
  if (typeof value === "string") return replace(value);
  if (Array.isArray(value)) return value.map((element) => replaceDeep(element, replace));
  if (typeof value === "object" && value !== null) return Object.fromEntries(Object.entries(value).map(([key, element]) => [key, replaceDeep(element, replace)]));
  return value;
}

/**
 * What the analyzer sees at `pulumi preview` of a new stack: values AWS computes (everything in a
 * resource's outputs that is not one of its inputs) are unknown, and so is every input string that
 * contains one (an ARN in an environment variable, a JSON policy naming ARNs). `computed: "absent"`
 * drops the computed outputs instead of marking them unknown.
 */
export function asPreview(resources: readonly PolicyFixture[], computed: "unknown" | "absent" = "unknown"): PolicyFixture[] {
  const computedValues = new Set<string>();
  for (const resource of resources) {
    for (const [key, value] of Object.entries(resource.outputs)) {
      if (key in resource.inputs) continue;
      replaceDeep(value, (text) => {
        if (text.length >= 6) computedValues.add(text);
        return text;
      });
    }
  }
  const values = [...computedValues];
  const unknownIfDerived = (text: string) => (values.some((value) => text.includes(value)) ? UNKNOWN_STRING_SENTINEL : text);
  return resources.map((resource) => {
    const inputs = replaceDeep(resource.inputs, unknownIfDerived) as Record<string, unknown>;
    const computedKeys = Object.keys(resource.outputs).filter((key) => !(key in resource.inputs));
    const outputs = computed === "absent" ? { ...inputs } : { ...inputs, ...Object.fromEntries(computedKeys.map((key) => [key, UNKNOWN_STRING_SENTINEL])) };
    return { ...resource, inputs, outputs };
  });
}

function options(resource: PolicyFixture): PolicyResourceOptions {
  const base: PolicyResourceOptions & { retainOnDelete?: boolean } = {
    protect: resource.protect ?? false,
    ignoreChanges: [],
    aliases: [],
    customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
    additionalSecretOutputs: [],
    ...(resource.parent === undefined ? {} : { parent: resource.parent }),
    // Not in the analyzer protocol today; passed so the rule that reads it is tested (see policy/resources.ts).
    ...(resource.retainOnDelete === undefined ? {} : { retainOnDelete: resource.retainOnDelete }),
  };
  return base;
}

const neverTyped = { isType: () => false, asType: () => undefined };

function stackResources(resources: readonly PolicyFixture[]): PolicyResource[] {
  const built = resources.map(
    (resource): PolicyResource => ({
      type: resource.type,
      name: resource.name,
      urn: resource.urn,
      props: proxied(resource.outputs),
      opts: options(resource),
      dependencies: [],
      propertyDependencies: {},
      ...neverTyped,
    }),
  );
  const byUrn = new Map(built.map((resource) => [resource.urn, resource]));
  const lookup = (urns: readonly string[] | undefined) => (urns ?? []).flatMap((urn) => byUrn.get(urn) ?? []);
  resources.forEach((resource, index) => {
    const target = built[index]!;
    target.dependencies = lookup(resource.dependencies);
    target.propertyDependencies = Object.fromEntries(Object.entries(resource.propertyDependencies ?? {}).map(([key, urns]) => [key, lookup(urns)]));
    const parent = resource.parent === undefined ? undefined : byUrn.get(resource.parent);
    if (parent) target.parent = parent;
  });
  return built;
}

/** Runs `policies` over `resources` and returns every violation, as the analyzer would report them. */
export async function evaluate(policies: readonly Policy[], resources: readonly PolicyFixture[]): Promise<Violation[]> {
  const violations: Violation[] = [];
  const stackTags = new Map<string, string>();
  const notApplicable = (reason?: string): never => {
    throw new Error(`notApplicable(${reason ?? ""}) is not used by this pack`);
  };
  for (const policy of policies) {
    const level = policy.enforcementLevel ?? "advisory";
    const record = (message: string, urn?: string) => violations.push({ policy: policy.name, level, message, urn });
    const guard = async (run: () => Promise<void> | void, urn: string | undefined) => {
      try {
        await run();
      } catch (error) {
        if (!(error instanceof proxy.UnknownValueError)) throw error;
        violations.push({ policy: policy.name, level: "advisory", message: `can't run during preview: ${error.message}`, urn, cannotRun: true });
      }
    };
    if ("validateResource" in policy && policy.validateResource) {
      const validations = Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource];
      for (const resource of resources) {
        for (const validate of validations) {
          const args = {
            type: resource.type,
            name: resource.name,
            urn: resource.urn,
            props: proxied(resource.inputs),
            opts: options(resource),
            stackTags,
            ...neverTyped,
            getConfig: <T extends object>() => ({}) as T,
            notApplicable,
          };
          await guard(() => validate(args, (message) => record(message, resource.urn)), resource.urn);
        }
      }
    }
    if ("validateStack" in policy) {
      const args = { resources: stackResources(resources), stackTags, getConfig: <T extends object>() => ({}) as T, notApplicable };
      await guard(() => policy.validateStack(args, (message, urn) => record(message, urn)), undefined);
    }
  }
  return violations;
}
