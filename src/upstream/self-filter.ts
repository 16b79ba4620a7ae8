import ipaddr from 'ipaddr.js';
import { systemInterfaces, type InterfaceSource } from '../net/local-address.js';
import type { UpstreamAddress } from '../net/upstream-address.js';

/** What camshim itself listens on: bound addresses with their port, and the host's own addresses. */
export interface SelfView {
  readonly listening: readonly { readonly address: string; readonly port: number }[];
  /** Addresses of this host's interfaces (a wildcard socket answers on all of them). */
  readonly hostAddresses: readonly string[];
}

function normal(address: string): string {
  const bare = address.split('%', 2)[0]!;
  try {
    const parsed = ipaddr.parse(bare);
    // An IPv4-mapped IPv6 address is the IPv4 address.
    if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) return (parsed as ipaddr.IPv6).toIPv4Address().toString();
    return parsed.toString();
  } catch {
    return bare;
  }
}

function isLoopback(address: string): boolean {
  try { return ipaddr.parse(address).range() === 'loopback'; } catch { return false; }
}

/**
 * Whether queries sent to `upstream` would reach camshim itself: same port, and either an
 * address camshim is bound to, or (when camshim holds the wildcard of that family) loopback or
 * one of the host's own addresses. Returns the reason, or undefined when it is someone else.
 */
export function selfReason(upstream: UpstreamAddress, self: SelfView): string | undefined {
  const target = normal(upstream.address);
  const v6 = target.includes(':');
  for (const socket of self.listening) {
    if (socket.port !== upstream.port) continue;
    const bound = normal(socket.address);
    if (bound === target) return `camshim itself listens on ${upstream.label}`;
    const wildcard = v6 ? bound === '::' : bound === '0.0.0.0';
    if (!wildcard) continue;
    if (isLoopback(target)) return `${upstream.label} is loopback on camshim's own port`;
    if (self.hostAddresses.some((address) => normal(address) === target)) return `${upstream.label} is this host, where camshim listens on port ${upstream.port}`;
  }
  return undefined;
}

/** camshim's own view from its bound sockets and the host's interfaces. */
export function selfViewOf(sockets: readonly { readonly address: string; readonly port: number }[], interfaces: InterfaceSource = systemInterfaces): SelfView {
  return {
    listening: sockets.map((socket) => ({ address: socket.address, port: socket.port })),
    hostAddresses: interfaces().map((entry) => entry.address),
  };
}
