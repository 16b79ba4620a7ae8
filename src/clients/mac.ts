/**
 * MAC addresses in the notations routers, DHCP servers and users write them, reduced to one
 * form (lower-case, colon-separated, two digits per byte) so a MAC from a lease file, the
 * neighbour table and the `clients:` map compare equal as strings.
 */

const HEX_PAIR = /^[0-9a-f]{1,2}$/;
const HEX12 = /^[0-9a-f]{12}$/;
const CISCO = /^[0-9a-f]{4}\.[0-9a-f]{4}\.[0-9a-f]{4}$/;

/**
 * `aa:bb:cc:dd:ee:ff`, `AA-BB-CC-DD-EE-FF`, `aabb.ccdd.eeff`, `aabbccddeeff` and glibc
 * `ether_ntoa`'s unpadded `0:1b:3:a:b:c` (odhcpd writes that) -> `aa:bb:cc:dd:ee:ff`.
 * Anything else (wrong length, not hex, all zeros: the kernel's "no address yet") -> undefined.
 */
export function normalizeMac(text: string): string | undefined {
  const lower = text.trim().toLowerCase();
  let bytes: string[];
  if (HEX12.test(lower)) {
    bytes = lower.match(/../g) ?? [];
  } else if (CISCO.test(lower)) {
    bytes = lower.replaceAll('.', '').match(/../g) ?? [];
  } else {
    const separator = lower.includes(':') ? ':' : '-';
    bytes = lower.split(separator);
    if (bytes.length !== 6 || !bytes.every((b) => HEX_PAIR.test(b))) return undefined;
    // Mixed separators ("aa:bb-cc...") split into fewer than six parts and were refused above.
    bytes = bytes.map((b) => b.padStart(2, '0'));
  }
  if (bytes.length !== 6) return undefined;
  const mac = bytes.join(':');
  return mac === '00:00:00:00:00:00' ? undefined : mac;
}

/**
 * The MAC inside a DHCPv6 DUID, where the DUID is built from one: DUID-LLT (type 1) and
 * DUID-LL (type 3) with hardware type 1 (Ethernet). Other DUIDs (vendor, UUID) carry none.
 * Accepts the hex forms lease files write: plain (`000100012a...`) or colon-separated.
 * A DUID-LLT may name another interface of the same device; for a one-port camera it is
 * the camera's MAC, and the directory ranks it below a MAC seen on the wire.
 */
export function macFromDuid(duidHex: string): string | undefined {
  const hex = duidHex.trim().toLowerCase().replaceAll(':', '');
  if (!/^[0-9a-f]+$/.test(hex) || hex.length % 2 !== 0) return undefined;
  const type = hex.slice(0, 4);
  const hwType = hex.slice(4, 8);
  if (hwType !== '0001') return undefined;
  if (type === '0001' && hex.length === 28) return normalizeMac(hex.slice(16));
  if (type === '0003' && hex.length === 20) return normalizeMac(hex.slice(8));
  return undefined;
}
