import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { parseClientFilter, parseDomainFilter, parseTimeBound, type ReportFilter } from '../../src/report/filters.js';
import { follow } from '../../src/report/follow.js';
import { describeCadence, GapHistogram } from '../../src/report/gap-histogram.js';
import { parseEvent } from '../../src/report/parse-event.js';
import { MAX_LINE_BYTES } from '../../src/report/read-lines.js';
import { renderCsv } from '../../src/report/render-csv.js';
import { renderList } from '../../src/report/render-list.js';
import { renderMarkdown } from '../../src/report/render-markdown.js';
import { renderText } from '../../src/report/render-text.js';
import { runReport } from '../../src/report/run-report.js';
import { displayWidth, layoutTable } from '../../src/report/text-table.js';
import { MAIN, tempDir } from '../helpers/daemon.js';
import { ntpClientLine, queryLine, stormLine } from '../helpers/log-lines.js';

const T0 = Date.UTC(2026, 11, 1, 8, 0, 0);
const MIN = 60_000;
const NO_FILTER: ReportFilter = { sinceMs: undefined, untilMs: undefined, client: undefined, domain: undefined };

/** Camera .31 calls n-devs.tplinkcloud.com every 3 min for an hour; .32 every 5 min; .33 storms in one line; one unlisted name. */
function cameraLog(): string[] {
  const lines: string[] = [];
  for (let i = 0; i < 20; i++) lines.push(queryLine({ timeMs: T0 + i * 3 * MIN, client: '192.168.20.31', name: 'n-devs.tplinkcloud.com', list: 'tplink', rule: 'tplinkcloud.com' }));
  for (let i = 0; i < 12; i++) lines.push(queryLine({ timeMs: T0 + i * 5 * MIN + 1000, client: '192.168.20.32', name: 'n-devs.tplinkcloud.com', list: 'tplink', rule: 'tplinkcloud.com', v: 0 }));
  lines.push(queryLine({ timeMs: T0 + 10 * MIN, client: '192.168.20.33', name: 'p2p.easy4ipcloud.com', list: 'dahua' }));
  lines.push(stormLine({ timeMs: T0 + 11 * MIN, client: '192.168.20.33', name: 'p2p.easy4ipcloud.com', list: 'dahua', count: 59, firstMs: T0 + 10 * MIN + 1000, lastMs: T0 + 11 * MIN - 1000 }));
  lines.push(queryLine({ timeMs: T0 + 30 * MIN, event: 'unlisted', client: '192.168.20.33', name: 'ota.new-vendor.example', group: 'locked' }));
  lines.push(queryLine({ timeMs: T0 + 31 * MIN, event: 'redirect', client: '192.168.20.31', name: 'pool.ntp.org' }));
  lines.push(ntpClientLine(T0 + 32 * MIN, '192.168.20.31'));
  const time = (line: string): string => (JSON.parse(line) as { time: string }).time;
  return lines.sort((a, b) => time(a).localeCompare(time(b)));
}

async function reportOn(files: string[], filter: ReportFilter = NO_FILTER, stdinText = '') {
  const stdin = new PassThrough();
  stdin.end(stdinText);
  const problems: string[] = [];
  const summary = await runReport({ sources: files, stdin, filter, onProblem: (problem) => problems.push(`${problem.kind}: ${problem.message}`) });
  return { result: summary.result({ top: 20, onlyNew: false }), summary, problems };
}

async function logFile(name: string, lines: readonly string[], options: { gzip?: boolean; dir?: string } = {}): Promise<string> {
  const dir = options.dir ?? await tempDir();
  const file = path.join(dir, name);
  const text = `${lines.join('\n')}\n`;
  await writeFile(file, options.gzip === true ? gzipSync(text) : text);
  return file;
}

function cli(args: readonly string[], stdin = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile('node', [MAIN, 'report', ...args], { env: { ...process.env, NO_COLOR: '1' }, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : (error as { code?: number }).code ?? 1, stdout, stderr });
    });
    child.stdin!.end(stdin);
  });
}

