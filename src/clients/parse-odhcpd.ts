import { ipKey } from './ip-key.js';
import { cleanHostname, LeaseCollector, leaseEntry, splitLines, type LeaseParseResult } from './lease-entry.js';
import { macFromDuid, normalizeMac } from './mac.js';

/**
 * OpenWrt's odhcpd state file (UCI `dhcp.odhcpd.leasefile`: `/tmp/hosts/odhcpd` on most
 * releases, `/tmp/odhcpd.leases` on newer ones), a snapshot rewritten on every change.
 * Each lease is one comment line (the file doubles as a dnsmasq hosts file, which skips
 * comments):
 *
 *   # <iface> <hwaddr> ipv4 <hostname|-> <valid-until> <hex-addr> 32 <ipv4>/32
 *   # <iface> <duid-hex> <iaid-hex> <hostname|-> <valid-until> <hex-id> <length> [<ipv6>/<len> ...]
 *
 * `<hwaddr>` is 12 hex digits or glibc `ether_ntoa`'s unpadded colon form, depending on the
 * release. `<valid-until>` is Unix seconds, -1 for infinite, 0 for ended. A hostname odhcpd
 * found invalid is written `broken\x20<name>` (and may itself hold spaces, so the fixed
 * fields are counted from the right). Releases that mix hosts lines into the same file write
 * them as `<ip>\t[<fqdn>\t]<hostname>`; those lines, and odhcpd's per-interface hosts files
 * (`/tmp/hosts/odhcpd.hosts.<iface>`), give a name without a MAC or expiry.
 */
export function parseOdhcpdLeases(text: string): LeaseParseResult {
  const out = new LeaseCollector('latest-expiry');
  const hostsLines: Array<{ ip: string; name: string | undefined }> = [];
  splitLines(text).forEach((raw, index) => {
    const lineNo = index + 1;
    const line = raw.trim();
    if (line === '') return;
    if (line.startsWith('#')) {
      const fields = line.slice(1).trim().split(/\s+/);
      // Header comments of newer releases (`# STATEFILE_VERSION=...`, `# BOOT_ID=...`).
      if (fields.length === 1 && fields[0]?.includes('=')) return;
      if (fields.length < 7) return out.skip(lineNo, 'expected "# <iface> <id> <iaid|ipv4> <hostname> <valid-until> <id> <length> [addresses]"');
      const problem = fields[2] === 'ipv4' ? parseV4(fields, out) : parseV6(fields, out);
      if (problem !== undefined) out.skip(lineNo, problem);
      return;
    }
    const fields = line.split(/\s+/);
    const ip = fields[0] === undefined ? undefined : ipKey(fields[0]);
    if (ip === undefined || fields.length < 2) return out.skip(lineNo, 'expected "<ip> <hostname>" or a "# <iface> ..." lease line');
    hostsLines.push({ ip, name: cleanHostname(fields[fields.length - 1] ?? '') });
  });
  // A hosts line only adds a name to what the lease lines say about the address.
  for (const { ip, name } of hostsLines) {
    const lease = out.get(ip);
    if (lease === undefined) out.add(leaseEntry(ip, { name }));
    else if (lease.name === undefined && name !== undefined) out.add({ ...lease, name });
  }
  return out.result();
}

function validUntil(text: string): { ok: true; expires: number | undefined } | { ok: false } {
  if (!/^-?\d{1,12}$/.test(text)) return { ok: false };
  const seconds = Number(text);
  if (seconds === -1) return { ok: true, expires: undefined };
  if (seconds < 0) return { ok: false };
  return { ok: true, expires: seconds * 1000 };
}

function hostnameOf(parts: string[]): string | undefined {
  const joined = parts.join(' ');
  return cleanHostname(joined.startsWith('broken\\x20') ? joined.slice('broken\\x20'.length) : joined);
}

/** `<iface> <hwaddr> ipv4 <hostname...> <valid-until> <hex-addr> 32 <ipv4>/32`; returns a problem or undefined. */
function parseV4(fields: string[], out: LeaseCollector): string | undefined {
  const n = fields.length;
  const addr = fields[n - 1] ?? '';
  if (fields[n - 2] !== '32' || !addr.endsWith('/32')) return 'IPv4 lease line does not end in "32 <ipv4>/32"';
  const ip = ipKey(addr.slice(0, -3));
  if (ip === undefined || ip.includes(':')) return `"${addr}" is not an IPv4 address`;
  const until = validUntil(fields[n - 4] ?? '');
  if (!until.ok) return `valid-until "${fields[n - 4] ?? ''}" is not a number`;
  const mac = normalizeMac(fields[1] ?? '');
  out.add(leaseEntry(ip, { mac, name: hostnameOf(fields.slice(3, n - 4)), expires: until.expires }));
  return undefined;
}

/** `<iface> <duid> <iaid> <hostname...> <valid-until> <hex-id> <length> [<ipv6>/<len> ...]`. */
function parseV6(fields: string[], out: LeaseCollector): string | undefined {
  let end = fields.length;
  while (end > 0 && (fields[end - 1] ?? '').includes('/')) end--;
  const addresses = fields.slice(end);
  // Fixed fields before the addresses, counted from the right: valid-until, id, length.
  if (end < 7) return 'IPv6 lease line is too short';
  if (!/^[0-9a-f]+$/i.test(fields[2] ?? '')) return `IAID "${fields[2] ?? ''}" is not hex`;
  if (!/^\d{1,3}$/.test(fields[end - 1] ?? '') || !/^[0-9a-f]+$/i.test(fields[end - 2] ?? '')) {
    return 'IPv6 lease line has no "<id> <length>" before its addresses';
  }
  const until = validUntil(fields[end - 3] ?? '');
  if (!until.ok) return `valid-until "${fields[end - 3] ?? ''}" is not a number`;
  const name = hostnameOf(fields.slice(3, end - 3));
  const mac = macFromDuid(fields[1] ?? '');
  for (const address of addresses) {
    const [addrText = '', lengthText = ''] = address.split('/');
    // Delegated prefixes (length < 128) are networks behind the client, not its address.
    if (lengthText !== '128') continue;
    const ip = ipKey(addrText);
    if (ip === undefined || !ip.includes(':')) return `"${address}" is not an IPv6 address`;
    out.add(leaseEntry(ip, { mac, macFrom: 'duid', name, expires: until.expires }));
  }
  return undefined;
}
