import {
  CLASS_IN, EDNS_DO, FLAG_AA, FLAG_CD, FLAG_QR, FLAG_RA, FLAG_RD, FLAG_TC, HEADER_SIZE, OPCODE_MASK, QType, RCode,
} from './constants.js';
import type { EdnsInfo, ParsedQuery } from './query.js';

/** SOA values for negative answers (RFC 2308): built once per config, reused for every answer. */
export interface SoaTemplate {
  /** type, class, TTL, RDLENGTH and RDATA: everything after the owner name. */
  readonly tail: Buffer;
}

const OPT_SIZE = 11;
const POINTER_TO_QNAME = 0xc000 | HEADER_SIZE;

/**
 * Encodes the SOA record tail once. MNAME/RNAME are names under `.invalid` (RFC 6761) so no
 * client mistakes them for real servers; MINIMUM and the record TTL are both the negative TTL,
 * since resolvers cache negatives for min(TTL, MINIMUM).
 */
export function buildSoaTemplate(negativeTtl: number, serial: number): SoaTemplate {
  const mname = encodeName('camshim.invalid');
  const rname = encodeName('hostmaster.camshim.invalid');
  const rdLength = mname.length + rname.length + 20;
  const tail = Buffer.alloc(10 + rdLength);
  tail.writeUInt16BE(QType.SOA, 0);
  tail.writeUInt16BE(CLASS_IN, 2);
  tail.writeUInt32BE(negativeTtl >>> 0, 4);
  tail.writeUInt16BE(rdLength, 8);
  let offset = 10;
  offset += mname.copy(tail, offset);
  offset += rname.copy(tail, offset);
  tail.writeUInt32BE(serial >>> 0, offset);
  tail.writeUInt32BE(3600, offset + 4); // refresh
  tail.writeUInt32BE(600, offset + 8); // retry
  tail.writeUInt32BE(86400, offset + 12); // expire
  tail.writeUInt32BE(negativeTtl >>> 0, offset + 16); // minimum = negative TTL
  return { tail };
}

/** Encodes a dotted name as uncompressed wire labels. Throws on labels over 63 bytes. */
export function encodeName(name: string): Buffer {
  const trimmed = name.endsWith('.') ? name.slice(0, -1) : name;
  if (trimmed === '') return Buffer.from([0]);
  const labels = trimmed.split('.');
  const parts: number[] = [];
  for (const label of labels) {
    const bytes = Buffer.from(label, 'latin1');
    if (bytes.length === 0 || bytes.length > 63) throw new RangeError(`bad label in ${JSON.stringify(name)}`);
    parts.push(bytes.length, ...bytes);
  }
  parts.push(0);
  if (parts.length > 255) throw new RangeError(`name too long: ${name}`);
  return Buffer.from(parts);
}

/** The largest response this client may get over this transport. */
export function responseLimit(edns: EdnsInfo | null, transport: 'udp' | 'tcp', serverPayload: number): number {
  if (transport === 'tcp') return 65535;
  if (edns === null) return 512;
  return Math.min(edns.payloadSize, serverPayload);
}

export interface AnswerSpec {
  readonly rcode: number;
  /** Authoritative: set for answers camshim makes itself (blocks, redirects). */
  readonly authoritative: boolean;
  /** A or AAAA addresses to answer with (4 or 16 bytes each), owner = the question name. */
  readonly addresses?: readonly Uint8Array[];
  readonly addressTtl?: number;
  /** When set, an SOA in the authority section; owner = question name suffix at this string index. */
  readonly soa?: { readonly template: SoaTemplate; readonly ownerIndex: number };
}

/**
 * Builds a response to a decoded query: header, the question copied byte for byte,
 * the answer/authority records, and an OPT record when the query had one. When it does not
 * fit `limit`, answer and authority are dropped and TC is set (RFC 2181 9, RFC 6891 7).
 */