describe('log lines to records', () => {
  test('query events of both schema versions, storms with their counts, NTP clients; everything else skipped with a reason', () => {
    const v1 = parseEvent(queryLine({ timeMs: T0, client: '10.0.0.2', name: 'a.example' }));
    const v0 = parseEvent(queryLine({ timeMs: T0, client: '10.0.0.2', name: 'a.example', v: 0 }));
    assert.deepEqual(v0, v1);
    assert.ok(typeof v1 === 'object' && v1.kind === 'query' && v1.count === 1 && v1.timeMs === T0);
    const storm = parseEvent(stormLine({ timeMs: T0 + MIN, client: 'c', name: 'a.example', count: 42, firstMs: T0 + 1000, lastMs: T0 + 59_000 }));
    assert.ok(typeof storm === 'object' && storm.kind === 'query');
    assert.equal(storm.count, 42);
    assert.equal(storm.timeMs, T0 + 1000);
    assert.equal(storm.lastMs, T0 + 59_000);
    assert.equal(parseEvent(`Dec 01 08:00:00 router camshim[812]: ${queryLine({ timeMs: T0, client: 'c', name: 'a.example' })}`).constructor, Object, 'a syslog prefix is skipped');
    assert.equal(parseEvent('just some text'), 'not-camshim');
    assert.equal(parseEvent('{"level":30,"service":"other","msg":"camshim"}'), 'not-camshim');
    assert.equal(parseEvent('{"service":"camshim","time":"2026-12-01T08:00:00Z","event":"sinkhole"'), 'malformed');
    assert.equal(parseEvent('{"service":"camshim","time":"not a time","event":"sinkhole","client":"c","name":"n"}'), 'malformed');
    assert.equal(parseEvent('{"service":"camshim","v":99,"time":"2026-12-01T08:00:00Z","event":"sinkhole","client":"c","name":"n"}'), 'newer-schema');
    assert.equal(parseEvent('{"service":"camshim","time":"2026-12-01T08:00:00Z","event":"reload","msg":"reloaded"}'), 'other-event');
    assert.equal(parseEvent(stormLine({ timeMs: T0, client: 'c', name: 'n.example', count: 0, firstMs: T0, lastMs: T0 })), 'malformed');
    const ntp = parseEvent(ntpClientLine(T0, '10.0.0.9'));
    assert.ok(typeof ntp === 'object' && ntp.kind === 'ntp-client' && ntp.client === '10.0.0.9');
  });
});

