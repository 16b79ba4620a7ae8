import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { configFrom } from '../../src/config/load-config.js';
import { loadListSet } from '../../src/lists/list-set.js';
import { isTempFile, removeStaleTemps, writeFileAtomic } from '../../src/lists/atomic-file.js';
import { cachedListFile, remoteListFolder } from '../../src/lists/remote/cache-paths.js';
import { tempDir } from '../helpers/daemon.js';

test('writeFileAtomic replaces the whole file and leaves no temporary file', async () => {
  const dir = await tempDir({ 'a.list': 'old.example\n' });
  await writeFileAtomic(path.join(dir, 'a.list'), 'new.example\n');
  assert.equal(await readFile(path.join(dir, 'a.list'), 'utf8'), 'new.example\n');
  assert.deepEqual(await readdir(dir), ['a.list']);
});

test('a crash between write and rename leaves the old cache serving; the temp file is cleaned up', async () => {
  const stateDir = await tempDir();
  const folder = remoteListFolder(stateDir);
  const file = cachedListFile(stateDir, 'cams');
  await mkdir(folder, { recursive: true });
  await writeFileAtomic(file, 'cloud.vendor.example\n');
  // What a crash after the temp file was written and before the rename leaves: a half-written new copy.
  const temp = `${file}.tmp-4242-0badc0de`;
  await writeFile(temp, 'half.writ');
  assert.ok(isTempFile(path.basename(temp)));

  const config = configFrom({ lists: { bundled: false, cache: { enabled: false }, remote: { stateDir }, sources: [{ url: 'https://lists.example/cams.txt' }] } });
  const lists = await loadListSet(config);
  assert.deepEqual(lists.errors, []);
  const cams = lists.byName.get('cams')!;
  assert.deepEqual([cams.entryCount, cams.url], [1, 'https://lists.example/cams.txt']);
  const enabled = new Uint8Array(lists.lists.length);
  enabled[cams.index] = 1;
  const blocks = (name: string): boolean => lists.table.match(name, { lists: enabled, redirects: false }, { allow: -1, block: -1, redirect: -1, blockSuffix: -1 }).block >= 0;
  assert.ok(blocks('x.cloud.vendor.example'));
  assert.ok(!blocks('half.writ'));

  assert.deepEqual(await removeStaleTemps(folder), [path.basename(temp)]);
  assert.deepEqual(await readdir(folder), ['cams.list']);
});

test('a URL source never downloaded is a warning, not an error', async () => {
  const stateDir = await tempDir();
  const config = configFrom({ lists: { bundled: false, cache: { enabled: false }, remote: { stateDir }, sources: [{ url: 'https://lists.example/new.txt' }] } });
  const lists = await loadListSet(config);
  assert.deepEqual(lists.errors, []);
  assert.equal(lists.warnings[0]?.code, 'LIST_NOT_FETCHED');
  assert.deepEqual(lists.lists.map((l) => l.name), ['ntp-hosts']);
});
