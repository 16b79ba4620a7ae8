import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NtpError } from '../../src/ntp/errors.js';
import { classifyTrailer, decodeHeader, encodeHeader, NTP_HEADER_LENGTH, peekVersionMode, type NtpHeader } from '../../src/ntp/packet.js';
import { extensionField, LOSSY_TS, prng, randomBytes, request } from './helpers.js';

function randomHeader(rand: () => number): NtpHeader {
  const u32 = (): number => Math.floor(rand() * 0x1_0000_0000);
  const u64 = (): bigint => (BigInt(u32()) << 32n) | BigInt(u32());
  return {
    leap: Math.floor(rand() * 4),
    version: Math.floor(rand() * 8),
    mode: Math.floor(rand() * 8),
    stratum: Math.floor(rand() * 256),
    poll: Math.floor(rand() * 256) - 128,
    precision: Math.floor(rand() * 256) - 128,
    rootDelay: u32(),
    rootDispersion: u32(),
    refId: u32(),
    referenceTs: u64(),
    originTs: u64(),
    receiveTs: u64(),
    transmitTs: u64(),
  };
}

describe('NTP header codec', () => {
  it('round-trips random headers field for field and byte for byte', () => {
    const rand = prng(42);
    for (let i = 0; i < 500; i++) {
      const h = randomHeader(rand);
      const bytes = encodeHeader(h);
      assert.equal(bytes.length, NTP_HEADER_LENGTH);
      assert.deepEqual(decodeHeader(bytes), h);
      assert.deepEqual(encodeHeader(decodeHeader(bytes)), bytes);
    }
  });

  it('keeps all 64 bits of a timestamp a double would round', () => {
    assert.notEqual(BigInt(Number(LOSSY_TS)), LOSSY_TS, 'precondition: the value is lossy through a double');
    const decoded = decodeHeader(request({ transmitTs: LOSSY_TS }));
    assert.equal(decoded.transmitTs, LOSSY_TS);
  });

  it('places fields at their RFC 5905 offsets', () => {
    const b = encodeHeader({
      leap: 3, version: 4, mode: 4, stratum: 2, poll: -6, precision: -20,
      rootDelay: 0x01020304, rootDispersion: 0x05060708, refId: 0x4c4f434c,
      referenceTs: 0x1111111111111111n, originTs: 0x2222222222222222n, receiveTs: 0x3333333333333333n, transmitTs: 0x4444444444444444n,
    });
    assert.equal(b[0], 0xe4);
    assert.equal(b[1], 2);
    assert.equal(b[2], 0xfa);
    assert.equal(b[3], 0xec);
    assert.equal(b.readUInt32BE(4), 0x01020304);
    assert.equal(b.readUInt32BE(8), 0x05060708);
    assert.equal(b.subarray(12, 16).toString('ascii'), 'LOCL');
    assert.equal(b.readBigUInt64BE(16), 0x1111111111111111n);
    assert.equal(b.readBigUInt64BE(24), 0x2222222222222222n);
    assert.equal(b.readBigUInt64BE(32), 0x3333333333333333n);
    assert.equal(b.readBigUInt64BE(40), 0x4444444444444444n);
  });

  it('rejects out-of-range fields with NTP_FIELD_RANGE naming the field', () => {
    const base = decodeHeader(request());
    const bad: Array<[keyof NtpHeader, number | bigint]> = [
      ['leap', 4], ['version', 8], ['mode', -1], ['stratum', 256], ['poll', 128], ['precision', -129],
      ['rootDelay', 2 ** 32], ['refId', 1.5], ['transmitTs', 1n << 64n], ['originTs', -1n],
    ];
    for (const [field, value] of bad) {
      assert.throws(
        () => encodeHeader({ ...base, [field]: value }),
        (e: unknown) => e instanceof NtpError && e.code === 'NTP_FIELD_RANGE' && e.message.includes(field),
        `${field}=${String(value)}`,
      );
    }
  });

  it('rejects short input with NTP_PACKET_TOO_SHORT and decodes any 48+ bytes', () => {
    for (let len = 0; len < NTP_HEADER_LENGTH; len++) {
      assert.throws(() => decodeHeader(Buffer.alloc(len)), (e: unknown) => e instanceof NtpError && e.code === 'NTP_PACKET_TOO_SHORT');
    }
    const rand = prng(7);
    for (let i = 0; i < 300; i++) {
      const bytes = randomBytes(rand, NTP_HEADER_LENGTH + Math.floor(rand() * 100));
      const h = decodeHeader(bytes);
      assert.deepEqual(encodeHeader(h), bytes.subarray(0, NTP_HEADER_LENGTH));
    }
  });

  it('decodes from a Uint8Array view with an offset', () => {
    const inner = request({ transmitTs: LOSSY_TS });
    const outer = new Uint8Array(inner.length + 5);
    outer.set(inner, 5);
    assert.equal(decodeHeader(outer.subarray(5)).transmitTs, LOSSY_TS);
  });

  it('peeks version and mode from the first byte only', () => {
    assert.deepEqual(peekVersionMode(Uint8Array.of(0x23)), { version: 4, mode: 3 });
    assert.equal(peekVersionMode(new Uint8Array(0)), null);
  });
});

describe('trailer classification', () => {
  const withTrailer = (t: Buffer): Buffer => Buffer.concat([request(), t]);
  it('finds nothing after a bare header', () => {
    assert.deepEqual(classifyTrailer(request(), 4), { kind: 'none' });
  });
  it('takes 4 (crypto-NAK), 20 (MD5) and 24 (SHA1) byte tails as MACs', () => {
    for (const n of [4, 20, 24, 68]) assert.equal(classifyTrailer(withTrailer(Buffer.alloc(n, 1)), 4).kind, 'mac', `${n}`);
    assert.equal(classifyTrailer(withTrailer(Buffer.alloc(20, 1)), 3).kind, 'mac');
  });
  it('parses chains of extension fields, with or without a MAC after them', () => {
    const efs = Buffer.concat([extensionField(0x0104, 36), extensionField(0x2005, 40)]);
    assert.deepEqual(classifyTrailer(withTrailer(efs), 4), { kind: 'extensions', types: [0x0104, 0x2005] });
    assert.deepEqual(classifyTrailer(withTrailer(Buffer.concat([efs, Buffer.alloc(24, 9)])), 4), { kind: 'mac', extensionTypes: [0x0104, 0x2005] });
  });
  it('calls odd lengths, bad field lengths and v3 extension fields malformed', () => {
    assert.equal(classifyTrailer(withTrailer(Buffer.alloc(3)), 4).kind, 'malformed');
    assert.equal(classifyTrailer(withTrailer(Buffer.alloc(71)), 4).kind, 'malformed');
    const lying = extensionField(0x0104, 72);
    lying.writeUInt16BE(400, 2); // claims more than there is
    assert.equal(classifyTrailer(withTrailer(lying), 4).kind, 'malformed');
    assert.equal(classifyTrailer(withTrailer(extensionField(0x0104, 72)), 3).kind, 'malformed');
    assert.equal(classifyTrailer(Buffer.alloc(10), 4).kind, 'malformed');
  });
  it('never throws on random trailers', () => {
    const rand = prng(99);
    for (let i = 0; i < 500; i++) {
      const t = classifyTrailer(withTrailer(randomBytes(rand, Math.floor(rand() * 300))), 1 + Math.floor(rand() * 4));
      assert.ok(['none', 'extensions', 'mac', 'malformed'].includes(t.kind));
    }
  });
});
