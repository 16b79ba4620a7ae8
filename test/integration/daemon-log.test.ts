import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import { MAIN, runCli, startDaemon, stopChild, tempDir } from '../helpers/daemon.js';
import { queriesFrom } from '../helpers/loopback-queries.js';

const LIST = 'cloud.vendor.example\n';

/** The daemon on loopback, ephemeral ports, its stdout a pipe; resolves once `ready` matches all its stdout so far. */
async function spawnDaemon(args: readonly string[], ready: RegExp): Promise<{ child: ChildProcess; stdout: () => string; match: RegExpExecArray; stop: () => Promise<number | null> }> {
  const child = spawn(process.execPath, [MAIN, 'serve', '--listen', '127.0.0.1', '--dns-port', '0', '--ntp-port', '0', '--resolv-conf', '/dev/null', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CAMSHIM_TEST_EPHEMERAL_PORTS: '1', NO_COLOR: '' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk; });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  const stop = (): Promise<number | null> => stopChild(child, exited);
  const match = await waitFor(() => ready.exec(stdout) ?? undefined, 10_000, () => `stdout: ${stdout}\nstderr: ${stderr}`);
  return { child, stdout: () => stdout, match, stop };
}

/** Polls `probe` every 20 ms until it gives a value, for at most `timeoutMs`. */
async function waitFor<T>(probe: () => T | undefined | Promise<T | undefined>, timeoutMs: number, context: () => string = () => ''): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms ${context()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('log format', () => {
  test('--log-format pretty writes one readable line per event, without colour into a pipe', async () => {
    const dir = await tempDir({ 'vendor.list': LIST });
    const daemon = await spawnDaemon(['--blocklist', path.join(dir, 'vendor.list'), '--log-format', 'pretty'], /udp:\/\/127\.0\.0\.1:(\d+)/);
    try {
      const port = Number(daemon.match[1]);
      assert.equal(await queriesFrom('127.0.0.2', port, ['dev.cloud.vendor.example']), 1);
      const line = await waitFor(() => daemon.stdout().split('\n').find((text) => text.includes('sinkhole') && text.includes('dev.cloud.vendor.example')), 5000);
      assert.match(line, /^\d\d:\d\d:\d\d\.\d{3} INFO  sinkhole 127\.0\.0\.2 {2}dev\.cloud\.vendor\.example A -> NXDOMAIN {2}vendor:cloud\.vendor\.example/);
    } finally {
      assert.equal(await daemon.stop(), 0);
    }
    const lines = daemon.stdout().trimEnd().split('\n');
    assert.ok(lines.some((text) => text.includes('start: camshim started')), daemon.stdout());
    assert.ok(lines.every((text) => !text.startsWith('{')), 'no JSON line');
    assert.ok(!daemon.stdout().includes('\u001b['), 'no colour codes into a pipe');
  });

  test('auto (the default) writes JSON lines into a pipe, and the start line says where the log goes', async () => {
    const daemon = await startDaemon([]);
    try {
      const start = daemon.logs.find((line) => line.event === 'start') as { log: { output: string; stormWindowSeconds: number } };
      assert.equal(start.log.output, 'stdout, json');
      assert.equal(start.log.stormWindowSeconds, 60);
      assert.ok(daemon.logs.every((line) => line.unparsed === undefined), 'every line is JSON');
    } finally {
      await daemon.stop();
    }
  });

  test('a bad --log-format is a usage error naming the flag', async () => {
    const result = await runCli(['serve', '--log-format', 'fancy', '--dns-port', '0']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--log-format: expected one of "auto", "json", "pretty", got "fancy"/);
  });
});

describe('storm window settings', () => {
  test('log.stormWindowSeconds: a short window writes its storm line when it closes, while the daemon runs', async () => {
    const dir = await tempDir({ 'vendor.list': LIST, 'c.yaml': 'log:\n  stormWindowSeconds: 1\n  stormMaxWindows: 5\n' });
    const daemon = await startDaemon(['--config', path.join(dir, 'c.yaml'), '--blocklist', path.join(dir, 'vendor.list')]);
    try {
      assert.equal(await queriesFrom('127.0.0.2', daemon.port('udp', 4), Array.from({ length: 20 }, () => 'dev.cloud.vendor.example')), 20);
      const storm = await daemon.waitForLog((line) => line.event === 'storm' && line.client === '127.0.0.2', 5000, 0);
      assert.ok(typeof storm.count === 'number' && storm.count >= 1 && storm.count <= 19);
      // Every query is counted once: the window's first line, its repeats, and any later window.
      await daemon.stop();
      const lines = daemon.logs.filter((line) => line.client === '127.0.0.2');
      const total = lines.reduce((sum, line) => sum + (line.event === 'storm' ? line.count as number : line.event === 'sinkhole' ? 1 : 0), 0);
      assert.equal(total, 20);
    } finally {
      await daemon.stop();
    }
  });

  test('log.stormWindowSeconds: 0 writes every query as its own line', async () => {
    const dir = await tempDir({ 'vendor.list': LIST, 'c.yaml': 'log:\n  stormWindowSeconds: 0\n' });
    const daemon = await startDaemon(['--config', path.join(dir, 'c.yaml'), '--blocklist', path.join(dir, 'vendor.list')]);
    assert.equal(await queriesFrom('127.0.0.2', daemon.port('udp', 4), Array.from({ length: 12 }, () => 'dev.cloud.vendor.example')), 12);
    assert.equal(await daemon.stop(), 0);
    assert.equal(daemon.logs.filter((line) => line.event === 'sinkhole' && line.client === '127.0.0.2').length, 12);
    assert.equal(daemon.logs.filter((line) => line.event === 'storm').length, 0);
  });

  test('log.stormMaxWindows: when the table is full the oldest window is written early', async () => {
    const dir = await tempDir({ 'vendor.list': LIST, 'c.yaml': 'log:\n  stormMaxWindows: 1\n' });
    const daemon = await startDaemon(['--config', path.join(dir, 'c.yaml'), '--blocklist', path.join(dir, 'vendor.list')]);
    try {
      // a, a, b: b needs a window, so a's (one repeat) is closed and written at once.
      assert.equal(await queriesFrom('127.0.0.2', daemon.port('udp', 4), ['a.cloud.vendor.example', 'a.cloud.vendor.example', 'b.cloud.vendor.example']), 3);
      const storm = await daemon.waitForLog((line) => line.event === 'storm' && line.name === 'a.cloud.vendor.example', 3000, 0);
      assert.equal(storm.count, 1);
    } finally {
      await daemon.stop();
    }
  });
});

describe('log file with rotation', () => {
  test('log.file rotates by size into numbered files, and camshim report reads the rotated set', async () => {
    const dir = await tempDir({
      'vendor.list': LIST,
      'c.yaml': 'log:\n  stormWindowSeconds: 0\n  file:\n    path: logs/camshim.log\n    size: 2k\n    keep: 50\n',
    });
    const logDir = path.join(dir, 'logs');
    const logFiles = async (): Promise<string[]> => (await readdir(logDir).catch(() => [] as string[])).filter((name) => /^camshim\.\d+\.log$/.test(name))
      .sort((a, b) => Number(a.split('.')[1]) - Number(b.split('.')[1])).map((name) => path.join(logDir, name));
    const readAll = async (): Promise<string> => (await Promise.all((await logFiles()).map((file) => readFile(file, 'utf8')))).join('');
    const daemon = await spawnDaemon(['--config', path.join(dir, 'c.yaml'), '--blocklist', path.join(dir, 'vendor.list')], /^/);
    let port: number;
    try {
      port = await waitFor(async () => {
        const found = /"listen":\["udp:\/\/127\.0\.0\.1:(\d+)"/.exec(await readAll());
        return found === null ? undefined : Number(found[1]);
      }, 10_000);
      const names = Array.from({ length: 60 }, (_, i) => `host${i}.cloud.vendor.example`);
      assert.equal(await queriesFrom('127.0.0.2', port, names), 60);
      await waitFor(async () => ((await readAll()).match(/"event":"sinkhole"/g)?.length === 60 ? true : undefined), 5000);
    } finally {
      assert.equal(await daemon.stop(), 0);
    }
    assert.equal(daemon.stdout(), '', 'nothing on stdout when logging to a file');
    const files = await logFiles();
    assert.ok(files.length >= 3, `rotated into several files: ${files.join(', ')}`);
    // pino-roll starts the next file once the size is reached and the pending writes have gone
    // out, so a file's size is near `size`, not exact (past it while lines keep coming); it always
    // ends on a whole line.
    for (const file of files.slice(0, -1)) {
      const text = await readFile(file, 'utf8');
      assert.ok(text.endsWith('\n'), `${file}: whole lines`);
      for (const line of text.trimEnd().split('\n')) assert.equal(typeof JSON.parse(line), 'object');
    }
    const report = await runCli(['report', '--format', 'json', '--top', '100', ...files]);
    assert.equal(report.code, 0, report.stderr);
    const result = JSON.parse(report.stdout) as { sinkholed: { name: string; attempts: number }[] };
    assert.equal(result.sinkholed.length, 60);
    assert.equal(result.sinkholed.reduce((sum, row) => sum + row.attempts, 0), 60);
  });

  test('log.file cannot be combined with several workers', async () => {
    const dir = await tempDir({ 'c.yaml': 'dns:\n  workers: 2\nlog:\n  file:\n    path: camshim.log\n' });
    const result = await runCli(['check', '--config', path.join(dir, 'c.yaml')]);
    assert.notEqual(result.code, 0);
    assert.match(result.stdout + result.stderr, /log\.file: a log file cannot be combined with dns\.workers above 1/);
  });
});

describe('client directory', () => {
  test('a lease file change names a new client at once; SIGHUP applies a new clients: map', async () => {
    const dir = await tempDir({
      'vendor.list': LIST,
      'leases': '0 5c:e9:31:aa:bb:05 127.0.0.5 porch-cam *\n',
      'c.yaml': 'clients:\n  "127.0.0.2": cam-a\nclientDirectory:\n  leases: [leases]\n  neighbours: false\n',
    });
    const daemon = await startDaemon(['--config', path.join(dir, 'c.yaml'), '--blocklist', path.join(dir, 'vendor.list')]);
    try {
      const port = daemon.port('udp', 4);
      const lineFor = (client: string, name: string): Promise<Record<string, unknown>> =>
        daemon.waitForLog((line) => line.event === 'sinkhole' && line.client === client && line.name === name, 3000, 0);
      assert.equal(await queriesFrom('127.0.0.2', port, ['one.cloud.vendor.example']), 1);
      assert.equal((await lineFor('127.0.0.2', 'one.cloud.vendor.example')).host, 'cam-a');
      assert.equal(await queriesFrom('127.0.0.6', port, ['one.cloud.vendor.example']), 1);
      assert.equal((await lineFor('127.0.0.6', 'one.cloud.vendor.example')).host, undefined);

      // dnsmasq rewrites its lease file when it hands out a lease: the directory notices by itself.
      await writeFile(path.join(dir, 'leases'), '0 5c:e9:31:aa:bb:05 127.0.0.5 porch-cam *\n0 5c:e9:31:aa:bb:06 127.0.0.6 side-cam *\n');
      const named = await waitFor(async () => {
        const name = `n${Date.now()}.cloud.vendor.example`;
        await queriesFrom('127.0.0.6', port, [name]);
        const line = await lineFor('127.0.0.6', name);
        return line.host === 'side-cam' ? line : undefined;
      }, 5000);
      assert.equal(named.mac, '5c:e9:31:aa:bb:06');

      await writeFile(path.join(dir, 'c.yaml'), 'clients:\n  "127.0.0.2": cam-b\nclientDirectory:\n  leases: [leases]\n  neighbours: false\n');
      const since = daemon.logs.length;
      daemon.process.kill('SIGHUP');
      await daemon.waitForLog((line) => line.event === 'reload' && line.applied === true, 10_000, since);
      assert.equal(await queriesFrom('127.0.0.2', port, ['two.cloud.vendor.example']), 1);
      assert.equal((await lineFor('127.0.0.2', 'two.cloud.vendor.example')).host, 'cam-b');
    } finally {
      assert.equal(await daemon.stop(), 0);
    }
  });
});
