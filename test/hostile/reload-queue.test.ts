import assert from 'node:assert/strict';
import { test } from 'node:test';
import { coalescing } from '../../src/reload-queue.js';

test('a storm of reload calls runs at most one at a time and collapses into one queued run', async () => {
  let runs = 0;
  let concurrent = 0;
  let maxConcurrent = 0;
  const reload = coalescing(async () => {
    runs++;
    concurrent++;
    maxConcurrent = Math.max(maxConcurrent, concurrent);
    await new Promise((resolve) => setTimeout(resolve, 20));
    concurrent--;
    return runs;
  });
  const results = await Promise.all(Array.from({ length: 1000 }, () => reload()));
  assert.equal(runs, 2, 'the first call runs, the other 999 share one queued run');
  assert.equal(maxConcurrent, 1);
  assert.equal(results[0], 1);
  assert.equal(results[999], 2, 'the queued run started after the first finished');
  assert.equal(await reload(), 3, 'after the storm, a new call runs again');
});

test('a failed run does not wedge the queue', async () => {
  let calls = 0;
  const reload = coalescing(async () => { calls++; if (calls === 1) throw new Error('boom'); return calls; });
  const first = reload();
  const second = reload();
  await assert.rejects(first);
  assert.equal(await second, 2);
  assert.equal(await reload(), 3);
});
