import { ipKey } from './ip-key.js';
import { cleanHostname, LeaseCollector, leaseEntry, splitLines, type LeaseParseResult } from './lease-entry.js';
import { macFromDuid, normalizeMac } from './mac.js';

/**
 * Kea's memfile lease journals, CSV with a header naming the columns (older files have
 * fewer of them, so columns are found by name):
 *
 *   kea-leases4.csv: address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context,...
 *   kea-leases6.csv: address,duid,valid_lifetime,expire,subnet_id,pref_lifetime,lease_type,iaid,prefix_len,fqdn_fwd,fqdn_rev,hostname,hwaddr,state,...
 *
 * Every change is appended, so the last row for an address is current; a deleted lease is a
 * row with valid_lifetime 0 (its expire is then the time it ended). `expire` is Unix seconds;
 * a valid lifetime of 0xffffffff never ends. Kea escapes characters of the hostname as
 * `&#xHH` (a comma, for one). Declined addresses (state 1) belong to no client and are left
 * out; delegated prefixes (lease_type 2) are networks behind a client, not its address. The
 * MAC is the `hwaddr` column, or for DHCPv6 the client DUID where it holds one.
 * A header line may appear again (the lease file cleanup's files read in sequence).
 */
export function parseKeaLeases(text: string): LeaseParseResult {
  const out = new LeaseCollector('last');
  let columns: Map<string, number> | undefined;
  splitLines(text).forEach((raw, index) => {
    const lineNo = index + 1;
    const line = raw.trim();
    if (line === '') return;
    const cells = line.split(',');
    if (cells[0] === 'address') {
      columns = new Map(cells.map((name, i) => [name.trim(), i]));
      if (!columns.has('expire') || !columns.has('valid_lifetime')) {
        columns = undefined;
        out.skip(lineNo, 'header has no "expire" or "valid_lifetime" column');
      }
      return;
    }
    if (columns === undefined) return out.skip(lineNo, 'row before a Kea CSV header ("address,...")');
    const cols = columns;
    const cell = (name: string): string | undefined => {
      const at = cols.get(name);
      return at === undefined ? undefined : cells[at]?.trim();
    };
    const ip = ipKey(cell('address') ?? '');
    if (ip === undefined) return out.skip(lineNo, `"${cell('address') ?? ''}" is not an IP address`);
    const validText = cell('valid_lifetime') ?? '';
    const expireText = cell('expire') ?? '';
    if (!/^\d{1,10}$/.test(validText) || !/^\d{1,12}$/.test(expireText)) {
      return out.skip(lineNo, 'valid_lifetime or expire is not a number');
    }
    const state = cell('state');
    if (state === '1') return; // declined: an address nobody holds
    const leaseType = cell('lease_type');
    if (leaseType === '2') return; // delegated prefix
    const expires = Number(validText) === 0xffffffff ? undefined : Number(expireText) * 1000;
    const hwaddr = cell('hwaddr');
    let mac = hwaddr === undefined || hwaddr === '' ? undefined : normalizeMac(hwaddr);
    let macFrom: 'hardware' | 'duid' = 'hardware';
    const duid = cell('duid');
    if (mac === undefined && duid !== undefined) {
      mac = macFromDuid(duid);
      macFrom = 'duid';
    }
    const name = cleanHostname(unescapeKea(cell('hostname') ?? ''));
    return out.add(leaseEntry(ip, { mac, macFrom, name, expires }));
  });
  return out.result();
}

/** Kea's CSV escape: `&#xHH` is the byte 0xHH; bytes are decoded as UTF-8 afterwards. */
function unescapeKea(text: string): string {
  if (!text.includes('&#x')) return text;
  const bytes: number[] = [];
  for (let i = 0; i < text.length;) {
    const m = /^&#x([0-9a-fA-F]{2})/.exec(text.slice(i, i + 6));
    if (m !== null && m[1] !== undefined) {
      bytes.push(parseInt(m[1], 16));
      i += 5;
      continue;
    }
    const ch = String.fromCodePoint(text.codePointAt(i) ?? 0);
    bytes.push(...Buffer.from(ch, 'utf8'));
    i += ch.length;
  }
  return Buffer.from(bytes).toString('utf8');
}
