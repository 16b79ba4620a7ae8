import { FLAG_CD, FLAG_RD, HEADER_SIZE, QType } from './constants.js';

/**
 * Compares the question sections of two messages (bytes 12..end): names without regard to
 * ASCII case (0x20 randomisation, RFC 4343), type and class exactly. Pure.
 */
export function sameQuestion(a: Uint8Array, aEnd: number, b: Uint8Array, bEnd: number): boolean {
  if (aEnd !== bEnd || aEnd > a.length || bEnd > b.length || aEnd < HEADER_SIZE + 5) return false;
  const nameEnd = aEnd - 4;
  for (let i = HEADER_SIZE; i < nameEnd; i++) {
    if (lower(a[i]!) !== lower(b[i]!)) return false;
  }
  for (let i = nameEnd; i < aEnd; i++) if (a[i] !== b[i]) return false;
  return true;
}

function lower(byte: number): number {
  return byte >= 0x41 && byte <= 0x5a ? byte | 0x20 : byte;
}

/**
 * The question bytes of a decoded query (12..questionEnd) with the name lower-cased: a cache
 * and coalescing key that ignores the client's 0x20 case. Label length bytes are at most 63,
 * so lower-casing every byte in 'A'..'Z' touches only name characters.
 */
export function canonicalQuestion(packet: Uint8Array, questionEnd: number): Buffer {
  const out = Buffer.from(packet.subarray(HEADER_SIZE, questionEnd));
  const nameEnd = out.length - 4;
  for (let i = 0; i < nameEnd; i++) out[i] = lower(out[i]!);
  return out;
}

export interface UpstreamQueryOptions {
  readonly id: number;
  /** EDNS payload size to advertise upstream. */
  readonly payloadSize: number;
  readonly dnssecOk: boolean;
  readonly checkingDisabled: boolean;
}

/**
 * A recursive query for `question` (from canonicalQuestion): RD set, CD as asked, and an OPT
 * record advertising `payloadSize` with DO as asked. Pure.
 */
export function encodeUpstreamQuery(question: Uint8Array, options: UpstreamQueryOptions): Buffer {
  const out = Buffer.alloc(HEADER_SIZE + question.length + 11);
  out.writeUInt16BE(options.id & 0xffff, 0);
  out.writeUInt16BE(FLAG_RD | (options.checkingDisabled ? FLAG_CD : 0), 2);
  out.writeUInt16BE(1, 4);
  out.writeUInt16BE(1, 10);
  out.set(question, HEADER_SIZE);
  const opt = HEADER_SIZE + question.length;
  out[opt] = 0;
  out.writeUInt16BE(QType.OPT, opt + 1);
  out.writeUInt16BE(options.payloadSize, opt + 3);
  out.writeUInt16BE(options.dnssecOk ? 0x8000 : 0, opt + 7);
  return out;
}
