/**
 * The resources a rule looks at, in one shape for both kinds of policy: a resource policy sees one
 * resource's inputs (`ResourceValidationArgs`), a stack policy every resource of the stack with its
 * dependencies (`PolicyResource`). {@link StackView} correlates resources the way the engine allows
 * at preview, when ARNs and ids are still unknown.
 *
 * Why correlate through dependencies: during `pulumi preview` of a new stack an event source
 * mapping's `eventSourceArn` or a function's `role` is unknown, but the engine already knows which
 * resource each input came from (`propertyDependencies`). Matching by dependency first and by equal
 * known values second finds the same links at preview and after `up`.
 *
 * @example
 * ```ts
 * const stack = StackView.fromPolicyResources(args.resources);
 * for (const mapping of stack.ofType(EVENT_SOURCE_MAPPING)) {
 *   const queues = stack.referenced(mapping, "eventSourceArn", stack.ofType(QUEUE), ["arn"]);
 * }
 * ```
 */
import type { PolicyResource, ResourceValidationArgs } from "@pulumi/policy";
import { Inputs, UNKNOWN, asBoolean, knownStrings } from "./inputs";

export interface ResourceView {
  readonly type: string;
  /** The logical name given in the program. */
  readonly name: string;
  readonly urn: string;
  readonly inputs: Inputs;
  /** `protect` as the engine reports it. */
  readonly protect: boolean | undefined;
  /**
   * `retainOnDelete`, when the engine reports it. The analyzer protocol of Pulumi 3.248 and
   * `@pulumi/policy` 1.21 do not carry it, so under `pulumi preview` it is `undefined`; the offline
   * tests pass it as the SDK registered it.
   */
  readonly retainOnDelete: boolean | undefined;
  /** The parent's URN. */
  readonly parent: string | undefined;
  readonly dependencies: readonly string[];
  /** URNs of the resources each top-level input came from. */
  readonly propertyDependencies: Readonly<Record<string, readonly string[]>>;
}

/** The stack a URN belongs to (`urn:pulumi:<stack>::<project>::<type>::<name>`). */
export function stackOfUrn(urn: string): string | undefined {
  return /^urn:pulumi:([^:]+)::/.exec(urn)?.[1];
}

/** `aws:sqs/queue:Queue "datalake-processing"`: how messages name a resource. */
export function label(resource: Pick<ResourceView, "type" | "name">): string {
  return `${resource.type} "${resource.name}"`;
}

function optionalBoolean(options: object, key: string): boolean | undefined {
  const value = asBoolean((options as Record<string, unknown>)[key]);
  return value === UNKNOWN ? undefined : value;
}

/** The view of the resource a resource policy validates (no dependencies: the analyzer sends none). */
export function resourceFromArgs(args: ResourceValidationArgs): ResourceView {
  return {
    type: args.type,
    name: args.name,
    urn: args.urn,
    inputs: Inputs.of(args.props),
    protect: optionalBoolean(args.opts, "protect"),
    retainOnDelete: optionalBoolean(args.opts, "retainOnDelete"),
    parent: args.opts.parent,
    dependencies: [],
    propertyDependencies: {},
  };
}

/** The view of one resource of a stack policy's `args.resources`. */
export function resourceFromPolicyResource(resource: PolicyResource): ResourceView {
  return {
    type: resource.type,
    name: resource.name,
    urn: resource.urn,
    inputs: Inputs.of(resource.props),
    protect: optionalBoolean(resource.opts, "protect"),
    retainOnDelete: optionalBoolean(resource.opts, "retainOnDelete"),
    parent: resource.parent?.urn ?? resource.opts.parent,
    dependencies: resource.dependencies.map((dependency) => dependency.urn),
    propertyDependencies: Object.fromEntries(
      Object.entries(resource.propertyDependencies).map(([property, dependencies]) => [property, dependencies.map((dependency) => dependency.urn)]),
    ),
  };
}

/** Every resource of a stack, with the lookups stack rules need. */
export class StackView {
  private readonly urns: ReadonlyMap<string, ResourceView>;

  constructor(readonly resources: readonly ResourceView[]) {
    this.urns = new Map(resources.map((resource) => [resource.urn, resource]));
  }

  static fromPolicyResources(resources: readonly PolicyResource[]): StackView {
    return new StackView(resources.map(resourceFromPolicyResource));
  }

  ofType(...types: readonly string[]): ResourceView[] {
    return this.resources.filter((resource) => types.includes(resource.type));
  }

  byUrn(urn: string | undefined): ResourceView | undefined {
    return urn === undefined ? undefined : this.urns.get(urn);
  }

  /** The stack's name, read from its resources' URNs. */
  get stack(): string | undefined {
    const first = this.resources[0];
    return first ? stackOfUrn(first.urn) : undefined;
  }

  /**
   * Whether `resource.property` refers to `target`: the engine recorded `target` as where the input
   * came from, or one of the input's known values equals one of `target`'s known `attributes`.
   *
   * @param values - the values to compare instead of the property's own (e.g. an ARN read out of a JSON input).
   */
  refersTo(resource: ResourceView, property: string, target: ResourceView, attributes: readonly string[], values?: readonly string[]): boolean {
    if ((resource.propertyDependencies[property] ?? []).includes(target.urn)) return true;
    const wanted = values ?? knownStrings(resource.inputs.value(property));
    if (wanted.length === 0) return false;
    return attributes.some((attribute) => knownStrings(target.inputs.value(attribute)).some((known) => wanted.includes(known)));
  }

  /** The `candidates` that `resource.property` refers to (see {@link refersTo}). */
  referenced(resource: ResourceView, property: string, candidates: readonly ResourceView[], attributes: readonly string[], values?: readonly string[]): ResourceView[] {
    return candidates.filter((candidate) => this.refersTo(resource, property, candidate, attributes, values));
  }

  /** The resources of `types` whose `property` refers to `target` (the reverse of {@link referenced}). */
  referring(target: ResourceView, types: readonly string[], property: string, attributes: readonly string[]): ResourceView[] {
    return this.ofType(...types).filter((resource) => this.refersTo(resource, property, target, attributes));
  }
}
