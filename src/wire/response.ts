import {
  CLASS_IN, EDNS_DO, FLAG_AA, FLAG_CD, FLAG_QR, FLAG_RA, FLAG_RD, FLAG_TC, HEADER_SIZE, OPCODE_MASK, QType, RCode,
} from './constants.js';
import { encodeNameText, labelsBefore } from './name-text.js';
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

/** Encodes a name in presentation format (`\\.` for a dot inside a label, see name-text.ts) as uncompressed wire labels. */
export const encodeName = encodeNameText;

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
  /**
   * When set, an SOA in the authority section, owned by the suffix of the question name whose
   * first label starts at this index of `query.name` (presentation text).
   */
  readonly soa?: { readonly template: SoaTemplate; readonly ownerIndex: number };
  /**
   * RA (RFC 1035 4.1.1): whether camshim offers recursion to this client. Default true; false
   * for clients outside the access networks. Never set on replies to opcodes other than QUERY.
   */
  readonly recursionAvailable?: boolean;
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
  writeHeader(out, query.id, query.flags, spec.rcode & 0xf, spec.authoritative, truncated, spec.recursionAvailable ?? true);
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
      // The owner is a suffix of the question name: point at its first label, found by walking
      // the wire labels (a label may hold an escaped dot, so text offsets are not wire offsets).
      let ownerAt = HEADER_SIZE;
      for (let skip = labelsBefore(query.name, spec.soa.ownerIndex); skip > 0; skip--) ownerAt += 1 + packet[ownerAt]!;
      const pointer = 0xc000 | ownerAt;
      out[offset] = pointer >> 8; out[offset + 1] = pointer & 0xff;
      offset += 2;
      out.set(spec.soa.template.tail, offset);
      offset += spec.soa.template.tail.length;
    }
  }
  if (query.edns !== null) writeOpt(out, offset, serverPayload, extended, query.edns.dnssecOk);
  return out;
}

export interface ErrorOptions {
  /** See AnswerSpec.recursionAvailable. */
  readonly recursionAvailable?: boolean;
  /** The query's valid OPT when `query` is null (a question that did not parse): the reply carries OPT too. */
  readonly edns?: EdnsInfo | null;
}

/**
 * A header-only (plus the question when it parsed) error response: FORMERR, NOTIMP, REFUSED,
 * SERVFAIL, BADVERS. It carries an OPT whenever the query had a valid one (RFC 6891 7), and is
 * never larger than the query, so it cannot amplify.
 */
export function buildError(
  packet: Uint8Array, query: ParsedQuery | null, id: number, flags: number, rcode: number, serverPayload: number, options: ErrorOptions = {},
): Buffer {
  const recursionAvailable = options.recursionAvailable ?? true;
  if (query !== null) return buildAnswer(packet, query, { rcode, authoritative: false, recursionAvailable }, Number.MAX_SAFE_INTEGER, serverPayload);
  const edns = options.edns ?? null;
  const out = Buffer.alloc(HEADER_SIZE + (edns === null ? 0 : OPT_SIZE));
  writeHeader(out, id, flags, rcode & 0xf, false, false, recursionAvailable);
  if (edns !== null) {
    out[11] = 1;
    writeOpt(out, HEADER_SIZE, serverPayload, rcode >> 4, edns.dnssecOk);
  }
  return out;
}

/**
 * The header word of every answer camshim builds (RFC 1035 4.1.1, RFC 6895 2): QR; the opcode,
 * RD and CD copied (CD: RFC 4035 3.2.2); AA only for camshim's own data; TC when cut; RA when
 * recursion is offered and the opcode is QUERY (a NOTIMP resolved nothing); Z and AD clear
 * (camshim validates nothing itself).
 */
function writeHeader(out: Buffer, id: number, queryFlags: number, rcode: number, authoritative: boolean, truncated: boolean, recursionAvailable: boolean): void {
  let flags = FLAG_QR | (queryFlags & (OPCODE_MASK | FLAG_RD | FLAG_CD)) | rcode;
  if (authoritative) flags |= FLAG_AA;
  if (truncated) flags |= FLAG_TC;
  if (recursionAvailable && (queryFlags & OPCODE_MASK) === 0) flags |= FLAG_RA;
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
