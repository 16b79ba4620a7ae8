import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resultTable } from '../../src/cli/lists-update-command.js';
import { remoteTable } from '../../src/cli/remote-status.js';
import { displayWidth } from '../../src/report/text-table.js';

test('the update and status tables fit 80 columns with long and double-width text', () => {
  const long = 'https://lists.example.org/very/long/path/to/a/list/of/vendor/cloud/names.txt';
  const update = resultTable([
    { name: 'cams', url: long, outcome: 'changed', before: 1000, after: 1200, ms: 1234, dropped: [] },
    { name: 'x'.repeat(64), url: long, outcome: 'failed', before: 5, after: 5, ms: 15_000, error: '服务器返回了错误页面，而不是域名列表（HTML）', dropped: [] },
  ], 80);
  const status = remoteTable([
    { name: '摄像头列表', url: long, lastRefresh: '2026-12-04T10:00:00.000Z', nextRefresh: '2026-12-05T10:00:00.000Z', lastError: '连接超时：服务器在十五秒内没有回应', cachedBytes: 123_456 },
    { name: 'never', url: long, lastRefresh: undefined, nextRefresh: '2026-12-04T10:00:00.000Z', lastError: undefined, cachedBytes: undefined },
  ], 80);
  for (const line of [...update, ...status]) assert.ok(displayWidth(line) <= 80, `${displayWidth(line)} columns: ${line}`);
  assert.match(status[1]!, /^摄像头列表\s+2026-12-04 10:00\s+2026-12-05 10:00\s+121 kB\s+连接/);
  assert.match(status[2]!, /not downloaded yet/);
  assert.match(update[2]!, /^x+…\s+failed\s+5\s+5\s+15\.0s\s+服务器/);
});
