import assert from 'node:assert/strict';
import { stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { bigInt32Array, bigUint32Array, bigUint8Array, readFileBigStat } from '../../src/lists/big-array.js';
import { tempDir } from '../helpers/daemon.js';

test('big arrays have the length asked for; past 128 KiB their buffer is over 32 MiB, below it exact', () => {
  for (const [make, width] of [[bigUint8Array, 1], [bigUint32Array, 4], [bigInt32Array, 4]] as const) {
    const small = make(1000);
    assert.equal(small.length, 1000);
    assert.equal(small.buffer.byteLength, 1000 * width);
    const big = make(1_000_000);
    assert.equal(big.length, 1_000_000);
    assert.equal(big.byteOffset, 0);
    assert.ok(big.buffer.byteLength > 32 * 1024 * 1024);
    assert.ok(big.every((value) => value === 0), 'zero-filled like any typed array');
  }
});

test('readFileBigStat reads a file whole: empty, small and big files, byte for byte, with its modification time', async () => {
  const bigText = Array.from({ length: 200_000 }, (_, i) => `host${i}.example`).join('\n');
  const dir = await tempDir({ empty: '', small: 'a.example\n', big: bigText });
  const binary = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 7) & 0xff));
  await writeFile(path.join(dir, 'binary'), binary);
  const bytes = (name: string): Buffer => Buffer.from(readFileBigStat(path.join(dir, name)).bytes);
  assert.equal(bytes('empty').length, 0);
  assert.equal(bytes('small').toString(), 'a.example\n');
  assert.equal(bytes('big').toString(), bigText);
  assert.ok(bytes('binary').equals(binary));
  assert.throws(() => readFileBigStat(path.join(dir, 'missing')), { code: 'ENOENT' });
  assert.equal(readFileBigStat(path.join(dir, 'small')).mtime.getTime(), (await stat(path.join(dir, 'small'))).mtime.getTime());
  // A file whose size says 0 is read to its end.
  assert.match(Buffer.from(readFileBigStat('/proc/self/status').bytes).toString(), /^Name:[\s\S]*VmRSS:[\s\S]*\n$/);
});
