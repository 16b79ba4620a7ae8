/**
 * dns.rateLimit: a flood from one source is limited (REFUSED no larger than the query, or
 * nothing), memory stays bounded whatever the number of sources, other clients keep their
 * latency, and clock steps neither refill nor wedge a bucket.
 */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import { QType } from '../../src/wire/constants.js';
import { encodeQuery } from '../../src/wire/encode-query.js';
import { decodeQuery } from '../../src/wire/query.js';
import { responseLimit } from '../../src/wire/response.js';
import { AnswerBuilder } from '../../src/pipeline/answer-builder.js';
import type { QueryContext } from '../../src/pipeline/context.js';
import { clientRateLimiter, limiterOptions } from '../../src/net/client-rate-limit.js';
import type { RateLimiter } from '../../src/net/rate-limiter.js';
import { rateLimitStage } from '../../src/pipeline/stages/rate-limit.js';
import { startDaemon, tempDir } from '../helpers/daemon.js';
import { percentile, udpBlast, udpLoad } from './load.js';

function contextFrom(address: string): QueryContext {
  const packet = encodeQuery('cloud.vendor.example', QType.A, { id: 1 });
  const decoded = decodeQuery(packet);
  if (decoded.kind !== 'query') throw new Error('bad query');
  return {
    packet, query: decoded.query, client: { address, port: 5353, transport: 'udp', localAddress: undefined },
    allowed: true, group: { name: 'default' } as QueryContext['group'], match: {} as QueryContext['match'], limit: responseLimit(null, 'udp', 1232),
  };
}

