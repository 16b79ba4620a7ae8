import {
  CLASSIC_UDP_MAX, FLAG_AD, FLAG_CD, FLAG_QR, FLAG_RA, FLAG_RD, FLAG_TC, HEADER_SIZE, OPCODE_MASK, RCode,
} from './constants.js';
import type { ParsedQuery } from './query.js';
import { Section, type RecordView, type ReplyScan } from './reply.js';
import { writeOpt } from './response.js';

const OPT_SIZE = 11;

/**
 * An upstream response reduced to what every client's copy shares: header bits, the records
 * after the question (the upstream's OPT, and any record after it, removed) and where their TTLs
 * are. Compression pointers stay valid because every copy puts a question of the same length
 * at the same offset.
 */
export interface StoredReply {
  /** Upstream header word: only AD is reused. */
  readonly flags: number;
  /** Full RCODE (extended bits included). */
  readonly rcode: number;
  readonly counts: readonly [number, number, number];
  readonly questionLength: number;
  readonly body: Buffer;
  /** Offset in `body` where the additional section starts (= body.length when it is empty). */
  readonly additionalAt: number;
  readonly ttlOffsets: Uint32Array;
  /** The TTL of each record when stored, after any policy (clamps, RFC 2308) was applied. */
  readonly ttls: Uint32Array;
}

/**
 * Builds a StoredReply from a scanned response. `ttlOf` lets the caller apply its TTL policy
 * per record. Records after the OPT are dropped (so removing the OPT moves nothing a pointer
 * could reach). Pure.
 */
export function extractReply(packet: Uint8Array, scan: ReplyScan, ttlOf: (record: RecordView) => number = (record) => record.ttl): StoredReply {
  const bodyStart = scan.questionEnd;
  const kept: RecordView[] = [];
  for (const record of scan.records) {
    if (scan.opt !== null && record.start > scan.opt.start) break;
    kept.push(record);
  }
  const bodyEnd = kept.length === 0 ? bodyStart : kept[kept.length - 1]!.end;
  const body = Buffer.from(packet.subarray(bodyStart, bodyEnd));
  const counts: [number, number, number] = [0, 0, 0];
  let additionalAt = body.length;
  const ttlOffsets = new Uint32Array(kept.length);
  const ttls = new Uint32Array(kept.length);
  kept.forEach((record, index) => {
    counts[record.section]++;
    if (record.section === Section.Additional && additionalAt === body.length) additionalAt = record.start - bodyStart;
    ttlOffsets[index] = record.ttlOffset - bodyStart;
    ttls[index] = Math.max(0, Math.min(0x7fffffff, ttlOf(record)));
    body.writeUInt32BE(ttls[index]!, record.ttlOffset - bodyStart);
  });
  return { flags: scan.flags, rcode: scan.rcode, counts, questionLength: scan.questionEnd - HEADER_SIZE, body, additionalAt, ttlOffsets, ttls };
}

/**
 * The response a client gets from a stored upstream reply: the client's ID, its question bytes
 * (0x20 case kept), TTLs counted down by `elapsedSeconds`, and an OPT when the client sent one
 * (our payload size, the client's DO bit, the upstream's extended RCODE). When it does not fit
 * `limit`, the additional section goes first (no TC: it is optional data); when answer and
 * authority still do not fit, they go too and TC is set (RFC 2181 9). Pure.
 */
export function buildRelay(
  clientPacket: Uint8Array, query: ParsedQuery, stored: StoredReply, elapsedSeconds: number, limit: number, serverPayload: number,
): Buffer {
  const questionLength = query.questionEnd - HEADER_SIZE;
  if (questionLength !== stored.questionLength) throw new RangeError('stored reply is for a question of another length');
  const optBytes = query.edns === null ? 0 : OPT_SIZE;
  const fixed = HEADER_SIZE + questionLength + optBytes;
  const effectiveLimit = Math.max(limit, CLASSIC_UDP_MAX);
  let bodyLength = stored.body.length;
  let counts: readonly [number, number, number] = stored.counts;
  let truncated = false;
  if (fixed + bodyLength > effectiveLimit) {
    if (fixed + stored.additionalAt <= effectiveLimit) {
      bodyLength = stored.additionalAt;
      counts = [stored.counts[0], stored.counts[1], 0];
    } else {
      bodyLength = 0;
      counts = [0, 0, 0];
      truncated = true;
    }
  }
  const out = Buffer.allocUnsafe(fixed + bodyLength);
  let rcode = stored.rcode;
  // Without an OPT an extended RCODE cannot be said; the honest short answer is SERVFAIL.
  if (rcode > 0xf && query.edns === null) rcode = RCode.ServFail;
  // RFC 6840 5.8: AD only to clients that showed they understand it (DO or AD in the query).
  const adAllowed = (query.edns?.dnssecOk ?? false) || (query.flags & FLAG_AD) !== 0;
  // AA is never relayed: camshim is not the authority for data it forwards (unbound clears it too).
  const flags = FLAG_QR | FLAG_RA | (query.flags & (OPCODE_MASK | FLAG_RD | FLAG_CD))
    | (adAllowed ? stored.flags & FLAG_AD : 0) | (truncated ? FLAG_TC : 0) | (rcode & 0xf);
  out.writeUInt16BE(query.id, 0);
  out.writeUInt16BE(flags, 2);
  out.writeUInt16BE(1, 4);
  out.writeUInt16BE(counts[0], 6);
  out.writeUInt16BE(counts[1], 8);
  out.writeUInt16BE(counts[2] + (optBytes === 0 ? 0 : 1), 10);
  out.set(clientPacket.subarray(HEADER_SIZE, query.questionEnd), HEADER_SIZE);
  const bodyStart = HEADER_SIZE + questionLength;
  stored.body.copy(out, bodyStart, 0, bodyLength);
  const elapsed = Math.max(0, Math.floor(elapsedSeconds));
  for (let index = 0; index < stored.ttlOffsets.length; index++) {
    const at = stored.ttlOffsets[index]!;
    if (at >= bodyLength) break;
    out.writeUInt32BE(Math.max(0, stored.ttls[index]! - elapsed), bodyStart + at);
  }
  if (query.edns !== null) writeOpt(out, bodyStart + bodyLength, serverPayload, rcode >> 4, query.edns.dnssecOk);
  return out;
}

/** The smallest TTL among answer and authority records (what a cache may keep the reply for). */
export function minimumTtl(stored: StoredReply): number | undefined {
  let min: number | undefined;
  for (let index = 0; index < stored.ttlOffsets.length; index++) {
    if (stored.ttlOffsets[index]! >= stored.additionalAt) break;
    const ttl = stored.ttls[index]!;
    if (min === undefined || ttl < min) min = ttl;
  }
  return min;
}
