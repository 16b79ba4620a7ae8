import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { QType } from '../../src/wire/constants.js';
import { encodeQuery } from '../../src/wire/encode-query.js';
import { notifyReady } from '../../src/service/ready-notify.js';
import { startDaemon, tempDir } from '../helpers/daemon.js';
import { udpExchange } from '../helpers/udp.js';
import { fakeNotifySocket } from './notify-socket.js';

const CONFIG = `
lists:
  bundled: false
  sources: [{ path: vendor.list }]
defaultGroup: { lists: ["*"], unlisted: nxdomain }
dns: { tcp: { enabled: false } }
`;

function have(command: string): boolean {
  try { execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }); return true; } catch { return false; }
}
const missing = ['systemd-notify', 'python3'].filter((command) => !have(command));
const skip = missing.length > 0 ? `needs ${missing.join(' and ')}` : false;

test('notifyReady runs nothing without NOTIFY_SOCKET', async () => {
  let ran = 0;
  const result = await notifyReady('x', { env: {}, run: async () => { ran++; return { ok: true, detail: '' }; } });
  assert.deepEqual(result, { sent: false, reason: 'no NOTIFY_SOCKET' });
  assert.equal(ran, 0);
});

test('notifyReady reports a failing systemd-notify', async () => {
  const result = await notifyReady('serving', { env: { NOTIFY_SOCKET: '/nonexistent/sock' }, pid: 42, run: async (command, args) => {
    assert.equal(command, 'systemd-notify');
    assert.deepEqual(args, ['--ready', '--pid=42', '--status=serving']);
    return { ok: false, detail: 'systemd-notify: exit 1' };
  } });
  assert.deepEqual(result, { sent: true, ok: false, detail: 'systemd-notify: exit 1' });
});

for (const workers of [1, 2]) {
  test(`serve --workers ${workers}: READY=1 with the main PID reaches NOTIFY_SOCKET once DNS answers`, { skip }, async () => {
    const dir = await tempDir({ 'vendor.list': 'cloud.vendor.example\n', 'config.yaml': CONFIG });
    const notify = await fakeNotifySocket(dir);
    const daemon = await startDaemon(['--config', path.join(dir, 'config.yaml'), '--listen', '127.0.0.1', '--ntp-port', '0', '--workers', String(workers)], {
      timeoutMs: 20_000, env: { NOTIFY_SOCKET: notify.path },
    });
    try {
      const ready = await notify.waitFor('READY=1', 20_000);
      assert.match(ready, new RegExp(`^MAINPID=${String(daemon.process.pid)}$`, 'm'), 'names the daemon (the primary with workers) as main PID');
      assert.match(ready, /^STATUS=serving DNS/m);
      if (workers > 1) {
        // Every worker had started before the primary said ready.
        assert.equal(daemon.logs.filter((line) => line.event === 'start').length, workers);
      }
      // Ready means answering: the first query after READY gets its answer.
      const reply = await udpExchange('127.0.0.1', daemon.port('udp', 4), encodeQuery('a.cloud.vendor.example', QType.A, { id: 7 }), 2000);
      assert.ok(reply !== null, 'DNS answers once READY=1 was sent');
      assert.equal(reply[3]! & 0x0f, 3);
      await daemon.waitForLog((line) => line.event === 'ready', 5000, 0);
      assert.equal(notify.messages.filter((m) => m.includes('READY=1')).length, 1, 'ready is said once');
    } finally {
      assert.equal(await daemon.stop(), 0);
      notify.close();
    }
  });
}

test('serve without NOTIFY_SOCKET sends nothing and logs no ready line', async () => {
  const dir = await tempDir({ 'vendor.list': 'cloud.vendor.example\n', 'config.yaml': CONFIG });
  const env = { ...process.env };
  delete env.NOTIFY_SOCKET;
  const daemon = await startDaemon(['--config', path.join(dir, 'config.yaml'), '--listen', '127.0.0.1'], { env });
  try {
    const reply = await udpExchange('127.0.0.1', daemon.port('udp', 4), encodeQuery('a.cloud.vendor.example', QType.A, { id: 8 }), 2000);
    assert.ok(reply !== null);
    assert.equal(daemon.logs.filter((line) => line.event === 'ready').length, 0);
  } finally {
    assert.equal(await daemon.stop(), 0);
  }
});

test('serve says READY=1 only once a listen address appears and DNS answers on it', { skip }, async (t) => {
  const { privateNetUnavailable, enterNet } = await import('../helpers/netns.js');
  const why = process.getuid?.() !== 0 ? 'needs root (lo is brought up from outside the namespace)' : await privateNetUnavailable();
  if (why !== null) { t.skip(why); return; }
  const dir = await tempDir({ 'vendor.list': 'cloud.vendor.example\n', 'config.yaml': CONFIG });
  const notify = await fakeNotifySocket(dir);
  // A namespace whose lo is still down: 127.0.0.1 is not on the "machine" yet.
  const daemon = await startDaemon(['--config', path.join(dir, 'config.yaml'), '--listen', '127.0.0.1'], {
    env: { NOTIFY_SOCKET: notify.path },
    wrap: (command, args) => ['unshare', ['-n', command, ...args]],
  });
  try {
    assert.deepEqual(daemon.endpoints, [], 'no DNS socket yet');
    await new Promise((resolve) => setTimeout(resolve, 2000));
    assert.equal(notify.messages.filter((m) => m.includes('READY=1')).length, 0, 'not ready while DNS cannot answer');
    const [command, args] = enterNet(daemon.process.pid!, 'ip', ['link', 'set', 'lo', 'up']);
    execFileSync(command, args);
    await daemon.waitForLog((line) => line.event === 'listen', 10_000, 0);
    await notify.waitFor('READY=1', 10_000);
  } finally {
    assert.equal(await daemon.stop(), 0);
    notify.close();
  }
});
