/**
 * The live daemon under hostile traffic on loopback: tens of thousands of mutated packets over
 * UDP and TCP, QR=1 packets, half-open and slow-drip TCP connections, oversized length prefixes,
 * and the amplification checks (refused clients, ANY). Afterwards correct answers still come.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { QType } from '../../src/wire/constants.js';
import { encodeQuery } from '../../src/wire/encode-query.js';
import { startDaemon, tempDir, type RunningDaemon } from '../helpers/daemon.js';
import { dig } from '../helpers/dig.js';
import { fuzzScale, fuzzSeed, mutate, type Prng } from './fuzz.js';
import { mb, rssOf, tcpQuery, udpBlast, udpLoad } from './load.js';
import { startTestUpstream, type TestUpstream } from './upstream.js';
import { tcpFrame } from '../../src/wire/tcp-frame.js';
import { tcpMessages } from '../helpers/tcp-messages.js';

const SCALE = fuzzScale();
const LIST = 'cloud.vendor.example\n';
const config = (upstreamPort: number, allow = '[127.0.0.0/8, "::1/128"]'): string => `
dns:
  tcp:
    idleTimeoutMs: 1000
    maxConnections: 20
access:
  allow: ${allow}
lists:
  bundled: true
  sources:
    - path: vendor.list
upstream:
  servers: ["127.0.0.1:${upstreamPort}"]
  timeoutMs: 500
`;

const SEEDS = ['n-devs.cloud.vendor.example', '0.pool.ntp.org', 'forward.example.net', 'a.b.c.d.e.f.example', 'x'];

/** A mutated query whose ID and QR bit are set after mutation: IDs >= 0xf000 mark QR=1 packets. */
function hostilePacket(rng: Prng, index: number): Buffer {
  const base = encodeQuery(rng.pick(SEEDS), rng.pick([QType.A, QType.AAAA, QType.ANY, QType.TXT, rng.int(0x10000)]), rng.chance(0.5) ? { edns: { payloadSize: rng.pick([512, 1232, 4096]), dnssecOk: rng.chance(0.5) } } : {});
  const packet = rng.chance(0.1) ? rng.bytes(rng.int(100)) : mutate(rng, base);
  if (packet.length >= 4) {
    const response = rng.chance(0.2);
    packet.writeUInt16BE(response ? 0xf000 | (index & 0x0fff) : index % 0xf000, 0);
    packet[2] = response ? packet[2]! | 0x80 : packet[2]! & 0x7f;
  }
  return packet;
}

async function correctAnswers(daemon: RunningDaemon): Promise<void> {
  for (const [server, family] of [['127.0.0.1', 4], ['::1', 6]] as const) {
    for (const transport of ['udp', 'tcp'] as const) {
      const flag = transport === 'tcp' ? '+tcp' : '+notcp';
      const port = daemon.port(transport, family);
      assert.equal((await dig('dig', server, port, [flag, 'n-devs.cloud.vendor.example'])).status, 'NXDOMAIN');
      const redirect = await dig('kdig', server, port, [flag, '0.pool.ntp.org', family === 4 ? 'A' : 'AAAA']);
      assert.match(redirect.answers[0] ?? '', family === 4 ? /127\.0\.0\.1$/ : /::1$/);
      const forwarded = await dig('dig', server, port, [flag, 'forward.example.net', 'A']);
      assert.equal(forwarded.status, 'NOERROR');
      assert.match(forwarded.answers[0] ?? '', /192\.0\.2\.\d+$/);
    }
  }
}

