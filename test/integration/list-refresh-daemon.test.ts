import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { QType } from '../../src/wire/constants.js';
import { encodeQuery } from '../../src/wire/encode-query.js';
import { runCli, startDaemon, tempDir } from '../helpers/daemon.js';
import { startListServer } from '../helpers/list-server.js';

const NXDOMAIN = 3;
const REFUSED = 5;
const SERVFAIL = 2;

/** One query, its rcode (or undefined on no answer within a second). */
async function rcodeOf(port: number, name: string): Promise<number | undefined> {
  const socket = dgram.createSocket('udp4');
  try {
    return await new Promise<number | undefined>((resolve) => {
      const timer = setTimeout(() => resolve(undefined), 1000);
      socket.once('message', (message) => { clearTimeout(timer); resolve(message[3]! & 0x0f); });
      socket.send(encodeQuery(name, QType.A, { id: 42 }), port, '127.0.0.1');
    });
  } finally {
    socket.close();
  }
}

/**
 * Queries in a loop at a few thousand a second (bounded by count and by stop()), and records
 * every answer: a swap that dropped or failed a query shows as a missing id or a SERVFAIL.
 */
function queryLoop(port: number, names: readonly string[], limit = 60_000): { stop: () => Promise<{ sent: number; answered: number; servfail: number; maxGapMs: number }> } {
  const socket = dgram.createSocket('udp4');
  const answered = new Set<number>();
  let sent = 0;
  let servfail = 0;
  let last = performance.now();
  let maxGapMs = 0;
  socket.on('message', (message) => {
    const now = performance.now();
    maxGapMs = Math.max(maxGapMs, now - last);
    last = now;
    answered.add(message.readUInt16BE(0));
    if ((message[3]! & 0x0f) === SERVFAIL) servfail++;
  });
  // 15 queries every 5 ms: about 3000 a second.
  const timer = setInterval(() => {
    for (let i = 0; i < 15 && sent < limit; i++) {
      socket.send(encodeQuery(names[sent % names.length]!, QType.A, { id: sent % 65536 }), port, '127.0.0.1');
      sent++;
    }
  }, 5);
  return {
    async stop() {
      clearInterval(timer);
      await new Promise((resolve) => setTimeout(resolve, 300));
      socket.close();
      // Ids wrap at 65536: the loop stays below that, so each id is one query.
      return { sent, answered: answered.size, servfail, maxGapMs };
    },
  };
}

/** Names that keep the list long enough for the shrink check to mean something. */
const FILLER = Array.from({ length: 8 }, (_, i) => `other${i + 1}.vendor.example`).join('\n');

const CONFIG = (url: string): string => [
  'dns:', '  tcp: { enabled: false }',
  'lists:', '  bundled: false', '  cache: { enabled: false }', '  remote: { retries: 0, maxBytes: 1048576 }',
  '  sources:', `    - url: ${url}`, '      name: cams',
  'defaultGroup: { unlisted: refuse }', 'ntp: { enabled: false }', '',
].join('\n');

