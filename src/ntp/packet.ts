/**
 * Pure wire codec for the NTP header (RFC 5905 §7.3), plus classification of
 * what follows it (extension fields, RFC 7822; MAC). No I/O, no clock.
 *
 *  0: LI(2) VN(3) Mode(3) | 1: Stratum | 2: Poll (int8) | 3: Precision (int8)
 *  4: Root Delay (u32, 16.16)   8: Root Dispersion (u32, 16.16)   12: Reference ID
 * 16: Reference Timestamp  24: Origin Timestamp  32: Receive Timestamp  40: Transmit Timestamp
 *
 * Timestamps are raw unsigned 64-bit values (`bigint`), never JS numbers, so
 * every bit survives a round trip (a double keeps only 53 of the 64).
 */
import { NtpError } from './errors.js';

export const NTP_HEADER_LENGTH = 48;

export const MODE = {
  reserved: 0,
  symmetricActive: 1,
  symmetricPassive: 2,
  client: 3,
  server: 4,
  broadcast: 5,
  control: 6,
  private: 7,
} as const;

export type LeapIndicator = 0 | 1 | 2 | 3;

/** Byte offsets of the header fields. */
export const OFFSET = {
  lvm: 0,
  stratum: 1,
  poll: 2,
  precision: 3,
  rootDelay: 4,
  rootDispersion: 8,
  refId: 12,
  referenceTs: 16,
  originTs: 24,
  receiveTs: 32,
  transmitTs: 40,
} as const;

export interface NtpHeader {
  leap: number; // 0..3
  version: number; // 0..7
  mode: number; // 0..7
  stratum: number; // 0..255
  poll: number; // int8, log2 seconds
  precision: number; // int8, log2 seconds
  rootDelay: number; // u32, NTP short format
  rootDispersion: number; // u32, NTP short format
  refId: number; // u32
  referenceTs: bigint; // u64
  originTs: bigint; // u64
  receiveTs: bigint; // u64
  transmitTs: bigint; // u64
}

function rangeError(field: string, value: unknown, range: string): NtpError {
  return new NtpError('NTP_FIELD_RANGE', `NTP header field ${field} out of range (${range}): ${String(value)}`, { field, value: String(value) });
}

function checkInt(field: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) throw rangeError(field, value, `${min}..${max}`);
}

function checkU64(field: string, value: bigint): void {
  if (value < 0n || value > 0xffff_ffff_ffff_ffffn) throw rangeError(field, value, '0..2^64-1');
}

