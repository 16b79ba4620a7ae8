import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { LoggedQuery } from '../../src/log/query-events.js';
import { StormCollapser, type StormSummary, type StormTimers } from '../../src/log/storm-collapser.js';
import { seededRandom } from '../helpers/prng.js';

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
  test('a camera retrying every second: one line for its first query, then one summary per window, every query counted', () => {
    const { collapser, lines, storms } = setup();
    for (let second = 0; second < 150; second++) collapser.record(query('10.0.0.2', 'cloud.example', second * 1000));
    // The window opened at 0 s ends at 60 s: its 59 repeats are written, and the storm goes on in
    // the next window (60 s to 120 s, then 120 s on) with no first line again.
    assert.deepEqual(lines.map((line) => line.timeMs), [0]);
    assert.deepEqual(storms.map((storm) => [storm.count, storm.firstMs, storm.lastMs]), [[59, 1000, 59_000], [60, 60_000, 119_000]]);
    collapser.flush();
    assert.deepEqual(storms.map((storm) => storm.count), [59, 60, 30]);
    assert.equal(lines.length + storms.reduce((sum, storm) => sum + storm.count, 0), 150, 'no query lost from the counts');
    assert.equal(collapser.openWindows, 0);
  });

  test('a storm that stops: its window closes, a quiet one follows, and a query after that gets its own line', () => {
    const { collapser, lines, storms, timers, setNow } = setup(60_000);
    for (let second = 0; second < 10; second++) collapser.record(query('10.0.0.2', 'cloud.example', second * 1000));
    setNow(61_000);
    timers.fire();
    assert.deepEqual(storms.map((storm) => storm.count), [9], 'the repeats written at the window\'s end');
    assert.equal(collapser.openWindows, 1, 'a quiet window follows, in case the storm goes on');
    setNow(125_000);
    timers.fire();
    assert.equal(storms.length, 1, 'the quiet window had no queries: nothing written');
    assert.equal(collapser.openWindows, 0);
    collapser.record(query('10.0.0.2', 'cloud.example', 130_000));
    assert.deepEqual(lines.map((line) => line.timeMs), [0, 130_000]);
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
    assert.equal(timers.pending(), 1, 'the quiet window that follows a storm keeps the timer');
    setNow(122_000);
    timers.fire();
    assert.equal(storms.length, 1);
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

  for (const [maxWindows, names] of [[40, 60], [700, 2000]] as const) test(`windows reused under churn (at most ${maxWindows} open, ${names} names): lines and summaries equal a plain model of the rules, query for query`, () => {
    // The model: one entry per (client, name, type, kind), opened in order; the oldest open one
    // closes first when the table is full; a run-out window closes when its key comes again or
    // when a sweep passes its end, and one that had repeats is followed by the next window of
    // the storm (counting the query that came, or empty after a sweep) with no line.
    interface ModelWindow { key: string; first: LoggedQuery; openedMs: number; count: number; firstMs: number; lastMs: number }
    const windowMs = 1000;
    const random = seededRandom(11);
    const { collapser, lines, storms, setNow } = setup(windowMs, maxWindows);
    const model = { open: [] as ModelWindow[], lines: [] as LoggedQuery[], storms: [] as [string, number, number, number][] };
    const keyOf = (query: LoggedQuery): string => `${query.client}|${query.name}|${query.qtype}|${query.kind}`;
    const closeModel = (window: ModelWindow): void => {
      model.open.splice(model.open.indexOf(window), 1);
      if (window.count > 0) model.storms.push([keyOf(window.first), window.count, window.firstMs, window.lastMs]);
    };
    let time = 0;
    let mostOpen = 0;
    for (let step = 0; step < 20_000; step++) {
      time += Math.floor(random() * 5);
      setNow(time);
      if (random() < 0.002) {
        collapser.sweep(time);
        for (const window of [...model.open]) {
          if (time - window.openedMs < windowMs) continue;
          closeModel(window);
          if (window.count > 0) model.open.push({ key: window.key, first: window.first, openedMs: time, count: 0, firstMs: 0, lastMs: 0 });
        }
        continue;
      }
      const q = query(`10.0.0.${1 + Math.floor(random() * 3)}`, `n${Math.floor(random() * names)}.example`, time,
        random() < 0.8 ? 1 : 28, random() < 0.9 ? 'sinkhole' : 'unlisted');
      collapser.record(q);
      mostOpen = Math.max(mostOpen, collapser.openWindows);
      const key = keyOf(q);
      const open = model.open.find((window) => window.key === key);
      if (open !== undefined && time - open.openedMs < windowMs) {
        if (open.count === 0) open.firstMs = time;
        open.count++;
        open.lastMs = time;
        continue;
      }
      if (open !== undefined) {
        closeModel(open);
        if (open.count > 0) {
          model.open.push({ key, first: q, openedMs: time, count: 1, firstMs: time, lastMs: time });
          continue;
        }
      }
      if (model.open.length >= maxWindows) closeModel(model.open[0]!);
      model.open.push({ key, first: q, openedMs: time, count: 0, firstMs: 0, lastMs: 0 });
      model.lines.push(q);
    }
    collapser.flush();
    for (const window of [...model.open]) closeModel(window);
    assert.ok(model.storms.length > 300 && model.lines.length > 1000, 'the run churns through many windows');
    assert.equal(mostOpen, maxWindows, 'the table filled up (and grew to its bound)');
    assert.equal(lines.length, model.lines.length);
    assert.ok(lines.every((line, index) => line === model.lines[index]), 'the same queries get lines');
    // Windows closed by the same query or sweep come out in open order in both.
    assert.deepEqual(storms.map((storm) => [keyOf(storm.query), storm.count, storm.firstMs, storm.lastMs]), model.storms);
    assert.equal(collapser.openWindows, 0);
  });
});