describe('summaries', () => {
  test('exact counts, clients, cadences and candidates for a known log', async () => {
    const { result, problems } = await reportOn([await logFile('camshim.log', cameraLog())]);
    assert.deepEqual(problems, []);
    const [top, second] = result.sinkholed;
    assert.equal(top!.name, 'p2p.easy4ipcloud.com');
    assert.equal(top!.attempts, 60, 'the first line and its storm line\'s 59 repeats');
    assert.equal(top!.clients, 1);
    assert.equal(describeCadence(top!.cadenceMs), '~1 s');
    assert.equal(second!.name, 'n-devs.tplinkcloud.com');
    assert.equal(second!.attempts, 32);
    assert.equal(second!.clients, 2);
    assert.equal(second!.list, 'tplink');
    assert.equal(second!.firstSeen, new Date(T0).toISOString());
    assert.equal(second!.lastSeen, new Date(T0 + 57 * MIN).toISOString());
    // Median of the two clients' cadences (3 and 5 min).
    assert.equal(describeCadence(second!.cadenceMs), '~4 min');
    assert.deepEqual(result.unlisted.map((row) => [row.name, row.attempts]), [['ota.new-vendor.example', 1]]);
    assert.deepEqual(result.redirected.map((row) => row.name), ['pool.ntp.org']);
    assert.deepEqual(result.clients.map((row) => [row.client, row.sinkholed, row.unlisted, row.redirected]),
      [['192.168.20.33', 60, 1, 0], ['192.168.20.31', 20, 0, 1], ['192.168.20.32', 12, 0, 0]]);
    assert.deepEqual(result.clients[1]!.top, [{ name: 'n-devs.tplinkcloud.com', attempts: 20 }]);
    assert.deepEqual(result.ntp.clients.map((row) => row.client), ['192.168.20.31']);
    assert.equal(result.totals.queries, 60 + 32 + 1 + 1);
  });

  test('filters: time window, client block, domain suffix, and names new in the window', async () => {
    const file = await logFile('camshim.log', cameraLog());
    const since = await reportOn([file], { ...NO_FILTER, sinceMs: T0 + 30 * MIN });
    assert.deepEqual(since.result.sinkholed.map((row) => [row.name, row.attempts, row.isNew]), [['n-devs.tplinkcloud.com', 10 + 6, false]]);
    assert.deepEqual(since.result.unlisted.map((row) => [row.name, row.isNew]), [['ota.new-vendor.example', true]]);
    const newOnly = since.summary.result({ top: 20, onlyNew: true });
    assert.deepEqual(newOnly.sinkholed, []);
    const until = await reportOn([file], { ...NO_FILTER, untilMs: T0 + 10 * MIN });
    assert.equal(until.result.sinkholed[0]!.attempts, 4 + 2);
    const client = await reportOn([file], { ...NO_FILTER, client: parseClientFilter('192.168.20.32/32') });
    assert.deepEqual(client.result.clients.map((row) => row.client), ['192.168.20.32']);
    const domain = await reportOn([file], { ...NO_FILTER, domain: parseDomainFilter('easy4ipcloud.com') });
    assert.deepEqual(domain.result.sinkholed.map((row) => row.name), ['p2p.easy4ipcloud.com']);
  });

  test('a rotated set in any order, gzip and plain, counts as one log; cadence survives the file boundary', async () => {
    const lines = cameraLog();
    const dir = await tempDir();
    const third = Math.floor(lines.length / 3);
    const files = [
      await logFile('camshim.log', lines.slice(2 * third), { dir }),
      await logFile('camshim.log.2.gz', lines.slice(0, third), { dir, gzip: true }),
      await logFile('camshim.log.1', lines.slice(third, 2 * third), { dir }),
    ];
    const whole = await reportOn([await logFile('all.log', lines)]);
    const rotated = await reportOn(files);
    assert.deepEqual(rotated.result.sinkholed, whole.result.sinkholed);
    assert.deepEqual(rotated.result.clients, whole.result.clients);
  });

  test('damaged input: a truncated gzip, a binary file, an over-long line and a missing file are reported; the rest is counted', async () => {
    const dir = await tempDir();
    const lines = cameraLog();
    const gz = gzipSync(`${lines.join('\n')}\n`);
    const truncated = path.join(dir, 'cut.log.gz');
    await writeFile(truncated, gz.subarray(0, Math.floor(gz.length * 0.8)));
    const binary = path.join(dir, 'core');
    await writeFile(binary, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256)));
    const long = await logFile('long.log', [queryLine({ timeMs: T0, client: '10.9.9.9', name: 'before.example' }), 'x'.repeat(10 * 1024 * 1024), queryLine({ timeMs: T0 + 1, client: '10.9.9.9', name: 'after.example' })], { dir });
    const { result, problems } = await reportOn([truncated, binary, long, path.join(dir, 'missing.log')]);
    assert.deepEqual(problems.map((problem) => problem.split(':')[0]).sort(), ['binary', 'line-too-long', 'truncated-gzip', 'unreadable']);
    assert.ok(result.totals.queries > 0, 'the lines before the damage are counted');
    assert.deepEqual(result.clients.find((row) => row.client === '10.9.9.9')?.sinkholed, 2, 'lines around the over-long one are read');
    assert.ok(MAX_LINE_BYTES < 10 * 1024 * 1024);
  });
});

