import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RateLimiter, type RateLimiterOptions } from '../../src/net/rate-limiter.js';

function limiter(opts: Partial<RateLimiterOptions> = {}, randomValues: number[] = []) {
  const clock = { ms: 1000 };
  let ri = 0;
  const rl = new RateLimiter(
    { ratePerSecond: 1, burst: 4, maxEntries: 3, leakProbability: 0, ...opts },
    { nowMs: () => clock.ms, random: () => randomValues[ri++ % Math.max(1, randomValues.length)] ?? 0.99 },
  );
  return { rl, clock };
}

describe('RateLimiter', () => {
  it('passes a burst, then limits, then refills with time', () => {
    const { rl, clock } = limiter();
    for (let i = 0; i < 4; i++) assert.equal(rl.check('a'), 'pass');
    assert.equal(rl.check('a'), 'limited');
    clock.ms += 999;
    assert.equal(rl.check('a'), 'limited');
    clock.ms += 2;
    assert.equal(rl.check('a'), 'pass');
    clock.ms += 60_000; // refill caps at burst
    for (let i = 0; i < 4; i++) assert.equal(rl.check('a'), 'pass');
    assert.equal(rl.check('a'), 'limited');
  });

  it('keeps separate buckets per key', () => {
    const { rl } = limiter({ burst: 1 });
    assert.equal(rl.check('a'), 'pass');
    assert.equal(rl.check('a'), 'limited');
    assert.equal(rl.check('b'), 'pass');
  });

  it('leaks over-limit requests with the injected probability', () => {
    const { rl } = limiter({ burst: 1, leakProbability: 0.25 }, [0.1, 0.5, 0.9, 0.24]);
    assert.equal(rl.check('a'), 'pass');
    assert.deepEqual([rl.check('a'), rl.check('a'), rl.check('a'), rl.check('a')], ['leaked', 'limited', 'limited', 'leaked']);
    assert.deepEqual(rl.stats(), { entries: 1, evictions: 0, passed: 1, limited: 2, leaked: 2 });
  });

  it('bounds the table, evicting the least recently used key (which comes back with a full bucket)', () => {
    const { rl } = limiter({ burst: 1, maxEntries: 3 });
    for (const k of ['a', 'b', 'c']) assert.equal(rl.check(k), 'pass');
    assert.equal(rl.check('a'), 'limited'); // touch a: b is now the oldest
    assert.equal(rl.check('d'), 'pass'); // evicts b
    assert.equal(rl.size, 3);
    assert.equal(rl.check('a'), 'limited'); // a survived
    assert.equal(rl.check('b'), 'pass'); // b forgot its empty bucket
    assert.equal(rl.stats().evictions, 2);
    for (let i = 0; i < 1000; i++) rl.check(`flood-${i}`);
    assert.equal(rl.size, 3);
  });

  it('survives the clock going backwards', () => {
    const { rl, clock } = limiter({ burst: 1 });
    assert.equal(rl.check('a'), 'pass');
    clock.ms -= 10_000;
    assert.equal(rl.check('a'), 'limited');
    clock.ms += 1001;
    assert.equal(rl.check('a'), 'pass');
  });

  it('rejects invalid options naming the field', () => {
    assert.throws(() => limiter({ ratePerSecond: 0 }), /ratePerSecond/);
    assert.throws(() => limiter({ burst: 0.5 }), /burst/);
    assert.throws(() => limiter({ maxEntries: 0 }), /maxEntries/);
    assert.throws(() => limiter({ leakProbability: 2 }), /leakProbability/);
  });
});
