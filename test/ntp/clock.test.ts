import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AnchoredClock, measurePrecision, type ClockSources } from '../../src/ntp/clock.js';

/** Simulated machine: every clock read costs `costNs` of true time. */
class SimClock implements ClockSources {
  trueNs = 0n;
  hrOffsetNs = 5_000_000_123n; // monotonic clock's arbitrary origin
  wallOffsetNs = 1_767_225_600_000_000_000n + 345_678n; // wall clock = true + this
  constructor(public costNs = 37n) {}
  hrtime(): bigint {
    this.trueNs += this.costNs;
    return this.trueNs + this.hrOffsetNs;
  }
  dateNow(): number {
    this.trueNs += this.costNs;
    return Number((this.trueNs + this.wallOffsetNs) / 1_000_000n);
  }
  wallNs(): bigint {
    return this.trueNs + this.wallOffsetNs;
  }
}

describe('AnchoredClock', () => {
  it('anchors to the millisecond tick with sub-microsecond error', () => {
    const sim = new SimClock();
    const clock = new AnchoredClock(sim);
    assert.equal(clock.anchor.method, 'tick');
    assert.ok(clock.anchor.uncertaintyNs < 1000n, `uncertainty ${clock.anchor.uncertaintyNs}`);
    const est = clock.nowNs();
    const truth = sim.wallNs();
    const err = est > truth ? est - truth : truth - est;
    assert.ok(err < 1000n, `error ${err} ns`);
  });

  it('falls back to a coarse anchor when Date.now never ticks (bounded spin)', () => {
    const sim = new SimClock();
    const frozen: ClockSources = { hrtime: () => sim.hrtime(), dateNow: () => 1_767_225_600_000 };
    const started = Date.now();
    const clock = new AnchoredClock(frozen, { maxSpinMs: 1, samples: 2 });
    assert.ok(Date.now() - started < 2000);
    assert.equal(clock.anchor.method, 'coarse');
    assert.equal(clock.anchor.uncertaintyNs, 500_000n);
  });

  it('does not report a step while the clocks agree', () => {
    const sim = new SimClock();
    const clock = new AnchoredClock(sim);
    for (let i = 0; i < 100; i++) {
      sim.trueNs += 10_000_000n; // 10 ms pass
      assert.equal(clock.checkStep().stepped, false);
    }
  });

  it('detects a wall-clock step, re-anchors and follows it', () => {
    const sim = new SimClock();
    const clock = new AnchoredClock(sim);
    sim.wallOffsetNs += 50_000_000n; // settimeofday: +50 ms
    const check = clock.checkStep();
    assert.equal(check.stepped, true);
    assert.ok(check.offsetNs > 49_000_000n && check.offsetNs < 51_000_000n, `offset ${check.offsetNs}`);
    const err = clock.nowNs() - sim.wallNs();
    assert.ok(err < 1000n && err > -1000n, `error after re-anchor ${err}`);
    sim.wallOffsetNs -= 3_000_000_000n; // step back 3 s
    assert.equal(clock.checkStep().stepped, true);
  });

  it('ignores steps under the threshold', () => {
    const sim = new SimClock();
    const clock = new AnchoredClock(sim, { stepThresholdMs: 5 });
    sim.wallOffsetNs += 2_000_000n;
    assert.equal(clock.checkStep().stepped, false);
  });

  it('on the real clocks: agrees with Date.now() and has sub-millisecond resolution', () => {
    const clock = new AnchoredClock();
    let subMs = 0;
    for (let i = 0; i < 50; i++) {
      const before = BigInt(Date.now()) * 1_000_000n;
      const ns = clock.nowNs();
      const after = BigInt(Date.now() + 1) * 1_000_000n;
      assert.ok(ns >= before - 1_000_000n && ns <= after + 1_000_000n, `estimate ${ns} outside [${before}, ${after}]`);
      if (ns % 1_000_000n !== 0n) subMs++;
    }
    assert.ok(subMs > 40);
    assert.equal(clock.checkStep().stepped, false);
  });
});

describe('measurePrecision', () => {
  it('rounds the smallest tick up to a power of two', () => {
    let t = 0n;
    assert.equal(measurePrecision(() => (t += 1000n), 10), -19); // 1 µs = 2^-19.93 -> -19
    assert.equal(measurePrecision(() => 5n, 10), -20); // frozen clock: conservative
    const real = measurePrecision();
    assert.ok(real <= -10 && real >= -32, `real precision ${real}`);
  });
});
