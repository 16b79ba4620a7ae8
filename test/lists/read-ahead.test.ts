import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { ReadAhead } from '../../src/lists/read-ahead.js';
import { tempDir } from '../helpers/daemon.js';

/** A read the test finishes by hand: which files were started, and a way to finish each. */
function manualReads(sizes: Readonly<Record<string, number>>) {
  const started: string[] = [];
  const finishers = new Map<string, (fail?: Error) => void>();
  const read = (file: string): Promise<{ bytes: Uint8Array; mtime: Date }> => {
    started.push(file);
    return new Promise((resolve, reject) => {
      finishers.set(file, (fail) => (fail === undefined ? resolve({ bytes: new Uint8Array(sizes[file] ?? 1), mtime: new Date(0) }) : reject(fail)));
    });
  };
  const finish = async (file: string, fail?: Error): Promise<void> => {
    finishers.get(file)!(fail);
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { started, finish, read };
}

test('files are taken in order, each read once, with at most `files` of them read ahead', async () => {
  const names = ['a', 'b', 'c', 'd', 'e', 'f'];
  const reads = manualReads({});
  const ahead = new ReadAhead(names, { files: 3, bytes: 1_000_000 }, reads.read);
  const first = ahead.take(0);
  assert.deepEqual(reads.started, ['a', 'b', 'c'], 'three at once');
  // Finished out of order: each is still taken in its turn.
  await reads.finish('c');
  await reads.finish('b');
  assert.deepEqual(reads.started, ['a', 'b', 'c'], 'nothing more starts before the first is taken');
  await reads.finish('a');
  assert.equal('bytes' in await first, true);
  assert.deepEqual(reads.started, ['a', 'b', 'c', 'd'], 'taking one starts the next');
  const taken: string[] = [];
  for (const [index, name] of names.entries()) {
    if (index === 0) { taken.push(name); continue; }
    const next = ahead.take(index);
    for (const file of reads.started) if (!taken.includes(file)) await reads.finish(file).catch(() => undefined);
    assert.equal('bytes' in await next, true);
    taken.push(name);
  }
  assert.deepEqual(reads.started, names, 'every file read exactly once, in order of start');
  await assert.rejects(ahead.take(2), /already taken/);
});

test('no file is started ahead while the files read and not taken hold `bytes`', async () => {
  const reads = manualReads({ a: 10, b: 600, c: 600, d: 10 });
  const ahead = new ReadAhead(['a', 'b', 'c', 'd'], { files: 2, bytes: 500 }, reads.read);
  const a = ahead.take(0);
  assert.deepEqual(reads.started, ['a', 'b']);
  await reads.finish('b');
  await reads.finish('a');
  await a;
  // b (600 bytes) is held: c is started only as the one being taken.
  assert.deepEqual(reads.started, ['a', 'b']);
  await ahead.take(1);
  assert.deepEqual(reads.started, ['a', 'b', 'c', 'd'], 'once b is taken, two start again');
  await reads.finish('c');
  await reads.finish('d');
  assert.equal('bytes' in await ahead.take(2), true);
  assert.equal('bytes' in await ahead.take(3), true);
});

test('a file that cannot be read is an error result in its turn, and the others still load', async () => {
  const dir = await tempDir();
  await writeFile(path.join(dir, 'one.list'), 'one.example\n');
  await writeFile(path.join(dir, 'three.list'), 'three.example\n');
  const ahead = new ReadAhead([path.join(dir, 'one.list'), path.join(dir, 'missing.list'), path.join(dir, 'three.list')]);
  const results = [await ahead.take(0), await ahead.take(1), await ahead.take(2)];
  assert.deepEqual(results.map((result) => ('bytes' in result ? Buffer.from(result.bytes).toString() : (result.error as NodeJS.ErrnoException).code)),
    ['one.example\n', 'ENOENT', 'three.example\n']);
  assert.ok(results[0] !== undefined && 'mtime' in results[0] && results[0].mtime instanceof Date);
});
