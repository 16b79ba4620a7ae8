import os from 'node:os';
import ipaddr from 'ipaddr.js';
import { parseClient } from './cidr-set.js';

export interface InterfaceAddress {
  readonly address: string;
  readonly cidr: string | null;
  readonly family: 'IPv4' | 'IPv6';
  readonly internal: boolean;
  readonly interfaceName: string;
}

export type InterfaceSource = () => InterfaceAddress[];

export const systemInterfaces: InterfaceSource = () => {
  const result: InterfaceAddress[] = [];
  for (const [interfaceName, addresses] of Object.entries(os.networkInterfaces())) {
    for (const entry of addresses ?? []) {
      result.push({ address: entry.address, cidr: entry.cidr, family: entry.family, internal: entry.internal, interfaceName });
    }
  }
  return result;
};

/** Interfaces change rarely; re-read them at most this often. */
const REFRESH_MS = 30_000;

/**
 * Chooses camshim's own address to give a client for an NTP name: the address on the
 * interface that faces the client (found by subnet, since a wildcard UDP socket cannot tell
 * which address a datagram arrived on), unless the config overrides it.
 */
export class LocalAddressPicker {
  private cached: InterfaceAddress[] = [];
  private readAt = -Infinity;

  constructor(
    private readonly overrides: { ipv4?: string | undefined; ipv6?: string | undefined },
    private readonly source: InterfaceSource = systemInterfaces,
    private readonly now: () => number = Date.now,
  ) {}

  /** Returns [ipv4, ipv6] byte arrays for the client (each undefined when camshim has none to offer). */
  pick(client: string, arrivedOn: string | undefined): { ipv4: Uint8Array | undefined; ipv6: Uint8Array | undefined } {
    return {
      ipv4: this.overrides.ipv4 !== undefined ? toBytes(this.overrides.ipv4) : this.choose(client, arrivedOn, 'IPv4'),
      ipv6: this.overrides.ipv6 !== undefined ? toBytes(this.overrides.ipv6) : this.choose(client, arrivedOn, 'IPv6'),
    };
  }

  private interfaces(): InterfaceAddress[] {
    const now = this.now();
    if (now - this.readAt > REFRESH_MS) {
      this.cached = this.source();
      this.readAt = now;
    }
    return this.cached;
  }

  private choose(client: string, arrivedOn: string | undefined, family: 'IPv4' | 'IPv6'): Uint8Array | undefined {
    const interfaces = this.interfaces();
    const arrived = arrivedOn === undefined ? undefined : parseClient(arrivedOn);
    if (arrived !== undefined && !isWildcard(arrived) && (arrived.kind() === 'ipv4') === (family === 'IPv4')) {
      return Uint8Array.from(arrived.toByteArray());
    }
    const parsedClient = parseClient(client);
    if (parsedClient === undefined) return undefined;
    // The interface whose subnet holds the client (or holds the address it arrived on).
    let facing: string | undefined;
    for (const entry of interfaces) {
      if (entry.cidr === null) continue;
      const range = ipaddr.parseCIDR(entry.cidr);
      if (range[0].kind() === parsedClient.kind() && parsedClient.match(range as never)) { facing = entry.interfaceName; break; }
    }
    if (facing === undefined && arrived !== undefined && !isWildcard(arrived)) {
      facing = interfaces.find((entry) => sameAddress(entry.address, arrived))?.interfaceName;
    }
    if (facing === undefined) return undefined;
    const candidates = interfaces.filter((entry) => entry.interfaceName === facing && entry.family === family);
    // Prefer global/ULA over link-local IPv6: a link-local address needs a zone the client lacks.
    const best = candidates.find((entry) => family === 'IPv4' || !entry.address.toLowerCase().startsWith('fe80')) ?? undefined;
    return best === undefined ? undefined : toBytes(best.address);
  }
}

function isWildcard(address: ipaddr.IPv4 | ipaddr.IPv6): boolean {
  return address.range() === 'unspecified';
}

function sameAddress(text: string, address: ipaddr.IPv4 | ipaddr.IPv6): boolean {
  const parsed = parseClient(text);
  return parsed !== undefined && parsed.kind() === address.kind() && parsed.toString() === address.toString();
}

function toBytes(address: string): Uint8Array {
  return Uint8Array.from(ipaddr.parse(address).toByteArray());
}
