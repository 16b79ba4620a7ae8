import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FIRST_FETCH_SPREAD_MS, RefreshScheduler, type SchedulerClock } from '../../../src/lists/remote/refresh-scheduler.js';
import type { RefreshResult } from '../../../src/lists/remote/refresh-source.js';
import type { RemoteSource } from '../../../src/lists/remote/remote-sources.js';
import type { SourceState } from '../../../src/lists/remote/source-state.js';

/** Timers that fire only when the test advances time. */
class FakeClock implements SchedulerClock {
  at = Date.parse('2026-12-01T00:00:00Z');
  private readonly pending = new Map<number, { due: number; callback: () => void }>();
  private next = 1;
  now(): number { return this.at; }
  setTimeout(callback: () => void, ms: number): unknown { const id = this.next++; this.pending.set(id, { due: this.at + ms, callback }); return id; }
  clearTimeout(handle: unknown): void { this.pending.delete(handle as number); }
  async advance(ms: number): Promise<void> {
    const end = this.at + ms;
    for (;;) {
      const due = [...this.pending.entries()].filter(([, t]) => t.due <= end).sort((a, b) => a[1].due - b[1].due)[0];
      if (due === undefined) break;
      this.pending.delete(due[0]);
      this.at = due[1].due;
      due[1].callback();
      for (let i = 0; i < 20; i++) await Promise.resolve();
      await new Promise((resolve) => setImmediate(resolve));
    }
    this.at = end;
  }
}

const HOUR = 3_600_000;

test('a never-fetched source is fetched soon after start, then once per interval with jitter; a failure retries sooner', async () => {
  const clock = new FakeClock();
  const source: RemoteSource = { name: 'cams', url: 'https://x.example/cams.txt', refreshMs: 24 * HOUR, kind: 'block', path: 'lists.sources[0]' };
  const states = new Map<string, SourceState>();
  const fetchedAt: number[] = [];
  let fail = false;
  const reloads: RefreshResult[][] = [];
  const scheduler = new RefreshScheduler({
    clock, random: () => 0.5,
    refresh: async (sources) => {
      fetchedAt.push(clock.now());
      const at = new Date(clock.now()).toISOString();
      states.set(sources[0]!.name, fail ? { url: source.url, lastAttemptAt: at, lastError: 'HTTP 503' } : { url: source.url, lastAttemptAt: at, lastSuccessAt: at });
      return [{ name: 'cams', url: source.url, outcome: fail ? 'failed' : 'changed', before: undefined, after: 1, ms: 1, dropped: [] }];
    },
    stateOf: async (s) => states.get(s.name) ?? { url: s.url },
    onResults: (results) => reloads.push([...results]),
    onError: (error) => { throw error; },
  });
  const start = clock.now();
  await scheduler.set([source]);
  await clock.advance(FIRST_FETCH_SPREAD_MS);
  assert.deepEqual(fetchedAt.map((t) => t - start), [FIRST_FETCH_SPREAD_MS / 2]);
  assert.equal(reloads.length, 1);
  // Due one interval later, plus half of the jitter window (a tenth of the interval, at most 15 min).
  await clock.advance(24 * HOUR);
  assert.equal(fetchedAt.length, 1);
  await clock.advance(HOUR);
  assert.deepEqual(fetchedAt.map((t) => t - start), [5000, 5000 + 24 * HOUR + 7.5 * 60_000]);
  fail = true;
  await clock.advance(23.5 * HOUR);
  assert.equal(fetchedAt.length, 3);
  // After a failure: an hour later (plus jitter), not a whole day.
  await clock.advance(HOUR);
  assert.equal(fetchedAt.length, 4);
  scheduler.stop();
  await clock.advance(48 * HOUR);
  assert.equal(fetchedAt.length, 4, 'a stopped scheduler fetches nothing');
});

test('refreshNow waits for a running refresh instead of overlapping it', async () => {
  const clock = new FakeClock();
  const source: RemoteSource = { name: 'a', url: 'https://x.example/a', refreshMs: HOUR, kind: 'block', path: 'p' };
  let running = 0;
  let most = 0;
  const scheduler = new RefreshScheduler({
    clock, random: () => 0,
    refresh: async () => {
      running++; most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, 20));
      running--;
      return [];
    },
    stateOf: async (s) => ({ url: s.url, lastAttemptAt: new Date(clock.now()).toISOString() }),
    onResults: () => undefined,
    onError: () => undefined,
  });
  await scheduler.set([source]);
  await Promise.all([scheduler.refreshNow(), scheduler.refreshNow(), scheduler.refreshNow()]);
  assert.equal(most, 1);
  scheduler.stop();
});
