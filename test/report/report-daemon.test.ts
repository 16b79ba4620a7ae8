import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { runCli, startDaemon, tempDir } from '../helpers/daemon.js';
import { ntpRequest, queriesFrom } from '../helpers/loopback-queries.js';

test('the daemon\'s own log, storms collapsed, reports the exact counts per name and client', async () => {
  const dir = await tempDir({ 'vendor.list': 'cloud.vendor.example\np2p.other.example\n' });
  const daemon = await startDaemon(['--blocklist', path.join(dir, 'vendor.list'), '--listen', '127.0.0.1', '--ntp-port', '0']);
  const port = daemon.port('udp', 4);
  // .2 storms one name; .3 asks five names twice; .1 asks an NTP name.
  assert.equal(await queriesFrom('127.0.0.2', port, Array.from({ length: 300 }, () => 'dev.cloud.vendor.example')), 300);
  assert.equal(await queriesFrom('127.0.0.3', port, Array.from({ length: 10 }, (_, i) => `n${i % 5}.p2p.other.example`)), 10);
  assert.equal(await queriesFrom('127.0.0.1', port, ['pool.ntp.org']), 1);
  assert.equal(await daemon.stop(), 0);
  const lines = daemon.logs.filter((line) => line.service === 'camshim');
  const stormLines = lines.filter((line) => line.event === 'storm' && line.client === '127.0.0.2');
  const firstLines = lines.filter((line) => line.event === 'sinkhole' && line.client === '127.0.0.2');
  assert.equal(firstLines.length, 1, 'one line for the first query of the storm');
  assert.equal(stormLines.length, 1, 'one summary line, written at shutdown');
  assert.equal(stormLines[0]!.count, 299);
  assert.equal(stormLines[0]!.v, 1);
  const file = path.join(dir, 'camshim.log');
  await writeFile(file, `${daemon.logs.map((line) => JSON.stringify(line)).join('\n')}\n`);
  const report = await runCli(['report', '--format', 'json', file]);
  assert.equal(report.code, 0, report.stderr);
  const result = JSON.parse(report.stdout) as { sinkholed: { name: string; attempts: number; clients: number }[]; clients: { client: string; sinkholed: number; redirected: number }[]; redirected: { name: string }[] };
  assert.deepEqual(result.sinkholed.map((row) => [row.name, row.attempts, row.clients]), [
    ['dev.cloud.vendor.example', 300, 1],
    ...[0, 1, 2, 3, 4].map((i) => [`n${i}.p2p.other.example`, 2, 1]),
  ]);
  assert.deepEqual(result.clients.map((row) => [row.client, row.sinkholed, row.redirected]), [['127.0.0.2', 300, 0], ['127.0.0.3', 10, 0], ['127.0.0.1', 0, 1]]);
  assert.deepEqual(result.redirected.map((row) => row.name), ['pool.ntp.org']);
});

