import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { displayWidth } from '../../src/report/text-table.js';
import { runCli, tempDir } from '../helpers/daemon.js';
import { listOf, startListServer, type ListServer } from '../helpers/list-server.js';

let server: ListServer;
before(async () => { server = await startListServer(); });
after(async () => { await server.close(); });

/** A config with the given URL sources (names derived from the URLs) and a state folder of its own. */
async function setup(paths: readonly string[]): Promise<{ dir: string; config: string; stateDir: string }> {
  const sources = paths.map((p) => `    - url: ${server.base}${p}\n      name: ${p.slice(1).replace(/\//g, '-')}\n`).join('');
  const dir = await tempDir({
    'config.yaml': `lists:\n  cache: { enabled: false }\n  remote: { retries: 1, connectTimeoutMs: 500, timeoutMs: 2000 }\n  sources:\n${sources}`,
  });
  return { dir, config: path.join(dir, 'config.yaml'), stateDir: path.join(dir, 'state') };
}

function assertFits(text: string, width = 80): void {
  for (const line of text.split('\n')) assert.ok(displayWidth(line) <= width, `wider than ${width}: ${line}`);
}

test('lists update: changed, unchanged and failed sources in one table; exit code 1 when any failed', async () => {
  server.set('/cli/good', { body: listOf(50, 'cloud.vendor.example'), etag: '"g1"' });
  server.set('/cli/broken-with-a-rather-long-name-that-must-be-cut-to-fit', { status: 500, body: 'oops' });
  const { config, stateDir } = await setup(['/cli/good']);
  const first = await runCli(['lists', 'update', '--config', config, '--state-dir', stateDir]);
  assert.equal(first.code, 0, first.stderr + first.stdout);
  assert.match(first.stdout, /^SOURCE\s+RESULT\s+BEFORE\s+AFTER\s+TIME\s+DETAIL$/m);
  assert.match(first.stdout, /^cli-good\s+changed\s+-\s+50\s+\d+\.\ds/m);
  assert.match(first.stdout, /systemctl reload camshim/);
  assert.equal(await readFile(path.join(stateDir, 'lists', 'cli-good.list'), 'utf8'), listOf(50, 'cloud.vendor.example'));

  const again = await runCli(['lists', 'update', '--config', config, '--state-dir', stateDir]);
  assert.equal(again.code, 0);
  assert.match(again.stdout, /^cli-good\s+unchanged\s+50\s+50/m);
  assert.doesNotMatch(again.stdout, /systemctl reload/, 'nothing changed: nothing to reload');

  const both = await setup(['/cli/good', '/cli/broken-with-a-rather-long-name-that-must-be-cut-to-fit']);
  const mixed = await runCli(['lists', 'update', '--config', both.config, '--state-dir', stateDir]);
  assert.equal(mixed.code, 1, mixed.stdout);
  assert.match(mixed.stdout, /failed/);
  assert.match(mixed.stdout, /HTTP 500 Internal Server Error \(2 attempts\)/);
  assertFits(mixed.stdout.split('\n').filter((line) => !line.includes(': failed, the previous copy')).join('\n'));

  // `camshim lists` shows both: the one served with its refresh times, the other's error.
  const shown = await runCli(['lists', '--config', both.config, '--state-dir', stateDir]);
  assert.equal(shown.code, 0, shown.stderr + shown.stdout);
  assertFits(shown.stdout.split('\n').filter((line) => !line.includes(': last refresh failed')).join('\n'));
  assert.match(shown.stdout, /^LIST\s+REFRESHED \(UTC\)\s+NEXT \(UTC\)\s+CACHED\s+LAST ERROR$/m);
  assert.match(shown.stdout, /^cli-good\s+\d{4}-\d\d-\d\d \d\d:\d\d\s+\d{4}-\d\d-\d\d \d\d:\d\d\s+\d+ B\s*$/m);
  assert.match(shown.stdout, /^cli-broken-with-…\s+never\s+.*HTTP 500/m);
  assert.match(shown.stdout, /^cli-broken-with-a-rather-long-name-that-must-be-cut-to-fit: last refresh failed, the previous copy stays in use: HTTP 500 Internal Server Error \(2 attempts\)$/m);
  const json = JSON.parse((await runCli(['lists', '--json', '--config', both.config, '--state-dir', stateDir])).stdout) as { remote: { name: string; lastError?: string; cachedBytes?: number }[] };
  assert.equal(json.remote.find((r) => r.name === 'cli-good')!.cachedBytes, listOf(50, 'cloud.vendor.example').length);
});

test('lists update refuses a shrunken list unless --force; --blocklist takes a URL', async () => {
  server.set('/cli/shrink', { body: listOf(100, 'cloud.vendor.example') });
  const { dir, stateDir } = await setup([]);
  const url = `${server.base}/cli/shrink`;
  const args = ['lists', 'update', '--blocklist', url, '--state-dir', stateDir];
  assert.equal((await runCli(args)).code, 0);
  server.set('/cli/shrink', { body: listOf(10, 'cloud.vendor.example') });
  const refused = await runCli(args);
  assert.equal(refused.code, 1);
  assert.match(refused.stdout, /shrank from 100 to 10/);
  assert.equal(await readFile(path.join(stateDir, 'lists', 'shrink.list'), 'utf8'), listOf(100, 'cloud.vendor.example'));
  const forced = await runCli([...args, '--force']);
  assert.equal(forced.code, 0, forced.stdout);
  assert.match(forced.stdout, /^shrink\s+changed\s+100\s+10/m);
  // The served copy answers `lists test` from the state folder.
  const found = await runCli(['lists', 'test', 'host3.cloud.vendor.example', '--blocklist', url, '--state-dir', stateDir]);
  assert.match(found.stdout, /block\s+host3\.cloud\.vendor\.example\s+\(shrink, /);
  void dir;
});

test('lists help shows each option once', async () => {
  for (const args of [['lists', '--help'], ['lists', 'test', '--help'], ['lists', 'update', '--help']]) {
    const help = await runCli(args);
    assert.equal(help.code, 0);
    assert.doesNotMatch(help.stdout, /-c, -c/);
    assert.equal(help.stdout.match(/--config/g)?.length, 1, args.join(' '));
  }
});

test('on a terminal, lists update shows a progress line while a slow download runs, and clears it', async (t) => {
  const { execFile } = await import('node:child_process');
  const { MAIN } = await import('../helpers/daemon.js');
  const scriptFound = await new Promise<boolean>((resolve) => { execFile('script', ['--version'], (error) => resolve(error === null)); });
  if (!scriptFound) { t.skip('script (util-linux) is not installed: no pseudo-terminal to run the command on'); return; }
  server.set('/cli/slow', { body: listOf(20, 'slow.vendor.example'), trickleMs: 100 });
  const { config, stateDir } = await setup(['/cli/slow']);
  // `script` runs the command on a pseudo-terminal, as a person at a shell would.
  const command = [process.execPath, MAIN, 'lists', 'update', '--config', config, '--state-dir', stateDir].map((arg) => `'${arg}'`).join(' ');
  const output = await new Promise<string>((resolve) => {
    execFile('script', ['-qec', command, '/dev/null'], { timeout: 30_000 }, (_error, stdout) => resolve(stdout));
  });
  assert.match(output, /downloading cli-slow/, 'the progress line names the source');
  assert.match(output, /\r\u001b\[K/, 'the line is rewritten in place and cleared');
  assert.match(output, /cli-slow\s+changed/);
});
