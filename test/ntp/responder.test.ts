import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeHeader, NTP_HEADER_LENGTH } from '../../src/ntp/packet.js';
import { KISS_RATE, PHI, respond, type Decision, type RateVerdict } from '../../src/ntp/responder.js';
import { LOCAL_REF_ID, selectTimeState, type TimeState } from '../../src/ntp/time-state.js';
import { ntpFromUnixNs, secondsFromNtpShort } from '../../src/ntp/timestamp.js';
import { extensionField, LOSSY_TS, NOT_BEFORE, prng, randomBytes, request, synced, T2026_NS, unsynced } from './helpers.js';

const RX = T2026_NS + 123_456_789n;
const syncedState: TimeState = selectTimeState({
  sync: synced({ leap: 1, refId: 0xc0a80001, refTimeNs: T2026_NS - 30_000_000_000n, rootDelay: 0.0123, rootDispersion: 0.0045 }),
  nowNs: T2026_NS,
  notBefore: NOT_BEFORE,
  stratum: 3,
  localStratum: 10,
  precision: -23,
});

function run(req: Buffer, state: TimeState = syncedState, rate?: () => RateVerdict): Decision {
  return rate ? respond({ request: req, receiveNs: RX, state, rateLimit: rate }) : respond({ request: req, receiveNs: RX, state });
}

function replyOf(d: Decision): Buffer {
  assert.equal(d.action, 'reply', `expected a reply, got ${JSON.stringify(d.action === 'drop' ? d : d.action)}`);
  if (d.action !== 'reply') throw new Error('unreachable');
  return d.packet;
}

describe('responder decisions', () => {
  it('answers only mode 3 of versions 1-4; drops every other mode/version with its reason', () => {
    for (let version = 0; version <= 7; version++) {
      for (let mode = 0; mode <= 7; mode++) {
        const d = run(request({ version, mode }));
        if (version < 1 || version > 4) assert.deepEqual(d, { action: 'drop', reason: 'bad-version' }, `v${version} m${mode}`);
        else if (mode === 6 || mode === 7) assert.deepEqual(d, { action: 'drop', reason: 'control-mode', version });
        else if (mode !== 3) assert.deepEqual(d, { action: 'drop', reason: 'not-client-mode', version });
        else assert.equal(d.action, 'reply', `v${version} m3`);
      }
    }
  });

  it('drops every packet shorter than 48 bytes', () => {
    const full = request();
    for (let len = 0; len < NTP_HEADER_LENGTH; len++) assert.deepEqual(run(full.subarray(0, len)), { action: 'drop', reason: 'too-short' });
  });

  it('echoes the request transmit timestamp as the origin, byte for byte', () => {
    const req = request({ transmitTs: LOSSY_TS });
    const reply = replyOf(run(req));
    assert.deepEqual(reply.subarray(24, 32), req.subarray(40, 48));
    assert.equal(decodeHeader(reply).originTs, LOSSY_TS);
    assert.notEqual(BigInt(Number(LOSSY_TS)), LOSSY_TS);
  });

  it('replies in the request version, mode 4, 48 bytes', () => {
    for (const version of [1, 2, 3, 4]) {
      const reply = replyOf(run(request({ version })));
      const h = decodeHeader(reply);
      assert.equal(reply.length, 48);
      assert.equal(h.version, version);
      assert.equal(h.mode, 4);
    }
  });

  it('never copies leap, stratum, precision, delay, dispersion or refid from the request', () => {
    const req = request({ leap: 3, stratum: 15, precision: -3, poll: 10 });
    req.writeUInt32BE(0xdeadbeef, 4);
    req.writeUInt32BE(0xdeadbeef, 8);
    req.writeUInt32BE(0xdeadbeef, 12);
    req.writeBigUInt64BE(0xdeadbeefdeadbeefn, 16);
    const h = decodeHeader(replyOf(run(req)));
    assert.equal(h.leap, 1); // host's leap warning
    assert.equal(h.stratum, 3);
    assert.equal(h.precision, -23);
    assert.equal(h.refId, 0xc0a80001);
    assert.equal(h.rootDelay, Math.ceil(0.0123 * 65536));
    assert.equal(h.referenceTs, ntpFromUnixNs(T2026_NS - 30_000_000_000n));
    assert.equal(h.poll, 10); // poll is copied (RFC 4330 §5), clamped
  });

  it('clamps the copied poll to [-7, 17]', () => {
    assert.equal(decodeHeader(replyOf(run(request({ poll: 127 })))).poll, 17);
    assert.equal(decodeHeader(replyOf(run(request({ poll: -128 })))).poll, -7);
  });

  it('stamps the receive time with sub-microsecond fraction bits and provisional transmit = receive', () => {
    const h = decodeHeader(replyOf(run(request())));
    assert.equal(h.receiveTs, ntpFromUnixNs(RX));
    assert.equal(h.transmitTs, h.receiveTs);
    assert.notEqual(h.receiveTs & 0xffffn, 0n);
  });

  it('grows root dispersion by PHI per second since the status check', () => {
    const later = respond({ request: request(), receiveNs: T2026_NS + 100_000_000_000n, state: syncedState });
    const d = secondsFromNtpShort(decodeHeader(replyOf(later)).rootDispersion);
    assert.ok(Math.abs(d - (0.0045 + 100 * PHI)) < 2 / 65536, `dispersion ${d}`);
  });

  it('serves the local state as LOCL at the local stratum, LI 0', () => {
    const local = selectTimeState({ sync: unsynced(), nowNs: T2026_NS, notBefore: NOT_BEFORE, stratum: 3, localStratum: 10, precision: -23 });
    const h = decodeHeader(replyOf(run(request(), local)));
    assert.deepEqual([h.leap, h.stratum, h.refId], [0, 10, LOCAL_REF_ID]);
    assert.equal(h.referenceTs, ntpFromUnixNs(T2026_NS));
  });

  it('serves an implausible clock with LI 3 and stratum 16, zero reference time', () => {
    const bad = selectTimeState({ sync: synced(), nowNs: 0n, notBefore: NOT_BEFORE, stratum: 3, localStratum: 10, precision: -23 });
    const h = decodeHeader(replyOf(respond({ request: request(), receiveNs: 0n, state: bad })));
    assert.deepEqual([h.leap, h.stratum, h.referenceTs], [3, 16, 0n]);
    assert.equal(secondsFromNtpShort(h.rootDispersion), 16);
  });
});

