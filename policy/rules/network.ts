/**
 * Network: no security group admits the internet, every VPC records flow logs, and every AWS service
 * the functions call has a VPC endpoint in their VPC.
 *
 * "Services the functions call" is read from what their roles may do (the identity documents), less
 * what AWS services do on the function's behalf from outside the VPC:
 * - `logs`, `xray`, `ec2`: Lambda ships logs, runs the X-Ray daemon ("AWS Lambda and AWS X-Ray",
 *   X-Ray Developer Guide) and manages the function's network interfaces;
 * - actions on the function's own event source queue (Lambda's poller) and on its asynchronous
 *   failure destinations (Lambda sends those records);
 * - `kms`: S3, SNS, SQS and Lambda call KMS for the data they encrypt on the caller's behalf
 *   (`kms:ViaService`); a function that calls KMS itself must add the endpoint without this rule's help;
 * - `glue` next to `athena:StartQueryExecution`: Athena reads the Data Catalog with the caller's
 *   permissions, from Athena's side.
 * S3 and DynamoDB are satisfied by gateway endpoints. Role documents are built from ARNs, so on a
 * new stack the rule can only check after the first `up`.
 *
 * VPCs: an `awsx.ec2.Vpc` is a component; in a deployment its `aws:ec2/vpc:Vpc` child is registered
 * too, under mocks only the component. Both count as one VPC.
 */
import { allowsAction, wildcardMatch } from "../documents";
import { FUNCTION, consumedQueues, functionDocuments, invokeConfigsOf } from "../functions";
import { UNKNOWN, asRecord, knownStrings } from "../inputs";
import type { ResourceView, StackView } from "../resources";
import type { Finding, ResourceRule, StackRule } from "../rule";

export const SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup";
export const SECURITY_GROUP_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule";
export const INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";
export const VPC = "aws:ec2/vpc:Vpc";
export const AWSX_VPC = "awsx:ec2:Vpc";
export const FLOW_LOG = "aws:ec2/flowLog:FlowLog";
export const VPC_ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint";

const OPEN_CIDRS = ["0.0.0.0/0", "::/0"];

function openCidrs(values: unknown): string[] {
  return knownStrings(values).filter((cidr) => OPEN_CIDRS.includes(cidr));
}

export const networkNoPublicIngress: ResourceRule = {
  kind: "resource",
  name: "network-no-public-ingress",
  description: "No security group admits traffic from 0.0.0.0/0 or ::/0.",
  level: "mandatory",
  remediation: "Admit only the VPC's CIDR or named security groups.",
  types: [SECURITY_GROUP, SECURITY_GROUP_RULE, INGRESS_RULE],
  check: (resource) => {
    const fix = "the VPC CIDR or a source security group";
    if (resource.type === INGRESS_RULE) {
      const open = [...openCidrs(resource.inputs.value("cidrIpv4")), ...openCidrs(resource.inputs.value("cidrIpv6"))];
      return open.length === 0 ? [] : [{ resource, problem: `admits ${open.join(" and ")}`, property: open.includes("::/0") ? "cidrIpv6" : "cidrIpv4", fix }];
    }
    if (resource.type === SECURITY_GROUP_RULE) {
      if (resource.inputs.str("type") !== "ingress") return [];
      const open = [...openCidrs(resource.inputs.value("cidrBlocks")), ...openCidrs(resource.inputs.value("ipv6CidrBlocks"))];
      return open.length === 0 ? [] : [{ resource, problem: `admits ${open.join(" and ")}`, property: "cidrBlocks, ipv6CidrBlocks", fix }];
    }
    const ingress = resource.inputs.list("ingress");
    if (ingress === UNKNOWN || ingress === undefined) return [];
    return ingress.flatMap((rule, index): Finding[] => {
      const record = asRecord(rule);
      if (record === UNKNOWN || record === undefined) return [];
      const open = [...openCidrs(record["cidrBlocks"]), ...openCidrs(record["ipv6CidrBlocks"])];
      return open.length === 0 ? [] : [{ resource, problem: `ingress rule #${index + 1} admits ${open.join(" and ")}`, property: `ingress[${index}].cidrBlocks`, fix }];
    });
  },
};

/** One VPC of the stack: the resource that represents it and every URN and id that identifies it. */
interface VpcUnit {
  readonly vpc: ResourceView;
  readonly urns: ReadonlySet<string>;
  readonly ids: ReadonlySet<string>;
}

function vpcUnits(stack: StackView): VpcUnit[] {
  const plain = stack.ofType(VPC);
  const components = stack.ofType(AWSX_VPC);
  const units = plain.map((vpc) => {
    const parent = components.find((component) => component.urn === vpc.parent);
    return { vpc, urns: new Set([vpc.urn, ...(parent ? [parent.urn] : [])]), ids: new Set([...knownStrings(vpc.inputs.value("id")), ...(parent ? knownStrings(parent.inputs.value("vpcId")) : [])]) };
  });
  const standalone = components.filter((component) => !plain.some((vpc) => vpc.parent === component.urn));
  return [...units, ...standalone.map((vpc) => ({ vpc, urns: new Set([vpc.urn]), ids: new Set(knownStrings(vpc.inputs.value("vpcId"))) }))];
}

/** Whether `resource.property` (a VPC id, or something derived from the VPC such as subnet ids) places it in `unit`. */
function inVpc(resource: ResourceView, property: string, unit: VpcUnit, units: readonly VpcUnit[]): boolean | undefined {
  if (units.length === 1) return true;
  const dependencies = resource.propertyDependencies[property] ?? [];
  if (dependencies.some((urn) => unit.urns.has(urn))) return true;
  const values = knownStrings(resource.inputs.value(property));
  if (values.some((value) => unit.ids.has(value))) return true;
  return dependencies.length === 0 && values.length === 0 ? undefined : false;
}

