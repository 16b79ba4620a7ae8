import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { QType } from '../../src/wire/constants.js';
import { encodeQuery } from '../../src/wire/encode-query.js';
import { startDaemon, tempDir } from '../helpers/daemon.js';

const NAMES = 800_000;

test('a reload of a big list is built off the main thread: answers keep coming while it builds', { timeout: 60_000 }, async () => {
  const dir = await tempDir({
    'config.yaml': 'dns:\n  tcp: { enabled: false }\nlists:\n  bundled: false\n  sources: [{ path: big.list }]\n  cache: { enabled: false }\n'
      + 'defaultGroup: { unlisted: nxdomain }\nntp: { enabled: false }\nlog: { level: warn }\n',
  });
  const names: string[] = [];
  for (let i = 0; i < NAMES; i++) names.push(`h${i.toString(36)}.cloud${i % 977}.vendor-example.com`);
  await writeFile(path.join(dir, 'big.list'), `${names.join('\n')}\n`);
  const daemon = await startDaemon(['--config', path.join(dir, 'config.yaml'), '--listen', '127.0.0.1', '--dns-port', '0', '--log-level', 'info'], { timeoutMs: 30_000 });
  const socket = dgram.createSocket('udp4');
  try {
    const port = daemon.port('udp', 4);
    const arrivals: number[] = [];
    socket.on('message', () => arrivals.push(performance.now()));
    const query = encodeQuery('probe.example', QType.A, { id: 7 });
    // A query every 5 ms from before the reload to after it.
    const sender = setInterval(() => socket.send(query, port, '127.0.0.1'), 5);
    try {
      await new Promise((resolve) => setTimeout(resolve, 200));
      const mark = daemon.logs.length;
      const signalled = performance.now();
      daemon.process.kill('SIGHUP');
      const reload = await daemon.waitForLog((line) => line.event === 'reload', 30_000, mark);
      const reloaded = performance.now();
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(reload.applied, true);
      assert.ok(Number(reload.rules) >= NAMES, `${String(reload.rules)} rules`);
      const during = arrivals.filter((at) => at >= signalled && at <= reloaded);
      let longestGap = 0;
      for (let i = 1; i < during.length; i++) longestGap = Math.max(longestGap, during[i]! - during[i - 1]!);
      longestGap = Math.max(longestGap, (during[0] ?? reloaded) - signalled, reloaded - (during.at(-1) ?? signalled));
      // On the main thread the scan and layout of 800,000 names is one stretch of most of the
      // reload in which nothing is answered; off it, answers keep their 5 ms pace.
      assert.ok(Number(reload.ms) >= 100, `the reload took ${String(reload.ms)} ms: too little to tell`);
      assert.ok(longestGap < Number(reload.ms) / 2, `no answer for ${Math.round(longestGap)} ms of a ${String(reload.ms)} ms reload`);
    } finally {
      clearInterval(sender);
    }
  } finally {
    socket.close();
    await daemon.stop();
  }
});