describe('output', () => {
  test('the table fits 80 columns, CJK names included, and long names keep their end', async () => {
    const lines = [
      queryLine({ timeMs: T0, client: '192.168.20.31', name: 'a-very-long-device-specific-host-name-for-testing.cn-north-1.vendor-cloud.example', list: 'some-vendor-with-a-long-list-name' }),
      queryLine({ timeMs: T0, client: '192.168.20.31', name: '摄像头.云端.example', list: '小米' }),
      queryLine({ timeMs: T0, client: '192.168.20.31', name: '<script>alert(1)</script>.example' }),
    ];
    const { result } = await reportOn([await logFile('a.log', lines)]);
    const text = renderText(result, { width: 80, color: false });
    for (const line of text.split('\n')) assert.ok(displayWidth(line) <= 80, `${displayWidth(line)} columns: ${line}`);
    assert.match(text, /…[^ ]*vendor-cloud\.example/);
    assert.match(text, /摄像头\.云端\.example/);
    assert.doesNotMatch(text, /\u001b/, 'no colour when asked for none');
    const markdown = renderMarkdown(result);
    assert.match(markdown, /\\<script\\>alert\(1\)\\<\/script\\>\.example/);
    const csv = renderCsv(result).split('\r\n');
    assert.equal(csv[0], 'event,name,list,rule,attempts,clients,first_seen,last_seen,cadence_seconds,new');
    assert.equal(csv.length, 3 + 2);
  });

  test('layoutTable pads by display width', () => {
    const lines = layoutTable([{ heading: 'A' }, { heading: 'B', align: 'right' }], [['中文', '1'], ['ab', '22']], 80);
    assert.deepEqual(lines, ['A      B', '中文   1', 'ab    22']);
  });

  test('list format: unlisted names ready to append, names a list cannot hold left out', async () => {
    const lines = [
      queryLine({ timeMs: T0, event: 'unlisted', client: 'c', name: 'ota.New-Vendor.example' }),
      queryLine({ timeMs: T0, event: 'unlisted', client: 'c', name: 'x\\.odd.example' }),
    ];
    const { result } = await reportOn([await logFile('a.log', lines)]);
    const list = renderList(result).split('\n');
    assert.ok(list.some((line) => line.startsWith('ota.new-vendor.example  # 1 tries from 1 clients')));
    assert.ok(list.some((line) => line === '# 1 names left out: not plain host names'));
  });
});

describe('gaps', () => {
  test('the histogram median is within 5% of the true median', () => {
    const histogram = new GapHistogram();
    for (const gap of [170_000, 180_000, 181_000, 185_000, 3_600_000]) histogram.add(gap);
    const median = histogram.median()!;
    assert.ok(Math.abs(median - 181_000) / 181_000 < 0.05, `median ${median}`);
    assert.equal(new GapHistogram().median(), undefined);
  });

  test('time bounds: relative, named and absolute; garbage is a usage error', () => {
    const now = Date.UTC(2026, 11, 4, 12, 0, 0);
    assert.equal(parseTimeBound('24h', 'since', now), now - 24 * 3_600_000);
    assert.equal(parseTimeBound('90s', 'since', now), now - 90_000);
    assert.equal(parseTimeBound('2026-12-01T08:00:00Z', 'since', now), Date.UTC(2026, 11, 1, 8));
    assert.throws(() => parseTimeBound('yesterdayish', 'since', now), /is not a time/);
    assert.throws(() => parseClientFilter('300.1.1.1/8'), /not an address or CIDR/);
    assert.ok(parseClientFilter('fd20::/64')('fd20::31'));
    assert.ok(parseClientFilter('192.168.20.0/24')('::ffff:192.168.20.7'));
  });
});

