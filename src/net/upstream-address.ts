import ipaddr from 'ipaddr.js';
import { isIpAddress } from './ip-text.js';

/** One upstream DNS server. `label` is how logs, stats and `camshim query` name it. */
export interface UpstreamAddress {
  readonly address: string;
  readonly port: number;
  readonly family: 4 | 6;
  readonly label: string;
}

export function upstreamLabel(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

function make(address: string, port: number): UpstreamAddress {
  // Normalise (::0001 -> ::1) so "is this camshim itself" compares like with like; keep a zone.
  const [bare, zone] = address.split('%', 2) as [string, string | undefined];
  const normal = ipaddr.parse(bare).toString() + (zone === undefined ? '' : `%${zone}`);
  return { address: normal, port, family: normal.includes(':') ? 6 : 4, label: upstreamLabel(normal, port) };
}

/**
 * Parses `HOST`, `HOST:PORT`, `[V6]` or `[V6]:PORT` (HOST an IPv4 or IPv6 address; a bare IPv6
 * address takes no port). Returns an error message instead of throwing, for config checks.
 */
export function parseUpstreamAddress(text: string, defaultPort = 53): UpstreamAddress | string {
  const trimmed = text.trim();
  let host = trimmed;
  let portText: string | undefined;
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(trimmed);
  if (bracket !== null) {
    host = bracket[1]!;
    portText = bracket[2];
  } else if (trimmed.split(':').length === 2) {
    [host, portText] = trimmed.split(':') as [string, string];
  }
  const bare = host.split('%', 2)[0]!;
  if (!isIpAddress(bare)) return `"${text}" is not an IP address, optionally with :port ([v6]:port for IPv6); host names are not accepted`;
  if (bracket !== null && !bare.includes(':')) return `"${text}": brackets are for IPv6 addresses`;
  if (host.includes('%') && !bare.includes(':')) return `"${text}": a zone index needs an IPv6 address`;
  let port = defaultPort;
  if (portText !== undefined) {
    if (!/^\d{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) return `"${text}": port must be 1 to 65535`;
    port = Number(portText);
  }
  return make(host, port);
}
