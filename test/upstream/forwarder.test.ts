import type { Forwarded } from '../../src/pipeline/context.js';
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { parseConfig } from './config.js';
import { encodeQuery } from '../../src/wire/encode-query.js';
import { scanReply } from '../../src/wire/reply.js';
import { UpstreamForwarder } from '../../src/upstream/upstream-forwarder.js';
import { aRecord, contextFor, fakeUpstream, makeReply, memoryLogger, soaRecord, txtRecord, type FakeUpstream } from './helpers.js';

const SELF = { listening: [{ address: '127.0.0.1', port: 1 }], hostAddresses: [] };
const upstreams: FakeUpstream[] = [];
const forwarders: UpstreamForwarder[] = [];
after(async () => {
  await Promise.all(upstreams.map((upstream) => upstream.close()));
  await Promise.all(forwarders.map((forwarder) => forwarder.close()));
});

async function upstream(...args: Parameters<typeof fakeUpstream>): Promise<FakeUpstream> {
  const server = await fakeUpstream(...args);
  upstreams.push(server);
  return server;
}

async function forwarder(servers: string[], upstreamConfig: Record<string, unknown> = {}, now?: () => number): Promise<UpstreamForwarder> {
  const { logger } = memoryLogger('fatal');
  const made = new UpstreamForwarder({ logger, loopProbe: false, ...(now === undefined ? {} : { now }) });
  forwarders.push(made);
  await made.start(parseConfig({ upstream: { servers, ...upstreamConfig } }), SELF);
  return made;
}

const answer = (query: Buffer, ttl = 300): Buffer => makeReply(query, { answers: [aRecord('192.0.2.1', ttl)] });
/** The rcode in the response bytes (not the outcome's own rcode field: this checks what the client gets). */
const rcodeOf = (outcome: Buffer | Forwarded): number => (Buffer.isBuffer(outcome) ? outcome : (outcome as Forwarded).response)[3]! & 0x0f;

