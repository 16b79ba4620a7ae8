/**
 * The dashboard's cluster transport without processes: a worker's batches (interval, cap, drops
 * while the channel is backed up), what is accepted on receipt, and the primary's summary and
 * status gathered from the workers' replies.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ClusterDashboard, type PrimaryChannel } from '../../src/dashboard/cluster-dashboard.js';
import { receive, type DecisionBatch, type StatusReply, type StatusRequest } from '../../src/dashboard/cluster-messages.js';
import type { UpstreamStatusBody } from '../../src/dashboard/daemon-status.js';
import { WorkerFeed, type WorkerChannel } from '../../src/dashboard/worker-feed.js';
import type { ListSet } from '../../src/lists/list-set.js';
import type { LoggedQuery } from '../../src/log/query-events.js';

const T0 = Date.parse('2026-12-04T12:00:00Z');
const query = (i: number, client = '10.0.0.7'): LoggedQuery => ({
  kind: 'unlisted', timeMs: T0 + i, client, name: `n${i}.example`, qtype: 1, group: 'cams', lists: {} as ListSet, rule: undefined, rcode: 3, address: undefined,
});

function fakeWorker(maxDecisions = 3) {
  const sent: { message: DecisionBatch | StatusReply; done: (error: Error | null) => void }[] = [];
  const timers: { run: () => void; ms: number }[] = [];
  const channel: WorkerChannel = { send: (message, done) => { sent.push({ message, done }); }, onMessage: () => undefined };
  const feed = new WorkerFeed(channel, (address) => (address === '10.0.0.7' ? { mac: 'aa:bb:cc:dd:ee:ff' } : undefined), {
    maxDecisions, intervalMs: 100, setTimer: (run, ms) => { timers.push({ run, ms }); return {}; },
  });
  const fire = (): void => { const timer = timers.shift(); assert.ok(timer !== undefined, 'a batch is scheduled'); assert.equal(timer.ms, 100); timer.run(); };
  return { feed, sent, timers, fire };
}

describe('worker feed', () => {
  it('sends one batch per interval, at most the cap, and counts what it dropped in the next', () => {
    const { feed, sent, timers, fire } = fakeWorker();
    for (let i = 0; i < 5; i++) feed.record(query(i));
    assert.equal(timers.length, 1, 'one timer for the whole interval');
    assert.equal(sent.length, 0, 'nothing is sent on the query path');
    fire();
    const first = sent[0]!.message as DecisionBatch;
    assert.deepEqual(first.decisions.map((d) => d[3]), ['n0.example', 'n1.example', 'n2.example']);
    assert.deepEqual(first.decisions[0], ['unlisted', T0, '10.0.0.7', 'n0.example', 'A', 'cams', null, null, 'NXDOMAIN']);
    assert.deepEqual(first.who, [['10.0.0.7', 'aa:bb:cc:dd:ee:ff', null]]);
    assert.equal(first.dropped, 2);
    assert.equal(receive(first).kind, 'batch', 'what a worker sends is what the primary accepts');

    // The channel has not written the first batch: what comes meanwhile is dropped, not queued.
    feed.record(query(5));
    feed.record(query(6));
    fire();
    assert.equal(sent.length, 1);
    sent[0]!.done(null);
    fire();
    assert.deepEqual([(sent[1]!.message as DecisionBatch).decisions.length, (sent[1]!.message as DecisionBatch).dropped], [0, 2], 'drops are reported even with no query after them');
    sent[1]!.done(null);
    assert.equal(timers.length, 0, 'nothing left to send: no timer');
  });

  it('counts a batch the channel could not write as dropped', () => {
    const { feed, sent, fire } = fakeWorker();
    feed.record(query(1));
    feed.record(query(2));
    fire();
    sent[0]!.done(new Error('channel closed'));
    fire();
    assert.equal((sent[1]!.message as DecisionBatch).dropped, 2);
  });
});

describe('cluster messages on receipt', () => {
  const good: DecisionBatch = { type: 'camshim:dashboard-batch', decisions: [['sinkhole', T0, '10.0.0.7', 'a.example', 'A', 'cams', 'vendor', 'example', 'NXDOMAIN']], who: [], dropped: 0 };
  it('accepts a well-formed batch and ignores others\' messages', () => {
    assert.equal(receive(good).kind, 'batch');
    assert.equal(receive({ type: 'camshim:ready', listProblems: [] }).kind, 'other');
    assert.equal(receive('text').kind, 'other');
    assert.equal(receive(null).kind, 'other');
  });
  it('calls malformed anything claiming to be the dashboard\'s that is not well formed', () => {
    const bad: unknown[] = [
      { ...good, decisions: [['ddos', T0, 'c', 'n', 'A', 'g', null, null, 'NXDOMAIN']] },
      { ...good, decisions: [['sinkhole', 'soon', 'c', 'n', 'A', 'g', null, null, 'NXDOMAIN']] },
      { ...good, decisions: [['sinkhole', T0, 'c', 'n', 'A', 'g', null, null]] },
      { ...good, decisions: 'many' },
      { ...good, dropped: -1 },
      { ...good, who: [['c', 1, null]] },
      { ...good, decisions: Array.from({ length: 2049 }, () => good.decisions[0]) },
      { type: 'camshim:dashboard-status', id: 1, slot: 0, ntp: {}, lists: { loadedAt: '', lists: [], errors: [] }, upstream: {} },
      { type: 'camshim:dashboard-status-request', id: 'x' },
      { type: 'camshim:dashboard-whatever' },
    ];
    for (const message of bad) assert.equal(receive(message).kind, 'malformed', JSON.stringify(message).slice(0, 120));
  });
});

function fakePrimary(workers: number) {
  let listener: (message: unknown) => void = () => undefined;
  const requests: StatusRequest[] = [];
  const channel: PrimaryChannel = {
    onMessage: (next) => { listener = next; },
    broadcast: (message) => { requests.push(message); return workers; },
  };
  return { channel, requests, deliver: (message: unknown) => { listener(message); } };
}

const upstream = (state: string, queries: number): UpstreamStatusBody => ({
  forwarded: queries, servfail: 0, cacheHits: 1, cacheEntries: 2,
  upstreams: [{ upstream: '127.0.0.1:5353', state, queries, answers: queries, failures: 0, timeouts: 0, downs: state === 'down' ? 1 : 0 }],
});

describe('the primary\'s cluster dashboard', () => {
  it('adds up every worker\'s batches, counts malformed messages and reported drops', () => {
    const { channel, deliver } = fakePrimary(2);
    const dashboard = new ClusterDashboard(channel, { workers: 2 });
    deliver({ type: 'camshim:dashboard-batch', decisions: [['sinkhole', T0, '10.0.0.7', 'a.example', 'A', 'cams', 'vendor', 'example', 'NXDOMAIN']], who: [['10.0.0.7', null, 'cam-1']], dropped: 3 });
    deliver({ type: 'camshim:dashboard-batch', decisions: [['sinkhole', T0 + 5, '10.0.0.8', 'a.example', 'A', 'cams', 'vendor', 'example', 'NXDOMAIN']], who: [], dropped: 0 });
    deliver({ type: 'camshim:dashboard-batch', decisions: [['sinkhole', 'x']], who: [], dropped: 0 });
    deliver({ type: 'camshim:ready', listProblems: [] });
    const report = dashboard.live.report({ top: 10, onlyNew: false });
    assert.equal(report.totals.queries, 2);
    assert.deepEqual(report.sinkholed.map((row) => [row.name, row.attempts, row.clients]), [['a.example', 2, 2]]);
    const reader = dashboard.reader();
    assert.deepEqual(reader.workers!(), { count: 2, droppedDecisions: 3, malformedMessages: 1 });
    assert.deepEqual(reader.identify('10.0.0.7'), { name: 'cam-1' });
  });

  it('gathers status from the workers: NTP from the one serving it, lists once, upstream counters summed', async () => {
    const { channel, requests, deliver } = fakePrimary(2);
    const dashboard = new ClusterDashboard(channel, { workers: 2, statusTimeoutMs: 2000 });
    const reader = dashboard.reader();
    const pending = Promise.all([reader.ntp(), reader.lists(), reader.upstream()]);
    assert.equal(requests.length, 1, 'the three reads share one request');
    const id = requests[0]!.id;
    const lists = (loadedAt: string, errors: string[]) => ({ loadedAt, lists: [{ name: 'vendor', entries: 1 }], errors });
    deliver({ type: 'camshim:dashboard-status', id, slot: 1, ntp: { enabled: false }, lists: lists('2026-12-04T12:00:01.000Z', ['gone.list: missing']), upstream: upstream('down', 3) });
    deliver({ type: 'camshim:dashboard-status', id: id + 7, slot: 0, ntp: { enabled: false }, lists: lists('x', []), upstream: upstream('up', 100) });
    deliver({ type: 'camshim:dashboard-status', id, slot: 0, ntp: { enabled: true, served: 4 }, lists: lists('2026-12-04T12:00:00.000Z', []), upstream: upstream('up', 5) });
    const [ntp, listBody, health] = await pending;
    assert.deepEqual(ntp, { enabled: true, served: 4, worker: 0 });
    assert.deepEqual(listBody, {
      loadedAt: '2026-12-04T12:00:00.000Z', lists: [{ name: 'vendor', entries: 1 }], errors: ['gone.list: missing'],
      workers: [{ worker: 0, loadedAt: '2026-12-04T12:00:00.000Z', errors: 0 }, { worker: 1, loadedAt: '2026-12-04T12:00:01.000Z', errors: 1 }],
    });
    assert.deepEqual(health, {
      forwarded: 8, servfail: 0, cacheHits: 2, cacheEntries: 4,
      upstreams: [{ upstream: '127.0.0.1:5353', queries: 8, answers: 8, failures: 0, timeouts: 0, downs: 1, state: 'mixed', workers: [{ worker: 0, state: 'up' }, { worker: 1, state: 'down' }] }],
    });
  });

  it('says no worker answered when none does in time', async () => {
    const { channel } = fakePrimary(2);
    const reader = new ClusterDashboard(channel, { workers: 2, statusTimeoutMs: 20 }).reader();
    await assert.rejects(reader.lists(), { code: 'DASHBOARD_WORKERS_SILENT' });
  });
});
