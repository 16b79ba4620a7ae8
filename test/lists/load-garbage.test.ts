import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import v8 from 'node:v8';
import vm from 'node:vm';
import { parseConfigText } from '../../src/config/parse-yaml.js';
import { releaseListLoadGarbage } from '../../src/lists/load-garbage.js';
import { loadListSet } from '../../src/lists/list-set.js';
import { tempDir } from '../helpers/daemon.js';

/** The test's own handle on a full collection (the same V8 switch the module uses). */
function collectNow(): void {
  v8.setFlagsFromString('--expose-gc');
  (vm.runInNewContext('gc') as () => void)();
}

test('after a big list is parsed from text, one collection hands the parse buffers back at once', async () => {
  const names = Array.from({ length: 60_000 }, (_, index) => `host-${index}.cloud-${index % 97}.vendor.example`);
  const dir = await tempDir({ 'big.list': `${names.join('\n')}\n`, 'small.list': 'cloud.vendor.example\n' });
  const configFor = (file: string): ReturnType<typeof parseConfigText> =>
    parseConfigText(`lists:\n  bundled: false\n  sources: [{ path: ${JSON.stringify(path.join(dir, file))} }]\n  cache: { enabled: false }\n`, 'test');

  const small = await loadListSet(configFor('small.list'));
  assert.equal(releaseListLoadGarbage(small), false, 'a small list leaves nothing worth collecting');

  collectNow();
  const baseline = process.memoryUsage().arrayBuffers;
  const big = await loadListSet(configFor('big.list'));
  assert.ok(big.table.nameCount >= 60_000);
  assert.equal(releaseListLoadGarbage(big), true);
  // What the load left behind is the table itself: the file bytes (~2.3 MB) and the scan and
  // builder arrays (several MB more) are gone, whether or not V8 had collected on its own.
  // (Counted as V8 counts them: whole backing buffers, which for big arrays are mostly address
  // space, see big-array.ts.)
  const { records, tags, offsets } = big.table.parts;
  const tableBytes = [...new Set([records.buffer, tags.buffer, offsets.buffer])].reduce((sum, buffer) => sum + buffer.byteLength, 0);
  // V8 frees array buffers on a background thread just after the collection: give it a moment.
  let kept = Number.POSITIVE_INFINITY;
  for (let waited = 0; waited < 2000; waited += 20) {
    kept = process.memoryUsage().arrayBuffers - baseline;
    if (kept <= tableBytes + 1024 * 1024) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.ok(kept <= tableBytes + 1024 * 1024, `array buffers kept after the load: ${kept} bytes; the table is ${tableBytes}`);
  assert.ok(big.table.match('host-7.cloud-7.vendor.example', { lists: new Uint8Array(big.lists.length).fill(1), redirects: true }, { allow: -1, block: -1, redirect: -1, blockSuffix: -1 }).block >= 0, 'the table itself is kept');

  const fromCache = { ...big, cache: { status: 'hit' as const, detail: 'test' } };
  assert.equal(releaseListLoadGarbage(fromCache), false, 'a cache load leaves almost no garbage');
});
