import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { LoggedQuery } from '../../src/log/query-events.js';
import { StormCollapser, type StormSummary, type StormTimers } from '../../src/log/storm-collapser.js';

/** Timers the test fires by hand. */
function manualTimers(): StormTimers & { fire(): void; pending(): number } {
  let queued: (() => void)[] = [];
  return {
    setTimeout(callback) { queued.push(callback); return {}; },
    clearTimeout() { queued = []; },
    fire() { const run = queued; queued = []; for (const callback of run) callback(); },
    pending() { return queued.length; },
  };
}

function query(client: string, name: string, timeMs: number, qtype = 1, kind: LoggedQuery['kind'] = 'sinkhole'): LoggedQuery {
  return { kind, timeMs, client, name, qtype, group: 'cameras', lists: undefined as never, rule: undefined, rcode: 3, address: undefined };
}

function setup(windowMs = 60_000, maxWindows = 100) {
  let now = 0;
  const lines: LoggedQuery[] = [];
  const storms: StormSummary[] = [];
  const timers = manualTimers();
  const collapser = new StormCollapser({ windowMs, maxWindows }, (line) => lines.push(line), (storm) => storms.push(storm), () => now, timers);
  return { collapser, lines, storms, timers, setNow: (ms: number) => { now = ms; } };
}

describe('storm collapsing', () => {
  test('a camera retrying every second: one line for the first query, one summary per window, every query counted', () => {
    const { collapser, lines, storms } = setup();
    for (let second = 0; second < 150; second++) collapser.record(query('10.0.0.2', 'cloud.example', second * 1000));
    // Windows open at 0 s, 60 s and 120 s: three lines; the first two windows closed with 59 repeats each.
    assert.deepEqual(lines.map((line) => line.timeMs), [0, 60_000, 120_000]);
    assert.deepEqual(storms.map((storm) => [storm.count, storm.firstMs, storm.lastMs]), [[59, 1000, 59_000], [59, 61_000, 119_000]]);
    collapser.flush();
    assert.deepEqual(storms.map((storm) => storm.count), [59, 59, 29]);
    assert.equal(lines.length + storms.reduce((sum, storm) => sum + storm.count, 0), 150, 'no query lost from the counts');
    assert.equal(collapser.openWindows, 0);
  });

  test('client, name, type and answer kind each make a window of their own', () => {
    const { collapser, lines } = setup();
    collapser.record(query('10.0.0.2', 'a.example', 0));
    collapser.record(query('10.0.0.3', 'a.example', 1));
    collapser.record(query('10.0.0.2', 'b.example', 2));
    collapser.record(query('10.0.0.2', 'a.example', 3, 28));
    collapser.record(query('10.0.0.2', 'a.example', 4, 1, 'unlisted'));
    collapser.record(query('10.0.0.2', 'a.example', 5));
    assert.equal(lines.length, 5);
    assert.equal(collapser.openWindows, 5);
  });

  test('the timer closes windows nobody queries again, at most a quarter window late', () => {
    const { collapser, storms, timers, setNow } = setup(60_000);
    collapser.record(query('10.0.0.2', 'a.example', 0));
    collapser.record(query('10.0.0.2', 'a.example', 500));
    assert.equal(timers.pending(), 1);
    setNow(30_000);
    timers.fire();
    assert.equal(storms.length, 0, 'still open');
    setNow(61_000);
    timers.fire();
    assert.deepEqual(storms.map((storm) => storm.count), [1]);
    assert.equal(timers.pending(), 0, 'no timer while nothing is open');
  });

  test('bounded: a full table closes its oldest window first, writing its count', () => {
    const { collapser, lines, storms } = setup(60_000, 3);
    collapser.record(query('10.0.0.1', 'a.example', 0));
    collapser.record(query('10.0.0.1', 'a.example', 1));
    for (let index = 2; index <= 1000; index++) collapser.record(query(`10.0.${index >> 8}.${index & 255}`, 'spoofed.example', index));
    assert.equal(collapser.openWindows, 3);
    assert.equal(storms[0]!.query.client, '10.0.0.1');
    assert.equal(storms[0]!.count, 1);
    assert.equal(lines.length, 1000);
  });

  test('window 0: every query is a line', () => {
    const { collapser, lines } = setup(0);
    for (let index = 0; index < 10; index++) collapser.record(query('10.0.0.2', 'a.example', index));
    assert.equal(lines.length, 10);
  });
});