describe('forwarder against in-test upstreams', () => {
  it('relays an answer with the client ID and 0x20 case, then serves it from cache with TTLs counted down', async () => {
    const good = await upstream((query, reply) => reply(answer(query)));
    let now = 0;
    const fwd = await forwarder([good.label], {}, () => now);
    const client = encodeQuery('CaM.ExAmPlE.test', 1, { id: 4242 });
    const firstOutcome = await fwd.forward(contextFor(client));
    assert.equal(firstOutcome.source, good.label, 'the decision names the upstream that answered');
    assert.equal(firstOutcome.rcode, 0);
    const first = firstOutcome.response;
    assert.equal(first.readUInt16BE(0), 4242);
    assert.deepEqual(first.subarray(12, 12 + 22), client.subarray(12, 12 + 22));
    assert.equal(scanReply(first).records[0]!.ttl, 300);
    now += 100_400;
    const secondOutcome = await fwd.forward(contextFor(encodeQuery('cam.example.TEST', 1, { id: 7 })));
    assert.equal(secondOutcome.source, 'cache');
    const second = secondOutcome.response;
    assert.equal(scanReply(second).records[0]!.ttl, 200, 'TTL counted down by 100 s');
    assert.equal(second.readUInt16BE(0), 7);
    assert.equal(good.udpQueries.length, 1, 'second answer came from cache');
    assert.equal(fwd.stats.cacheHits, 1);
    now += 200_000;
    (await fwd.forward(contextFor(encodeQuery('cam.example.test', 1)))).response;
    assert.equal(good.udpQueries.length, 2, 'expired entry fetched again');
  });

  it('sends a fresh random ID and source port per upstream query, lower-cased, with RD and EDNS', async () => {
    const sources: number[] = [];
    const good = await upstream((query, reply, _socket, from) => { sources.push(from.port); reply(answer(query, 0)); });
    const fwd = await forwarder([good.label]);
    for (let i = 0; i < 5; i++) (await fwd.forward(contextFor(encodeQuery('NoCache.test', 1, { id: 1 })))).response;
    const ids = new Set(good.udpQueries.map((query) => query.readUInt16BE(0)));
    assert.equal(good.udpQueries.length, 5, 'TTL 0 is not cached');
    assert.ok(ids.size >= 4, `IDs ${[...ids]}`);
    assert.ok(new Set(sources).size >= 4, `ports ${sources}`);
    assert.ok(good.udpQueries.every((query) => query.includes(Buffer.from('nocache')) && (query.readUInt16BE(2) & 0x0100) !== 0 && query.readUInt16BE(10) === 1));
  });

  it('fails over from a silent upstream within its share of the timeout, and prefers the one that answered', async () => {
    const silent = await upstream(() => {});
    const good = await upstream((query, reply) => reply(answer(query, 0)));
    const fwd = await forwarder([silent.label, good.label], { timeoutMs: 800 });
    const started = performance.now();
    const reply = (await fwd.forward(contextFor(encodeQuery('failover.test', 1)))).response;
    const took = performance.now() - started;
    assert.equal(rcodeOf(reply), 0);
    assert.ok(took >= 380 && took < 700, `took ${took} ms (silent upstream gets half of 800 ms)`);
    const again = performance.now();
    (await fwd.forward(contextFor(encodeQuery('failover2.test', 1)))).response;
    assert.ok(performance.now() - again < 200, 'next query goes to the upstream that answered');
    assert.equal(silent.udpQueries.length, 1);
    assert.equal(fwd.stats.upstreams.get(silent.label)!.timeouts, 1);
  });

  it('answers SERVFAIL within the overall timeout when every upstream fails', async () => {
    const silent = await upstream(() => {});
    const delayed = await upstream((query, reply) => { setTimeout(() => reply(answer(query)), 1500).unref(); });
    const fwd = await forwarder([silent.label, delayed.label], { timeoutMs: 500 });
    const started = performance.now();
    const reply = (await fwd.forward(contextFor(encodeQuery('down.test', 1, { id: 9 })))).response;
    const took = performance.now() - started;
    assert.equal(rcodeOf(reply), 2);
    assert.equal(reply.readUInt16BE(0), 9);
    assert.ok(took >= 450 && took < 900, `took ${took} ms`);
    assert.equal(fwd.stats.servfail, 1);
  });

  it('retries the same upstream over TCP when the UDP reply is truncated, and truncates for a small client', async () => {
    const many = (query: Buffer): Buffer => makeReply(query, { answers: Array.from({ length: 40 }, (_, i) => txtRecord(`record-${i}-${'x'.repeat(40)}`, 600)) });
    const server = await upstream((query, reply) => reply(makeReply(query, { tc: true })), (query) => many(query));
    const fwd = await forwarder([server.label]);
    const tcpClient = (await fwd.forward(contextFor(encodeQuery('big.test', 16), 'tcp'))).response;
    assert.equal(scanReply(tcpClient).counts[0], 40);
    assert.equal(server.tcpQueries.length, 1);
    const udpClient = (await fwd.forward(contextFor(encodeQuery('big.test', 16, { edns: { payloadSize: 1232 } })))).response;
    assert.equal(udpClient.readUInt16BE(2) & 0x0200, 0x0200, 'TC for the UDP client');
    assert.ok(udpClient.length <= 1232);
    assert.equal(server.tcpQueries.length, 1, 'the full answer was cached');
  });

  it('ignores replies from the wrong port, with the wrong ID or question, and takes the genuine one', async () => {
    const server = await upstream((query, reply, socket, from) => {
      const spoof = dgramSocket();
      spoof.bind(0, '127.0.0.1', () => spoof.send(makeReply(query, { answers: [aRecord('203.0.113.66', 300)] }), from.port, from.address, () => spoof.close()));
      reply(makeReply(query, { id: query.readUInt16BE(0) ^ 1, answers: [aRecord('203.0.113.66', 300)] }));
      reply(makeReply(query, { question: Buffer.concat([encodeQuery('evil.test', 1).subarray(12)]), answers: [aRecord('203.0.113.66', 300)] }));
      reply(Buffer.from([query[0]!, query[1]!, 0x81]));
      setTimeout(() => reply(answer(query)), 100).unref();
      void socket;
    });
    const fwd = await forwarder([server.label]);
    const reply = (await fwd.forward(contextFor(encodeQuery('spoof.test', 1)))).response;
    const record = scanReply(reply).records[0]!;
    assert.deepEqual([...reply.subarray(record.rdataOffset, record.end)], [192, 0, 2, 1]);
    assert.ok(fwd.stats.ignoredReplies >= 3, `ignored ${fwd.stats.ignoredReplies}`);
  });

  it('coalesces identical questions in flight into one upstream query, and bounds outstanding queries', async () => {
    const slow = await upstream((query, reply) => { setTimeout(() => reply(answer(query, 0)), 150).unref(); });
    const fwd = await forwarder([slow.label], { maxOutstanding: 3 });
    const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => fwd.forward(contextFor(encodeQuery(i % 2 === 0 ? 'same.test' : 'SAME.test', 1, { id: i })))));
    assert.equal(slow.udpQueries.length, 1);
    assert.equal(fwd.stats.coalesced, 19);
    assert.deepEqual(replies.map((reply) => reply.response.readUInt16BE(0)), Array.from({ length: 20 }, (_, i) => i));
    const distinct = await Promise.all(['a', 'b', 'c', 'd', 'e'].map((label) => fwd.forward(contextFor(encodeQuery(`${label}.test`, 1)))));
    assert.deepEqual(distinct.map(rcodeOf), [0, 0, 0, 2, 2], 'beyond maxOutstanding: SERVFAIL at once');
    assert.equal(fwd.stats.overloaded, 2);
    // Waiting clients are bounded too (8 per outstanding query): the rest get SERVFAIL, not a queue.
    const crowd = await Promise.all(Array.from({ length: 30 }, () => fwd.forward(contextFor(encodeQuery('crowd.test', 1)))));
    assert.equal(crowd.filter((reply) => rcodeOf(reply) === 0).length, 24);
  });

  it('caches NXDOMAIN for the SOA negative TTL and serves the SOA counting down', async () => {
    const server = await upstream((query, reply) => reply(makeReply(query, { rcode: 3, authority: [soaRecord(3600, 60, 'test')] })));
    let now = 0;
    const fwd = await forwarder([server.label], {}, () => now);
    const first = (await fwd.forward(contextFor(encodeQuery('missing.test', 1)))).response;
    assert.equal(rcodeOf(first), 3);
    assert.equal(scanReply(first).records[0]!.ttl, 60);
    now += 20_000;
    const second = (await fwd.forward(contextFor(encodeQuery('missing.test', 1)))).response;
    assert.equal(scanReply(second).records[0]!.ttl, 40);
    now += 41_000;
    (await fwd.forward(contextFor(encodeQuery('missing.test', 1)))).response;
    assert.equal(server.udpQueries.length, 2);
  });

  it('tries the next upstream on SERVFAIL/REFUSED and fails over fast on ICMP port unreachable', async () => {
    const refusing = await upstream((query, reply) => reply(makeReply(query, { rcode: 5 })));
    const closed = await upstream(() => {});
    await closed.close();
    const good = await upstream((query, reply) => reply(answer(query)));
    const fwd = await forwarder([refusing.label, closed.label, good.label], { timeoutMs: 3000 });
    const started = performance.now();
    const reply = (await fwd.forward(contextFor(encodeQuery('next.test', 1)))).response;
    assert.equal(rcodeOf(reply), 0);
    assert.ok(performance.now() - started < 500, 'port unreachable is not a timeout');
  });
});

import dgram from 'node:dgram';
function dgramSocket(): dgram.Socket { return dgram.createSocket('udp4'); }
