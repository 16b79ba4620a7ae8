import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  asciiRefId,
  ntpFraction,
  ntpFromUnixNs,
  ntpSeconds,
  ntpShortFromSeconds,
  refIdToAscii,
  secondsFromNtpShort,
  TransmitStamper,
  unixNsFromNtp,
} from '../../src/ntp/timestamp.js';
import { T2026_NS } from './helpers.js';

describe('NTP timestamps', () => {
  it('maps the Unix epoch to 2208988800 s in era 0', () => {
    assert.equal(ntpFromUnixNs(0n), 2_208_988_800n << 32n);
  });

  it('encodes half a second as fraction 2^31 and 1 ns as 4 units', () => {
    assert.equal(ntpFraction(ntpFromUnixNs(500_000_000n)), 2 ** 31);
    assert.equal(ntpFraction(ntpFromUnixNs(1n)), 4); // 2^32 / 1e9 = 4.29
  });

  it('keeps sub-microsecond detail: consecutive nanoseconds give distinct timestamps', () => {
    const a = ntpFromUnixNs(T2026_NS + 123_456_789n);
    const b = ntpFromUnixNs(T2026_NS + 123_456_790n);
    assert.ok(b > a);
  });

  it('round-trips Unix ns exactly (to the nanosecond) across a range of times', () => {
    for (const ns of [0n, 1n, 999_999_999n, T2026_NS + 1n, T2026_NS + 987_654_321n, 2_085_978_495_999_999_999n]) {
      assert.equal(unixNsFromNtp(ntpFromUnixNs(ns), ns), ns);
    }
  });

  it('wraps into era 1 on 2036-02-07T06:28:16Z and resolves it with a pivot', () => {
    const era1Start = BigInt(Date.parse('2036-02-07T06:28:16Z')) * 1_000_000n;
    const ts = ntpFromUnixNs(era1Start + 5_000_000_000n);
    assert.equal(ntpSeconds(ts), 5);
    assert.equal(unixNsFromNtp(ts, era1Start), era1Start + 5_000_000_000n);
  });

  it('encodes the short format rounding up and clamping', () => {
    assert.equal(ntpShortFromSeconds(0), 0);
    assert.equal(ntpShortFromSeconds(-1), 0);
    assert.equal(ntpShortFromSeconds(1), 65536);
    assert.equal(ntpShortFromSeconds(16), 16 * 65536);
    assert.equal(ntpShortFromSeconds(1e-9), 1);
    assert.equal(ntpShortFromSeconds(1e9), 0xffff_ffff);
    assert.equal(secondsFromNtpShort(98304), 1.5);
  });

  it('converts ASCII reference IDs both ways and rejects bad codes', () => {
    assert.equal(asciiRefId('LOCL'), 0x4c4f434c);
    assert.equal(asciiRefId('RATE'), 0x52415445);
    assert.equal(refIdToAscii(0x4c4f434c), 'LOCL');
    assert.throws(() => asciiRefId('TOOLONG'), RangeError);
    assert.throws(() => asciiRefId(''), RangeError);
  });
});

describe('TransmitStamper', () => {
  it('never hands out the same timestamp twice, even for the same clock reading', () => {
    const s = new TransmitStamper();
    const seen = new Set<bigint>();
    let prev = 0n;
    for (let i = 0; i < 1000; i++) {
      const ts = s.next(ntpFromUnixNs(T2026_NS + BigInt(Math.floor(i / 10))));
      assert.ok(ts > prev, `stamp ${i} not increasing`);
      seen.add(ts);
      prev = ts;
    }
    assert.equal(seen.size, 1000);
  });

  it('bumps over a small backwards jitter but follows a real step back', () => {
    const s = new TransmitStamper();
    const t0 = ntpFromUnixNs(T2026_NS);
    assert.equal(s.next(t0), t0);
    assert.equal(s.next(t0 - 100n), t0 + 1n); // < 1 ms back: bump
    const stepped = ntpFromUnixNs(T2026_NS - 5_000_000_000n);
    assert.equal(s.next(stepped), stepped); // 5 s back: follow the clock
  });

  it('is never earlier than notBefore (the receive timestamp)', () => {
    const s = new TransmitStamper();
    const rx = ntpFromUnixNs(T2026_NS + 10n);
    assert.equal(s.next(ntpFromUnixNs(T2026_NS), rx), rx);
  });
});
