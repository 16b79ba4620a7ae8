import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { QType } from '../../src/wire/constants.js';
import { encodeQuery } from '../../src/wire/encode-query.js';
import { runCli, startDaemon, tempDir } from '../helpers/daemon.js';

/** Sends `count` queries for `name` from the loopback address `from`, one after another, each answered. */
async function queriesFrom(from: string, port: number, names: readonly string[]): Promise<number> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind({ address: from, port: 0 }, resolve));
  let answered = 0;
  try {
    for (const [index, name] of names.entries()) {
      const reply = await new Promise<Buffer | null>((resolve) => {
        const timer = setTimeout(() => { socket.off('message', onMessage); resolve(null); }, 1000);
        const onMessage = (message: Buffer): void => { clearTimeout(timer); socket.off('message', onMessage); resolve(message); };
        socket.on('message', onMessage);
        socket.send(encodeQuery(name, QType.A, { id: index & 0xffff }), port, '127.0.0.1');
      });
      if (reply !== null) answered++;
    }
  } finally {
    socket.close();
  }
  return answered;
}

test('the daemon\'s own log, storms collapsed, reports the exact counts per name and client', async () => {
  const dir = await tempDir({ 'vendor.list': 'cloud.vendor.example\np2p.other.example\n' });
  const daemon = await startDaemon(['--blocklist', path.join(dir, 'vendor.list'), '--listen', '127.0.0.1', '--ntp-port', '0']);
  const port = daemon.port('udp', 4);
  // .2 storms one name; .3 asks five names twice; .1 asks an NTP name.
  assert.equal(await queriesFrom('127.0.0.2', port, Array.from({ length: 300 }, () => 'dev.cloud.vendor.example')), 300);
  assert.equal(await queriesFrom('127.0.0.3', port, Array.from({ length: 10 }, (_, i) => `n${i % 5}.p2p.other.example`)), 10);
  assert.equal(await queriesFrom('127.0.0.1', port, ['pool.ntp.org']), 1);
  assert.equal(await daemon.stop(), 0);
  const lines = daemon.logs.filter((line) => line.service === 'camshim');
  const stormLines = lines.filter((line) => line.event === 'storm' && line.client === '127.0.0.2');
  const firstLines = lines.filter((line) => line.event === 'sinkhole' && line.client === '127.0.0.2');
  assert.equal(firstLines.length, 1, 'one line for the first query of the storm');
  assert.equal(stormLines.length, 1, 'one summary line, written at shutdown');
  assert.equal(stormLines[0]!.count, 299);
  assert.equal(stormLines[0]!.v, 1);
  const file = path.join(dir, 'camshim.log');
  await writeFile(file, `${daemon.logs.map((line) => JSON.stringify(line)).join('\n')}\n`);
  const report = await runCli(['report', '--format', 'json', file]);
  assert.equal(report.code, 0, report.stderr);
  const result = JSON.parse(report.stdout) as { sinkholed: { name: string; attempts: number; clients: number }[]; clients: { client: string; sinkholed: number; redirected: number }[]; redirected: { name: string }[] };
  assert.deepEqual(result.sinkholed.map((row) => [row.name, row.attempts, row.clients]), [
    ['dev.cloud.vendor.example', 300, 1],
    ...[0, 1, 2, 3, 4].map((i) => [`n${i}.p2p.other.example`, 2, 1]),
  ]);
  assert.deepEqual(result.clients.map((row) => [row.client, row.sinkholed, row.redirected]), [['127.0.0.2', 300, 0], ['127.0.0.3', 10, 0], ['127.0.0.1', 0, 1]]);
  assert.deepEqual(result.redirected.map((row) => row.name), ['pool.ntp.org']);
});
