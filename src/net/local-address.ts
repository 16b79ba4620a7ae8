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

/** Interfaces change rarely; re-read them at most this often (unless told otherwise). */
const REFRESH_MS = 30_000;

/** The addresses camshim's NTP server has a socket on right now (link-local ones may carry `%interface`). */
export type NtpAddressSource = () => readonly string[];

/**
 * Chooses camshim's own address to give a client for an NTP name, among the addresses where
 * camshim's NTP server listens: the address the query arrived on when NTP is served there (a
 * camera on each VLAN is sent to its own gateway), else the NTP address on the interface that
 * faces the client; none (the stage answers NODATA) when NTP listens nowhere in the family
 * asked for. A configured address (ntpRedirect.ipv4 / ipv6) overrides the choice.
 */
export class LocalAddressPicker {
  private cached: InterfaceAddress[] = [];
  private readAt = -Infinity;

  constructor(
    private readonly overrides: { ipv4?: string | undefined; ipv6?: string | undefined },
    private readonly ntpAddresses: NtpAddressSource,
    private readonly source: InterfaceSource = systemInterfaces,
    private readonly now: () => number = Date.now,
    private readonly refreshMs: number = REFRESH_MS,
  ) {}

  /** Returns [ipv4, ipv6] byte arrays for the client (each undefined when camshim has none to offer). */
  pick(client: string, arrivedOn: string | undefined): { ipv4: Uint8Array | undefined; ipv6: Uint8Array | undefined } {
    return {
      ipv4: this.overrides.ipv4 !== undefined ? toBytes(this.overrides.ipv4) : this.choose(client, arrivedOn, 'ipv4'),
      ipv6: this.overrides.ipv6 !== undefined ? toBytes(this.overrides.ipv6) : this.choose(client, arrivedOn, 'ipv6'),
    };
  }

  private interfaces(): InterfaceAddress[] {
    const now = this.now();
    if (now - this.readAt >= this.refreshMs) {
      this.cached = this.source();
      this.readAt = now;
    }
    return this.cached;
  }

  private choose(client: string, arrivedOn: string | undefined, kind: 'ipv4' | 'ipv6'): Uint8Array | undefined {
    const served: (ipaddr.IPv4 | ipaddr.IPv6)[] = [];
    for (const text of this.ntpAddresses()) {
      const parsed = parseClient(text);
      // A link-local address in an answer needs a zone the client does not have.
      if (parsed !== undefined && parsed.kind() === kind && parsed.range() !== 'linkLocal') served.push(parsed);
    }
    if (served.length === 0) return undefined;
    const arrived = arrivedOn === undefined ? undefined : parseClient(arrivedOn);
    const parsedClient = parseClient(client);
    // A loopback address means nothing to a client elsewhere (a query DNAT'ed to 127.0.0.1, say).
    const usable = arrived !== undefined && (arrived.range() !== 'loopback' || parsedClient?.range() === 'loopback');
    if (arrived !== undefined && usable) {
      const same = served.find((address) => sameAddress(address, arrived));
      if (same !== undefined) return Uint8Array.from(same.toByteArray());
    }
    const interfaces = this.interfaces();
    // The interface whose subnet holds the client, else the one holding the address it arrived on.
    let facing: string | undefined;
    if (parsedClient !== undefined) {
      for (const entry of interfaces) {
        if (entry.cidr === null) continue;
        const range = ipaddr.parseCIDR(entry.cidr);
        if (range[0].kind() === parsedClient.kind() && parsedClient.match(range as never)) { facing = entry.interfaceName; break; }
      }
    }
    if (facing === undefined && arrived !== undefined && usable) {
      facing = interfaces.find((entry) => { const own = parseClient(entry.address); return own !== undefined && sameAddress(own, arrived); })?.interfaceName;
    }
    if (facing === undefined) return undefined;
    for (const entry of interfaces) {
      if (entry.interfaceName !== facing) continue;
      const own = parseClient(entry.address);
      if (own === undefined) continue;
      const match = served.find((address) => sameAddress(address, own));
      if (match !== undefined) return Uint8Array.from(match.toByteArray());
    }
    return undefined;
  }
}

function sameAddress(a: ipaddr.IPv4 | ipaddr.IPv6, b: ipaddr.IPv4 | ipaddr.IPv6): boolean {
  return a.kind() === b.kind() && a.toString() === b.toString();
}

function toBytes(address: string): Uint8Array {
  return Uint8Array.from(ipaddr.parse(address).toByteArray());
}
