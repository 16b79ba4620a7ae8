/**
 * A cold start must not hand out a SERVFAIL that a warm daemon would not: DNS listens before the
 * upstreams are chosen and loop-probed, and queries that arrive in between wait for that.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeQuery } from '../../src/wire/encode-query.js';
import { startDaemon } from '../helpers/daemon.js';
import { udpExchange } from '../helpers/udp.js';
import { aRecord, fakeUpstream, freePort, makeReply } from './helpers.js';

test('queries sent in a tight loop from spawn get answers, never SERVFAIL, while the upstream is up', async () => {
  // An upstream that takes 300 ms to answer keeps the start-up loop probe (and so the window
  // between "listening" and "upstreams chosen") open long enough for queries to land in it.
  const upstream = await fakeUpstream((query, reply) => {
    setTimeout(() => reply(makeReply(query, { answers: [aRecord('192.0.2.1', 0)] })), 300).unref();
  });
  const port = await freePort();
  const pending: Promise<Buffer | null>[] = [];
  let started = false;
  const daemonPromise = startDaemon(['--listen', '127.0.0.1', '--dns-port', String(port), '--upstream', upstream.label]);
  void daemonPromise.then(() => { started = true; }, () => { started = true; });
  try {
    for (let i = 0; i < 500 && !started; i++) {
      pending.push(udpExchange('127.0.0.1', port, encodeQuery(`early${i}.example.test`, 1, { id: i }), 3000));
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const daemon = await daemonPromise;
    try {
      const replies = (await Promise.all(pending)).filter((reply): reply is Buffer => reply !== null);
      assert.ok(replies.length > 0, 'some queries reached the daemon before its start-up line');
      const rcodes = replies.map((reply) => reply[3]! & 0x0f);
      assert.deepEqual(rcodes.filter((rcode) => rcode !== 0), [], `every early query answered NOERROR (${replies.length} answered)`);
      assert.equal(await daemon.stop(), 0);
      const stop = daemon.logs.find((line) => line.event === 'stop')!;
      const waited = (stop.upstream as { waitedForStart: number }).waitedForStart;
      assert.ok(waited > 0, 'some queries arrived before the upstreams were chosen, and waited for them');
    } finally {
      await daemon.stop();
    }
  } finally {
    await upstream.close();
  }
});