export function buildAnswer(
  packet: Uint8Array, query: ParsedQuery, spec: AnswerSpec, limit: number, serverPayload: number,
): Buffer {
  const questionLength = query.questionEnd - HEADER_SIZE;
  const addresses = spec.addresses ?? [];
  let answerBytes = 0;
  for (const address of addresses) answerBytes += 12 + address.length;
  const soaBytes = spec.soa === undefined ? 0 : 2 + spec.soa.template.tail.length;
  const optBytes = query.edns === null ? 0 : OPT_SIZE;
  let size = HEADER_SIZE + questionLength + answerBytes + soaBytes + optBytes;
  const truncated = size > limit;
  if (truncated) size = HEADER_SIZE + questionLength + optBytes;

  const out = Buffer.allocUnsafe(size);
  const extended = spec.rcode >> 4;
  writeHeader(out, query.id, query.flags, spec.rcode & 0xf, spec.authoritative, truncated);
  out[4] = 0; out[5] = 1;
  const answerCount = truncated ? 0 : addresses.length;
  const authorityCount = truncated || spec.soa === undefined ? 0 : 1;
  out[6] = answerCount >> 8; out[7] = answerCount & 0xff;
  out[8] = 0; out[9] = authorityCount;
  out[10] = 0; out[11] = query.edns === null ? 0 : 1;
  let offset = HEADER_SIZE;
  // A loop, not set(subarray): a Buffer view per answer cost more than copying ~30 bytes.
  for (let index = HEADER_SIZE; index < query.questionEnd; index++) out[offset++] = packet[index]!;
  if (!truncated) {
    const ttl = spec.addressTtl ?? 0;
    for (const address of addresses) {
      out[offset] = POINTER_TO_QNAME >> 8; out[offset + 1] = POINTER_TO_QNAME & 0xff;
      out.writeUInt16BE(address.length === 4 ? QType.A : QType.AAAA, offset + 2);
      out.writeUInt16BE(CLASS_IN, offset + 4);
      out.writeUInt32BE(ttl >>> 0, offset + 6);
      out.writeUInt16BE(address.length, offset + 10);
      out.set(address, offset + 12);
      offset += 12 + address.length;
    }
    if (spec.soa !== undefined) {
      // The owner is a suffix of the question name; its wire offset equals 12 + its index in the dotted name.
      const pointer = 0xc000 | (HEADER_SIZE + spec.soa.ownerIndex);
      out[offset] = pointer >> 8; out[offset + 1] = pointer & 0xff;
      offset += 2;
      out.set(spec.soa.template.tail, offset);
      offset += spec.soa.template.tail.length;
    }
  }
  if (query.edns !== null) writeOpt(out, offset, serverPayload, extended, query.edns.dnssecOk);
  return out;
}

/**
 * A header-only (plus question when decodable) error response: FORMERR, NOTIMP, REFUSED, SERVFAIL.
 * Never larger than the query, so it cannot amplify.
 */
export function buildError(packet: Uint8Array, query: ParsedQuery | null, id: number, flags: number, rcode: number, serverPayload: number): Buffer {
  if (query === null) {
    const out = Buffer.alloc(HEADER_SIZE);
    writeHeader(out, id, flags, rcode & 0xf, false, false);
    return out;
  }
  return buildAnswer(packet, query, { rcode, authoritative: false }, Number.MAX_SAFE_INTEGER, serverPayload);
}

function writeHeader(out: Buffer, id: number, queryFlags: number, rcode: number, authoritative: boolean, truncated: boolean): void {
  let flags = FLAG_QR | FLAG_RA | (queryFlags & (OPCODE_MASK | FLAG_RD | FLAG_CD)) | rcode;
  if (authoritative) flags |= FLAG_AA;
  if (truncated) flags |= FLAG_TC;
  out[0] = id >> 8; out[1] = id & 0xff;
  out[2] = flags >> 8; out[3] = flags & 0xff;
}

export function writeOpt(out: Buffer, offset: number, payload: number, extendedRcode: number, dnssecOk: boolean): void {
  out[offset] = 0; // root owner
  out.writeUInt16BE(QType.OPT, offset + 1);
  out.writeUInt16BE(payload, offset + 3);
  out[offset + 5] = extendedRcode;
  out[offset + 6] = 0; // version 0: the only one we speak (BADVERS replies say so too)
  const flags = dnssecOk ? EDNS_DO : 0; // RFC 3225: DO is copied into the response
  out[offset + 7] = flags >> 8; out[offset + 8] = flags & 0xff;
  out[offset + 9] = 0; out[offset + 10] = 0;
}

export { RCode };
