import { ipKey } from './ip-key.js';
import { cleanHostname, LeaseCollector, leaseEntry, splitLines, type LeaseParseResult } from './lease-entry.js';
import { macFromDuid, normalizeMac } from './mac.js';

/**
 * dnsmasq's lease file (`--dhcp-leasefile`, Debian `/var/lib/misc/dnsmasq.leases`, OpenWrt
 * `/tmp/dhcp.leases`), a snapshot rewritten on every change:
 *
 *   <expiry> <mac> <ipv4> <hostname|*> <client-id|*>
 *   duid <server-duid>
 *   <expiry> <[T]iaid> <ipv6> <hostname|*> <client-duid|*>
 *
 * Expiry is Unix seconds, 0 for an infinite lease. Lines after the `duid` line are DHCPv6
 * leases: their second field is the IAID (prefixed `T` for a temporary address), and the MAC
 * comes from the client DUID where it holds one. A non-Ethernet hardware address (written
 * `<type>-xx:xx...`) keeps the lease, without a MAC.
 */
export function parseDnsmasqLeases(text: string): LeaseParseResult {
  const out = new LeaseCollector('latest-expiry');
  let inV6 = false;
  splitLines(text).forEach((raw, index) => {
    const lineNo = index + 1;
    const line = raw.trim();
    if (line === '') return;
    const fields = line.split(/\s+/);
    if (fields[0] === 'duid') {
      inV6 = true;
      return;
    }
    if (fields.length < 4) return out.skip(lineNo, 'expected "<expiry> <mac|iaid> <ip> <hostname> [client-id]"');
    const [expiryText = '', second = '', ipText = '', hostname = ''] = fields;
    if (!/^\d{1,12}$/.test(expiryText)) return out.skip(lineNo, `expiry "${expiryText}" is not a number`);
    const ip = ipKey(ipText);
    if (ip === undefined) return out.skip(lineNo, `"${ipText}" is not an IP address`);
    const expirySeconds = Number(expiryText);
    const expires = expirySeconds === 0 ? undefined : expirySeconds * 1000;
    const name = cleanHostname(hostname);
    const v6 = inV6 || ip.includes(':');
    if (v6) {
      if (!/^T?\d+$/.test(second)) return out.skip(lineNo, `IAID "${second}" is not a number`);
      const mac = fields[4] === undefined ? undefined : macFromDuid(fields[4]);
      return out.add(leaseEntry(ip, { mac, macFrom: 'duid', name, expires }));
    }
    const mac = normalizeMac(second);
    return out.add(leaseEntry(ip, { mac, name, expires }));
  });
  return out.result();
}