/** Encode a header into `target` at `offset` (default: a new 48-byte buffer). Throws NTP_FIELD_RANGE. */
export function encodeHeader(h: NtpHeader, target: Buffer = Buffer.alloc(NTP_HEADER_LENGTH), offset = 0): Buffer {
  checkInt('leap', h.leap, 0, 3);
  checkInt('version', h.version, 0, 7);
  checkInt('mode', h.mode, 0, 7);
  checkInt('stratum', h.stratum, 0, 255);
  checkInt('poll', h.poll, -128, 127);
  checkInt('precision', h.precision, -128, 127);
  checkInt('rootDelay', h.rootDelay, 0, 0xffff_ffff);
  checkInt('rootDispersion', h.rootDispersion, 0, 0xffff_ffff);
  checkInt('refId', h.refId, 0, 0xffff_ffff);
  checkU64('referenceTs', h.referenceTs);
  checkU64('originTs', h.originTs);
  checkU64('receiveTs', h.receiveTs);
  checkU64('transmitTs', h.transmitTs);
  if (target.length - offset < NTP_HEADER_LENGTH) {
    throw new NtpError('NTP_PACKET_TOO_SHORT', `target buffer has ${target.length - offset} bytes, need ${NTP_HEADER_LENGTH}`);
  }
  target.writeUInt8((h.leap << 6) | (h.version << 3) | h.mode, offset + OFFSET.lvm);
  target.writeUInt8(h.stratum, offset + OFFSET.stratum);
  target.writeInt8(h.poll, offset + OFFSET.poll);
  target.writeInt8(h.precision, offset + OFFSET.precision);
  target.writeUInt32BE(h.rootDelay, offset + OFFSET.rootDelay);
  target.writeUInt32BE(h.rootDispersion, offset + OFFSET.rootDispersion);
  target.writeUInt32BE(h.refId, offset + OFFSET.refId);
  target.writeBigUInt64BE(h.referenceTs, offset + OFFSET.referenceTs);
  target.writeBigUInt64BE(h.originTs, offset + OFFSET.originTs);
  target.writeBigUInt64BE(h.receiveTs, offset + OFFSET.receiveTs);
  target.writeBigUInt64BE(h.transmitTs, offset + OFFSET.transmitTs);
  return target;
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Decode the first 48 bytes. Throws NTP_PACKET_TOO_SHORT for fewer; any 48 bytes decode. */
export function decodeHeader(bytes: Uint8Array): NtpHeader {
  if (bytes.length < NTP_HEADER_LENGTH) {
    throw new NtpError('NTP_PACKET_TOO_SHORT', `NTP packet has ${bytes.length} bytes, the header needs ${NTP_HEADER_LENGTH}`, {
      length: bytes.length,
    });
  }
  const b = asBuffer(bytes);
  const lvm = b.readUInt8(OFFSET.lvm);
  return {
    leap: lvm >> 6,
    version: (lvm >> 3) & 7,
    mode: lvm & 7,
    stratum: b.readUInt8(OFFSET.stratum),
    poll: b.readInt8(OFFSET.poll),
    precision: b.readInt8(OFFSET.precision),
    rootDelay: b.readUInt32BE(OFFSET.rootDelay),
    rootDispersion: b.readUInt32BE(OFFSET.rootDispersion),
    refId: b.readUInt32BE(OFFSET.refId),
    referenceTs: b.readBigUInt64BE(OFFSET.referenceTs),
    originTs: b.readBigUInt64BE(OFFSET.originTs),
    receiveTs: b.readBigUInt64BE(OFFSET.receiveTs),
    transmitTs: b.readBigUInt64BE(OFFSET.transmitTs),
  };
}

/** Version and mode from the first byte, without decoding the rest. */
export function peekVersionMode(bytes: Uint8Array): { version: number; mode: number } | null {
  const first = bytes[0];
  if (first === undefined) return null;
  return { version: (first >> 3) & 7, mode: first & 7 };
}

/** NTS extension field types (RFC 8915 §5.7): a request carrying them needs an NTS reply. */
export const NTS_EXTENSION_TYPES: ReadonlySet<number> = new Set([0x0104, 0x0204, 0x0304, 0x0404]);

/** Longest MAC we recognise: 4-byte key ID + up to 64-byte digest. */
const MAX_MAC_LENGTH = 68;

export type Trailer =
  | { kind: 'none' }
  | { kind: 'extensions'; types: number[] }
  | { kind: 'mac'; extensionTypes: number[] }
  | { kind: 'malformed'; detail: string };

/**
 * What follows the 48-byte header of a packet of the given version.
 *
 * - nothing: `none`;
 * - (v4 only) a chain of well-formed extension fields (RFC 7822: type 16 bits,
 *   length 16 bits counting the 4-byte field header, >= 16, multiple of 4):
 *   `extensions`;
 * - a tail of 4..68 bytes in multiples of 4 (after any extension fields): a
 *   key ID plus digest, or a 4-byte crypto-NAK: `mac`. A whole trailer of that
 *   size is taken as a MAC even if it would also parse as one short extension
 *   field — erring towards "authenticated", which the server drops;
 * - anything else: `malformed`.
 */
export function classifyTrailer(bytes: Uint8Array, version: number): Trailer {
  const total = bytes.length;
  if (total < NTP_HEADER_LENGTH) return { kind: 'malformed', detail: `short packet (${total} bytes)` };
  const trailer = total - NTP_HEADER_LENGTH;
  if (trailer === 0) return { kind: 'none' };
  const looksLikeMac = (n: number): boolean => n >= 4 && n <= MAX_MAC_LENGTH && n % 4 === 0;
  if (looksLikeMac(trailer)) return { kind: 'mac', extensionTypes: [] };
  if (version !== 4) return { kind: 'malformed', detail: `${trailer} bytes after a v${version} header` };

  const b = asBuffer(bytes);
  const types: number[] = [];
  let offset = NTP_HEADER_LENGTH;
  while (offset < total) {
    const rest = total - offset;
    if (rest >= 16) {
      const type = b.readUInt16BE(offset);
      const length = b.readUInt16BE(offset + 2);
      if (length >= 16 && length % 4 === 0 && length <= rest) {
        types.push(type);
        offset += length;
        continue;
      }
    }
    if (looksLikeMac(rest)) return { kind: 'mac', extensionTypes: types };
    return { kind: 'malformed', detail: `bad extension field at byte ${offset} (${rest} bytes left)` };
  }
  return { kind: 'extensions', types };
}
