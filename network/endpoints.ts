/**
 * The AWS services the pipeline reaches from inside the VPC, defined once: which of them may get an
 * interface endpoint (`datalake:interfaceEndpoints`), which the functions actually call (each of
 * those must have one), and the gateway endpoints every stack gets.
 */

/** A service an interface endpoint can be declared for, with why the pipeline needs it. */
export interface InterfaceEndpointService {
  /** The endpoint suffix in `com.amazonaws.<region>.<suffix>`, also the config value. */
  readonly service: string;
  /** Whether code running in the private subnets calls this service's API. */
  readonly calledByFunctions: boolean;
  /** Whether the Glue conversion job, running in the private subnets (its network connection), calls it. */
  readonly calledByGlueJob: boolean;
  readonly reason: string;
}

/**
 * Every service `datalake:interfaceEndpoints` accepts. The Lambda security group admits HTTPS only to
 * the VPC's own addresses and the S3/DynamoDB prefix lists, so a function reaches any other AWS API
 * only through an interface endpoint, NAT or not: services with `calledByFunctions: true` are the
 * ones the functions' own SDK clients call, and every stack must declare an endpoint for each.
 * The Glue conversion job runs in the same private subnets behind its own security group, which
 * has the same way out: `calledByGlueJob: true` marks what its driver and executors call (its logs,
 * metrics and bookmark keys are written from inside the VPC, unlike a function's).
 * The others are optional: the functions' logs and metrics (EMF), their KMS data keys and Athena's
 * catalog lookups travel through AWS services outside the VPC, not through the functions' network.
 */
export const INTERFACE_ENDPOINT_SERVICES = [
  { service: "sns", calledByFunctions: true, calledByGlueJob: false, reason: "ingest publishes landed objects; the processor publishes completion events" },
  { service: "athena", calledByFunctions: true, calledByGlueJob: false, reason: "the curated job starts and polls its queries" },
  { service: "glue", calledByFunctions: true, calledByGlueJob: true, reason: "the processor starts the heavy conversion's job runs; the job's driver reads its job and connection" },
  { service: "sqs", calledByFunctions: false, calledByGlueJob: true, reason: "the Glue job hands converted objects back to the processing queue; operators' tools (redrive)" },
  { service: "logs", calledByFunctions: false, calledByGlueJob: true, reason: "the Glue job's driver and executors write their logs; function logs are shipped by the Lambda service" },
  { service: "kms", calledByFunctions: false, calledByGlueJob: true, reason: "the Glue job's security configuration encrypts its bookmarks with the lake key; S3 and SNS use the key on the functions' behalf" },
  { service: "monitoring", calledByFunctions: false, calledByGlueJob: false, reason: "PutMetricData from the VPC; the functions' metrics are embedded in their logs, the Glue job publishes none" },
  { service: "sts", calledByFunctions: false, calledByGlueJob: false, reason: "SDK identity calls from the VPC; functions get credentials from their environment" },
  { service: "lambda", calledByFunctions: false, calledByGlueJob: false, reason: "invoking functions from inside the VPC (operators, future jobs)" },
] as const satisfies readonly InterfaceEndpointService[];

/** A value `datalake:interfaceEndpoints` accepts. */
export type InterfaceEndpointName = (typeof INTERFACE_ENDPOINT_SERVICES)[number]["service"];

export const INTERFACE_ENDPOINT_NAMES: readonly InterfaceEndpointName[] = INTERFACE_ENDPOINT_SERVICES.map((entry) => entry.service);

/** The services the functions' SDK clients call: every stack needs an interface endpoint for each. */
export const SERVICES_CALLED_BY_FUNCTIONS: readonly InterfaceEndpointName[] = INTERFACE_ENDPOINT_SERVICES.filter(
  (entry) => entry.calledByFunctions,
).map((entry) => entry.service);

/** The services the Glue conversion job calls from the private subnets: every stack needs an interface endpoint for each. */
export const SERVICES_CALLED_BY_GLUE_JOB: readonly InterfaceEndpointName[] = INTERFACE_ENDPOINT_SERVICES.filter((entry) => entry.calledByGlueJob).map(
  (entry) => entry.service,
);

/** Every service some code in the private subnets calls: the endpoints each stack must declare. */
export const REQUIRED_INTERFACE_ENDPOINTS: readonly InterfaceEndpointName[] = INTERFACE_ENDPOINT_SERVICES.filter(
  (entry) => entry.calledByFunctions || entry.calledByGlueJob,
).map((entry) => entry.service);

/** Gateway endpoints (free, route-table based) every stack gets, on the private and data route tables. */
export const GATEWAY_ENDPOINT_SERVICES = ["s3", "dynamodb"] as const;
export type GatewayEndpointName = (typeof GATEWAY_ENDPOINT_SERVICES)[number];

/**
 * The services the functions or the Glue job call that the declared interface endpoints leave out; must be empty.
 *
 * @example
 * ```ts
 * servicesWithoutEndpoint(["sqs", "sns", "glue", "logs", "kms", "monitoring"]); // ["athena"]
 * ```
 */
export function servicesWithoutEndpoint(interfaceEndpoints: readonly string[]): InterfaceEndpointName[] {
  return REQUIRED_INTERFACE_ENDPOINTS.filter((service) => !interfaceEndpoints.includes(service));
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
