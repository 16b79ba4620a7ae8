import assert from 'node:assert/strict';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import { configFrom } from '../../../src/config/load-config.js';
import { BUNDLED_LISTS_DIR } from '../../../src/lists/list-set.js';
import type { NeverBlockGuard } from '../../../src/lists/never-block.js';
import { cachedListFile, remoteListFolder, sourceStateFile } from '../../../src/lists/remote/cache-paths.js';
import { readNeverBlockGuard } from '../../../src/lists/remote/never-block-guard.js';
import { refreshSource, type RefreshContext } from '../../../src/lists/remote/refresh-source.js';
import type { RemoteSource } from '../../../src/lists/remote/remote-sources.js';
import { VERSION } from '../../../src/version.js';
import { tempDir } from '../../helpers/daemon.js';
import { listOf, startListServer, type ListServer } from '../../helpers/list-server.js';

let server: ListServer;
let guard: NeverBlockGuard;
const settings = configFrom({ lists: { remote: { connectTimeoutMs: 400, timeoutMs: 1500, maxBytes: 64 * 1024, retries: 2, maxRedirects: 2 } } }).lists.remote;

before(async () => {
  server = await startListServer();
  guard = await readNeverBlockGuard(BUNDLED_LISTS_DIR, []);
});
after(async () => { await server.close(); });

/** A state folder holding `name`'s cached copy of GOOD (100 entries), fetched through /seed. */
async function seeded(name: string): Promise<{ stateDir: string; context: RefreshContext; source: (path: string) => RemoteSource }> {
  const stateDir = await tempDir();
  const context: RefreshContext = { stateDir, settings, guard, force: false, retryBaseMs: 10 };
  const source = (path: string): RemoteSource => ({ name, url: `${server.base}${path}`, refreshMs: 3_600_000, kind: 'block', path: 'lists.sources[0]' });
  server.set(`/seed-${name}`, { body: listOf(100, 'good.example') });
  const first = await refreshSource(source(`/seed-${name}`), context);
  assert.equal(first.outcome, 'changed', first.error);
  return { stateDir, context, source };
}

const cachedText = (stateDir: string, name: string): Promise<string> => readFile(cachedListFile(stateDir, name), 'utf8');

test('a good list is cached with its validators; a 304 leaves it unchanged; a changed one replaces it', async () => {
  const stateDir = await tempDir();
  const context: RefreshContext = { stateDir, settings, guard, force: false, retryBaseMs: 10 };
  const source: RemoteSource = { name: 'cams', url: `${server.base}/etag`, refreshMs: 3_600_000, kind: 'block', path: 'lists.sources[0]' };
  server.set('/etag', { body: listOf(10, 'a.example'), etag: '"v1"' });
  const first = await refreshSource(source, context);
  assert.equal(first.outcome, 'changed');
  assert.equal(first.before, undefined);
  assert.equal(first.after, 10);
  assert.equal(server.lastHeaders.get('/etag')!['user-agent'], `camshim/${VERSION}`);
  assert.equal(server.lastHeaders.get('/etag')!['if-none-match'], undefined);
  const state = JSON.parse(await readFile(sourceStateFile(stateDir, 'cams'), 'utf8')) as Record<string, unknown>;
  assert.equal(state.etag, '"v1"');
  assert.equal(state.entries, 10);

  const second = await refreshSource(source, context);
  assert.equal(second.outcome, 'unchanged');
  assert.equal(server.lastHeaders.get('/etag')!['if-none-match'], '"v1"');

  server.set('/etag', { body: listOf(12, 'a.example'), etag: '"v2"' });
  const third = await refreshSource(source, context);
  assert.equal(third.outcome, 'changed');
  assert.deepEqual([third.before, third.after], [10, 12]);
  assert.equal(await cachedText(stateDir, 'cams'), listOf(12, 'a.example'));
});

test('every bad download is refused, the cached copy stays and the reason is kept', async () => {
  const { stateDir, context, source } = await seeded('bad');
  const good = await cachedText(stateDir, 'bad');
  const cases: [string, Parameters<ListServer['set']>[1], RegExp][] = [
    ['/html', { body: '<!doctype html><html><body>502 Bad Gateway</body></html>', contentType: 'text/html' }, /HTML/],
    ['/html-as-text', { body: '\n  <html><head><title>Login</title></head></html>\n' }, /HTML/],
    ['/empty', { body: '' }, /empty/],
    ['/comments', { body: '# nothing here\n# at all\n' }, /no entries/],
    ['/shrunk', { body: listOf(30, 'good.example') }, /shrank from 100 to 30/],
    ['/oversized', { body: listOf(5000, 'big.example') }, /65536-byte limit/],
    ['/oversized-chunked', { body: listOf(5000, 'big.example'), chunked: true }, /65536-byte limit/],
    ['/garbage', { body: 'a b c d\ne f g h\ni j k l\nm n o p\nq r s t\n' }, /not rules/],
    ['/missing', { status: 404, body: 'nope' }, /HTTP 404/],
    ['/failing', { status: 503, body: 'down' }, /HTTP 503.*\(3 attempts\)/],
    ['/slow-headers', { delayMs: 2000, body: listOf(100, 'good.example') }, /no response headers within 400 ms/],
    ['/slow-body', { trickleMs: 200, body: listOf(100, 'good.example') }, /longer than 1500 ms/],
    ['/loop', { status: 302, location: '/loop' }, /more than 2 redirects/],
  ];
  for (const [path, route, reason] of cases) {
    server.set(path, route);
    const result = await refreshSource(source(path), context);
    assert.equal(result.outcome, 'failed', path);
    assert.match(result.error ?? '', reason, path);
    assert.equal(result.before, 100, path);
    assert.equal(await cachedText(stateDir, 'bad'), good, `${path} left the cached copy alone`);
    const state = JSON.parse(await readFile(sourceStateFile(stateDir, 'bad'), 'utf8')) as Record<string, unknown>;
    assert.match(String(state.lastError), reason, path);
  }
  assert.equal(server.hits.get('/failing'), 3, 'two retries after the first 503');
  // No temporary file is left behind by any failure.
  assert.deepEqual((await readdir(remoteListFolder(stateDir))).sort(), ['bad.list', 'bad.state.json']);
});