test('clients known to the directory: log lines carry mac and host, groups match by MAC, the report shows them with the daemon\'s NTP lines', async () => {
  const dir = await tempDir({
    'vendor.list': 'cloud.vendor.example\n',
    // dnsmasq's format: expiry (0: never), MAC, address, hostname, client id.
    'dnsmasq.leases': '0 5c:e9:31:aa:bb:03 127.0.0.3 porch-cam *\n',
    'c.yaml': [
      'clients:',
      '  "127.0.0.2": garage-c200',
      '  "127.0.0.1": nvr',
      'clientDirectory:',
      '  leases: [dnsmasq.leases]',
      '  neighbours: false',
      'groups:',
      '  - name: cams',
      '    clients: ["5C-E9-31-AA-BB-03"]',
      '    unlisted: nxdomain',
      '',
    ].join('\n'),
  });
  const daemon = await startDaemon(['--config', path.join(dir, 'c.yaml'), '--blocklist', path.join(dir, 'vendor.list'), '--listen', '127.0.0.1']);
  const start = daemon.logs.find((line) => line.event === 'start')!;
  assert.match(String(start.clients), /^clients: 3 known; leases: .*dnsmasq\.leases \(dnsmasq, 1 leases\); neighbour table: off; names from config: 2$/);
  const port = daemon.port('udp', 4);
  assert.equal(await queriesFrom('127.0.0.2', port, ['dev.cloud.vendor.example', 'dev.cloud.vendor.example']), 2);
  assert.equal(await queriesFrom('127.0.0.3', port, ['p2p.cloud.vendor.example', 'unknown-name.example']), 2);
  assert.equal(await queriesFrom('127.0.0.4', port, ['dev.cloud.vendor.example']), 1);
  const ntpPort = Number(/:(\d+)$/.exec((start.ntpListen as string[])[0]!)![1]);
  assert.notEqual(await ntpRequest(ntpPort), null);
  const ntpClient = await daemon.waitForLog((line) => line.event === 'ntp-client' && line.client === '127.0.0.1', 3000, 0);
  assert.equal(ntpClient.host, 'nvr');
  assert.equal(await daemon.stop(), 0);

  const sinkholes = daemon.logs.filter((line) => line.event === 'sinkhole');
  const byClient = (client: string): Record<string, unknown> => sinkholes.find((line) => line.client === client)!;
  assert.deepEqual([byClient('127.0.0.2').mac, byClient('127.0.0.2').host], [undefined, 'garage-c200']);
  assert.deepEqual([byClient('127.0.0.3').mac, byClient('127.0.0.3').host, byClient('127.0.0.3').group], ['5c:e9:31:aa:bb:03', 'porch-cam', 'cams']);
  assert.ok(!('mac' in byClient('127.0.0.4')) && !('host' in byClient('127.0.0.4')), 'an unknown client stays its address');
  // The storm line of the repeat carries the identity too.
  const storm = daemon.logs.find((line) => line.event === 'storm' && line.client === '127.0.0.2')!;
  assert.equal(storm.host, 'garage-c200');
  // Group "cams" matched 127.0.0.3 by its MAC: its unlisted name got NXDOMAIN (the default group forwards).
  const unlisted = daemon.logs.find((line) => line.event === 'unlisted' && line.client === '127.0.0.3')!;
  assert.deepEqual([unlisted.group, unlisted.answer, unlisted.host], ['cams', 'NXDOMAIN', 'porch-cam']);
  const clock = daemon.logs.find((line) => line.event === 'ntp-clock')!;
  assert.equal(typeof clock.state, 'string');

  const file = path.join(dir, 'camshim.log');
  await writeFile(file, `${daemon.logs.map((line) => JSON.stringify(line)).join('\n')}\n`);
  const json = await runCli(['report', '--format', 'json', file]);
  assert.equal(json.code, 0, json.stderr);
  const result = JSON.parse(json.stdout) as {
    clients: { client: string; mac?: string; host?: string }[];
    ntp: { clients: { client: string; host?: string; group: string }[]; clock: { state: string }[] };
  };
  const row = (client: string) => result.clients.find((entry) => entry.client === client);
  assert.deepEqual([row('127.0.0.3')?.mac, row('127.0.0.3')?.host], ['5c:e9:31:aa:bb:03', 'porch-cam']);
  assert.equal(row('127.0.0.2')?.host, 'garage-c200');
  assert.deepEqual(result.ntp.clients.map((entry) => [entry.client, entry.host]), [['127.0.0.1', 'nvr']]);
  assert.deepEqual(result.ntp.clock.map((entry) => entry.state), [clock.state]);

  const table = await runCli(['report', file]);
  assert.equal(table.code, 0, table.stderr);
  // 80 columns: the label may be cut, the MAC column is whole.
  assert.match(table.stdout, /\nCLIENT +MAC +SINKHOLED/);
  assert.match(table.stdout, /\nporch-cam \(127\S*\s+5c:e9:31:aa:bb:03\s+1\s+1\s/);
  assert.match(table.stdout, /\ngarage-c200 \(\S*\s+-\s+2\s/);
  const markdown = await runCli(['report', '--format', 'markdown', file]);
  assert.match(markdown.stdout, /\| porch-cam \(127\.0\.0\.3\) \| 5c:e9:31:aa:bb:03 \| 1 \| 1 \|/);
  assert.match(markdown.stdout, /\| garage-c200 \(127\.0\.0\.2\) \| - \| 2 \|/);
  assert.match(table.stdout, new RegExp(`NTP\\n1 clients served first in this window; clock: ${clock.state as string} from`));
  assert.match(table.stdout, /nvr \(127\.0\.0\.1\)\s+default/);
});
