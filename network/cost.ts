/**
 * The network's fixed monthly cost: what a stack pays while idle for the resources it declares
 * (NAT gateways with their public IPv4 addresses, interface endpoints in every zone). Traffic
 * (NAT and endpoint data processing, flow-log ingestion) is usage-based and not included.
 *
 * Prices are AWS **list prices for eu-west-1 (Ireland), in USD**, as published on
 * https://aws.amazon.com/vpc/pricing/ (NAT gateway, public IPv4) and
 * https://aws.amazon.com/privatelink/pricing/ (interface endpoints). They were recorded on
 * {@link PRICES_RECORDED_ON} from the published price sheet as known to the author, without
 * network access to re-check the page: verify them before budgeting, and update the constants
 * (README's cost table follows with `npm run config:sync`).
 */

/** When the prices below were recorded. */
export const PRICES_RECORDED_ON = "2026-11-26";
export const PRICES_REGION = "eu-west-1";

/** NAT gateway, per gateway-hour (eu-west-1 list price). */
export const NAT_GATEWAY_USD_PER_HOUR = 0.048;
/** Public IPv4 address (each NAT gateway holds one Elastic IP), per address-hour, all regions since 2024-02-01. */
export const PUBLIC_IPV4_USD_PER_HOUR = 0.005;
/** Interface endpoint, per endpoint per availability zone per hour (eu-west-1 list price). */
export const INTERFACE_ENDPOINT_USD_PER_AZ_HOUR = 0.011;
/** Gateway endpoints (S3, DynamoDB) have no hourly charge. */
export const GATEWAY_ENDPOINT_USD_PER_HOUR = 0;
/** AWS bills a month as 730 hours. */
export const HOURS_PER_MONTH = 730;

/** The cost-relevant part of a stack's network settings. */
export interface NetworkCostInputs {
  readonly availabilityZones: number;
  readonly natStrategy: "None" | "Single" | "OnePerAz";
  readonly interfaceEndpoints: readonly string[];
}

export interface NetworkMonthlyCost {
  readonly natGateways: number;
  readonly natGatewaysUsd: number;
  readonly publicIpv4Usd: number;
  /** Interface endpoints × availability zones: the billed endpoint-hours per hour. */
  readonly interfaceEndpointZones: number;
  readonly interfaceEndpointsUsd: number;
  readonly totalUsd: number;
}

/** NAT gateways awsx creates for a strategy. */
export function natGatewayCount(natStrategy: NetworkCostInputs["natStrategy"], availabilityZones: number): number {
  switch (natStrategy) {
    case "None":
      return 0;
    case "Single":
      return 1;
    case "OnePerAz":
      return availabilityZones;
  }
}

const cents = (usd: number): number => Math.round(usd * 100) / 100;

/**
 * The fixed monthly network cost of a stack, in USD, rounded to cents per line.
 *
 * @example
 * ```ts
 * networkMonthlyCost({ availabilityZones: 2, natStrategy: "Single", interfaceEndpoints: ["sqs", "sns"] }).totalUsd;
 * // 35.04 (NAT) + 3.65 (IPv4) + 32.12 (2 endpoints × 2 zones) = 70.81
 * ```
 */
export function networkMonthlyCost(inputs: NetworkCostInputs): NetworkMonthlyCost {
  const natGateways = natGatewayCount(inputs.natStrategy, inputs.availabilityZones);
  const interfaceEndpointZones = inputs.interfaceEndpoints.length * inputs.availabilityZones;
  const natGatewaysUsd = cents(natGateways * NAT_GATEWAY_USD_PER_HOUR * HOURS_PER_MONTH);
  const publicIpv4Usd = cents(natGateways * PUBLIC_IPV4_USD_PER_HOUR * HOURS_PER_MONTH);
  const interfaceEndpointsUsd = cents(interfaceEndpointZones * INTERFACE_ENDPOINT_USD_PER_AZ_HOUR * HOURS_PER_MONTH);
  return {
    natGateways,
    natGatewaysUsd,
    publicIpv4Usd,
    interfaceEndpointZones,
    interfaceEndpointsUsd,
    totalUsd: cents(natGatewaysUsd + publicIpv4Usd + interfaceEndpointsUsd),
  };
}

const usd = (amount: number): string => `$${amount.toFixed(2)}`;
const hourly = (amount: number): string => `$${amount.toFixed(3)}/h`;

/**
 * README's network cost table: one row per stack.
 *
 * @example
 * ```ts
 * networkCostMarkdown([{ stack: "dev", ...devSettings.network }]);
 * ```
 */
export function networkCostMarkdown(stacks: readonly (NetworkCostInputs & { readonly stack: string })[]): string {
  const rows = stacks.map((stack) => {
    const cost = networkMonthlyCost(stack);
    return (
      `| ${stack.stack} | ${stack.natStrategy}: ${cost.natGateways} × ${hourly(NAT_GATEWAY_USD_PER_HOUR)} = ${usd(cost.natGatewaysUsd)} ` +
      `| ${cost.natGateways} × ${hourly(PUBLIC_IPV4_USD_PER_HOUR)} = ${usd(cost.publicIpv4Usd)} ` +
      `| ${stack.interfaceEndpoints.length} × ${stack.availabilityZones} AZs × ${hourly(INTERFACE_ENDPOINT_USD_PER_AZ_HOUR)} = ${usd(cost.interfaceEndpointsUsd)} ` +
      `| **${usd(cost.totalUsd)}** |`
    );
  });
  return [
    `| stack | NAT gateways | NAT public IPv4 | interface endpoints | fixed per month |`,
    `| --- | --- | --- | --- | --- |`,
    ...rows,
    ``,
    `${HOURS_PER_MONTH} hours a month; ${PRICES_REGION} list prices in USD recorded ${PRICES_RECORDED_ON} (constants and sources in \`network/cost.ts\`). ` +
      `Gateway endpoints (S3, DynamoDB) are free; traffic, NAT and endpoint data processing and flow-log ingestion are usage-based and not included.`,
  ].join("\n");
}
