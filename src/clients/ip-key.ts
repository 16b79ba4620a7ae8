import ipaddr from 'ipaddr.js';

/**
 * The one spelling of an address used as a key in the client table, so that a lease file's
 * `2001:DB8::0:5`, a socket's `::ffff:192.168.20.5` or `fe80::5%br-lan` and a user's config
 * key find the same entry: IPv4 dotted quad; IPv6 in RFC 5952 form; IPv4-mapped IPv6
 * unwrapped to IPv4; the scope id dropped (link-local addresses are looked up by address
 * alone: the neighbour table and the leases name one device per address in practice).
 * Not an address -> undefined.
 */
export function ipKey(text: string): string | undefined {
  const percent = text.indexOf('%');
  const bare = (percent === -1 ? text : text.slice(0, percent)).trim();
  if (ipaddr.IPv4.isValidFourPartDecimal(bare)) return ipaddr.IPv4.parse(bare).toString();
  if (!ipaddr.IPv6.isValid(bare)) return undefined;
  const v6 = ipaddr.IPv6.parse(bare);
  return v6.isIPv4MappedAddress() ? v6.toIPv4Address().toString() : v6.toRFC5952String();
}
