/**
 * The AWS services the pipeline reaches from inside the VPC, defined once: which of them may get an
 * interface endpoint (`datalake:interfaceEndpoints`), which the functions actually call (so that
 * `natStrategy: None` is only accepted when all of those have an endpoint), and the gateway
 * endpoints every stack gets.
 */

/** A service an interface endpoint can be declared for, with why the pipeline needs it. */
export interface InterfaceEndpointService {
  /** The endpoint suffix in `com.amazonaws.<region>.<suffix>`, also the config value. */
  readonly service: string;
  /** Whether code running in the private subnets calls this service's API. */
  readonly calledByFunctions: boolean;
  readonly reason: string;
}

/**
 * Every service `datalake:interfaceEndpoints` accepts. Services with `calledByFunctions: true` are
 * the ones a function in the private subnets must reach; without a NAT gateway each needs an
 * interface endpoint (S3 and DynamoDB are reached through the gateway endpoints every stack has).
 */
export const INTERFACE_ENDPOINT_SERVICES = [
  { service: "sns", calledByFunctions: true, reason: "ingest publishes landed objects to the ingest topic; alerts" },
  { service: "sqs", calledByFunctions: true, reason: "the processor's queue and the dead-letter queue" },
  { service: "logs", calledByFunctions: true, reason: "structured logs and embedded metrics written by the functions' SDK clients" },
  { service: "kms", calledByFunctions: true, reason: "data keys for the lake's customer-managed key" },
  { service: "sts", calledByFunctions: true, reason: "SDK credential and identity calls" },
  { service: "athena", calledByFunctions: true, reason: "the curated job's queries" },
  { service: "glue", calledByFunctions: true, reason: "the Data Catalog behind Athena's tables" },
  { service: "monitoring", calledByFunctions: true, reason: "CloudWatch metrics published by the functions" },
  { service: "lambda", calledByFunctions: false, reason: "invoking functions from inside the VPC (operators, future jobs)" },
] as const satisfies readonly InterfaceEndpointService[];

/** A value `datalake:interfaceEndpoints` accepts. */
export type InterfaceEndpointName = (typeof INTERFACE_ENDPOINT_SERVICES)[number]["service"];

export const INTERFACE_ENDPOINT_NAMES: readonly InterfaceEndpointName[] = INTERFACE_ENDPOINT_SERVICES.map((entry) => entry.service);

/** The services functions call: with `natStrategy: None`, every one of them needs an interface endpoint. */
export const SERVICES_CALLED_BY_FUNCTIONS: readonly InterfaceEndpointName[] = INTERFACE_ENDPOINT_SERVICES.filter(
  (entry) => entry.calledByFunctions,
).map((entry) => entry.service);

/** Gateway endpoints (free, route-table based) every stack gets, on the private and data route tables. */
export const GATEWAY_ENDPOINT_SERVICES = ["s3", "dynamodb"] as const;
export type GatewayEndpointName = (typeof GATEWAY_ENDPOINT_SERVICES)[number];

/**
 * The services functions call that the declared interface endpoints leave out; empty when a stack
 * can run without NAT.
 *
 * @example
 * ```ts
 * servicesWithoutEndpoint(["sqs", "sns"]); // ["logs", "kms", "sts", "athena", "glue", "monitoring"]
 * ```
 */
export function servicesWithoutEndpoint(interfaceEndpoints: readonly string[]): InterfaceEndpointName[] {
  return SERVICES_CALLED_BY_FUNCTIONS.filter((service) => !interfaceEndpoints.includes(service));
}

/**
 * The endpoint service name AWS gives a service in a region.
 *
 * @example
 * ```ts
 * endpointServiceName("eu-west-1", "sqs"); // "com.amazonaws.eu-west-1.sqs"
 * ```
 */
export function endpointServiceName(region: string, service: string): string {
  return `com.amazonaws.${region}.${service}`;
}
