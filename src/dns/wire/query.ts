import {
  CLASSIC_UDP_MAX, FLAG_QR, HEADER_SIZE, MAX_LABEL, MAX_NAME_WIRE, OPCODE_MASK, OPCODE_SHIFT, QType,
} from './constants.js';

/** EDNS information from a query's OPT record (RFC 6891). */
export interface EdnsInfo {
  readonly payloadSize: number;
  readonly version: number;
  readonly dnssecOk: boolean;
}

/** A query decoded just far enough to answer it. */
export interface ParsedQuery {
  readonly id: number;
  /** The raw second header word: opcode, RD, CD are echoed from it. */
  readonly flags: number;
  readonly opcode: number;
  /** Lower-case, dotted, without the trailing dot; '' for the root. Bytes >= 0x80 map 1:1 to latin1. */
  readonly name: string;
  readonly qtype: number;
  readonly qclass: number;
  /** Offset just past the question; bytes 12..questionEnd are echoed verbatim (0x20 case kept). */
  readonly questionEnd: number;
  readonly edns: EdnsInfo | null;
}

/**
 * What decoding decided. `drop` means the header itself is unusable (or is a response):
 * nothing may be sent back. `formerr`/`notimp` carry the header fields needed to reply.
 */
export type QueryDecodeResult =
  | { readonly kind: 'query'; readonly query: ParsedQuery }
  | { readonly kind: 'drop'; readonly reason: 'short' | 'response' }
  | { readonly kind: 'formerr' | 'notimp'; readonly id: number; readonly flags: number; readonly reason: string };

// One scratch buffer for the lower-cased name: the decoder is synchronous, so reuse is safe.
const nameScratch = Buffer.allocUnsafe(MAX_NAME_WIRE);

/**
 * Decodes a DNS query. Pure: no I/O, never throws on any input.
 * Only what an answer needs is decoded: header, the single question, and the OPT record.
 */
export function decodeQuery(packet: Uint8Array): QueryDecodeResult {
  const length = packet.length;
  if (length < HEADER_SIZE) return { kind: 'drop', reason: 'short' };
  const id = (packet[0]! << 8) | packet[1]!;
  const flags = (packet[2]! << 8) | packet[3]!;
  if ((flags & FLAG_QR) !== 0) return { kind: 'drop', reason: 'response' };
  const opcode = (flags & OPCODE_MASK) >> OPCODE_SHIFT;
  if (opcode !== 0) return { kind: 'notimp', id, flags, reason: `opcode ${opcode}` };
  const qdcount = (packet[4]! << 8) | packet[5]!;
  if (qdcount !== 1) return { kind: 'formerr', id, flags, reason: `QDCOUNT ${qdcount}` };

  // Question name: plain labels only; a query has nothing earlier to point at.
  let offset = HEADER_SIZE;
  let nameLength = 0;
  for (;;) {
    if (offset >= length) return { kind: 'formerr', id, flags, reason: 'question truncated' };
    const labelLength = packet[offset]!;
    if (labelLength === 0) { offset += 1; break; }
    if (labelLength > MAX_LABEL) return { kind: 'formerr', id, flags, reason: 'bad label in question' };
    if (offset + 1 + labelLength > length) return { kind: 'formerr', id, flags, reason: 'question truncated' };
    // Wire length of the name so far plus this label and the root byte.
    if (offset - HEADER_SIZE + 1 + labelLength + 1 > MAX_NAME_WIRE) return { kind: 'formerr', id, flags, reason: 'name too long' };
    if (nameLength !== 0) nameScratch[nameLength++] = 0x2e;
    for (let i = offset + 1, end = offset + 1 + labelLength; i < end; i++) {
      const byte = packet[i]!;
      nameScratch[nameLength++] = byte >= 0x41 && byte <= 0x5a ? byte | 0x20 : byte;
    }
    offset += 1 + labelLength;
  }
  if (offset + 4 > length) return { kind: 'formerr', id, flags, reason: 'question truncated' };
  const qtype = (packet[offset]! << 8) | packet[offset + 1]!;
  const qclass = (packet[offset + 2]! << 8) | packet[offset + 3]!;
  offset += 4;
  const questionEnd = offset;

  let edns: EdnsInfo | null = null;
  const otherRecords = ((packet[6]! << 8) | packet[7]!) + ((packet[8]! << 8) | packet[9]!);
  const additional = (packet[10]! << 8) | packet[11]!;
  if (otherRecords + additional > 0) {
    const records = otherRecords + additional;
    for (let index = 0; index < records; index++) {
      const nameStart = offset;
      offset = skipName(packet, offset);
      if (offset < 0 || offset + 10 > length) return { kind: 'formerr', id, flags, reason: 'record truncated' };
      const type = (packet[offset]! << 8) | packet[offset + 1]!;
      const rdLength = (packet[offset + 8]! << 8) | packet[offset + 9]!;
      if (offset + 10 + rdLength > length) return { kind: 'formerr', id, flags, reason: 'record truncated' };
      if (type === QType.OPT && index >= otherRecords) {
        if (edns !== null) return { kind: 'formerr', id, flags, reason: 'more than one OPT' };
        if (offset - nameStart !== 1) return { kind: 'formerr', id, flags, reason: 'OPT owner not root' };
        const payloadSize = (packet[offset + 2]! << 8) | packet[offset + 3]!;
        edns = {
          // RFC 6891 6.2.5: values below 512 are treated as 512.
          payloadSize: payloadSize < CLASSIC_UDP_MAX ? CLASSIC_UDP_MAX : payloadSize,
          version: packet[offset + 5]!,
          dnssecOk: (packet[offset + 6]! & 0x80) !== 0,
        };
      }
      offset += 10 + rdLength;
    }
  }
  return {
    kind: 'query',
    query: { id, flags, opcode, name: nameScratch.toString('latin1', 0, nameLength), qtype, qclass, questionEnd, edns },
  };
}

/**
 * Returns the offset after a (possibly compressed) name, or -1 when it runs off the
 * packet or is malformed. A pointer ends a name, so no pointer is ever followed: loops are impossible.
 */
export function skipName(packet: Uint8Array, start: number): number {
  let offset = start;
  const length = packet.length;
  for (let guard = 0; guard < 128; guard++) {
    if (offset >= length) return -1;
    const byte = packet[offset]!;
    if (byte === 0) return offset + 1;
    if ((byte & 0xc0) === 0xc0) return offset + 2 <= length ? offset + 2 : -1;
    if ((byte & 0xc0) !== 0) return -1;
    offset += 1 + byte;
  }
  return -1;
}
