import { isIpAddress } from '../net/ip-text.js';

export interface ResolvConfEntry {
  readonly address: string;
  readonly line: number;
}

/**
 * The `nameserver` lines of a resolv.conf, in order (the C library's order). Pure. Lines that
 * are not an address (host names are not allowed there either) are skipped and reported.
 */
export function parseResolvConf(text: string): { nameservers: ResolvConfEntry[]; skipped: ResolvConfEntry[] } {
  const nameservers: ResolvConfEntry[] = [];
  const skipped: ResolvConfEntry[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.replace(/[#;].*$/, '').trim();
    const match = /^nameserver\s+(\S+)/.exec(line);
    if (match === null) return;
    const address = match[1]!;
    const entry = { address, line: index + 1 };
    if (isIpAddress(address.split('%', 2)[0]!)) nameservers.push(entry);
    else skipped.push(entry);
  });
  return { nameservers, skipped };
}
