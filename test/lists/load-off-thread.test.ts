import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { configFrom } from '../../src/config/load-config.js';
import type { Config } from '../../src/config/config-schema.js';
import { CamshimError } from '../../src/errors.js';
import { loadListSet, type ListSet } from '../../src/lists/list-set.js';
import { loadListSetOffThread } from '../../src/lists/load-off-thread.js';
import { tempDir } from '../helpers/daemon.js';

const BUNDLED = path.resolve(import.meta.dirname, '../../../lists');

/** Everything a list set holds but its timings, with the table's arrays as plain byte lists. */
function contents(set: ListSet): unknown {
  const { records, tags, offsets, nameCount, ruleCount } = set.table.parts;
  return {
    records: [...records], tags: [...tags], offsets: [...offsets], nameCount, ruleCount,
    lists: set.lists, byName: [...set.byName.keys()], errors: set.errors, warnings: set.warnings, cache: set.cache,
  };
}

async function fixture(cacheEnabled: boolean): Promise<Config> {
  const names = Array.from({ length: 2_000 }, (_, i) => `host${i}.vendor${i % 7}.example`);
  const dir = await tempDir({
    // A list with errors is never cached: the never-block violation only goes in without the cache.
    'vendor.list': `# vendor: Test\n${names.join('\n')}\n*.p2p.example\nbad name here\n${cacheEnabled ? '' : 's3.amazonaws.com\n'}`,
    'allow.txt': '@@||ok.vendor1.example^\n',
  });
  return configFrom({ lists: {
    sources: [{ path: path.join(dir, 'vendor.list') }, { path: path.join(dir, 'allow.txt'), kind: 'allow' }],
    cache: { enabled: cacheEnabled, dir: path.join(dir, 'cache'), minRules: 10 },
  } });
}

test('a list set built on a thread is the one built in-process: table bytes, lists, problems', async () => {
  for (const cacheEnabled of [false, true]) {
    const config = await fixture(cacheEnabled);
    // With the cache on, the in-process load writes it and the thread's load reads it back.
    const here = await loadListSet(config, { bundledDir: BUNDLED });
    const there = await loadListSetOffThread(config, { bundledDir: BUNDLED });
    assert.deepEqual(contents(there), { ...(contents(here) as object), cache: there.cache });
    assert.equal(there.cache.status, cacheEnabled ? 'hit' : 'off');
    assert.equal(there.errors.some((problem) => problem.code === 'LIST_NEVER_BLOCK'), !cacheEnabled, 'the never-block error comes back');
    assert.ok(there.warnings.some((problem) => problem.line === 2_003), 'the bad line is reported with its line number');
    assert.ok(there.lists.every((list) => list.modifiedAt instanceof Date));
  }
});

test('a builder thread that fails is a LIST_BUILD error, not a hang', async () => {
  const config = await fixture(false);
  // Not a config the schema lets through: it makes loadListSet throw inside the thread.
  const broken = { ...config, lists: { ...config.lists, sources: 42 } } as unknown as Config;
  await assert.rejects(loadListSetOffThread(broken, { bundledDir: BUNDLED }), (error: unknown) => {
    assert.ok(error instanceof CamshimError);
    assert.equal(error.code, 'LIST_BUILD');
    assert.match(error.message, /building the lists failed: .+/);
    return true;
  });
});
