import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { startDaemon, tempDir } from '../helpers/daemon.js';
import { dig } from '../helpers/dig.js';

/**
 * The whole camera story through the real daemon: the camera asks DNS for its hard-coded NTP
 * host, gets the router's address, and a real NTP client (chronyd, query-only) accepts the time
 * served there.
 */
test('an NTP name resolves to camshim and chronyd accepts the time camshim serves there', async () => {
  const daemon = await startDaemon(['--listen', '127.0.0.1']);
  try {
    const ntpStart = await daemon.waitForLog((line) => line.module === 'ntp' && Array.isArray(line.listen), 3000, 0);
    const ntpPort = Number(/:(\d+)$/.exec((ntpStart.listen as string[])[0]!)![1]);
    const resolved = await dig('dig', '127.0.0.1', daemon.port('udp', 4), ['+short', '0.amazon.pool.ntp.org', 'A']);
    const address = resolved.raw.trim();
    assert.equal(address, '127.0.0.1');

    const dir = await tempDir();
    await chmod(dir, 0o777); // chronyd drops privileges before removing its pid file
    const output = await new Promise<string>((resolve, reject) => {
      execFile('chronyd', ['-Q', '-d', '-t', '10', `pidfile ${path.join(dir, 'chronyd.pid')}`, 'cmdport 0', 'bindcmdaddress /', `server ${address} port ${ntpPort} iburst maxsamples 4`],
        { timeout: 20_000 }, (error, stdout, stderr) => {
          if (error && (error as NodeJS.ErrnoException).code === 'ENOENT') { reject(new Error('chronyd is not installed: apt-get install chrony (or run .ci/run)')); return; }
          resolve(`${stdout}${stderr}`);
        });
    });
    const offset = /System clock wrong by (-?[\d.]+) seconds/.exec(output);
    assert.ok(offset, `chronyd did not accept camshim's time:\n${output}`);
    assert.ok(Math.abs(Number(offset[1])) < 0.001, `offset ${offset[1]} s`);
    await daemon.waitForLog((line) => line.msg === 'new NTP client' && line.client === '127.0.0.1', 2000, 0);
  } finally {
    await daemon.stop();
  }
  const stop = daemon.logs.find((line) => line.event === 'stop') as { ntp: { served: number; state: string } };
  assert.ok(stop.ntp.served >= 1);
});

test('ntp.enabled: false starts no NTP server', async () => {
  const dir = await tempDir({ 'c.yaml': 'ntp:\n  enabled: false\n' });
  const daemon = await startDaemon(['--config', path.join(dir, 'c.yaml')]);
  await daemon.stop();
  assert.ok(!daemon.logs.some((line) => line.module === 'ntp'));
});
