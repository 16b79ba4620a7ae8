/**
 * The long run (`npm run soak`; named without `.test` so `npm test` does not pick it up): one daemon under mixed load for
 * CAMSHIM_SOAK_SECONDS (default 120) — good queries of every kind over UDP and TCP, mutated
 * packets, TCP connection churn, SIGHUP every few seconds, an upstream that flips between
 * answering, silence, slowness and garbage. Checks: no good query lost, every answer correct for
 * its kind, memory flat after warm-up, the daemon exits cleanly with no internal error.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import { QType } from '../../src/wire/constants.js';
import { encodeQuery } from '../../src/wire/encode-query.js';
import { startDaemon, tempDir } from '../helpers/daemon.js';
import { fuzzSeed, mutate } from '../hostile/fuzz.js';
import { mb, percentile, rssOf, tcpQuery, udpBlast, udpLoad } from '../hostile/load.js';
import { startTestUpstream, type UpstreamMode } from '../hostile/upstream.js';

const SECONDS = Number(process.env.CAMSHIM_SOAK_SECONDS ?? '120');

test(`soak: ${SECONDS} s of mixed good and hostile load with reloads and upstream faults`, { timeout: (SECONDS + 120) * 1000 }, async () => {
  const rng = fuzzSeed('soak');
  const upstream = await startTestUpstream();
  const dir = await tempDir({
    'vendor.list': 'cloud.vendor.example\n',
    'config.yaml': `dns:\n  tcp:\n    idleTimeoutMs: 2000\n    maxConnections: 64\naccess:\n  allow: [127.0.0.0/8, "::1/128"]\nlists:\n  sources:\n    - path: vendor.list\nupstream:\n  servers: ["127.0.0.1:${upstream.port}"]\n  timeoutMs: 300\n`,
  });
  const daemon = await startDaemon(['--config', path.join(dir, 'config.yaml')]);
  const pid = daemon.process.pid!;
  const samples: number[] = [];
  const totals = { good: 0, lost: 0, wrong: 0, hostile: 0, tcp: 0, tcpLost: 0, reloads: 0, latencies: [] as number[] };
  const deadline = performance.now() + SECONDS * 1000;
  const modes: UpstreamMode[] = ['answer', 'silent', 'answer', 'slow', 'answer', 'garble'];
  let round = 0;
  try {
    while (performance.now() < deadline) {
      round++;
      upstream.mode = modes[round % modes.length]!;
      upstream.delayMs = 1000;
      const family = round % 2 === 0 ? { address: '127.0.0.1', v: 4 as const } : { address: '::1', v: 6 as const };
      const expectForward = upstream.mode === 'answer' ? 0 : 2;
      const kinds = (i: number): { name: string; rcode: number } => {
        switch (i % 3) {
          case 0: return { name: `s${i}.cloud.vendor.example`, rcode: 3 };
          case 1: return { name: `${i % 4}.pool.ntp.org`, rcode: 0 };
          default: return { name: `f${round}-${i}.example.net`, rcode: expectForward };
        }
      };
      const [good, , tcp] = await Promise.all([
        udpLoad(family.address, daemon.port('udp', family.v), 3000, (i) => encodeQuery(kinds(i).name, QType.A, { id: i & 0xffff }), { window: 32, timeoutMs: 2000, keepReplies: true }),
        udpBlast(family.address, daemon.port('udp', family.v), 3000, (i) => mutate(rng, encodeQuery(kinds(i).name, rng.pick([QType.A, QType.ANY, QType.AAAA]), { id: i })), { perTick: 4, intervalMs: 1, settleMs: 100 }),
        Promise.all(Array.from({ length: 20 }, (_, i) => tcpQuery(family.address, daemon.port('tcp', family.v), encodeQuery(`t${i}.cloud.vendor.example`, QType.A, { id: i }), 2000))),
        // Half-open connections that just sit there.
        new Promise<void>((resolve) => {
          const idle = Array.from({ length: 10 }, () => net.connect({ host: family.address, port: daemon.port('tcp', family.v) }).on('error', () => {}));
          setTimeout(() => { for (const socket of idle) socket.destroy(); resolve(); }, 500);
        }),
      ]);
      totals.good += good.sent;
      totals.lost += good.sent - good.answered;
      totals.wrong += good.replies.filter((reply, i) => reply !== null && (reply[3]! & 0x0f) !== kinds(i).rcode).length;
      totals.hostile += 3000;
      totals.tcp += tcp.length;
      totals.tcpLost += tcp.filter((reply) => reply === null || (reply[3]! & 0x0f) !== 3).length;
      totals.latencies.push(...good.latencies.filter((_, i) => i % 10 === 0));
      if (round % 3 === 0) { daemon.process.kill('SIGHUP'); totals.reloads++; }
      samples.push(rssOf(pid));
    }
    const warm = samples[Math.min(2, samples.length - 1)]!;
    const last = samples[samples.length - 1]!;
    const peak = Math.max(...samples);
    console.log(`# soak: ${SECONDS} s, ${round} rounds: ${totals.good} good UDP queries (lost ${totals.lost}, wrong ${totals.wrong}, p99 ${percentile(totals.latencies, 99).toFixed(1)} ms), ${totals.hostile} mutated datagrams, ${totals.tcp} TCP queries (failed ${totals.tcpLost}), ${totals.reloads} SIGHUPs; RSS after warm-up ${mb(warm)}, peak ${mb(peak)}, end ${mb(last)}`);
    assert.equal(totals.lost, 0, 'no good query lost');
    assert.equal(totals.wrong, 0, 'every answer right for its kind');
    assert.equal(totals.tcpLost, 0);
    assert.ok(last - warm < 48 * 1024 * 1024, `memory grew ${mb(last - warm)} after warm-up`);
  } finally {
    const code = await daemon.stop();
    await upstream.close();
    assert.equal(code, 0);
    const stop = daemon.logs.find((line) => line.event === 'stop') as { stats?: { internalErrors?: number }; upstream?: unknown } | undefined;
    // The daemon's own counters, to tell a datagram the kernel dropped from one camshim did not answer.
    console.log(`# soak daemon counters: ${JSON.stringify(stop?.stats)} upstream ${JSON.stringify(stop?.upstream)}`);
    assert.equal(stop?.stats?.internalErrors, 0);
  }
});