describe('camshim report (the command)', () => {
  test('prints the report, and exits 3 when part of the input could not be read', async () => {
    const dir = await tempDir();
    const good = await logFile('camshim.log', cameraLog(), { dir });
    const gz = gzipSync(`${cameraLog().join('\n')}\n`);
    await writeFile(path.join(dir, 'old.log.gz'), gz.subarray(0, gz.length - 20));
    const ok = await cli([good]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /p2p\.easy4ipcloud\.com +dahua +60 +1/);
    const partial = await cli([good, path.join(dir, 'old.log.gz')]);
    assert.equal(partial.code, 3);
    assert.match(partial.stderr, /old\.log\.gz: damaged gzip data/);
    assert.match(partial.stdout, /Sinkholed names/);
    const json = await cli(['--format', 'json', '-'], `${cameraLog().join('\n')}\n`);
    assert.equal(json.code, 0);
    assert.equal((JSON.parse(json.stdout) as { totals: { queries: number } }).totals.queries, 94);
    const bad = await cli(['--since', 'soonish', good]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--since "soonish" is not a time/);
  });

  test('--follow prints each sinkholed query as its line arrives, with the filters', async () => {
    const stdin = new PassThrough();
    const printed: string[] = [];
    const controller = new AbortController();
    const done = follow({ source: '-', stdin, filter: { ...NO_FILTER, domain: parseDomainFilter('tplinkcloud.com') }, onlyNew: false, write: (line) => printed.push(line), signal: controller.signal });
    stdin.write(`${queryLine({ timeMs: T0, client: '192.168.20.31', name: 'n-devs.tplinkcloud.com', host: 'garage-c200' })}\n`);
    stdin.write(`${queryLine({ timeMs: T0, client: '192.168.20.31', name: 'other.example' })}\n`);
    stdin.write(queryLine({ timeMs: T0 + 1000, client: '192.168.20.32', name: 'x.tplinkcloud.com' }).slice(0, 40));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(printed.length, 1);
    assert.match(printed[0]!, /^2026-12-01 08:00:00  garage-c200 \(192\.168\.20\.31\)  n-devs\.tplinkcloud\.com  A  vendor:tplinkcloud\.com  NXDOMAIN\n$/);
    stdin.write(`${queryLine({ timeMs: T0 + 1000, client: '192.168.20.32', name: 'x.tplinkcloud.com' }).slice(40)}\n`);
    stdin.end(`${stormLine({ timeMs: T0 + MIN, client: '192.168.20.32', name: 'x.tplinkcloud.com', count: 30, firstMs: T0 + 2000, lastMs: T0 + 50_000 })}\n`);
    await done;
    assert.equal(printed.length, 3);
    assert.match(printed[2]!, /x30 until 08:00:50/);
  });

  test('--follow on a growing file picks up appended lines and a rotation', async () => {
    const dir = await tempDir();
    const file = await logFile('camshim.log', [queryLine({ timeMs: T0, client: 'c', name: 'old.example' })], { dir });
    const printed: string[] = [];
    const controller = new AbortController();
    const done = follow({ source: file, stdin: new PassThrough(), filter: NO_FILTER, onlyNew: false, write: (line) => printed.push(line), signal: controller.signal, pollMs: 20 });
    const until = async (count: number): Promise<void> => {
      for (let i = 0; i < 200 && printed.length < count; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    };
    await new Promise((resolve) => setTimeout(resolve, 60));
    await writeFile(file, `${queryLine({ timeMs: T0 + 1, client: 'c', name: 'new.example' })}\n`, { flag: 'a' });
    await until(1);
    await writeFile(`${file}.tmp`, `${queryLine({ timeMs: T0 + 2, client: 'c', name: 'rotated.example' })}\n`);
    const { rename } = await import('node:fs/promises');
    await rename(`${file}.tmp`, file);
    await until(2);
    controller.abort();
    await done;
    assert.deepEqual(printed.map((line) => line.split('  ')[2]), ['new.example', 'rotated.example']);
  });
});