test('--force takes a shrunken list; redirects within the bound are followed', async () => {
  const { stateDir, context, source } = await seeded('force');
  server.set('/small', { body: listOf(20, 'good.example') });
  assert.equal((await refreshSource(source('/small'), { ...context, force: true })).outcome, 'changed');
  assert.equal(await cachedText(stateDir, 'force'), listOf(20, 'good.example'));
  server.set('/hop1', { status: 301, location: '/hop2' });
  server.set('/hop2', { status: 302, location: `${server.base}/small2` });
  server.set('/small2', { body: listOf(21, 'good.example') });
  const redirected = await refreshSource(source('/hop1'), context);
  assert.equal(redirected.outcome, 'changed', redirected.error);
  assert.equal(redirected.after, 21);
});

test('entries that would block a never-block name are dropped and reported; the rest is kept', async () => {
  const { stateDir, context, source } = await seeded('guarded');
  server.set('/guarded', { body: `${listOf(100, 'good.example')}amazonaws.com\ncdn.vendor.example\n` });
  const result = await refreshSource(source('/guarded'), context);
  assert.equal(result.outcome, 'changed', result.error);
  assert.equal(result.after, 101);
  assert.equal(result.dropped.length, 1);
  assert.match(result.dropped[0]!.message, /amazonaws\.com/);
  const text = await cachedText(stateDir, 'guarded');
  assert.ok(!text.includes('amazonaws.com'));
  assert.ok(text.includes('cdn.vendor.example'));
});

test('a download identical to the cached copy is unchanged and does not touch the file', async () => {
  const { stateDir, context, source } = await seeded('same');
  const before = await stat(cachedListFile(stateDir, 'same'));
  server.set('/same', { body: listOf(100, 'good.example') });
  const result = await refreshSource(source('/same'), context);
  assert.equal(result.outcome, 'unchanged');
  assert.equal((await stat(cachedListFile(stateDir, 'same'))).ino, before.ino);
});

test('an unreachable server fails after the retries and keeps the copy', async () => {
  const { stateDir, context } = await seeded('gone');
  const closed = await startListServer();
  const url = `${closed.base}/x`;
  await closed.close();
  const result = await refreshSource({ name: 'gone', url, refreshMs: 1, kind: 'block', path: 'x' }, context);
  assert.equal(result.outcome, 'failed');
  assert.match(result.error ?? '', /cannot reach 127\.0\.0\.1:\d+: ECONNREFUSED/);
  assert.equal(await cachedText(stateDir, 'gone'), listOf(100, 'good.example'));
  await writeFile(cachedListFile(stateDir, 'gone'), listOf(100, 'good.example'));
});

test('an allow list by URL keeps names that a block list could not hold', async () => {
  const stateDir = await tempDir();
  server.set('/allow', { body: 'amazonaws.com\nconnectivitycheck.gstatic.com\n' });
  const result = await refreshSource({ name: 'allow', url: `${server.base}/allow`, refreshMs: 3_600_000, kind: 'allow', path: 'lists.sources[0]' },
    { stateDir, settings, guard, force: false, retryBaseMs: 10 });
  assert.equal(result.outcome, 'changed', result.error);
  assert.equal(result.dropped.length, 0);
  assert.equal(await cachedText(stateDir, 'allow'), 'amazonaws.com\nconnectivitycheck.gstatic.com\n');
});

test('a declared format refuses a download in another one', async () => {
  const stateDir = await tempDir();
  const context: RefreshContext = { stateDir, settings, guard, force: false, retryBaseMs: 10 };
  const source: RemoteSource = { name: 'hosts', url: `${server.base}/hosts`, refreshMs: 3_600_000, kind: 'block', format: 'hosts', path: 'lists.sources[0]' };
  server.set('/hosts', { body: '# hosts\n0.0.0.0 a.vendor.example\n0.0.0.0 b.vendor.example\n127.0.0.1 localhost\n' });
  assert.equal((await refreshSource(source, context)).outcome, 'changed');
  server.set('/hosts', { body: '||a.vendor.example^\n||b.vendor.example^\n||c.vendor.example^\n' });
  const refused = await refreshSource(source, context);
  assert.equal(refused.outcome, 'failed');
  assert.match(refused.error ?? '', /declared as hosts \(format\), but only 0 of 3 rule lines are/);
});
