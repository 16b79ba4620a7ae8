import { isIPv4, SocketAddress } from 'node:net';

/**
 * The one spelling of an address used as a key in the client table, so that a lease file's
 * `2001:DB8::0:5`, a socket's `::ffff:192.168.20.5` or `fe80::5%br-lan` and a user's config
 * key find the same entry: IPv4 dotted quad; IPv6 as inet_ntop writes it (RFC 5952); IPv4-
 * mapped IPv6 unwrapped to IPv4; the scope id dropped (link-local addresses are looked up by
 * address alone: the neighbour table and the leases name one device per address in practice).
 * Not an address -> undefined.
 *
 * node:net rather than ipaddr.js: lease files hold thousands of addresses and this runs for
 * each, and an inet_pton/inet_ntop round trip costs a fraction of a parse into parts. IPv6 is
 * checked by that round trip itself (SocketAddress throws on what inet_pton refuses), not by
 * node:net's isIPv6: its pattern takes some ten milliseconds to compile on first use, at start-up.
 */
export function ipKey(text: string): string | undefined {
  const percent = text.indexOf('%');
  const bare = (percent === -1 ? text : text.slice(0, percent)).trim();
  if (isIPv4(bare)) return bare;
  if (!bare.includes(':')) return undefined;
  let canonical: string;
  try {
    canonical = new SocketAddress({ address: bare, family: 'ipv6' }).address;
  } catch {
    return undefined;
  }
  if (canonical.startsWith('::ffff:') && canonical.includes('.')) return canonical.slice(7);
  return canonical;
}