describe('live daemon under hostile traffic', () => {
  let daemon: RunningDaemon;
  let upstream: TestUpstream;
  before(async () => {
    upstream = await startTestUpstream();
    const dir = await tempDir({ 'vendor.list': LIST, 'config.yaml': config(upstream.port) });
    daemon = await startDaemon(['--config', path.join(dir, 'config.yaml')]);
  });
  after(async () => {
    // The upstream is closed even when the daemon never started: its sockets would keep this file running.
    const code = await daemon?.stop();
    await upstream?.close();
    if (daemon === undefined) return;
    assert.equal(code, 0);
    const stop = daemon.logs.find((line) => line.event === 'stop') as { stats?: { internalErrors?: number } } | undefined;
    assert.equal(stop?.stats?.internalErrors, 0, 'no internal error while answering');
  });

  test('UDP: mutated and random packets (QR=1 among them) — never answered when QR=1, correct answers after', async () => {
    const rng = fuzzSeed('udp abuse');
    const count = Math.round(40_000 * SCALE);
    const rssBefore = rssOf(daemon.process.pid!);
    let qrAnswered = 0;
    let replies = 0;
    for (const [address, family] of [['127.0.0.1', 4], ['::1', 6]] as const) {
      const result = await udpBlast(address, daemon.port('udp', family), count / 2, (index) => hostilePacket(rng, index), {
        perTick: 100, settleMs: 700, onReply: (reply) => { if (reply.length >= 2 && reply.readUInt16BE(0) >= 0xf000) qrAnswered++; },
      });
      replies += result.replies;
    }
    const rssAfter = rssOf(daemon.process.pid!);
    console.log(`# UDP abuse: ${count} hostile datagrams, ${replies} replies, ${qrAnswered} replies to QR=1; RSS ${mb(rssBefore)} -> ${mb(rssAfter)}`);
    assert.equal(qrAnswered, 0, 'a packet with QR=1 is never answered');
    // A lower bound only: the kernel drops part of each blast when the machine is busy (CI shares 2 cores).
    assert.ok(replies > count / 20, `the daemon kept answering during the flood (${replies} replies)`);
    assert.ok(rssAfter - rssBefore < 64 * 1024 * 1024, `RSS grew by ${mb(rssAfter - rssBefore)}`);
    await correctAnswers(daemon);
  });

  test('TCP: mutated frames pipelined on many connections — QR=1 never answered, connections survive, correct answers after', async () => {
    const rng = fuzzSeed('tcp abuse');
    const connections = 10;
    const perConnection = Math.round(1000 * SCALE);
    let qrAnswered = 0;
    let frames = 0;
    await Promise.all(Array.from({ length: connections }, (_, c) => new Promise<void>((resolve) => {
      const socket = net.connect({ host: c % 2 === 0 ? '127.0.0.1' : '::1', port: daemon.port('tcp', c % 2 === 0 ? 4 : 6) });
      let lastDataMs = Date.now();
      socket.on('data', tcpMessages((message) => {
        lastDataMs = Date.now();
        frames++;
        if (message.length >= 2 && message.readUInt16BE(0) >= 0xf000) qrAnswered++;
      }));
      socket.on('error', () => {});
      socket.on('close', () => resolve());
      socket.on('connect', () => {
        for (let i = 0; i < perConnection; i++) {
          socket.write(tcpFrame(hostilePacket(rng, c * perConnection + i)));
        }
        // Let the answers come back (until half a second passes without one, 15 s at most), then leave:
        // a busy machine answers 10,000 frames more slowly, not fewer of them.
        const startedMs = Date.now();
        const poll = setInterval(() => {
          if (Date.now() - lastDataMs < 500 && Date.now() - startedMs < 15_000) return;
          clearInterval(poll);
          socket.end();
        }, 100);
      });
    })));
    console.log(`# TCP abuse: ${connections * perConnection} hostile frames on ${connections} connections, ${frames} answers, ${qrAnswered} to QR=1`);
    assert.equal(qrAnswered, 0);
    assert.ok(frames > (connections * perConnection) / 4);
    await correctAnswers(daemon);
  });

  test('TCP: oversized length prefixes and 64 KiB junk messages hold bounded memory; the idle timeout closes the stalled', async () => {
    const port = daemon.port('tcp', 4);
    const rssBefore = rssOf(daemon.process.pid!);
    const sockets: net.Socket[] = [];
    const closedAfter: number[] = [];
    for (let i = 0; i < 20; i++) {
      const socket = net.connect({ host: '127.0.0.1', port });
      socket.on('error', () => {});
      const opened = performance.now();
      socket.on('close', () => closedAfter.push(performance.now() - opened));
      socket.on('connect', () => {
        // Promise 65535 bytes, send 60000 of them, stall.
        const frame = Buffer.alloc(2 + 60_000, 0xc0);
        frame.writeUInt16BE(0xffff, 0);
        socket.write(frame);
      });
      sockets.push(socket);
    }
    // A full 65535-byte message of junk is read whole and answered (FORMERR) or dropped; the connection stays usable.
    const junk = Buffer.alloc(65_535, 0x3f);
    junk.writeUInt16BE(0x1234, 0);
    junk.writeUInt16BE(0x0100, 2);
    junk.writeUInt16BE(1, 4);
    const big = await tcpQuery('127.0.0.1', port, junk, 2000);
    assert.ok(big === null || big.length <= 65_535);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const rssAfter = rssOf(daemon.process.pid!);
    console.log(`# oversized prefixes: 20 connections each stalled 60000 bytes into a 65535-byte message; RSS ${mb(rssBefore)} -> ${mb(rssAfter)}; closed after ${closedAfter.map((ms) => Math.round(ms)).sort((a, b) => a - b).slice(0, 1)}..${Math.round(Math.max(...closedAfter))} ms`);
    assert.equal(closedAfter.length, 20, 'the idle timeout (1 s) closed every stalled connection');
    assert.ok(rssAfter - rssBefore < 32 * 1024 * 1024);
    for (const socket of sockets) socket.destroy();
  });

  test('TCP: 60 half-open plus 20 slow-drip connections against a cap of 20 — a fresh client is still served within a second', async () => {
    const port = daemon.port('tcp', 4);
    const sockets: net.Socket[] = [];
    const drips: NodeJS.Timeout[] = [];
    let dripClosed = 0;
    for (let i = 0; i < 60; i++) {
      const socket = net.connect({ host: '127.0.0.1', port });
      socket.on('error', () => {});
      sockets.push(socket);
    }
    for (let i = 0; i < 20; i++) {
      const socket = net.connect({ host: '127.0.0.1', port });
      socket.on('error', () => {});
      socket.on('close', () => { dripClosed++; });
      // One byte every 300 ms of a message that never completes (slowloris).
      drips.push(setInterval(() => { if (!socket.destroyed) socket.write(Buffer.from([0x01])); }, 300));
      sockets.push(socket);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    const latencies: number[] = [];
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      const reply = await tcpQuery('127.0.0.1', port, encodeQuery('n-devs.cloud.vendor.example', QType.A, { id: 99 }), 1000);
      latencies.push(performance.now() - started);
      assert.ok(reply !== null, 'a fresh TCP client is served despite the cap being full of idle connections');
      assert.equal(reply[3]! & 0x0f, 3);
    }
    // The drippers send a byte every 300 ms; the 1 s idle timeout still ends them (progress, not bytes, counts).
    await new Promise((resolve) => setTimeout(resolve, 1800));
    for (const timer of drips) clearInterval(timer);
    console.log(`# half-open/slow: 80 hostile connections vs cap 20; fresh client answered in ${latencies.map((ms) => ms.toFixed(1)).join(', ')} ms; ${dripClosed}/20 slow-drip connections closed by the idle timeout`);
    assert.equal(dripClosed, 20);
    assert.ok(Math.max(...latencies) < 1000);
    for (const socket of sockets) socket.destroy();
  });

  test('not an amplifier: ANY gets one RFC 8482 HINFO, never the upstream\'s 2.5 kB answer', async () => {
    const before = upstream.received.any;
    for (const transport of ['+notcp', '+tcp']) {
      const result = await dig('dig', '127.0.0.1', daemon.port(transport === '+tcp' ? 'tcp' : 'udp', 4), [transport, 'forward.example.net', 'ANY']);
      assert.equal(result.status, 'NOERROR');
      assert.equal(result.answers.length, 1);
      assert.match(result.answers[0]!, /HINFO\s+"RFC8482" ""/);
    }
    const reply = await udpLoad('127.0.0.1', daemon.port('udp', 4), 1, () => encodeQuery('forward.example.net', QType.ANY, { id: 0, edns: { payloadSize: 4096 } }), { keepReplies: true });
    const query = encodeQuery('forward.example.net', QType.ANY, { id: 0, edns: { payloadSize: 4096 } });
    console.log(`# ANY: query ${query.length} bytes -> answer ${reply.replies[0]?.length} bytes (upstream would have sent ~2.5 kB)`);
    assert.ok(reply.replies[0]!.length <= query.length + 21);
    assert.equal(upstream.received.any, before, 'ANY is never sent upstream');
    // Sinkholed and redirected names answer ANY with their usual small answers.
    assert.equal((await dig('dig', '127.0.0.1', daemon.port('udp', 4), ['n-devs.cloud.vendor.example', 'ANY'])).status, 'NXDOMAIN');
  });
});

