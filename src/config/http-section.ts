import './zod-setup.js';
import * as z from 'zod/mini';
import ipaddr from 'ipaddr.js';
import { cidr, list, section } from './fields.js';

/**
 * The `http` section: the optional metrics and health listener (src/http). Off unless `listen`
 * is set (or `--http` given); only `allow` networks may ask it anything, loopback by default,
 * because the figures say which cameras exist and what they try to reach.
 */

/** Who may use the HTTP listener by default: this machine only. */
export const HTTP_DEFAULT_ALLOW = ['127.0.0.0/8', '::1/128'] as const;

/** "ADDR:PORT" or "[IPv6]:PORT" -> its parts; a string saying what is wrong otherwise. */
export function parseListenAddress(text: string, minPort: number): { address: string; port: number } | string {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  if (match === null) return 'not ADDR:PORT';
  const address = match[1] ?? match[2] ?? '';
  if (!ipaddr.isValid(address) || (match[1] !== undefined) !== (ipaddr.parse(address).kind() === 'ipv6')) return 'not an IP address (IPv6 in brackets)';
  const port = Number(match[3]);
  if (port < minPort || port > 65535) return 'port out of range';
  return { address: ipaddr.parse(address).toString(), port };
}

export function httpSection(options: { ephemeralPorts: boolean }) {
  const what = 'an address and port such as 127.0.0.1:9153 or [::1]:9153';
  const minPort = options.ephemeralPorts ? 0 : 1;
  const listen = z.pipe(
    z.string({ error: (issue) => (issue.input === undefined ? `missing; expected ${what}` : `expected ${what}, got ${JSON.stringify(issue.input)}`) })
      .check(z.refine((value) => typeof parseListenAddress(value, minPort) !== 'string', { error: (issue) => `expected ${what}, got ${JSON.stringify(issue.input)}` })),
    z.transform((value: string) => parseListenAddress(value, minPort) as { address: string; port: number }),
  );
  return z.prefault(section({
    listen: z.optional(listen).check(z.describe('Where to serve /metrics (Prometheus), /healthz and the read-only dashboard (/dashboard/), as ADDR:PORT; unset: no HTTP listener.')),
    allow: z.prefault(list(cidr(), 'networks'), [...HTTP_DEFAULT_ALLOW]).check(z.describe('Networks that may use the HTTP listener; others get 403.')),
  }), {});
}
