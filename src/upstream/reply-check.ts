import { FLAG_TC, HEADER_SIZE, OPCODE_MASK } from '../wire/constants.js';
import { sameQuestion } from '../wire/question.js';
import { scanReply, type ReplyScan } from '../wire/reply.js';
import { CamshimError } from '../errors.js';

/**
 * Whether `reply` answers `query` (the bytes we sent): same ID, a response, opcode QUERY, and the
 * same question (name case ignored). Returns the scan, or a reason to ignore the reply. Pure.
 */
export function checkReply(reply: Uint8Array, query: Uint8Array, questionEnd: number): { scan: ReplyScan } | { ignore: string } {
  if (reply.length < HEADER_SIZE) return { ignore: 'short' };
  if (reply[0] !== query[0] || reply[1] !== query[1]) return { ignore: 'id mismatch' };
  let scan: ReplyScan;
  try {
    scan = scanReply(reply);
  } catch (error) {
    // A truncated reply may legitimately end early; keep the header and question when those parse.
    if (error instanceof CamshimError && (reply[2]! << 8 | reply[3]!) & FLAG_TC) return truncatedScan(reply, query, questionEnd) ?? { ignore: error.message };
    return { ignore: error instanceof Error ? error.message : String(error) };
  }
  if ((scan.flags & OPCODE_MASK) !== 0) return { ignore: 'opcode mismatch' };
  if (!sameQuestion(reply, scan.questionEnd, query, questionEnd)) return { ignore: 'question mismatch' };
  return { scan };
}

function truncatedScan(reply: Uint8Array, query: Uint8Array, questionEnd: number): { scan: ReplyScan } | undefined {
  if (reply.length < questionEnd || !sameQuestion(reply, questionEnd, query, questionEnd)) return undefined;
  const flags = (reply[2]! << 8) | reply[3]!;
  return { scan: { id: (reply[0]! << 8) | reply[1]!, flags, rcode: flags & 0xf, questionEnd, qtype: 0, qclass: 0, records: [], counts: [0, 0, 0], opt: null } };
}

export function upstreamError(code: 'UPSTREAM_TIMEOUT' | 'UPSTREAM_NETWORK' | 'UPSTREAM_BAD_REPLY', upstream: string, message: string, cause?: unknown): CamshimError {
  return new CamshimError(code, `${upstream}: ${message}`, { address: upstream }, cause === undefined ? undefined : { cause });
}