describe('not an amplifier: a refused client never gets more bytes than it sent', () => {
  test('every reply to a client outside access.allow is no larger than its query (UDP, 20k mutated queries)', async () => {
    const upstream = await startTestUpstream();
    const dir = await tempDir({ 'vendor.list': LIST, 'config.yaml': config(upstream.port, '["::1/128"]') });
    const daemon = await startDaemon(['--config', path.join(dir, 'config.yaml')]);
    try {
      const rng = fuzzSeed('refused amplification');
      const upstreamBefore = upstream.received.udp;
      const sent = new Map<number, number>();
      let larger = 0;
      let replies = 0;
      let maxRatio = 0;
      const count = Math.round(20_000 * SCALE);
      await udpBlast('127.0.0.1', daemon.port('udp', 4), count, (index) => {
        const packet = rng.chance(0.3)
          ? encodeQuery(rng.pick(SEEDS), rng.pick([QType.A, QType.ANY, QType.TXT]), { id: index & 0xffff, edns: { payloadSize: 4096, dnssecOk: true } })
          : hostilePacket(rng, index);
        if (packet.length >= 2) { packet.writeUInt16BE(index & 0xffff, 0); sent.set(index & 0xffff, packet.length); }
        return packet;
      }, {
        perTick: 100, settleMs: 700,
        onReply: (reply) => {
          replies++;
          const queryLength = sent.get(reply.readUInt16BE(0)) ?? 0;
          maxRatio = Math.max(maxRatio, reply.length / Math.max(1, queryLength));
          if (reply.length > queryLength) larger++;
        },
      });
      console.log(`# refused client: ${count} queries, ${replies} replies, ${larger} larger than their query, max reply/query ratio ${maxRatio.toFixed(2)}`);
      assert.equal(larger, 0);
      assert.ok(replies > 0);
      assert.equal(upstream.received.udp, upstreamBefore, 'nothing from a refused client reaches the upstream');
    } finally {
      await daemon.stop();
      await upstream.close();
    }
  });
});
