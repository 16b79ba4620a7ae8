import {
  CLASSIC_UDP_MAX, FLAG_QR, HEADER_SIZE, MAX_LABEL, MAX_NAME_WIRE, OPCODE_MASK, OPCODE_SHIFT, QType,
} from './constants.js';
import { MAX_TEXT_PER_WIRE_BYTE, PLAIN_TEXT_BYTE, writeLabelText } from './name-text.js';

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
  /**
   * The question name in presentation format (name-text.ts): lower-cased, no trailing dot, ''
   * for the root, a dot inside a label written `\.`, bytes outside 0x21-0x7e as `\DDD`.
   */
  readonly name: string;
  readonly qtype: number;
  readonly qclass: number;
  /** Offset just past the question; bytes 12..questionEnd are echoed verbatim (0x20 case kept). */
  readonly questionEnd: number;
  /** The query's OPT record when it is valid: the first OPT, in the additional section, owned by the root. */
  readonly edns: EdnsInfo | null;
}

/**
 * What decoding decided. `drop` means the header itself is unusable (or is a response):
 * nothing may be sent back. `formerr`/`notimp` carry what the reply echoes: the header fields,
 * the question when it parsed (`query`, else null) and the query's valid OPT (`edns`, else null).
 */
export type QueryDecodeResult =
  | { readonly kind: 'query'; readonly query: ParsedQuery }
  | { readonly kind: 'drop'; readonly reason: 'short' | 'response' }
  | {
    readonly kind: 'formerr' | 'notimp'; readonly id: number; readonly flags: number; readonly reason: string;
    readonly query: ParsedQuery | null; readonly edns: EdnsInfo | null;
  };

// One scratch buffer for the name's text: the decoder is synchronous, so reuse is safe.
const nameScratch = Buffer.allocUnsafe(MAX_NAME_WIRE * MAX_TEXT_PER_WIRE_BYTE);

const QUESTION_PROBLEMS = ['question truncated', 'bad label in question', 'name too long'] as const;
/** A module-local constant for the byte loop: an imported binding is a cell load and a hole check on every read. */
const PLAIN = PLAIN_TEXT_BYTE;

/**
 * Decodes a DNS query. Pure: no I/O, never throws on any input.
 * Only what an answer needs is decoded: header, the single question, and the OPT record.
 * An unknown opcode is NOTIMP whatever follows; a standard query with anything but exactly one
 * question, an OPT outside the additional section, a second OPT, an OPT not owned by the root
 * or records running off the end is FORMERR (RFC 6891 6.1.1, as unbound does).
 */
