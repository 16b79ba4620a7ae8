import ipaddr from 'ipaddr.js';

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number];

/** A set of networks (ipaddr.js ranges). IPv4-mapped IPv6 clients (::ffff:a.b.c.d) match IPv4 networks. */
export class CidrSet {
  private readonly v4: Range[] = [];
  private readonly v6: Range[] = [];

  constructor(readonly networks: readonly string[]) {
    for (const network of networks) {
      const range = ipaddr.parseCIDR(network);
      (range[0].kind() === 'ipv4' ? this.v4 : this.v6).push(range);
    }
  }

  has(address: string): boolean {
    const parsed = parseClient(address);
    if (parsed === undefined) return false;
    const ranges = parsed.kind() === 'ipv4' ? this.v4 : this.v6;
    for (const range of ranges) {
      if ((parsed as ipaddr.IPv4).match(range as [ipaddr.IPv4, number])) return true;
    }
    return false;
  }
}

/** Parses a socket address, unwrapping IPv4-mapped IPv6 and dropping a zone index. */
export function parseClient(address: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  const bare = address.includes('%') ? address.slice(0, address.indexOf('%')) : address;
  if (!ipaddr.isValid(bare)) return undefined;
  const parsed = ipaddr.parse(bare);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) return (parsed as ipaddr.IPv6).toIPv4Address();
  return parsed;
}
