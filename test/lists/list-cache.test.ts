import assert from 'node:assert/strict';
import { readFile, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { configFrom } from '../../src/config/load-config.js';
import type { Config } from '../../src/config/config-schema.js';
import { emptyMatch, type MatchFilter } from '../../src/lists/domain-table.js';
import { CACHE_FILE } from '../../src/lists/list-cache.js';
import { loadListSet, type ListSet } from '../../src/lists/list-set.js';
import { tempDir } from '../helpers/daemon.js';

const BUNDLED = path.resolve(import.meta.dirname, '../../../lists');

/** The test's list and cache, with `lists` settings changed by `change` (configs are frozen: each change is a new one). */
function listConfig(dir: string, change: Record<string, unknown> = {}, cache: Record<string, unknown> = {}): Config {
  return configFrom({ lists: { bundled: false, sources: [{ path: path.join(dir, 'big.list'), name: 'big' }], cache: { enabled: true, dir: path.join(dir, 'cache'), minRules: 10, ...cache }, ...change } });
}

async function setup(): Promise<{ dir: string; listFile: string; config: Config }> {
  const names = Array.from({ length: 300 }, (_, i) => `host${i}.vendor${i % 7}.example`);
  const dir = await tempDir({ 'big.list': `# test list\n${names.join('\n')}\n*.p2p.example\n=only.example\n` });
  return { dir, listFile: path.join(dir, 'big.list'), config: listConfig(dir) };
}

const all: MatchFilter = { lists: new Uint8Array(8).fill(1), redirects: true };

function answers(set: ListSet): unknown[] {
  return ['host5.vendor5.example', 'a.host12.vendor5.example', 'x.p2p.example', 'p2p.example', 'only.example', 'a.only.example', 'pool.ntp.org', 'nothing.example']
    .map((name) => {
      const match = set.table.match(name, all, emptyMatch());
      return [name, match.block >= 0 ? set.table.rule(match.block) : null, match.redirect >= 0 ? set.table.rule(match.redirect) : null, match.blockSuffix];
    });
}

test('the list cache round-trips: a second load comes from the cache and answers the same', async () => {
  const { config, dir } = await setup();
  const first = await loadListSet(config, { bundledDir: BUNDLED });
  assert.equal(first.cache.status, 'written');
  const second = await loadListSet(config, { bundledDir: BUNDLED });
  assert.equal(second.cache.status, 'hit');
  assert.deepEqual(answers(second), answers(first));
  assert.deepEqual(second.lists, first.lists);
  assert.deepEqual([...second.byName.keys()], [...first.byName.keys()]);
  assert.equal(second.table.ruleCount, first.table.ruleCount);
  assert.ok((await stat(path.join(dir, 'cache', CACHE_FILE))).size > 0);
});

test('a changed source invalidates the cache: the new text is loaded and the cache rewritten', async () => {
  const { config, listFile } = await setup();
  await loadListSet(config, { bundledDir: BUNDLED });
  await writeFile(listFile, `${await readFile(listFile, 'utf8')}new.example.org\n`);
  const later = new Date(Date.now() + 5000);
  await utimes(listFile, later, later);
  const reloaded = await loadListSet(config, { bundledDir: BUNDLED });
  assert.equal(reloaded.cache.status, 'written');
  assert.match(reloaded.cache.detail, /changed/);
  assert.ok(reloaded.table.match('new.example.org', all, emptyMatch()).block >= 0);
});

test('a changed setting (neverBlockOverride) invalidates the cache', async () => {
  const { config, dir } = await setup();
  await loadListSet(config, { bundledDir: BUNDLED });
  assert.equal((await loadListSet(listConfig(dir, { neverBlockOverride: ['example.org'] }), { bundledDir: BUNDLED })).cache.status, 'written');
});

test('a damaged or foreign cache file falls back to the text and is replaced', async () => {
  const { config, dir } = await setup();
  const cacheFile = path.join(dir, 'cache', CACHE_FILE);
  const good = await loadListSet(config, { bundledDir: BUNDLED });
  const bytes = await readFile(cacheFile);
  const damaged = Buffer.from(bytes);
  damaged[damaged.length - 100]! ^= 0xff;
  for (const [content, reason] of [[damaged, /checksum/], [bytes.subarray(0, bytes.length - 13), /size|truncated/], [Buffer.from('hello'), /not a camshim/]] as const) {
    await writeFile(cacheFile, content);
    const loaded = await loadListSet(config, { bundledDir: BUNDLED });
    assert.equal(loaded.cache.status, 'written');
    assert.match(loaded.cache.detail, reason);
    assert.deepEqual(answers(loaded), answers(good));
  }
});

test('small list sets and a disabled cache write no cache file', async () => {
  const { dir } = await setup();
  assert.equal((await loadListSet(listConfig(dir, {}, { minRules: 100_000 }), { bundledDir: BUNDLED })).cache.status, 'off');
  assert.equal((await loadListSet(listConfig(dir, {}, { enabled: false, minRules: 1 }), { bundledDir: BUNDLED })).cache.status, 'off');
  await assert.rejects(stat(path.join(dir, 'cache', CACHE_FILE)));
});

test('an unwritable cache folder is a warning, not a failure', async () => {
  const { dir } = await setup();
  await writeFile(path.join(dir, 'file'), 'x');
  const loaded = await loadListSet(listConfig(dir, {}, { dir: path.join(dir, 'file', 'sub') }), { bundledDir: BUNDLED });
  assert.equal(loaded.errors.length, 0);
  assert.ok(loaded.warnings.some((w) => w.code === 'LIST_CACHE'));
});