export function decodeQuery(packet: Uint8Array): QueryDecodeResult {
  const length = packet.length;
  if (length < HEADER_SIZE) return { kind: 'drop', reason: 'short' };
  const id = (packet[0]! << 8) | packet[1]!;
  const flags = (packet[2]! << 8) | packet[3]!;
  if ((flags & FLAG_QR) !== 0) return { kind: 'drop', reason: 'response' };
  const opcode = (flags & OPCODE_MASK) >> OPCODE_SHIFT;
  const qdcount = (packet[4]! << 8) | packet[5]!;

  // The question's end, or -1 - its QUESTION_PROBLEMS index; 0 when there is none. Parsed here,
  // not in a helper, so its name, type and class stay locals on the hot path.
  let questionEnd = 0;
  let name = '';
  let qtype = 0;
  let qclass = 0;
  let offset = HEADER_SIZE;
  if (qdcount >= 1) {
    let textLength = 0;
    for (;;) {
      if (offset >= length) { questionEnd = -1; break; }
      const labelLength = packet[offset]!;
      if (labelLength === 0) { offset += 1; break; }
      if (labelLength > MAX_LABEL) { questionEnd = -2; break; }
      if (offset + 1 + labelLength > length) { questionEnd = -1; break; }
      // Wire length of the name so far plus this label and the root byte.
      if (offset - HEADER_SIZE + 1 + labelLength + 1 > MAX_NAME_WIRE) { questionEnd = -3; break; }
      if (textLength !== 0) nameScratch[textLength++] = 0x2e;
      const end = offset + 1 + labelLength;
      // Inlined common case of writeLabelText: a byte that prints as itself is copied (lower-cased).
      for (let i = offset + 1; i < end; i++) {
        const plain = PLAIN[packet[i]!]!;
        if (plain === 0) { textLength = writeLabelText(packet, i, end, nameScratch, textLength); break; }
        nameScratch[textLength++] = plain;
      }
      offset = end;
    }
    if (questionEnd === 0 && offset + 4 > length) questionEnd = -1;
    if (questionEnd === 0) {
      name = nameScratch.toString('latin1', 0, textLength);
      qtype = (packet[offset]! << 8) | packet[offset + 1]!;
      qclass = (packet[offset + 2]! << 8) | packet[offset + 3]!;
      questionEnd = offset + 4;
    }
    // Further questions are only stepped over, to reach the OPT (the reply is FORMERR anyway).
    offset = questionEnd < 0 ? -1 : questionEnd;
    for (let index = 1; index < qdcount && offset >= 0; index++) {
      offset = skipName(packet, offset);
      offset = offset < 0 || offset + 4 > length ? -1 : offset + 4;
    }
  }

  let edns: EdnsInfo | null = null;
  let recordProblem: string | undefined;
  if (offset < 0) recordProblem = 'question truncated';
  else {
    const answers = (packet[6]! << 8) | packet[7]!;
    const records = answers + ((packet[8]! << 8) | packet[9]!) + ((packet[10]! << 8) | packet[11]!);
    const otherRecords = records - ((packet[10]! << 8) | packet[11]!);
    for (let index = 0; index < records; index++) {
      const nameStart = offset;
      offset = skipName(packet, offset);
      if (offset < 0 || offset + 10 > length) { recordProblem ??= 'record truncated'; break; }
      const type = (packet[offset]! << 8) | packet[offset + 1]!;
      const rdLength = (packet[offset + 8]! << 8) | packet[offset + 9]!;
      if (offset + 10 + rdLength > length) { recordProblem ??= 'record truncated'; break; }
      if (type === QType.OPT) {
        // A misplaced OPT is FORMERR, but the walk goes on: a valid OPT further on still gets one back.
        if (index < otherRecords) recordProblem ??= 'OPT outside the additional section';
        else if (edns !== null) recordProblem ??= 'more than one OPT';
        else if (offset - nameStart !== 1) recordProblem ??= 'OPT owner not root';
        else {
          const payloadSize = (packet[offset + 2]! << 8) | packet[offset + 3]!;
          edns = {
            // RFC 6891 6.2.5: values below 512 are treated as 512.
            payloadSize: payloadSize < CLASSIC_UDP_MAX ? CLASSIC_UDP_MAX : payloadSize,
            version: packet[offset + 5]!,
            dnssecOk: (packet[offset + 6]! & 0x80) !== 0,
          };
        }
      }
      offset += 10 + rdLength;
    }
  }

  const query: ParsedQuery | null = questionEnd <= 0 || qdcount !== 1 ? null : {
    id, flags, opcode, name, qtype, qclass, questionEnd, edns,
  };
  if (opcode !== 0) return { kind: 'notimp', id, flags, reason: `opcode ${opcode}`, query, edns };
  if (qdcount !== 1) return { kind: 'formerr', id, flags, reason: `QDCOUNT ${qdcount}`, query: null, edns };
  if (questionEnd < 0) return { kind: 'formerr', id, flags, reason: QUESTION_PROBLEMS[-1 - questionEnd]!, query: null, edns: null };
  if (recordProblem !== undefined) return { kind: 'formerr', id, flags, reason: recordProblem, query, edns };
  return { kind: 'query', query: query! };
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
