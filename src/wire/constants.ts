/** DNS wire constants (RFC 1035, 2308, 6891). Numbers only: no behaviour here. */
export const HEADER_SIZE = 12;
export const MAX_NAME_WIRE = 255;
export const MAX_LABEL = 63;
/** Payload a client without EDNS may receive over UDP (RFC 1035 4.2.1). */
export const CLASSIC_UDP_MAX = 512;
/** What we advertise and cap EDNS payloads to: the DNS Flag Day 2020 figure. */
export const DEFAULT_EDNS_PAYLOAD = 1232;

export const enum RCode {
  NoError = 0,
  FormErr = 1,
  ServFail = 2,
  NxDomain = 3,
  NotImp = 4,
  Refused = 5,
  /** Extended RCODE 16: only expressible with an OPT record. */
  BadVers = 16,
}

export const enum Opcode {
  Query = 0,
}

export const enum QType {
  A = 1,
  NS = 2,
  CNAME = 5,
  SOA = 6,
  PTR = 12,
  MX = 15,
  TXT = 16,
  AAAA = 28,
  SRV = 33,
  OPT = 41,
  HTTPS = 65,
  ANY = 255,
}

export const CLASS_IN = 1;

/** Header flag bits (second 16-bit word). */
export const FLAG_QR = 0x8000;
export const FLAG_AA = 0x0400;
export const FLAG_TC = 0x0200;
export const FLAG_RD = 0x0100;
export const FLAG_RA = 0x0080;
export const FLAG_AD = 0x0020;
export const FLAG_CD = 0x0010;
export const OPCODE_MASK = 0x7800;
export const OPCODE_SHIFT = 11;

/** EDNS DO bit inside the OPT TTL field's low 16 bits. */
export const EDNS_DO = 0x8000;

const TYPE_NAMES: Record<number, string> = {
  1: 'A', 2: 'NS', 5: 'CNAME', 6: 'SOA', 12: 'PTR', 15: 'MX', 16: 'TXT', 28: 'AAAA',
  33: 'SRV', 35: 'NAPTR', 41: 'OPT', 43: 'DS', 46: 'RRSIG', 47: 'NSEC', 48: 'DNSKEY',
  52: 'TLSA', 64: 'SVCB', 65: 'HTTPS', 99: 'SPF', 252: 'AXFR', 255: 'ANY', 257: 'CAA',
};
const TYPE_NUMBERS: Record<string, number> = Object.fromEntries(
  Object.entries(TYPE_NAMES).map(([num, name]) => [name, Number(num)]),
);

export function typeName(qtype: number): string {
  return TYPE_NAMES[qtype] ?? `TYPE${qtype}`;
}

/** Parses 'AAAA', 'aaaa', 'TYPE28' or '28'; undefined when it is none of these. */
export function parseTypeName(text: string): number | undefined {
  const upper = text.trim().toUpperCase();
  const known = TYPE_NUMBERS[upper];
  if (known !== undefined) return known;
  const match = /^(?:TYPE)?(\d{1,5})$/.exec(upper);
  if (match?.[1] === undefined) return undefined;
  const value = Number(match[1]);
  return value <= 0xffff ? value : undefined;
}

const RCODE_NAMES: Record<number, string> = {
  0: 'NOERROR', 1: 'FORMERR', 2: 'SERVFAIL', 3: 'NXDOMAIN', 4: 'NOTIMP', 5: 'REFUSED', 16: 'BADVERS',
};
export function rcodeName(rcode: number): string {
  return RCODE_NAMES[rcode] ?? `RCODE${rcode}`;
}
