import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { PROJECT_ROOT } from '../helpers/daemon.js';

const run = promisify(execFile);
const UNIT = path.join(PROJECT_ROOT, 'systemd/camshim.service');

async function systemdAnalyze(): Promise<string | false> {
  try { await run('systemd-analyze', ['--version']); return false; } catch { return 'systemd-analyze is not installed (Debian package systemd)'; }
}

/** `Key=value` lines of the unit, in order (comments and sections left out). */
async function directives(): Promise<[string, string][]> {
  const text = await readFile(UNIT, 'utf8');
  return text.split('\n').filter((line) => /^[A-Za-z]+=/.test(line)).map((line) => {
    const at = line.indexOf('=');
    return [line.slice(0, at), line.slice(at + 1)];
  });
}

test('the unit checks the config it serves before starting, and waits for readiness', async () => {
  const lines = await directives();
  const one = (key: string): string => {
    const found = lines.filter(([k]) => k === key);
    assert.equal(found.length, 1, `${key} appears once`);
    return found[0]![1];
  };
  const configOf = (command: string): string => /--config (\S+)/.exec(command)?.[1] ?? assert.fail(`no --config in ${command}`);
  const start = one('ExecStart');
  const pre = one('ExecStartPre');
  assert.match(start, / camshim serve /);
  assert.match(pre, / camshim check /);
  assert.equal(configOf(pre), configOf(start), 'ExecStartPre checks the file ExecStart serves');
  assert.equal(one('Type'), 'notify');
  // systemd-notify is a child of the daemon: anything narrower than "all" drops its message.
  assert.equal(one('NotifyAccess'), 'all');
});

test("Node's compile cache is kept in the unit's cache directory, which outlives a start", async () => {
  const lines = await directives();
  const cacheDirectory = lines.find(([k]) => k === 'CacheDirectory')?.[1] ?? assert.fail('no CacheDirectory=');
  const environment = lines.filter(([k]) => k === 'Environment').flatMap(([, v]) => v.split(/\s+/));
  const compileCache = environment.find((assignment) => assignment.startsWith('NODE_COMPILE_CACHE='))?.slice('NODE_COMPILE_CACHE='.length);
  assert.ok(compileCache !== undefined, 'Environment=NODE_COMPILE_CACHE=...');
  // %C is the cache root (/var/cache): a folder in the unit's own CacheDirectory= is writable under
  // ProtectSystem=strict and kept across restarts, unlike the private /tmp.
  assert.ok(compileCache.startsWith(`%C/${cacheDirectory}/`), `${compileCache} lies in %C/${cacheDirectory}/`);
});

test('Documentation= names the README the install steps put there', async () => {
  const docs = (await directives()).filter(([k]) => k === 'Documentation').flatMap(([, v]) => v.split(/\s+/));
  assert.ok(docs.length > 0);
  const manifest = JSON.parse(await readFile(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { name: string; files: string[] };
  for (const doc of docs) {
    // The README's install steps use `npm install -g --prefix /usr/local`, which puts the package at
    // /usr/local/lib/node_modules/<name>/ (test/service/install.test.ts installs into a temporary prefix).
    const match = /^file:\/\/\/usr\/local\/lib\/node_modules\/([^/]+)\/(.+)$/.exec(doc);
    assert.ok(match !== null, `${doc}: a file in the installed package`);
    assert.equal(match[1], manifest.name);
    await readFile(path.join(PROJECT_ROOT, match[2]!));
  }
});

test('systemd-analyze verify accepts the unit', async (t) => {
  const skip = await systemdAnalyze();
  if (skip !== false) { t.skip(skip); return; }
  const { stdout, stderr } = await run('systemd-analyze', ['verify', UNIT]);
  assert.equal(`${stdout}${stderr}`.trim(), '', 'no warnings');
});

test('systemd-analyze security: the hardening keeps the exposure low', async (t) => {
  const skip = await systemdAnalyze();
  if (skip !== false) { t.skip(skip); return; }
  const { stdout } = await run('systemd-analyze', ['security', '--offline=yes', '--no-pager', UNIT]);
  const score = Number(/Overall exposure level for camshim\.service: (\d+\.\d)/.exec(stdout)?.[1]);
  assert.ok(Number.isFinite(score), stdout.slice(-300));
  // NotifyAccess=all costs 0.1 of the 2.2; each sandboxing directive dropped would raise it well past this.
  assert.ok(score <= 2.2, `exposure ${score} (the unit's hardening was weakened)`);
  for (const line of ['PrivateDevices=', 'ProtectSystem=', 'ProtectClock=', 'RestrictAddressFamilies=~AF_PACKET', 'SystemCallFilter=~@clock', 'NoNewPrivileges=']) {
    const row = stdout.split('\n').find((l) => l.includes(line));
    assert.ok(row !== undefined && row.trimStart().startsWith('✓'), `${line} passes: ${row ?? 'missing'}`);
  }
});
