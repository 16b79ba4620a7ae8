/**
 * NTP timestamp arithmetic without floating-point loss.
 *
 * An NTP timestamp (RFC 5905 §6) is 64 bits: 32 bits of seconds since
 * 1900-01-01 (era 0; wraps in 2036 into era 1) and 32 bits of binary fraction.
 * Here it is a `bigint` in [0, 2^64). Time inside camshim is a `bigint` of
 * nanoseconds since the Unix epoch (see clock.ts), so conversions are exact
 * integer operations: a fraction unit is 2^-32 s ≈ 0.23 ns, finer than the
 * nanosecond clock, so no resolution the clock has is lost.
 */

/** Seconds from 1900-01-01 (NTP era 0) to 1970-01-01 (Unix epoch). */
export const NTP_UNIX_OFFSET_S = 2_208_988_800n;
const NS_PER_S = 1_000_000_000n;
const TWO_32 = 1n << 32n;
const MASK_32 = TWO_32 - 1n;
const MASK_64 = (1n << 64n) - 1n;

/** Unix nanoseconds -> NTP 64-bit timestamp (fraction truncated toward -inf). */
export function ntpFromUnixNs(unixNs: bigint): bigint {
  const ntpNs = unixNs + NTP_UNIX_OFFSET_S * NS_PER_S;
  // Floor division so pre-1970 values still produce a valid fraction.
  let seconds = ntpNs / NS_PER_S;
  let remNs = ntpNs % NS_PER_S;
  if (remNs < 0n) {
    remNs += NS_PER_S;
    seconds -= 1n;
  }
  const fraction = (remNs << 32n) / NS_PER_S;
  // Seconds wrap modulo 2^32 (NTP eras).
  return ((seconds & MASK_32) << 32n) | fraction;
}

/**
 * NTP 64-bit timestamp -> Unix nanoseconds, resolving the era as the one
 * closest to `pivotUnixNs` (default: the era-0/era-1 choice around now).
 * Rounds the fraction to the nearest nanosecond.
 */
export function unixNsFromNtp(ts: bigint, pivotUnixNs: bigint = BigInt(Date.now()) * 1_000_000n): bigint {
  const seconds = (ts >> 32n) & MASK_32;
  const fraction = ts & MASK_32;
  const fracNs = (fraction * NS_PER_S + (TWO_32 >> 1n)) / TWO_32;
  const pivotNtpS = pivotUnixNs / NS_PER_S + NTP_UNIX_OFFSET_S;
  const pivotEra = pivotNtpS >> 32n;
  let best = 0n;
  let bestDist = -1n;
  for (const era of [pivotEra - 1n, pivotEra, pivotEra + 1n]) {
    const candS = era * TWO_32 + seconds;
    const dist = candS > pivotNtpS ? candS - pivotNtpS : pivotNtpS - candS;
    if (bestDist < 0n || dist < bestDist) {
      best = candS;
      bestDist = dist;
    }
  }
  return (best - NTP_UNIX_OFFSET_S) * NS_PER_S + fracNs;
}

/** Seconds part (32-bit) of a timestamp. */
export function ntpSeconds(ts: bigint): number {
  return Number((ts >> 32n) & MASK_32);
}

/** Fraction part (32-bit) of a timestamp. */
export function ntpFraction(ts: bigint): number {
  return Number(ts & MASK_32);
}

/** Clamp into the unsigned 64-bit range (used after arithmetic on timestamps). */
export function toU64(value: bigint): bigint {
  return value & MASK_64;
}

/**
 * Seconds -> NTP short format (RFC 5905 §6: 16-bit seconds, 16-bit fraction),
 * as an unsigned 32-bit number. Negative values clamp to 0, large ones to the
 * maximum (65535.99998 s). Rounded up so a reported delay/dispersion is never
 * smaller than the true one.
 */
export function ntpShortFromSeconds(seconds: number): number {
  if (!(seconds > 0)) return 0;
  const units = Math.ceil(seconds * 65536);
  return units >= 0xffff_ffff ? 0xffff_ffff : units;
}

/** NTP short format (unsigned 32-bit) -> seconds. */
export function secondsFromNtpShort(value: number): number {
  return (value >>> 0) / 65536;
}

/** A 4-character ASCII code (reference ID or kiss code) as a uint32. */
export function asciiRefId(code: string): number {
  if (!/^[\x20-\x7e]{1,4}$/.test(code)) throw new RangeError(`reference id must be 1-4 printable ASCII characters: ${JSON.stringify(code)}`);
  const padded = code.padEnd(4, '\0');
  return ((padded.charCodeAt(0) << 24) | (padded.charCodeAt(1) << 16) | (padded.charCodeAt(2) << 8) | padded.charCodeAt(3)) >>> 0;
}

/** uint32 reference ID -> its ASCII form (non-printable bytes dropped), for logs. */
export function refIdToAscii(refId: number): string {
  let out = '';
  for (const shift of [24, 16, 8, 0]) {
    const c = (refId >>> shift) & 0xff;
    if (c >= 0x20 && c <= 0x7e) out += String.fromCharCode(c);
  }
  return out;
}

/** 1 ms in NTP fraction units (2^32 / 1000, rounded up). */
const ONE_MS_UNITS = 4_294_968n;

/**
 * Hands out transmit timestamps that increase strictly, so no two replies
 * carry the same one (clients use the server's transmit timestamp to detect
 * duplicates and replays). If the clock has not moved on by at least one
 * fraction unit (2^-32 s) since the last stamp, the previous stamp plus one
 * unit is used instead: a bump of a few units, far below the clock's
 * precision. A backward step of the wall clock larger than `maxBumpUnits`
 * (default 1 ms) is followed rather than papered over, so replies never run
 * ahead of the clock for long; a repeat after such a step would need the
 * clock to hit the same nanosecond again.
 */
export class TransmitStamper {
  #last = 0n;
  readonly #maxBump: bigint;

  constructor(maxBumpUnits: bigint = ONE_MS_UNITS) {
    this.#maxBump = maxBumpUnits;
  }

  /** Next transmit timestamp: >= candidate and >= notBefore, and > the previous one unless the clock stepped back. */
  next(candidate: bigint, notBefore: bigint = 0n): bigint {
    let ts = candidate > notBefore ? candidate : notBefore;
    if (this.#last !== 0n) {
      // Distance back from the last stamp, modulo 2^64 so era wraps count as forward.
      const back = toU64(this.#last - ts);
      if (back < 1n << 63n && back <= this.#maxBump) ts = toU64(this.#last + 1n);
    }
    this.#last = ts;
    return ts;
  }

  /** The last stamp handed out (0n before the first). */
  get last(): bigint {
    return this.#last;
  }
}
