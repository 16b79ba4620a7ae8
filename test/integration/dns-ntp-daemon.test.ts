import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { chmod, rm } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { PROJECT_ROOT, startDaemon, tempDir, type RunningDaemon } from '../helpers/daemon.js';
import { dig } from '../helpers/dig.js';
import { enterNet, inPrivateNet, privateNetUnavailable } from '../helpers/netns.js';

/**
 * The whole camera story through the real daemon: the camera asks DNS for its hard-coded NTP
 * host, gets the router's address, and a real NTP client (chronyd, query-only) accepts the time
 * served there.
 */
test('an NTP name resolves to camshim and chronyd accepts the time camshim serves there', async () => {
  const daemon = await startDaemon(['--listen', '127.0.0.1']);
  try {
    const ntpPort = await ntpPortOf(daemon);
    const resolved = await dig('dig', '127.0.0.1', daemon.port('udp', 4), ['+short', '0.amazon.pool.ntp.org', 'A']);
    const address = resolved.raw.trim();
    assert.equal(address, '127.0.0.1');

    const dir = await tempDir();
    await chmod(dir, 0o777); // chronyd drops privileges before removing its pid file
    try {
      await offsetWithin1ms('chronyd -Q via the daemon', async () => {
        const output = await runTool('chronyd', ['-Q', '-d', '-t', '10', `pidfile ${path.join(dir, 'chronyd.pid')}`, 'cmdport 0', 'bindcmdaddress /', `server ${address} port ${ntpPort} iburst maxsamples 4`], 20_000);
        const offset = /System clock wrong by (-?[\d.]+) seconds/.exec(output);
        assert.ok(offset, `chronyd did not accept camshim's time:\n${output}`);
        return Number(offset[1]);
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
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

const BUSYBOX = path.join(PROJECT_ROOT, '.cache', 'busybox-ntpd', 'busybox');

function runTool(file: string, args: readonly string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: timeoutMs }, (error, stdout, stderr) => {
      if (error && (error as NodeJS.ErrnoException).code === 'ENOENT') { reject(new Error(`${file} is not installed (run .ci/install-test-deps.sh as root)`)); return; }
      resolve(`${stdout}${stderr}`);
    });
  });
}

function ntpPortOf(daemon: RunningDaemon): Promise<number> {
  return daemon.waitForLog((line) => line.event === 'start', 3000, 0)
    .then((line) => Number(/:(\d+)$/.exec((line.ntpListen as string[])[0]!)![1]));
}

/**
 * A wake-up delay on a busy machine can push one sample past 1 ms; a rejected reply fails at once, only the
 * offset bound gets up to three tries (each printed).
 */
async function offsetWithin1ms(label: string, measure: () => Promise<number>): Promise<void> {
  const seen: number[] = [];
  for (let attempt = 0; attempt < 3; attempt++) {
    const offset = await measure();
    seen.push(offset);
    console.log(`# ${label}: offset ${(offset * 1e6).toFixed(0)} µs`);
    if (Math.abs(offset) < 0.001) return;
  }
  assert.fail(`${label}: offsets ${seen.join(', ')} s, none within 1 ms`);
}

test('busybox ntpd (the SNTP client inside many cameras) accepts the daemon\'s time', async () => {
  try { accessSync(BUSYBOX, constants.X_OK); } catch { assert.fail(`${BUSYBOX} missing: build it with .ci/build-busybox-ntpd.sh`); }
  const daemon = await startDaemon(['--listen', '127.0.0.1']);
  try {
    const port = await ntpPortOf(daemon);
    await offsetWithin1ms('busybox ntpd via the daemon', async () => {
      const output = await runTool(BUSYBOX, ['ntpd', '-d', '-n', '-q', '-w', '-p', `127.0.0.1:${port}`], 8000);
      assert.doesNotMatch(output, /unsynced|KoD|kiss/i);
      const samples = [...output.matchAll(/reply from [^:]+: offset:([+-]?\d+\.\d+) delay:(\d+\.\d+)/g)].map((m) => ({ offset: Number(m[1]), delay: Number(m[2]) }));
      assert.ok(samples.length > 0, `busybox got no usable reply:\n${output}`);
      // The lowest-delay sample, as NTP's clock filter would pick.
      return samples.reduce((a, b) => (b.delay < a.delay ? b : a)).offset;
    });
  } finally {
    await daemon.stop();
  }
});

test('ntpdig (port 123 only) accepts the daemon\'s time over IPv4 and IPv6, in a private network namespace', { skip: await privateNetUnavailable() ?? false }, async () => {
  // ntpdig speaks only to port 123: daemon and client share a namespace, so the host's port 123 stays free.
  const daemon = await startDaemon(['--listen', '127.0.0.1', '--listen', '::1', '--ntp-port', '123'], { wrap: inPrivateNet });
  try {
    assert.equal(await ntpPortOf(daemon), 123);
    for (const host of ['127.0.0.1', '::1']) {
      await offsetWithin1ms(`ntpdig ${host} via the daemon`, async () => {
        const output = await runTool(...enterNet(daemon.process.pid!, 'ntpdig', ['-t', '3', '-p', '4', host]), 15_000);
        const match = /\(\+?-?\d{4}\) ([+-]\d+\.\d+) \+\/- \d+\.\d+ \S+ s(\d+) (\S+)/.exec(output);
        assert.ok(match, `ntpdig did not accept the reply:\n${output}`);
        // This machine's clock is not synchronised, so camshim serves it as a local clock (stratum 10).
        assert.ok(['3', '10'].includes(match[2]!), `stratum ${match[2]}`);
        return Number(match[1]);
      });
    }
  } finally {
    await daemon.stop();
  }
});
