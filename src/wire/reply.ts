import { CamshimError } from '../errors.js';
import { FLAG_QR, HEADER_SIZE, MAX_LABEL, MAX_NAME_WIRE, QType } from './constants.js';
import { skipName } from './query.js';

export const enum Section { Answer = 0, Authority = 1, Additional = 2 }

/** Where one resource record sits in a message. Offsets are absolute. */
export interface RecordView {
  readonly section: Section;
  readonly type: number;
  readonly start: number;
  readonly ttlOffset: number;
  readonly ttl: number;
  readonly rdataOffset: number;
  readonly rdLength: number;
  readonly end: number;
}

/** A response walked far enough to relay it: header, the one question, every record's position. */
export interface ReplyScan {
  readonly id: number;
  readonly flags: number;
  /** Full 12-bit RCODE: header bits plus the OPT's extended bits. */
  readonly rcode: number;
  readonly questionEnd: number;
  readonly qtype: number;
  readonly qclass: number;
  /** Every record except the OPT, in message order. */
  readonly records: readonly RecordView[];
  readonly counts: readonly [number, number, number];
  readonly opt: { readonly start: number; readonly end: number; readonly payloadSize: number; readonly version: number } | null;
}

function malformed(reason: string): CamshimError {
  return new CamshimError('WIRE_FORMAT', `malformed DNS response: ${reason}`, { reason });
}

/**
 * Walks a DNS response. Pure; throws CamshimError WIRE_FORMAT (context.reason says why) on
 * anything it cannot walk: short header, not a response, not exactly one uncompressed question,
 * records running off the end, a second OPT, trailing bytes.
 */
export function scanReply(packet: Uint8Array): ReplyScan {
  const length = packet.length;
  if (length < HEADER_SIZE) throw malformed('shorter than a header');
  const id = (packet[0]! << 8) | packet[1]!;
  const flags = (packet[2]! << 8) | packet[3]!;
  if ((flags & FLAG_QR) === 0) throw malformed('QR bit not set');
  const qdcount = (packet[4]! << 8) | packet[5]!;
  if (qdcount !== 1) throw malformed(`QDCOUNT ${qdcount}`);
  let offset = HEADER_SIZE;
  for (;;) {
    if (offset >= length) throw malformed('question truncated');
    const label = packet[offset]!;
    if (label === 0) { offset += 1; break; }
    if (label > MAX_LABEL) throw malformed('compressed or bad label in question');
    offset += 1 + label;
    if (offset - HEADER_SIZE + 1 > MAX_NAME_WIRE) throw malformed('question name too long');
  }
  if (offset + 4 > length) throw malformed('question truncated');
  const qtype = (packet[offset]! << 8) | packet[offset + 1]!;
  const qclass = (packet[offset + 2]! << 8) | packet[offset + 3]!;
  offset += 4;
  const questionEnd = offset;
  const counts: [number, number, number] = [
    (packet[6]! << 8) | packet[7]!, (packet[8]! << 8) | packet[9]!, (packet[10]! << 8) | packet[11]!,
  ];
  const records: RecordView[] = [];
  let opt: ReplyScan['opt'] = null;
  let rcode = flags & 0x0f;
  for (let section = 0; section < 3; section++) {
    for (let index = 0; index < counts[section]!; index++) {
      const start = offset;
      offset = skipName(packet, offset);
      if (offset < 0 || offset + 10 > length) throw malformed('record truncated');
      const type = (packet[offset]! << 8) | packet[offset + 1]!;
      const ttlOffset = offset + 4;
      const ttl = ((packet[ttlOffset]! << 24) | (packet[ttlOffset + 1]! << 16) | (packet[ttlOffset + 2]! << 8) | packet[ttlOffset + 3]!) >>> 0;
      const rdLength = (packet[offset + 8]! << 8) | packet[offset + 9]!;
      const rdataOffset = offset + 10;
      const end = rdataOffset + rdLength;
      if (end > length) throw malformed('record data truncated');
      if (type === QType.OPT) {
        if (section !== Section.Additional) throw malformed('OPT outside the additional section');
        if (opt !== null) throw malformed('more than one OPT');
        if (offset - start !== 1) throw malformed('OPT owner not root');
        opt = { start, end, payloadSize: (packet[offset + 2]! << 8) | packet[offset + 3]!, version: packet[offset + 5]! };
        rcode |= packet[offset + 4]! << 4;
      } else {
        records.push({ section: section as Section, type, start, ttlOffset, ttl, rdataOffset, rdLength, end });
      }
      offset = end;
    }
  }
  if (offset !== length) throw malformed('trailing bytes after the last record');
  return { id, flags, rcode, questionEnd, qtype, qclass, records, counts, opt };
}

/**
 * The MINIMUM field of an SOA record (RFC 2308 negative TTL), or undefined when the record is
 * not a well-formed SOA. Names inside may be compressed; only their length is checked.
 */
export function soaMinimum(packet: Uint8Array, record: RecordView): number | undefined {
  if (record.type !== QType.SOA) return undefined;
  const end = record.rdataOffset + record.rdLength;
  const window = packet.subarray(0, end);
  const afterMname = skipName(window, record.rdataOffset);
  if (afterMname < 0) return undefined;
  const afterRname = skipName(window, afterMname);
  if (afterRname < 0 || afterRname + 20 !== end) return undefined;
  return ((packet[end - 4]! << 24) | (packet[end - 3]! << 16) | (packet[end - 2]! << 8) | packet[end - 1]!) >>> 0;
}