export const networkVpcFlowLogs: StackRule = {
  kind: "stack",
  name: "network-vpc-flow-logs",
  description: "Every VPC has a flow log.",
  level: "mandatory",
  remediation: "Add an aws.ec2.FlowLog with vpcId the VPC's id and trafficType ALL.",
  check: (stack) => {
    const units = vpcUnits(stack);
    const flowLogs = stack.ofType(FLOW_LOG);
    return units.flatMap((unit): Finding[] =>
      flowLogs.some((flowLog) => inVpc(flowLog, "vpcId", unit, units) !== false)
        ? []
        : [{ resource: unit.vpc, problem: "records no flow logs", property: "vpcId, trafficType", on: `a new ${FLOW_LOG} for this VPC`, fix: "the VPC's id and ALL" }],
    );
  },
};

/** Services whose calls Lambda itself makes for a function (logs, traces, network interfaces) or that integrated services make on its behalf. */
const CALLED_FOR_THE_FUNCTION = new Set(["logs", "xray", "ec2", "kms"]);
/** Services reachable through gateway endpoints. */
export const GATEWAY_SERVICES = new Set(["s3", "dynamodb"]);

/** ARNs Lambda itself acts on for the function: its event source queues and failure destinations. */
function serviceSideArns(stack: StackView, fn: ResourceView): string[] {
  const queues = consumedQueues(stack, fn).flatMap((queue) => knownStrings(queue.inputs.value("arn")));
  const destinations = invokeConfigsOf(stack, fn).flatMap((config) => [
    ...knownStrings(config.inputs.value("destinationConfig", "onFailure", "destination")),
    ...knownStrings(config.inputs.value("destinationConfig", "onSuccess", "destination")),
  ]);
  return [...queues, ...destinations, ...knownStrings(fn.inputs.value("deadLetterConfig", "targetArn"))];
}

/**
 * The AWS services the function's own code calls, from its role; undefined while a document is unknown.
 *
 * @example
 * ```ts
 * servicesCalled(stack, processor); // Set { "s3", "sns" } (its queue and the key are used on its behalf)
 * ```
 */
export function servicesCalled(stack: StackView, fn: ResourceView): Set<string> | undefined {
  const held = functionDocuments(stack, fn);
  if (held.some((entry) => entry.document === UNKNOWN)) return undefined;
  const statements = held.flatMap((entry) => (entry.document === undefined || entry.document === UNKNOWN ? [] : entry.document.statements)).filter((statement) => statement.effect === "Allow");
  const serviceSide = serviceSideArns(stack, fn);
  const runsAthena = statements.some((statement) => allowsAction(statement, "athena:StartQueryExecution"));
  const services = new Set<string>();
  for (const statement of statements) {
    if (statement.resources.length > 0 && statement.resources.every((resource) => serviceSide.some((arn) => wildcardMatch(resource, arn, true)))) continue;
    for (const action of statement.actions) {
      const service = action.split(":")[0]?.toLowerCase();
      if (!service || service === "*" || CALLED_FOR_THE_FUNCTION.has(service) || (service === "glue" && runsAthena)) continue;
      services.add(service);
    }
  }
  return services;
}

function endpointService(endpoint: ResourceView): string | undefined {
  const name = endpoint.inputs.str("serviceName");
  return typeof name === "string" ? name.split(".").pop() : undefined;
}

export const networkInterfaceEndpoints: StackRule = {
  kind: "stack",
  name: "network-interface-endpoints",
  description: "Every AWS service the functions call has a VPC endpoint in their VPC (gateway for S3/DynamoDB, interface otherwise).",
  level: "mandatory",
  remediation: "Add an interface VPC endpoint (private DNS on, in the functions' subnets) for the service.",
  check: (stack) => {
    const units = vpcUnits(stack);
    const endpoints = stack.ofType(VPC_ENDPOINT);
    return stack.ofType(FUNCTION).flatMap((fn): Finding[] => {
      const unit = units.find((candidate) => inVpc(fn, "vpcConfig", candidate, units) === true);
      const services = servicesCalled(stack, fn);
      if (unit === undefined || services === undefined) return [];
      const covered = new Set(
        endpoints
          .filter((endpoint) => inVpc(endpoint, "vpcId", unit, units) !== false)
          .filter((endpoint) => {
            const type = endpoint.inputs.str("vpcEndpointType");
            return type === "Interface" || type === UNKNOWN || (type === "Gateway" && GATEWAY_SERVICES.has(endpointService(endpoint) ?? ""));
          })
          .map(endpointService)
          .filter((service): service is string => service !== undefined),
      );
      const missing = [...services].filter((service) => !covered.has(service)).sort();
      return missing.length === 0
        ? []
        : [{ resource: fn, problem: `calls ${missing.join(", ")} but its VPC has no endpoint for ${missing.length === 1 ? "it" : "them"}, and its security group allows no other way out`, property: "serviceName", on: `a new ${VPC_ENDPOINT} (Interface, privateDnsEnabled) in the function's VPC`, fix: missing.map((service) => `com.amazonaws.<region>.${service}`).join(", ") }];
    });
  },
};

export const NETWORK_RULES = [networkNoPublicIngress, networkVpcFlowLogs, networkInterfaceEndpoints] as const;
