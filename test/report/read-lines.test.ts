import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { MAX_LINE_BYTES, readLines, type ReadProblem } from '../../src/report/read-lines.js';
import { seededRandom } from '../helpers/prng.js';

/** What reading must give: every line decoded on its own, lines with a NUL or over the limit left out. */
function expected(bytes: Buffer): string[] {
  const lines: string[] = [];
  let start = 0;
  while (start < bytes.length) {
    let end = bytes.indexOf(0x0a, start);
    if (end < 0) end = bytes.length;
    const line = bytes.subarray(start, end);
    if (!line.includes(0) && line.length <= MAX_LINE_BYTES) lines.push(line.toString('utf8'));
    start = end + 1;
  }
  return lines;
}

async function read(bytes: Buffer, chunkSizes: () => number, stopAfter = Number.POSITIVE_INFINITY): Promise<{ lines: string[]; problems: ReadProblem[] }> {
  const chunks: Buffer[] = [];
  for (let at = 0; at < bytes.length;) {
    const size = chunkSizes();
    chunks.push(bytes.subarray(at, at + size));
    at += size;
  }
  const lines: string[] = [];
  const problems: ReadProblem[] = [];
  await readLines({ name: 'test', stream: Readable.from(chunks) }, {
    line: (text) => { lines.push(text); return lines.length >= stopAfter ? 'stop' : undefined; },
    problem: (problem) => problems.push(problem),
  });
  return { lines, problems };
}

test('lines are the same however the bytes are cut into chunks: multi-byte characters across cuts, binary and over-long lines skipped', async () => {
  const random = seededRandom(99);
  const samples = ['{"name":"n-devs.tplinkcloud.com"}', '摄像头.厂商.cn 你好', 'emoji 📷 line', '', 'bad utf8 \xff\xfe end', 'x'.repeat(300)];
  const parts: Buffer[] = [];
  for (let i = 0; i < 3000; i++) {
    const roll = random();
    if (roll < 0.01) parts.push(Buffer.from([0x61, 0x00, 0x62])); // a NUL: binary
    else parts.push(Buffer.from(samples[Math.floor(random() * samples.length)]!, roll < 0.02 ? 'latin1' : 'utf8'));
    parts.push(Buffer.from('\n'));
    if (i === 1500) parts.push(Buffer.alloc(MAX_LINE_BYTES + 10, 0x41), Buffer.from('\n'));
  }
  parts.push(Buffer.from('last line without a newline'));
  const bytes = Buffer.concat(parts);
  const want = expected(bytes);
  for (const sizes of [() => 1 + Math.floor(random() * 7), () => 1 + Math.floor(random() * 5000), () => 65_536, () => 4 * 1024 * 1024]) {
    const got = await read(bytes, sizes);
    assert.deepEqual(got.lines, want);
    assert.deepEqual(got.problems.map((problem) => problem.kind).sort(), ['binary', 'line-too-long']);
  }
});

test('a sink that says stop gets no more lines', async () => {
  const bytes = Buffer.from(Array.from({ length: 1000 }, (_, i) => `line ${i}`).join('\n'));
  for (const size of [3, 100, 100_000]) {
    const got = await read(bytes, () => size, 10);
    assert.deepEqual(got.lines, Array.from({ length: 10 }, (_, i) => `line ${i}`));
  }
});
