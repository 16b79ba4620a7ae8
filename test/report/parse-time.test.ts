import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseLogTime } from '../../src/report/parse-time.js';
import { seededRandom } from '../helpers/prng.js';

test('parseLogTime agrees with Date.parse on camshim\'s time shape, across hours and days', () => {
  const random = seededRandom(17);
  let ms = Date.UTC(2026, 0, 1);
  for (let i = 0; i < 20_000; i++) {
    ms += Math.floor(random() * 400_000);
    const text = new Date(ms).toISOString();
    assert.equal(parseLogTime(text), ms, text);
  }
});

test('parseLogTime: other shapes and damaged times give what Date.parse gives', () => {
  for (const text of [
    '2026-12-04T06:40:12.118Z', '2026-12-04T06:40:12Z', '2026-12-04T06:40:12.118+01:00', '2026-12-04 06:40:12.118Z',
    '2026-12-04T06:60:12.118Z', '2026-12-04T06:40:61.118Z', '2026-12-04T06:4x:12.118Z', '2026-12-04T06:40:12.1x8Z',
    '2026-12-04T24:00:00.000Z', '2026-12-04T25:00:00.000Z', '2026-13-04T06:40:12.118Z', 'xxxx-12-04T06:40:12.118Z', '', 'not a time',
  ]) {
    assert.deepEqual(parseLogTime(text), Date.parse(text), text);
  }
});
