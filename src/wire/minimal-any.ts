import { CLASS_IN, FLAG_CD, FLAG_QR, FLAG_RA, FLAG_RD, FLAG_TC, HEADER_SIZE, OPCODE_MASK } from './constants.js';
import type { ParsedQuery } from './query.js';
import { writeOpt } from './response.js';

const QTYPE_HINFO = 13;
/** RFC 8482 4.2: CPU "RFC8482", OS empty. */
const HINFO_RDATA = Buffer.from([7, ...Buffer.from('RFC8482', 'ascii'), 0]);
/** Owner pointer to the question name, type, class, TTL, RDLENGTH, RDATA. */
const RECORD_SIZE = 2 + 10 + HINFO_RDATA.length;
const OPT_SIZE = 11;

/**
 * The RFC 8482 answer to a QTYPE=ANY query: one synthesised HINFO record instead of every
 * record set, so ANY cannot be used to make camshim (or its upstream) send a large answer.
 * The question is echoed byte for byte; OPT when the query had one. Pure.
 */
export function buildMinimalAny(packet: Uint8Array, query: ParsedQuery, ttl: number, limit: number, serverPayload: number): Buffer {
  const questionLength = query.questionEnd - HEADER_SIZE;
  const optBytes = query.edns === null ? 0 : OPT_SIZE;
  const full = HEADER_SIZE + questionLength + RECORD_SIZE + optBytes;
  const truncated = full > Math.max(limit, 512);
  const out = Buffer.alloc(truncated ? full - RECORD_SIZE : full);
  out.writeUInt16BE(query.id, 0);
  // No AA: it stands in for a forwarded answer, for a name camshim is not the authority for.
  out.writeUInt16BE(FLAG_QR | FLAG_RA | (query.flags & (OPCODE_MASK | FLAG_RD | FLAG_CD)) | (truncated ? FLAG_TC : 0), 2);
  out.writeUInt16BE(1, 4);
  out.writeUInt16BE(truncated ? 0 : 1, 6);
  out.writeUInt16BE(query.edns === null ? 0 : 1, 10);
  out.set(packet.subarray(HEADER_SIZE, query.questionEnd), HEADER_SIZE);
  let offset = HEADER_SIZE + questionLength;
  if (!truncated) {
    out.writeUInt16BE(0xc000 | HEADER_SIZE, offset);
    out.writeUInt16BE(QTYPE_HINFO, offset + 2);
    out.writeUInt16BE(CLASS_IN, offset + 4);
    out.writeUInt32BE(ttl >>> 0, offset + 6);
    out.writeUInt16BE(HINFO_RDATA.length, offset + 10);
    HINFO_RDATA.copy(out, offset + 12);
    offset += RECORD_SIZE;
  }
  if (query.edns !== null) writeOpt(out, offset, serverPayload, 0, query.edns.dnssecOk);
  return out;
}
