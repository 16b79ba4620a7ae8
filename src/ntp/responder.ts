/**
 * The server's decision for one datagram, as a straight run of early returns
 * (chrony's shape): length -> version -> mode -> trailer -> rate limit -> reply.
 * Pure: bytes + receive time + time state (+ rate decision) in, bytes or a
 * drop reason out. Access control runs before this, in the server, because it
 * depends only on the socket address.
 *
 * Reply fields (RFC 5905 §7.3, RFC 4330 §5):
 * - LI/stratum/precision/root delay/root dispersion/ref ID/ref time: ours, from
 *   the time state — never copied from the request;
 * - VN: the request's version; mode 4;
 * - poll: the request's poll, clamped to [-7, 17] (RFC 4330 §5 "copied from
 *   request", as chrony and ntpd do);
 * - origin: the request's transmit timestamp, copied as 8 raw bytes;
 * - receive: arrival time; transmit: set by the server just before sending
 *   (`stampTransmit`); here provisionally equal to receive.
 */
import { classifyTrailer, encodeHeader, MODE, NTP_HEADER_LENGTH, NTS_EXTENSION_TYPES, OFFSET } from './packet.js';
import type { TimeState } from './time-state.js';
import { asciiRefId, ntpFromUnixNs, ntpShortFromSeconds } from './timestamp.js';

export const DROP_REASONS = [
  'too-short', // < 48 bytes
  'bad-version', // version 0 or > 4
  'control-mode', // mode 6 (ntpq) or 7 (ntpdc/monlist): never answered
  'not-client-mode', // modes 0, 1, 2, 4, 5
  'authenticated', // carries a MAC or crypto-NAK: we hold no keys, an unauthenticated reply would be rejected
  'nts', // carries NTS extension fields: needs an NTS server
  'malformed', // bytes after the header that are neither extension fields nor a MAC
  'denied', // access control
  'rate-limited', // over the per-client limit, with overLimit: drop
  'internal-error', // a bug: logged, never crashes the server
] as const;
export type DropReason = (typeof DROP_REASONS)[number];

/** Result of the rate limiter for a well-formed request. */
export type RateVerdict = 'pass' | 'kod' | 'drop';

export type Decision =
  | { action: 'reply'; packet: Buffer; version: number }
  | { action: 'kod'; packet: Buffer; version: number }
  | { action: 'drop'; reason: DropReason; version?: number };

export interface RespondInput {
  request: Uint8Array;
  /** Arrival time, Unix ns. */
  receiveNs: bigint;
  state: TimeState;
  /** Consulted only for well-formed client requests; default: pass. */
  rateLimit?: () => RateVerdict;
}

/** Clock frequency tolerance (RFC 5905 PHI): dispersion grows 15 µs per second. */
export const PHI = 15e-6;
export const KISS_RATE = asciiRefId('RATE');
const MIN_POLL = -7;
const MAX_POLL = 17;

export function respond(input: RespondInput): Decision {
  const req = input.request;
  if (req.length < NTP_HEADER_LENGTH) return { action: 'drop', reason: 'too-short' };

  const first = req[0] ?? 0;
  const version = (first >> 3) & 7;
  const mode = first & 7;
  if (version < 1 || version > 4) return { action: 'drop', reason: 'bad-version' };
  if (mode === MODE.control || mode === MODE.private) return { action: 'drop', reason: 'control-mode', version };
  if (mode !== MODE.client) return { action: 'drop', reason: 'not-client-mode', version };

  if (req.length > NTP_HEADER_LENGTH) {
    const trailer = classifyTrailer(req, version);
    if (trailer.kind === 'mac') return { action: 'drop', reason: 'authenticated', version };
    if (trailer.kind === 'malformed') return { action: 'drop', reason: 'malformed', version };
    if (trailer.kind === 'extensions' && trailer.types.some((t) => NTS_EXTENSION_TYPES.has(t))) {
      return { action: 'drop', reason: 'nts', version };
    }
    // Other extension fields (RFC 7822: unknown ones are ignored) get a plain reply.
  }

  const verdict = input.rateLimit ? input.rateLimit() : 'pass';
  if (verdict === 'drop') return { action: 'drop', reason: 'rate-limited', version };
  if (verdict === 'kod') return { action: 'kod', packet: buildKod(req, version, input.receiveNs, input.state.precision), version };
  return { action: 'reply', packet: buildReply(req, version, input.receiveNs, input.state), version };
}

function clampPoll(req: Uint8Array): number {
  const raw = req[OFFSET.poll] ?? 0;
  const signed = raw > 127 ? raw - 256 : raw;
  return Math.min(MAX_POLL, Math.max(MIN_POLL, signed));
}

/** The request's transmit timestamp, all 64 bits: the client matches the reply's origin against it. */
function originOf(req: Uint8Array): bigint {
  return Buffer.from(req.buffer, req.byteOffset, req.byteLength).readBigUInt64BE(OFFSET.transmitTs);
}

/** Root dispersion (s) at `atNs`: the state's dispersion plus PHI per second since it was measured. */
export function rootDispersionAt(state: TimeState, atNs: bigint): number {
  const ageS = atNs > state.dispersionAtNs ? Number(atNs - state.dispersionAtNs) / 1e9 : 0;
  return state.rootDispersion + PHI * ageS;
}

/** A server reply through the one header codec (packet.ts); the transmit time is stamped last, by stampTransmit. */
export function buildReply(req: Uint8Array, version: number, receiveNs: bigint, state: TimeState): Buffer {
  const receiveTs = ntpFromUnixNs(receiveNs);
  return encodeHeader({
    leap: state.leap, version, mode: MODE.server, stratum: state.stratum, poll: clampPoll(req), precision: state.precision,
    rootDelay: ntpShortFromSeconds(state.rootDelay), rootDispersion: ntpShortFromSeconds(rootDispersionAt(state, receiveNs)),
    refId: state.refId >>> 0, referenceTs: state.refTimeNs === null ? 0n : ntpFromUnixNs(state.refTimeNs),
    originTs: originOf(req), receiveTs, transmitTs: receiveTs,
  });
}

/**
 * Kiss-o'-death RATE (RFC 5905 §7.4): LI=3, stratum 0, ref ID "RATE", the
 * request's version and origin, no reference time. 48 bytes, never larger
 * than the request it answers (which is at least 48).
 */
export function buildKod(req: Uint8Array, version: number, receiveNs: bigint, precision: number): Buffer {
  const receiveTs = ntpFromUnixNs(receiveNs);
  return encodeHeader({
    leap: 3, version, mode: MODE.server, stratum: 0, poll: clampPoll(req), precision,
    rootDelay: 0, rootDispersion: 0, refId: KISS_RATE, referenceTs: 0n,
    originTs: originOf(req), receiveTs, transmitTs: receiveTs,
  });
}

/** Write the final transmit timestamp into a reply built above. */
export function stampTransmit(packet: Buffer, transmitTs: bigint): void {
  packet.writeBigUInt64BE(transmitTs, OFFSET.transmitTs);
}

/** The receive timestamp a reply carries (for `TransmitStamper.next(…, notBefore)`). */
export function receiveTimestampOf(packet: Buffer): bigint {
  return packet.readBigUInt64BE(OFFSET.receiveTs);
}
