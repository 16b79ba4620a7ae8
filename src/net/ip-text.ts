import ipaddr from 'ipaddr.js';

/** Strict address syntax: dotted-quad IPv4 (not ipaddr.js's "1.2.3" shorthand) or IPv6. */
export function isIpAddress(text: string): boolean {
  return ipaddr.IPv4.isValidFourPartDecimal(text) || ipaddr.IPv6.isValid(text);
}
