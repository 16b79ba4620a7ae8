/**
 * The dashboard's running summary stays bounded however long the daemon runs: caps on names,
 * clients, clients per name and timeline points, the least recently seen dropped first, while
 * what is kept still adds up as `camshim report` would.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ListSet } from '../../src/lists/list-set.js';
import type { LoggedQuery } from '../../src/log/query-events.js';
import type { QueryLog } from '../../src/log/query-log.js';
import { LiveSummary } from '../../src/dashboard/live-summary.js';
import { Timeline } from '../../src/dashboard/timeline.js';
import type { DashboardLimits } from '../../src/dashboard/limits.js';

// Unlisted decisions carry no rule, so the list set is never read.
const NO_LISTS = {} as ListSet;
const T0 = Date.parse('2026-12-01T00:00:00Z');

function query(client: string, name: string, timeMs: number): LoggedQuery {
  return { kind: 'unlisted', timeMs, client, name, qtype: 1, group: 'cams', lists: NO_LISTS, rule: undefined, rcode: 3, address: undefined };
}

const SMALL: DashboardLimits = {
  summary: { names: 3, clients: 2, clientsPerName: 2, pairs: 4, ntpClients: 2, clockChanges: 2 },
  timeline: { clients: 2, pointsPerClient: 4 },
};

describe('Timeline', () => {
  it('keeps each client\'s latest points, oldest first, and lets go of names no point refers to', () => {
    const timeline = new Timeline({ clients: 2, pointsPerClient: 3 });
    for (let i = 0; i < 5; i++) timeline.add('sinkhole', '10.0.0.1', `n${i}.example`, 'vendor', 'example', T0 + i * 180_000);
    const snapshot = timeline.snapshot(undefined);
    assert.equal(snapshot.clients.length, 1);
    assert.deepEqual(snapshot.clients[0]!.points.map(([ms]) => (ms - T0) / 180_000), [2, 3, 4]);
    assert.deepEqual(snapshot.clients[0]!.points.map(([, index]) => snapshot.names[index]!.name), ['n2.example', 'n3.example', 'n4.example']);
    assert.deepEqual(timeline.size, { clients: 1, points: 3, names: 3 });
    // A window: only points at or after it.
    assert.deepEqual(timeline.snapshot(T0 + 3 * 180_000).clients[0]!.points.length, 2);
  });

  it('drops the least recently active client past the cap, with its points and names', () => {
    const timeline = new Timeline({ clients: 2, pointsPerClient: 3 });
    timeline.add('sinkhole', '10.0.0.1', 'a.example', null, null, T0);
    timeline.add('sinkhole', '10.0.0.2', 'b.example', null, null, T0 + 1);
    timeline.add('sinkhole', '10.0.0.1', 'a.example', null, null, T0 + 2);
    timeline.add('unlisted', '10.0.0.3', 'c.example', null, null, T0 + 3);
    const snapshot = timeline.snapshot(undefined);
    assert.deepEqual(snapshot.clients.map((client) => client.client), ['10.0.0.3', '10.0.0.1']);
    assert.deepEqual(snapshot.names.map((name) => name.name).sort(), ['a.example', 'c.example']);
    assert.deepEqual(timeline.size, { clients: 2, points: 3, names: 2 });
  });
});

describe('LiveSummary', () => {
  it('adds up decisions as the report does', () => {
    const live = new LiveSummary();
    for (let i = 0; i < 4; i++) live.record(query('10.0.0.1', 'cloud.vendor.example', T0 + i * 60_000));
    live.record(query('10.0.0.2', 'cloud.vendor.example', T0));
    const result = live.report({ top: 10, onlyNew: false });
    assert.equal(result.unlisted.length, 1);
    const { cadenceMs, ...row } = result.unlisted[0]!;
    assert.deepEqual(row, {
      name: 'cloud.vendor.example', list: null, rule: null, attempts: 5, clients: 2, firstSeen: new Date(T0).toISOString(),
      lastSeen: new Date(T0 + 180_000).toISOString(), isNew: true,
    });
    // The gap histogram's buckets are 5% wide.
    assert.ok(Math.abs(cadenceMs! - 60_000) <= 3000, `cadence ${cadenceMs} ms`);
    assert.deepEqual(result.clients.map((client) => [client.client, client.unlisted]), [['10.0.0.1', 4], ['10.0.0.2', 1]]);
    assert.deepEqual(live.timelineSnapshot(undefined).clients.map((client) => [client.client, client.points.length]), [['10.0.0.2', 1], ['10.0.0.1', 4]]);
    // New since a chosen time: only names first seen at or after it.
    live.record(query('10.0.0.1', 'late.vendor.example', T0 + 3_600_000));
    assert.deepEqual(live.report({ top: 10, onlyNew: true, newSinceMs: T0 + 60_000 }).unlisted.map((row) => row.name), ['late.vendor.example']);
  });

  it('stays within its caps over a long run, keeping the most recently seen', () => {
    const live = new LiveSummary(SMALL);
    let timeMs = T0;
    for (let round = 0; round < 2000; round++) live.record(query(`10.0.${round % 7}.${round % 11}`, `n${round}.vendor.example`, timeMs += 1000));
    const result = live.report({ top: 100, onlyNew: false });
    assert.deepEqual(result.unlisted.map((row) => row.name).sort(), ['n1997.vendor.example', 'n1998.vendor.example', 'n1999.vendor.example']);
    assert.equal(result.clients.length, 2);
    assert.deepEqual(live.timelineSize, { clients: 2, points: 2, names: 2 });

    // One name tried by many clients: the name keeps its latest clients only.
    for (let client = 0; client < 50; client++) live.record(query(`10.1.0.${client}`, 'shared.vendor.example', timeMs += 1000));
    const shared = live.report({ top: 100, onlyNew: false }).unlisted.find((row) => row.name === 'shared.vendor.example')!;
    assert.equal(shared.attempts, 50);
    assert.equal(shared.clients, 2);
    const timeline = live.timelineSnapshot(undefined);
    assert.deepEqual(timeline.clients.map((client) => client.client), ['10.1.0.49', '10.1.0.48']);
    assert.ok(live.timelineSize.points <= SMALL.timeline.clients * SMALL.timeline.pointsPerClient);
  });

  it('drops the least recently seen names when the (client, name) pairs reach their cap', () => {
    const live = new LiveSummary(SMALL);
    live.record(query('10.0.0.1', 'a.example', T0));
    live.record(query('10.0.0.2', 'a.example', T0 + 1));
    live.record(query('10.0.0.1', 'b.example', T0 + 2));
    live.record(query('10.0.0.2', 'b.example', T0 + 3));
    assert.deepEqual(live.report({ top: 10, onlyNew: false }).unlisted.map((row) => [row.name, row.clients]), [['a.example', 2], ['b.example', 2]]);
    // A fifth pair: a.example, seen least recently, goes with both of its pairs.
    live.record(query('10.0.0.1', 'c.example', T0 + 4));
    assert.deepEqual(live.report({ top: 10, onlyNew: false }).unlisted.map((row) => [row.name, row.clients]), [['b.example', 2], ['c.example', 1]]);
  });

  it('taps the sinkhole log: every decision is counted, the log writes only what its level lets through', () => {
    const written: LoggedQuery[] = [];
    let enabled = false;
    const log: QueryLog = {
      get enabled() { return enabled; }, now: () => T0, record: (q) => { written.push(q); }, identifyClients: () => undefined,
      flush: () => undefined, close: () => undefined, collapsed: () => 0,
    };
    const live = new LiveSummary();
    const tapped = live.tap(log);
    assert.equal(tapped.enabled, true, 'the query path records decisions for the dashboard even when the log is quiet');
    assert.equal(tapped.now(), T0);
    tapped.record(query('10.0.0.1', 'a.example', T0));
    enabled = true;
    tapped.record(query('10.0.0.1', 'b.example', T0 + 1));
    assert.deepEqual(written.map((q) => q.name), ['b.example']);
    assert.equal(live.report({ top: 10, onlyNew: false }).unlisted.length, 2);
  });
});