describe('rate-limit stage (injected clock)', () => {
  const answers = new AnswerBuilder(3600, 1232, 60, 1);
  const config = { enabled: true, ratePerSecond: 10, burst: 20, maxClients: 64, overLimit: 'refuse' as const, leakProbability: 0 };
  const limiter = (settings: typeof config, nowMs: () => number = () => performance.now()): RateLimiter => clientRateLimiter(settings, { nowMs });

  test('burst then limited; REFUSED is no larger than the query; refills at the configured rate', () => {
    let now = 1_000_000;
    const stage = rateLimitStage(answers, config, limiter(config, () => now));
    const context = contextFrom('192.168.20.7');
    for (let i = 0; i < 20; i++) assert.equal(stage.decide(context), undefined);
    const limited = stage.decide(context);
    assert.equal(limited?.kind, 'rate-limited');
    const response = limited!.response as Buffer;
    assert.ok(response.length <= context.packet.length);
    assert.equal(response[3]! & 0x0f, 5);
    now += 500; // 5 tokens
    let passed = 0;
    for (let i = 0; i < 20; i++) if (stage.decide(context) === undefined) passed++;
    assert.equal(passed, 5);
  });

  test('the clock stepping backwards refills nothing and wedges nothing; a step forwards refills only up to the burst', () => {
    let now = 5_000_000;
    const stage = rateLimitStage(answers, config, limiter(config, () => now));
    const context = contextFrom('10.0.0.1');
    for (let i = 0; i < 25; i++) stage.decide(context);
    now -= 3_600_000; // an hour back
    assert.equal(stage.decide(context)?.kind, 'rate-limited', 'going back in time gives no tokens');
    now += 1000; // one second after the step: refill resumes from the new reading
    let passed = 0;
    for (let i = 0; i < 30; i++) if (stage.decide(context) === undefined) passed++;
    assert.equal(passed, 10);
    now += 86_400_000 * 365; // a year forwards
    passed = 0;
    for (let i = 0; i < 100; i++) if (stage.decide(context) === undefined) passed++;
    assert.equal(passed, 20, 'never more than the burst');
  });

  test('memory is bounded by maxClients whatever the number of sources; an evicted client comes back with a full bucket', () => {
    const now = 0;
    const stage = rateLimitStage(answers, { ...config, maxClients: 64 }, limiter({ ...config, maxClients: 64 }, () => now));
    const heapBefore = process.memoryUsage().heapUsed;
    for (let i = 0; i < 200_000; i++) stage.decide(contextFrom(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`));
    const heapAfter = process.memoryUsage().heapUsed;
    assert.ok(heapAfter - heapBefore < 64 * 1024 * 1024);
    assert.equal(stage.decide(contextFrom('10.0.0.0')), undefined, 'evicted: fails open, never blocks a client forever');
  });

  test('a reload keeps every bucket: the new stage shares the daemon\'s limiter, and new settings refill nothing', () => {
    let now = 1_000_000;
    const shared = limiter(config, () => now);
    const context = contextFrom('192.168.20.8');
    const first = rateLimitStage(answers, config, shared);
    for (let i = 0; i < 20; i++) assert.equal(first.decide(context), undefined);
    assert.equal(first.decide(context)?.kind, 'rate-limited');
    // What app.ts does on SIGHUP: new settings into the same limiter, a new stage around it.
    const next = { ...config, burst: 50, overLimit: 'drop' as const };
    shared.reconfigure(limiterOptions(next));
    const second = rateLimitStage(answers, next, shared);
    const dropped = second.decide(context);
    assert.deepEqual([dropped?.kind, dropped?.drop], ['rate-limited', true], 'still over the limit after the reload, and dropped now');
    now += 1000; // the new settings' refill: 10 tokens a second, up to the new burst
    let passed = 0;
    for (let i = 0; i < 30; i++) if (second.decide(context) === undefined) passed++;
    assert.equal(passed, 10);
    // A smaller table forgets the least recently seen clients (who come back with a full bucket).
    shared.reconfigure(limiterOptions({ ...next, maxClients: 16 }));
    assert.ok(shared.size <= 16);
  });

  test('disabled: passes everything', () => {
    const stage = rateLimitStage(answers, { ...config, enabled: false }, limiter(config));
    for (let i = 0; i < 1000; i++) assert.equal(stage.decide(contextFrom('10.0.0.1')), undefined);
  });
});

const rateConfig = (overLimit: 'refuse' | 'drop'): string => `
dns:
  rateLimit:
    enabled: true
    ratePerSecond: 50
    burst: 100
    maxClients: 256
    overLimit: ${overLimit}
access:
  allow: [127.0.0.0/8, "::1/128"]
lists:
  sources:
    - path: vendor.list
`;

describe('rate limiting in the live daemon', () => {
  test('a flood from one source is refused (never larger than the query) while another client keeps its latency; then drop mode via SIGHUP', async () => {
    const dir = await tempDir({ 'vendor.list': 'cloud.vendor.example\n', 'config.yaml': rateConfig('refuse') });
    const daemon = await startDaemon(['--config', path.join(dir, 'config.yaml'), '--listen', '127.0.0.1']);
    try {
      const port = daemon.port('udp', 4);
      // Baseline latency for the quiet client (source 127.0.0.2), 10 queries/s-ish.
      const quiet = (count: number): Promise<{ answered: number; latencies: number[]; nx: number }> => new Promise((resolve) => {
        const socket = dgram.createSocket('udp4');
        const latencies: number[] = [];
        let nx = 0;
        let index = 0;
        let sentAt = 0;
        socket.bind({ address: '127.0.0.2', port: 0 }, () => {
          const send = (): void => {
            if (index >= count) { socket.close(); resolve({ answered: latencies.length, latencies, nx }); return; }
            sentAt = performance.now();
            socket.send(encodeQuery(`q${index}.cloud.vendor.example`, QType.A, { id: index }), port, '127.0.0.1');
            index++;
            setTimeout(send, 20);
          };
          socket.on('message', (message) => { latencies.push(performance.now() - sentAt); if ((message[3]! & 0x0f) === 3) nx++; });
          send();
        });
      });
      const baseline = await quiet(40);
      const sizes = { larger: 0, refused: 0, nx: 0 };
      const queryLength = encodeQuery('flood.cloud.vendor.example', QType.A, { id: 0 }).length;
      const [flood, during] = await Promise.all([
        // ~5000 queries/s: a flood the daemon can read (a faster one overflows the kernel socket
        // buffer, which no per-client policy can help), 100 times the configured rate.
        udpBlast('127.0.0.1', port, 10_000, (index) => encodeQuery('flood.cloud.vendor.example', QType.A, { id: index & 0xffff }), {
          perTick: 5, intervalMs: 1, settleMs: 500,
          onReply: (reply) => {
            if (reply.length > queryLength) sizes.larger++;
            const rcode = reply[3]! & 0x0f;
            if (rcode === 5) { sizes.refused++; assert.ok(reply.length <= queryLength); } else if (rcode === 3) sizes.nx++;
          },
        }),
        quiet(40),
      ]);
      const p99 = (values: number[]): string => percentile(values, 99).toFixed(2);
      console.log(`# rate limit (refuse): flood ${flood.sent} queries in ${Math.round(flood.ms)} ms -> ${sizes.nx} answered, ${sizes.refused} REFUSED (none larger than the query); quiet client ${during.nx}/40 answered, p99 ${p99(baseline.latencies)} ms before, ${p99(during.latencies)} ms during`);
      assert.ok(sizes.refused > flood.sent / 2, 'most of the flood is refused');
      assert.ok(sizes.nx <= 100 + 50 * (flood.ms / 1000) + 10, 'the flood gets at most burst + rate x time real answers');
      assert.equal(during.nx, 40, 'the quiet client is never limited');
      assert.ok(percentile(during.latencies, 99) < 50, 'the quiet client keeps its latency');

      // Switch to drop: a flood then gets nothing beyond its burst.
      await writeFile(path.join(dir, 'config.yaml'), rateConfig('drop'));
      const mark = daemon.logs.length;
      daemon.process.kill('SIGHUP');
      assert.equal((await daemon.waitForLog((line) => line.event === 'reload', 5000, mark)).applied, true);
      const dropped = await udpLoad('127.0.0.1', port, 2000, (index) => encodeQuery('flood.cloud.vendor.example', QType.A, { id: index }), { window: 200, timeoutMs: 300 });
      console.log(`# rate limit (drop): ${dropped.sent} queries, ${dropped.answered} answered`);
      assert.ok(dropped.answered <= 100 + 50 * (dropped.ms / 1000) + 10);
    } finally {
      assert.equal(await daemon.stop(), 0);
    }
  });
});

describe('rate limits across a reload', () => {
  test('SIGHUP keeps every DNS bucket: a client that used its burst does not get a new one', async () => {
    const config = 'dns:\n  rateLimit: { enabled: true, ratePerSecond: 0.01, burst: 5, overLimit: drop }\naccess:\n  allow: [127.0.0.0/8]\n';
    const dir = await tempDir({ 'config.yaml': config });
    const daemon = await startDaemon(['--config', path.join(dir, 'config.yaml'), '--listen', '127.0.0.1']);
    try {
      const port = daemon.port('udp', 4);
      const send = (count: number): Promise<{ answered: number }> =>
        udpLoad('127.0.0.1', port, count, (index) => encodeQuery(`q${index}.example`, QType.A, { id: index }), { window: 1, timeoutMs: 200 });
      assert.equal((await send(8)).answered, 5, 'the burst, then nothing');
      const mark = daemon.logs.length;
      daemon.process.kill('SIGHUP');
      assert.equal((await daemon.waitForLog((line) => line.event === 'reload', 5000, mark)).applied, true);
      assert.equal((await send(5)).answered, 0, 'the bucket is still empty after the reload');
    } finally {
      assert.equal(await daemon.stop(), 0);
    }
  });
});
