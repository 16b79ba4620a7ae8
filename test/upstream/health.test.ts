import type { Forwarded } from '../../src/pipeline/context.js';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { after, describe, it } from 'node:test';
import { encodeQuery } from '../../src/wire/encode-query.js';
import type { Timers } from '../../src/upstream/failure-log.js';
import { UpstreamForwarder } from '../../src/upstream/upstream-forwarder.js';
import { UpstreamHealth } from '../../src/upstream/upstream-health.js';
import { UpstreamStats } from '../../src/upstream/upstream-stats.js';
import { parseConfig } from './config.js';
import { aRecord, contextFor, fakeUpstream, makeReply, memoryLogger, type FakeUpstream } from './helpers.js';

/** Timers the test fires by hand, in order of due time. */
class ManualTimers implements Timers {
  private next = 1;
  readonly jobs = new Map<number, { fn: () => void; ms: number }>();
  setTimeout(fn: () => void, ms: number): unknown { const id = this.next++; this.jobs.set(id, { fn, ms }); return id; }
  clearTimeout(handle: unknown): void { this.jobs.delete(handle as number); }
  /** Delays of the pending timers. */
  pending(): number[] { return [...this.jobs.values()].map((job) => job.ms); }
  /** Runs the pending timer with this delay (exactly one must be pending with it). */
  fire(ms: number): void {
    const found = [...this.jobs].filter(([, job]) => job.ms === ms);
    assert.equal(found.length, 1, `one timer of ${ms} ms pending (have ${this.pending()})`);
    this.jobs.delete(found[0]![0]);
    found[0]![1].fn();
  }
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
/** The rcode in the response bytes (not the outcome's own rcode field: this checks what the client gets). */
const rcodeOf = (outcome: Buffer | Forwarded): number => (Buffer.isBuffer(outcome) ? outcome : (outcome as Forwarded).response)[3]! & 0x0f;
const SELF = { listening: [{ address: '127.0.0.1', port: 1 }], hostAddresses: [] };

describe('upstream health', () => {
  function makeHealth(checkResults: boolean[]) {
    const timers = new ManualTimers();
    const { logger, lines } = memoryLogger('info');
    const stats = new UpstreamStats();
    let now = 0;
    const health = new UpstreamHealth({
      logger, timers, now: () => now, counters: (label) => stats.counters(label),
      check: () => { const ok = checkResults.shift(); assert.ok(ok !== undefined, 'an expected check'); return ok ? Promise.resolve() : Promise.reject(new Error('ENETUNREACH')); },
    });
    return { health, timers, lines, stats, advance: (ms: number) => { now += ms; } };
  }

  it('marks an upstream down on a network error, logs it once, re-checks with doubling backoff up to 8 s, and logs once when it is back', async () => {
    const { health, timers, lines, stats, advance } = makeHealth([false, false, false, false, false, true]);
    assert.equal(health.failure('192.0.2.53:53', 'network', 'ENETUNREACH (udp connect)'), true);
    assert.equal(health.isUp('192.0.2.53:53'), false);
    // Queries in flight when it went down fail too; they are covered by the down line.
    for (let i = 0; i < 50; i++) assert.equal(health.failure('192.0.2.53:53', 'network', 'ENETUNREACH (udp connect)'), true);
    for (const delay of [1000, 2000, 4000, 8000, 8000]) {
      assert.deepEqual(timers.pending(), [delay]);
      advance(delay);
      timers.fire(delay);
      await settle();
    }
    assert.equal(health.isUp('192.0.2.53:53'), false);
    advance(8000);
    timers.fire(8000);
    await settle();
    assert.equal(health.isUp('192.0.2.53:53'), true);
    assert.deepEqual(timers.pending(), [], 'no re-check once it is up');
    assert.deepEqual(lines.map((line) => line.event), ['upstream-down', 'upstream-up']);
    assert.equal(lines[0]!.level, 40);
    assert.equal(lines[1]!.downMs, 31_000);
    assert.equal(lines[1]!.checks, 6);
    const counters = stats.counters('192.0.2.53:53');
    assert.deepEqual([counters.downs, counters.checks, counters.checkFailures], [1, 6, 5]);
  });

  it('checks after 3 timeouts in a row: a failed check marks it down, an answered one does not', async () => {
    const { health, lines, timers } = makeHealth([true, false]);
    assert.equal(health.failure('a:53', 'timeout', 'no reply'), false);
    health.success('a:53');
    // A success resets the run: these two plus the first are not 3 in a row.
    health.failure('a:53', 'timeout', 'no reply');
    health.failure('a:53', 'timeout', 'no reply');
    assert.equal(health.isUp('a:53'), true);
    health.failure('a:53', 'timeout', 'no reply');
    await settle();
    assert.equal(health.isUp('a:53'), true, 'the check was answered: a slow name, not a dead upstream');
    for (let i = 0; i < 3; i++) health.failure('a:53', 'timeout', 'no reply');
    await settle();
    assert.equal(health.isUp('a:53'), false);
    assert.deepEqual(lines.map((line) => line.event), ['upstream-down']);
    assert.match(String(lines[0]!.reason), /3 timeouts in a row, and a check query failed too/);
    assert.deepEqual(timers.pending(), [1000]);
  });

  it('a bad reply or failed TCP retry leaves the upstream up; a late answer brings a down one back; close stops the timers', () => {
    const { health, timers, lines } = makeHealth([]);
    assert.equal(health.failure('b:53', 'other', 'connection closed (tcp)'), false);
    assert.equal(health.isUp('b:53'), true);
    health.failure('b:53', 'network', 'EHOSTUNREACH (udp receive)');
    health.success('b:53');
    assert.equal(health.isUp('b:53'), true);
    assert.deepEqual(lines.map((line) => line.event), ['upstream-down', 'upstream-up']);
    health.failure('b:53', 'network', 'EHOSTUNREACH (udp receive)');
    health.close();
    assert.deepEqual(timers.pending(), []);
  });
});

describe('forwarder with a down upstream', () => {
  const cleanup: (() => Promise<void>)[] = [];
  after(async () => { for (const step of cleanup) await step(); });

  it('skips a down upstream while another answers, re-checks it on its timer, and uses it again once it answers', async () => {
    // A port with nothing on it: ICMP port unreachable, the loopback stand-in for a lost route.
    const placeholder = await fakeUpstream(() => {});
    const port = placeholder.port;
    await placeholder.close();
    const good = await fakeUpstream((query, reply) => reply(makeReply(query, { answers: [aRecord('192.0.2.1', 0)] })));
    cleanup.push(() => good.close());
    const timers = new ManualTimers();
    const { logger, lines } = memoryLogger('info');
    const forwarder = new UpstreamForwarder({ logger, loopProbe: false, timers });
    cleanup.push(() => forwarder.close());
    const dead = `127.0.0.1:${port}`;
    await forwarder.start(parseConfig({ upstream: { servers: [dead, good.label], timeoutMs: 1500 } }), SELF);
    const started = performance.now();
    for (let i = 0; i < 20; i++) assert.equal(rcodeOf(await forwarder.forward(contextFor(encodeQuery(`n${i}.example.test`, 1)))), 0);
    assert.ok(performance.now() - started < 1000, 'no query waited on the dead upstream');
    const counters = forwarder.stats.upstreams.get(dead)!;
    assert.deepEqual([counters.queries, counters.downs, counters.skipped], [1, 1, 19], 'tried once, then skipped');
    // Still nothing there: the check fails and the next one waits twice as long.
    timers.fire(1000);
    await waitFor(() => counters.checkFailures === 1);
    assert.ok(timers.pending().includes(2000));
    let revived: FakeUpstream;
    try {
      revived = await fakeUpstreamOn(port);
    } catch (error) {
      assert.fail(`port ${port} was taken meanwhile: ${(error as Error).message}`);
    }
    cleanup.push(() => revived.close());
    timers.fire(2000);
    await waitFor(() => (forwarder.statsSnapshot().upstreams as Record<string, { state: string }>)[dead]!.state === 'up');
    assert.equal(revived.udpQueries.length, 1, 'the check query');
    assert.deepEqual(lines.filter((line) => String(line.event).startsWith('upstream-')).map((line) => line.event), ['upstream-down', 'upstream-up']);
  });

  it('with every upstream down, a lost route still gets SERVFAIL at once, and the first answer brings forwarding back', async () => {
    const placeholder = await fakeUpstream(() => {});
    const port = placeholder.port;
    await placeholder.close();
    const timers = new ManualTimers();
    const { logger, lines } = memoryLogger('info');
    const forwarder = new UpstreamForwarder({ logger, loopProbe: false, timers });
    cleanup.push(() => forwarder.close());
    await forwarder.start(parseConfig({ upstream: { servers: [`127.0.0.1:${port}`], timeoutMs: 1500 } }), SELF);
    const started = performance.now();
    for (let i = 0; i < 20; i++) assert.equal(rcodeOf(await forwarder.forward(contextFor(encodeQuery(`d${i}.example.test`, 1)))), 2);
    assert.ok(performance.now() - started < 1000, 'SERVFAIL without waiting for the timeout');
    const revived = await fakeUpstreamOn(port);
    cleanup.push(() => revived.close());
    assert.equal(rcodeOf(await forwarder.forward(contextFor(encodeQuery('back.example.test', 1)))), 0);
    assert.deepEqual(lines.filter((line) => String(line.event).startsWith('upstream-')).map((line) => line.event), ['upstream-down', 'upstream-up']);
    assert.deepEqual(timers.pending(), [], 'no re-check left once it is up');
  });

  it('holds queries that arrive before start() until the upstreams are chosen, and bounds the wait by the timeout', async () => {
    const good = await fakeUpstream((query, reply) => reply(makeReply(query, { answers: [aRecord('192.0.2.1', 60)] })));
    cleanup.push(() => good.close());
    const { logger } = memoryLogger('fatal');
    const forwarder = new UpstreamForwarder({ logger, loopProbe: false });
    cleanup.push(() => forwarder.close());
    const early = forwarder.forward(contextFor(encodeQuery('early.example.test', 1)));
    await new Promise((resolve) => setTimeout(resolve, 50));
    await forwarder.start(parseConfig({ upstream: { servers: [good.label] } }), SELF);
    assert.equal(rcodeOf(await early), 0, 'answered, not SERVFAIL');
    assert.equal(forwarder.stats.waitedForStart, 1);

    const timers = new ManualTimers();
    const never = new UpstreamForwarder({ logger, loopProbe: false, timers });
    cleanup.push(() => never.close());
    const waiting = never.forward(contextFor(encodeQuery('never.example.test', 1)));
    await settle();
    timers.fire(2000);
    assert.equal(rcodeOf(await waiting), 2, 'SERVFAIL once the timeout passed without a start');
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.ok(condition(), 'condition within 2 s');
}

/** A fake upstream answering A 192.0.2.1 on a given port. */
async function fakeUpstreamOn(port: number): Promise<FakeUpstream> {
  const socket = dgram.createSocket('udp4');
  const udpQueries: Buffer[] = [];
  socket.on('message', (message, rinfo) => {
    udpQueries.push(message);
    socket.send(makeReply(message, { answers: [aRecord('192.0.2.1', 60)] }), rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve, reject) => { socket.once('error', reject); socket.bind(port, '127.0.0.1', () => resolve()); });
  return { port, label: `127.0.0.1:${port}`, udpQueries, tcpQueries: [], close: () => new Promise((resolve) => socket.close(() => resolve())) };
}
