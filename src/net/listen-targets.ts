import ipaddr from 'ipaddr.js';
import type { InterfaceAddress } from './local-address.js';

/** One address to bind a socket on. */
export interface ListenTarget {
  /** What to bind: an address, with `%interface` for an IPv6 link-local one. */
  readonly address: string;
  readonly family: 'IPv4' | 'IPv6';
  /** Named in the listen list itself (true), or one of the machine's addresses under a wildcard. */
  readonly explicit: boolean;
}

export interface ListenPlan {
  readonly targets: readonly ListenTarget[];
  /** Explicit listen addresses the machine does not have (yet). */
  readonly missing: readonly string[];
  /** Addresses left out because the cap was reached. */
  readonly skipped: number;
}

/**
 * Sockets per listen set at most: one socket per address costs a file descriptor, a receive
 * buffer and a scheduler, and a host with thousands of addresses is not a camera gateway.
 */
export const MAX_LISTEN_ADDRESSES = 512;

export function isWildcard(address: string): boolean {
  return address === '0.0.0.0' || address === '::';
}

/**
 * The addresses a listen list means on a machine with these addresses: a wildcard is every
 * address of its family, an explicit address is itself while the machine has it. Explicit
 * addresses come first, so the cap never drops one.
 */
export function listenTargets(listen: readonly string[], addresses: readonly InterfaceAddress[], cap = MAX_LISTEN_ADDRESSES): ListenPlan {
  const targets: ListenTarget[] = [];
  const seen = new Set<string>();
  const missing: string[] = [];
  let skipped = 0;
  const add = (target: ListenTarget): void => {
    const key = target.address.toLowerCase();
    if (seen.has(key)) return;
    seen.add(key);
    if (targets.length >= cap) { skipped++; return; }
    targets.push(target);
  };
  for (const entry of listen) {
    if (isWildcard(entry)) continue;
    const found = localAddress(entry, addresses);
    if (found === undefined) missing.push(entry);
    else add({ address: found, family: entry.includes(':') ? 'IPv6' : 'IPv4', explicit: true });
  }
  for (const entry of listen) {
    if (!isWildcard(entry)) continue;
    const family = entry === '::' ? 'IPv6' : 'IPv4';
    for (const address of addresses) {
      if (address.family !== family) continue;
      add({ address: bindable(address), family, explicit: false });
    }
  }
  return { targets, missing, skipped };
}

/** How to bind an interface address: a link-local IPv6 address needs its interface. */
function bindable(entry: InterfaceAddress): string {
  return entry.family === 'IPv6' && isLinkLocal(entry.address) ? `${entry.address}%${entry.interfaceName}` : entry.address;
}

function isLinkLocal(address: string): boolean {
  try { return ipaddr.parse(address).range() === 'linkLocal'; } catch { return false; }
}

/**
 * The bindable form of `wanted` when this machine has it: one of its interface addresses, or any
 * address in 127.0.0.0/8 while a loopback interface holds that network (Linux answers on all of it).
 */
function localAddress(wanted: string, addresses: readonly InterfaceAddress[]): string | undefined {
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try { parsed = ipaddr.parse(wanted); } catch { return undefined; }
  for (const entry of addresses) {
    let own: ipaddr.IPv4 | ipaddr.IPv6;
    try { own = ipaddr.parse(entry.address); } catch { continue; }
    if (own.kind() === parsed.kind() && own.toString() === parsed.toString()) return bindable(entry);
  }
  if (parsed.kind() === 'ipv4' && parsed.range() === 'loopback') {
    for (const entry of addresses) {
      if (!entry.internal || entry.family !== 'IPv4' || entry.cidr === null) continue;
      try {
        if (parsed.match(ipaddr.parseCIDR(entry.cidr) as never)) return parsed.toString();
      } catch { continue; }
    }
  }
  return undefined;
}
