/**
 * Fair scheduling on a real socket: a client that floods the daemon does not hold a quiet
 * client's query behind its own. The flood's datagrams reach the socket first, yet the quiet
 * client's answer comes back while most of the flood still waits for its answers; and every
 * flooding query is still answered.
 */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import path from 'node:path';
import { test } from 'node:test';
import { QType } from '../../src/wire/constants.js';
import { encodeQuery } from '../../src/wire/encode-query.js';
import { startDaemon, tempDir } from '../helpers/daemon.js';

// Below the per-client queue bound (1024): a flood this size is queued whole, none of it dropped.
const FLOOD = 800;

test('a flood from one client does not delay a quiet client; the flood is still answered in full', async () => {
  const dir = await tempDir({ 'vendor.list': 'cloud.vendor.example\n' });
  const daemon = await startDaemon(['--blocklist', path.join(dir, 'vendor.list'), '--listen', '127.0.0.1']);
  const flood = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 * 1024 * 1024 });
  const quiet = dgram.createSocket('udp4');
  try {
    const port = daemon.port('udp', 4);
    let floodAnswers = 0;
    let floodAnswersWhenQuietAnswered = -1;
    const allFloodAnswered = new Promise<void>((resolve) => {
      flood.on('message', () => { if (++floodAnswers === FLOOD) resolve(); });
    });
    const quietAnswered = new Promise<void>((resolve) => {
      quiet.on('message', () => { floodAnswersWhenQuietAnswered = floodAnswers; resolve(); });
    });
    await new Promise<void>((resolve) => flood.bind(0, '127.0.0.1', resolve));
    // The quiet client is another source address on loopback (127.0.0.0/8 is all local), so the daemon sees another client.
    await new Promise<void>((resolve) => quiet.bind(0, '127.0.0.2', resolve));
    // The whole flood goes out before the quiet query: it reaches the socket first.
    for (let index = 0; index < FLOOD; index++) flood.send(encodeQuery(`q${index}.cloud.vendor.example`, QType.A, { id: index }), port, '127.0.0.1');
    quiet.send(encodeQuery('quiet.cloud.vendor.example', QType.A, { id: 1 }), port, '127.0.0.1');
    const deadline = (ms: number, what: string): Promise<never> => new Promise((_, reject) => setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms).unref());
    await Promise.race([quietAnswered, deadline(10_000, 'no answer to the quiet client')]);
    await Promise.race([allFloodAnswered, deadline(20_000, `only ${floodAnswers}/${FLOOD} flood answers`)]);
    console.log(`# quiet client answered after ${floodAnswersWhenQuietAnswered} of ${FLOOD} flood answers`);
    assert.ok(floodAnswersWhenQuietAnswered < FLOOD / 2, `the quiet client waited for ${floodAnswersWhenQuietAnswered} flood answers`);
    assert.equal(floodAnswers, FLOOD);
  } finally {
    flood.close();
    quiet.close();
    assert.equal(await daemon.stop(), 0);
  }
});
