import { basename } from 'node:path';
import type { LeaseParseResult } from './lease-entry.js';
import { parseDnsmasqLeases } from './parse-dnsmasq.js';
import { parseIscDhcpdLeases } from './parse-isc-dhcpd.js';
import { parseKeaLeases } from './parse-kea.js';
import { parseOdhcpdLeases } from './parse-odhcpd.js';

/** The lease file formats camshim reads, named after the DHCP server that writes them. */
export const LEASE_FORMATS = ['dnsmasq', 'odhcpd', 'isc-dhcpd', 'kea'] as const;
export type LeaseFormat = (typeof LEASE_FORMATS)[number];

export const LEASE_PARSERS: Readonly<Record<LeaseFormat, (text: string) => LeaseParseResult>> = {
  dnsmasq: parseDnsmasqLeases,
  odhcpd: parseOdhcpdLeases,
  'isc-dhcpd': parseIscDhcpdLeases,
  kea: parseKeaLeases,
};

/**
 * Where each DHCP server keeps its leases on the systems camshim runs on; `leases: auto`
 * watches every one of these (a missing file is simply a server that is not installed, and is
 * picked up if it appears later).
 */
export const LEASE_FILE_CANDIDATES: ReadonlyArray<{ readonly path: string; readonly format: LeaseFormat }> = [
  { path: '/var/lib/misc/dnsmasq.leases', format: 'dnsmasq' }, // Debian, Ubuntu, Raspberry Pi OS
  { path: '/var/lib/dnsmasq/dnsmasq.leases', format: 'dnsmasq' }, // Fedora, Arch, Alpine
  { path: '/tmp/dhcp.leases', format: 'dnsmasq' }, // OpenWrt
  { path: '/etc/pihole/dhcp.leases', format: 'dnsmasq' }, // Pi-hole's DHCP server
  { path: '/tmp/hosts/odhcpd', format: 'odhcpd' }, // OpenWrt odhcpd state file
  { path: '/tmp/odhcpd.leases', format: 'odhcpd' }, // OpenWrt odhcpd state file, newer releases
  { path: '/var/lib/dhcp/dhcpd.leases', format: 'isc-dhcpd' }, // Debian, Ubuntu
  { path: '/var/lib/dhcpd/dhcpd.leases', format: 'isc-dhcpd' }, // Fedora, RHEL
  { path: '/var/lib/kea/kea-leases4.csv', format: 'kea' }, // Debian, Ubuntu, Fedora packages
  { path: '/var/lib/kea/kea-leases6.csv', format: 'kea' },
];

/**
 * The files that together hold a lease file's content, oldest first. Kea's lease file cleanup
 * moves the journal aside while it compacts: the compacted leases sit in `<file>.2`, the
 * journal being compacted in `<file>.1`, and only newer changes in `<file>`, so all three
 * are read in that order. The other servers keep everything in one file.
 */
export function leaseFileParts(path: string, format: LeaseFormat): readonly string[] {
  return format === 'kea' ? [`${path}.2`, `${path}.1`, path] : [path];
}

/**
 * The format of a lease file given without one: from its name when it is a usual one, else
 * from its first meaningful line. undefined when neither tells.
 */
export function detectLeaseFormat(path: string, text: string): LeaseFormat | undefined {
  const known = LEASE_FILE_CANDIDATES.find((c) => c.path === path);
  if (known !== undefined) return known.format;
  const name = basename(path);
  if (name.endsWith('.csv')) return 'kea';
  if (name.startsWith('dhcpd') && name.includes('.leases')) return 'isc-dhcpd';
  if (name.startsWith('odhcpd')) return 'odhcpd';
  for (const raw of text.split(/\r?\n/, 200)) {
    const line = raw.trim();
    if (line === '') continue;
    if (line.startsWith('address,')) return 'kea';
    if (/^lease\s+\S+\s*\{/.test(line) || line.startsWith('authoring-byte-order') || line.startsWith('server-duid')) return 'isc-dhcpd';
    if (/^#\s+\S+\s+\S+\s+(ipv4|[0-9a-f]+)\s/.test(line)) return 'odhcpd';
    if (/^\d+\s+\S+\s+\S+\s+\S+/.test(line) || line.startsWith('duid ')) return 'dnsmasq';
    if (line.startsWith('#')) continue; // comment lines of ISC dhcpd's header
  }
  return undefined;
}