test('lists update + SIGHUP: the daemon answers from the new list, no query fails during the swap, bad downloads leave the old list', { timeout: 90_000 }, async () => {
  const server = await startListServer({ '/cams': { body: `# cams\nalpha.vendor.example\n${FILLER}\n` } });
  const dir = await tempDir({ 'config.yaml': CONFIG(`${server.base}/cams`) });
  const config = path.join(dir, 'config.yaml');
  const stateDir = path.join(dir, 'state');
  const pidFile = path.join(dir, 'camshim.pid');
  const update = (...extra: string[]) => runCli(['lists', 'update', '--config', config, '--state-dir', stateDir, ...extra], { timeoutMs: 30_000 });
  assert.equal((await update()).code, 0);
  const daemon = await startDaemon(['--config', config, '--state-dir', stateDir, '--pid-file', pidFile, '--listen', '127.0.0.1', '--log-level', 'info']);
  try {
    const port = daemon.port('udp', 4);
    // The pid file follows the start line by a moment.
    let pidText = '';
    for (let i = 0; i < 40 && pidText === ''; i++) {
      pidText = await readFile(pidFile, 'utf8').catch(() => '');
      if (pidText === '') await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal(Number(pidText.trim()), daemon.process.pid);
    assert.equal(await rcodeOf(port, 'alpha.vendor.example'), NXDOMAIN);
    assert.equal(await rcodeOf(port, 'beta.vendor.example'), REFUSED);

    const loop = queryLoop(port, ['alpha.vendor.example', 'beta.vendor.example', 'x.other1.vendor.example']);
    await new Promise((resolve) => setTimeout(resolve, 300));
    server.set('/cams', { body: `# cams\nbeta.vendor.example\n${FILLER}\n` });
    const mark = daemon.logs.length;
    const updated = await update('--pid-file', pidFile);
    assert.equal(updated.code, 0, updated.stdout + updated.stderr);
    assert.match(updated.stdout, new RegExp(`sent SIGHUP to camshim \\(pid ${daemon.process.pid}\\)`));
    const reload = await daemon.waitForLog((line) => line.event === 'reload', 20_000, mark);
    assert.equal(reload.applied, true);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const traffic = await loop.stop();
    assert.ok(traffic.sent >= 1000, `${traffic.sent} queries sent`);
    assert.equal(traffic.servfail, 0);
    assert.equal(traffic.answered, traffic.sent, `${traffic.sent - traffic.answered} of ${traffic.sent} queries unanswered`);
    assert.ok(traffic.maxGapMs < 250, `answers stopped for ${Math.round(traffic.maxGapMs)} ms`);
    assert.equal(await rcodeOf(port, 'beta.vendor.example'), NXDOMAIN);
    assert.equal(await rcodeOf(port, 'alpha.vendor.example'), REFUSED);

    // Every bad download fails the update (exit 1), signals nothing, and a reload keeps beta blocked.
    const bad: [string, Parameters<typeof server.set>[1]][] = [
      ['html', { body: '<html><body>Service Unavailable</body></html>', contentType: 'text/html' }],
      ['empty', { body: '' }],
      ['failing', { status: 503, body: 'down' }],
      ['shrunken', { body: '# cams\nbeta.vendor.example\n' }],
      ['oversized', { body: `# cams\n${'x'.repeat(2 * 1024 * 1024)}\n` }],
    ];
    for (const [label, route] of bad) {
      server.set('/cams', route);
      const failed = await update('--pid-file', pidFile);
      assert.equal(failed.code, 1, `${label}: ${failed.stdout}`);
      assert.doesNotMatch(failed.stdout, /SIGHUP/, label);
      const before = daemon.logs.length;
      const downloads = server.hits.get('/cams');
      daemon.process.kill('SIGHUP');
      assert.equal((await daemon.waitForLog((line) => line.event === 'reload', 20_000, before)).applied, true, label);
      assert.equal(server.hits.get('/cams'), downloads, `${label}: a reload reads the cached copy and never downloads`);
      assert.equal(await rcodeOf(port, 'beta.vendor.example'), NXDOMAIN, label);
    }
  } finally {
    await daemon.stop();
    await server.close();
  }
  await assert.rejects(readFile(pidFile), /ENOENT/, 'the pid file is removed on stop');
});

test('the daemon starts without a download, then fetches a new URL source itself and serves it', { timeout: 60_000 }, async () => {
  const server = await startListServer({ '/new': { body: '# new\ngamma.vendor.example\n', delayMs: 300 } });
  const dir = await tempDir({ 'config.yaml': CONFIG(`${server.base}/new`) });
  const daemon = await startDaemon(['--config', path.join(dir, 'config.yaml'), '--state-dir', path.join(dir, 'state'), '--listen', '127.0.0.1', '--log-level', 'info']);
  try {
    const port = daemon.port('udp', 4);
    assert.ok(daemon.logs.some((line) => (line.problem as { code?: string } | undefined)?.code === 'LIST_NOT_FETCHED'), 'the missing download is reported');
    assert.equal(await rcodeOf(port, 'gamma.vendor.example'), REFUSED);
    const refreshed = await daemon.waitForLog((line) => line.event === 'list-refresh', 20_000, 0);
    assert.equal(refreshed.outcome, 'changed');
    assert.equal((await daemon.waitForLog((line) => line.event === 'reload', 20_000, 0)).applied, true);
    assert.equal(await rcodeOf(port, 'gamma.vendor.example'), NXDOMAIN);
  } finally {
    await daemon.stop();
    await server.close();
  }
});
