/**
 * The subnet CIDRs awsx's "Auto" strategy gives each zone, computed the way `subnetsFit` in
 * `config/settings.ts` models it: the VPC is split evenly between zones (rounded up to a power of
 * two) and each zone's subnets are placed in order, each aligned to its own size. Used to show (and
 * test) that the declared tiers fit the VPC without overlapping.
 */

export interface SubnetRange {
  readonly zone: number;
  readonly tier: number;
  readonly cidr: string;
  /** First and one-past-last address as integers, for overlap checks. */
  readonly start: number;
  readonly end: number;
}

const toNumber = (address: string): number => address.split(".").reduce((sum, octet) => sum * 256 + Number(octet), 0);
const toAddress = (value: number): string => [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join(".");

/**
 * Every subnet of every zone, in zone then tier order.
 *
 * @example
 * ```ts
 * autoSubnetLayout("10.10.0.0/16", [24, 20, 22], 2).map((subnet) => subnet.cidr);
 * // ["10.10.0.0/24", "10.10.16.0/20", "10.10.32.0/22", "10.10.128.0/24", "10.10.144.0/20", "10.10.160.0/22"]
 * ```
 */
export function autoSubnetLayout(vpcCidr: string, masksInOrder: readonly number[], zones: number): SubnetRange[] {
  const [network, prefixText] = vpcCidr.split("/");
  const zonePrefix = Number(prefixText) + Math.ceil(Math.log2(zones));
  const zoneSize = 2 ** (32 - zonePrefix);
  const base = toNumber(network!);
  const ranges: SubnetRange[] = [];
  for (let zone = 0; zone < zones; zone++) {
    let offset = 0;
    masksInOrder.forEach((mask, tier) => {
      const size = 2 ** (32 - mask);
      const start = base + zone * zoneSize + Math.ceil(offset / size) * size;
      ranges.push({ zone, tier, cidr: `${toAddress(start)}/${mask}`, start, end: start + size });
      offset = start - base - zone * zoneSize + size;
    });
  }
  return ranges;
}

/** Pairs of subnets whose address ranges overlap; empty for a valid layout. */
export function overlappingSubnets(ranges: readonly SubnetRange[]): [string, string][] {
  const pairs: [string, string][] = [];
  ranges.forEach((a, index) => {
    for (const b of ranges.slice(index + 1)) if (a.start < b.end && b.start < a.end) pairs.push([a.cidr, b.cidr]);
  });
  return pairs;
}