describe('responder trailers (extension fields, MAC)', () => {
  it('drops requests with a MAC or crypto-NAK as authenticated', () => {
    for (const n of [4, 20, 24]) assert.deepEqual(run(request({ trailer: Buffer.alloc(n, 7) })), { action: 'drop', reason: 'authenticated', version: 4 });
    assert.deepEqual(run(request({ version: 3, trailer: Buffer.alloc(20, 7) })), { action: 'drop', reason: 'authenticated', version: 3 });
  });
  it('answers unknown extension fields with a plain 48-byte reply', () => {
    const req = request({ trailer: extensionField(0x2005, 72) });
    const reply = replyOf(run(req));
    assert.equal(reply.length, 48);
    assert.equal(decodeHeader(reply).originTs, LOSSY_TS);
  });
  it('drops NTS requests and malformed trailers', () => {
    assert.deepEqual(run(request({ trailer: Buffer.concat([extensionField(0x0104, 36), extensionField(0x0204, 104)]) })), {
      action: 'drop', reason: 'nts', version: 4,
    });
    assert.deepEqual(run(request({ trailer: Buffer.alloc(71) })), { action: 'drop', reason: 'malformed', version: 4 });
  });
  it('never throws on hostile bytes (10,000 random datagrams)', () => {
    const rand = prng(1234);
    for (let i = 0; i < 10_000; i++) {
      const len = rand() < 0.5 ? 48 : Math.floor(rand() * 200);
      const bytes = randomBytes(rand, len);
      const d = run(bytes);
      if (d.action !== 'drop') {
        assert.equal(d.packet.length, 48);
        assert.deepEqual(d.packet.subarray(24, 32), bytes.subarray(40, 48));
      }
    }
  });
});

describe('responder rate limiting', () => {
  it('consults the limiter only for well-formed client requests', () => {
    let calls = 0;
    const rate = (): RateVerdict => {
      calls++;
      return 'pass';
    };
    run(request({ mode: 4 }), syncedState, rate);
    run(Buffer.alloc(20), syncedState, rate);
    run(request({ trailer: Buffer.alloc(20) }), syncedState, rate);
    assert.equal(calls, 0);
    run(request(), syncedState, rate);
    assert.equal(calls, 1);
  });
  it('sends a RATE kiss-o-death no larger than the request, or drops', () => {
    const req = request({ version: 3 });
    const d = run(req, syncedState, () => 'kod');
    assert.equal(d.action, 'kod');
    if (d.action !== 'kod') return;
    const h = decodeHeader(d.packet);
    assert.ok(d.packet.length <= req.length);
    assert.deepEqual([h.leap, h.version, h.mode, h.stratum, h.refId], [3, 3, 4, 0, KISS_RATE]);
    assert.equal(h.originTs, LOSSY_TS);
    assert.equal(h.referenceTs, 0n);
    assert.deepEqual(run(req, syncedState, () => 'drop'), { action: 'drop', reason: 'rate-limited', version: 3 });
  });
});
