import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { QType, RCode } from '../../src/wire/constants.js';

import { emptyMatch } from '../../src/lists/domain-table.js';
import { buildDomainTable } from '../../src/lists/domain-table-builder.js';
import type { ListInfo, ListSet } from '../../src/lists/list-set.js';
import { cachedIsoTime } from '../../src/log/iso-time.js';
import { queryEvent, stormEvent, type LoggedKind, type LoggedQuery } from '../../src/log/query-events.js';
import { jsonString } from '../../src/log/query-line.js';
import { createRootLogger, LOG_BASE } from '../../src/log/logger.js';
import { createQueryLog, MAX_UNIDENTIFIED, QUERY_LOG_BATCH_MS, type QueryLog } from '../../src/log/query-log.js';
import { heldPipe } from '../helpers/fifo.js';
import { tempDir } from '../helpers/daemon.js';
import { seededRandom } from '../helpers/prng.js';

const START_MS = Date.UTC(2026, 10, 21, 6, 40, 12, 118);
/** These tests hold every record's own line; storm collapsing has tests of its own. */
const NO_STORMS = { windowMs: 0, maxWindows: 1 };

/** A pino logger writing into an array, with a clock that ticks once per read, so lines can be compared byte for byte. */
function capture(options: pino.LoggerOptions = {}): { logger: pino.Logger; lines: string[] } {
  const lines: string[] = [];
  let ms = START_MS;
  const logger = pino({ level: 'info', base: LOG_BASE, timestamp: cachedIsoTime(() => ms++), ...options }, { write: (line: string) => { lines.push(line); } });
  return { logger, lines };
}

/** The same through camshim's root logger (the held path), writing to a file read back after close. */
async function captureViaRoot(bindings?: Readonly<Record<string, number>>): Promise<{ logger: pino.Logger; log: QueryLog; text: () => string; close: () => Promise<boolean> }> {
  const file = path.join(await tempDir(), 'log');
  const fd = openSync(file, 'a');
  let ms = START_MS;
  const root = createRootLogger('info', fd, { time: cachedIsoTime(() => ms++), notice: () => {} });
  const logger = bindings === undefined ? root.logger : root.logger.child(bindings);
  return { logger, log: root.queryLog(logger, bindings, NO_STORMS), text: () => readFileSync(file, 'utf8'), close: () => root.close() };
}

function listInfo(index: number, name: string): ListInfo {
  return { index, name, file: `/lists/${name}.list`, kind: 'block', bundled: true, entryCount: 1, meta: {} as ListInfo['meta'], modifiedAt: undefined };
}

const table = buildDomainTable([
  { name: 'tplinkcloud.com', action: 'block', scope: 'subtree', list: 0, line: 16 },
  { name: 'p2p.example', action: 'block', scope: 'below', list: 1, line: 3 },
  { name: 'pool.ntp.org', action: 'block', scope: 'exact', list: 2, line: 12 },
]);
const LISTS = {
  table,
  lists: [listInfo(0, 'tplink'), listInfo(1, 'l\u2028 "odd" \\ name'), listInfo(2, 'ntp-hosts')],
} as unknown as ListSet;
const FILTER = { lists: new Uint8Array([1, 1, 1]), redirects: true };

/** The decision record's part of a logged answer, for each kind of answer a line shows. */
function outcome(kind: 'nxdomain' | 'nodata' | 'redirect4' | 'redirect6'): { rcode: number; address: Uint8Array | undefined } {
  if (kind === 'nxdomain') return { rcode: RCode.NxDomain, address: undefined };
  if (kind === 'nodata') return { rcode: RCode.NoError, address: undefined };
  return { rcode: RCode.NoError, address: kind === 'redirect4' ? new Uint8Array([192, 168, 20, 1]) : new Uint8Array([0xfd, 0x20, ...new Array<number>(13).fill(0), 1]) };
}

function record(kind: LoggedKind, client: string, name: string, qtype: number, group: string, answer: Parameters<typeof outcome>[0], timeMs = 0): LoggedQuery {
  const match = table.match(name, FILTER, emptyMatch());
  return { kind, timeMs, client, name, qtype, group, lists: LISTS, rule: match.block < 0 ? undefined : match.block, ...outcome(answer) };
}

const RECORDS: LoggedQuery[] = [
  record('sinkhole', '192.168.20.31', 'n-devs.tplinkcloud.com', QType.A, 'cameras', 'nxdomain'),
  record('unlisted', 'fd00::31', 'example.org', QType.AAAA, 'default', 'nxdomain'),
  record('redirect', '10.0.0.2', 'pool.ntp.org', QType.A, 'g "quoted" \\ back', 'redirect4'),
  record('redirect', '10.0.0.2', 'pool.ntp.org', QType.AAAA, 'cameras', 'redirect6'),
  record('sinkhole', '192.168.20.32', 'x.p2p.example', QType.HTTPS, 'g\nline', 'nodata'),
  // A name as the wire decoder writes it: presentation text, its backslashes escaped again in JSON.
  record('sinkhole', '192.168.20.33', 'x\\.y\\\\z\\000\\".n-devs.tplinkcloud.com', QType.A, 'cameras', 'nxdomain'),
  // Any other string is escaped as pino does too: quotes, backslashes, control and high bytes.
  record('sinkhole', '127.0.0.1', 'a"b\\c\u0000\u0001\b\t\n\f\r\u001f\u007f\u0080\u00e9\u00ff.tplinkcloud.com', 65280, 'cameras', 'nxdomain'),
  record('unlisted', '127.0.0.1', 'not-from-the-wire-\u0100-\u4e2d.example', QType.A, 'cameras', 'nxdomain'),
  // A client the directory knows: MAC and name, either alone, and a name that needs escaping.
  { ...record('sinkhole', '192.168.20.31', 'n-devs.tplinkcloud.com', QType.A, 'cameras', 'nxdomain'), who: { mac: '5c:e9:31:aa:bb:cc', name: 'garage-c200' } },
  { ...record('sinkhole', '192.168.20.34', 'n-devs.tplinkcloud.com', QType.A, 'cameras', 'nxdomain'), who: { mac: '5c:e9:31:aa:bb:cd' } },
  { ...record('redirect', '10.0.0.2', 'pool.ntp.org', QType.A, 'cameras', 'redirect4'), who: { name: 'nvr "hall" \\ \u00e9\u4e2d' } },
];

/** What pino itself writes for a record: the reference every fast path must equal. */
function viaPino(records: readonly LoggedQuery[], bindings?: pino.Bindings): string[] {
  const { logger, lines } = capture();
  const target = bindings === undefined ? logger : logger.child(bindings);
  for (const query of records) target.info(queryEvent(query), query.kind);
  return lines;
}

describe('the sinkhole log line', () => {
  test('the held path writes byte for byte what pino writes, bindings included, after the batch', async () => {
    for (const bindings of [undefined, { worker: 2 }]) {
      const { log, text, close } = await captureViaRoot(bindings);
      for (const query of RECORDS) log.record({ ...query, timeMs: log.now() });
      assert.equal(text(), '', 'nothing is formatted or written before the batch');
      assert.equal(await close(), true);
      assert.equal(text(), viaPino(RECORDS, bindings).join(''));
      for (const line of text().trimEnd().split('\n')) assert.equal(typeof JSON.parse(line), 'object');
    }
  });

  test('a client lookup adds mac and host to written lines, as pino writes them', async () => {
    const { log, text, close } = await captureViaRoot();
    const known = new Map([['192.168.20.31', { mac: '5c:e9:31:aa:bb:cc', name: 'garage-c200' }], ['fd00::31', { mac: '5c:e9:31:aa:bb:ce' }]]);
    let lookups = 0;
    log.identifyClients((address) => { lookups++; return known.get(address); });
    const plain = RECORDS.slice(0, 3);
    for (const query of plain) log.record({ ...query, timeMs: log.now() });
    assert.equal(await close(), true);
    assert.equal(text(), viaPino(plain.map((query) => ({ ...query, who: known.get(query.client) }))).join(''));
    assert.equal(lookups, plain.length, 'one lookup per written line');
    const first = JSON.parse(text().split('\n')[0]!) as Record<string, unknown>;
    assert.deepEqual([first.client, first.mac, first.host], ['192.168.20.31', '5c:e9:31:aa:bb:cc', 'garage-c200']);
  });

  test('lines made while the client directory starts wait for it, then name the camera, in order', async () => {
    const { log, text, close } = await captureViaRoot();
    const known = new Map<string, { mac: string; name?: string }>();
    let ready: () => void = () => undefined;
    log.identifyClients((address) => known.get(address), new Promise<void>((resolve) => { ready = resolve; }));
    const plain = RECORDS.slice(0, 3);
    for (const query of plain) log.record({ ...query, timeMs: log.now() });
    await new Promise((resolve) => setTimeout(resolve, QUERY_LOG_BATCH_MS * 6));
    assert.equal(text(), '', 'nothing is written while the directory starts');
    known.set('192.168.20.31', { mac: '5c:e9:31:aa:bb:cc', name: 'garage-c200' });
    ready();
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(await close(), true);
    assert.equal(text(), viaPino(plain.map((query) => ({ ...query, who: known.get(query.client) }))).join(''));
  });

  test('past MAX_UNIDENTIFIED waiting lines, everything held is written as it is; closing writes what waits', () => {
    // Through pino (no held batch): every line lands in the array as it is written.
    const { logger, lines } = capture();
    const log = createQueryLog(logger, undefined, NO_STORMS);
    log.identifyClients(() => undefined, new Promise<void>(() => undefined));
    for (let i = 0; i < MAX_UNIDENTIFIED; i++) log.record({ ...RECORDS[0]!, timeMs: log.now() });
    assert.equal(lines.length, 0, 'up to the bound, lines wait');
    log.record({ ...RECORDS[1]!, timeMs: log.now() });
    assert.equal(lines.length, MAX_UNIDENTIFIED + 1, 'the line past the bound writes them all');
    assert.equal((JSON.parse(lines.at(-1)!) as { msg: string }).msg, 'unlisted', 'in order, itself last');
    // A second wait that never ends: close() still writes what waits.
    log.identifyClients(() => undefined, new Promise<void>(() => undefined));
    log.record({ ...RECORDS[2]!, timeMs: log.now() });
    assert.equal(lines.length, MAX_UNIDENTIFIED + 1);
    log.close();
    assert.equal(lines.length, MAX_UNIDENTIFIED + 2);
    assert.equal((JSON.parse(lines.at(-1)!) as { msg: string }).msg, 'redirect');
  });

  test('the batch goes out by itself a few milliseconds after its first record', async () => {
    const { log, text, close } = await captureViaRoot();
    for (const query of RECORDS) log.record({ ...query, timeMs: log.now() });
    const deadline = Date.now() + 2000;
    while (text() === '' && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, QUERY_LOG_BATCH_MS));
    assert.equal(text(), viaPino(RECORDS).join(''));
    await close();
  });

  test('held records and ordinary pino lines stay in the order they were made', async () => {
    const { logger, log, text, close } = await captureViaRoot();
    log.record({ ...RECORDS[0]!, timeMs: log.now() });
    logger.warn({ event: 'other' }, 'between');
    log.record({ ...RECORDS[1]!, timeMs: log.now() });
    await close();
    const lines = text().trimEnd().split('\n').map((line) => JSON.parse(line) as { msg: string });
    assert.deepEqual(lines.map((line) => line.msg), ['sinkhole', 'between', 'unlisted']);
  });

  test('a reload between record and write: the line names the rule of the list set the query used', async () => {
    const { log, text, close } = await captureViaRoot();
    const otherTable = buildDomainTable([{ name: 'other.example', action: 'block', scope: 'subtree', list: 0, line: 99 }]);
    const otherLists = { table: otherTable, lists: [listInfo(0, 'other')] } as unknown as ListSet;
    const other = otherTable.match('a.other.example', FILTER, emptyMatch()).block;
    log.record({ ...RECORDS[0]!, timeMs: log.now() });
    log.record({ ...RECORDS[0]!, name: 'a.other.example', lists: otherLists, rule: other, timeMs: log.now() });
    log.record({ ...RECORDS[0]!, timeMs: log.now() });
    await close();
    const lines = text().trimEnd().split('\n').map((line) => JSON.parse(line) as { list: string; line: number });
    assert.deepEqual(lines.map((line) => [line.list, line.line]), [['tplink', 16], ['other', 99], ['tplink', 16]]);
  });

  test('random names of every byte value round-trip through JSON.parse, as pino writes them', async () => {
    const random = seededRandom(7);
    const names: string[] = [];
    for (let index = 0; index < 500; index++) {
      let name = '';
      const length = 1 + Math.floor(random() * 30);
      for (let char = 0; char < length; char++) name += String.fromCharCode(Math.floor(random() * 256));
      names.push(name);
    }
    const held = await captureViaRoot();
    for (const name of names) held.log.record({ ...RECORDS[0]!, name, timeMs: held.log.now() });
    await held.close();
    const lines = held.text().trimEnd().split('\n');
    assert.deepEqual(lines.map((line) => (JSON.parse(line) as { name: string }).name), names);
    assert.equal(held.text(), viaPino(names.map((name) => ({ ...RECORDS[0]!, name }))).join(''));
  });

  test('follows the logger level, including changes after it was made', () => {
    const { logger, lines } = capture();
    const log = createQueryLog(logger);
    logger.level = 'warn';
    assert.equal(log.enabled, false);
    log.record({ ...RECORDS[0]!, timeMs: log.now() });
    assert.equal(lines.length, 0);
    logger.level = 'debug';
    assert.equal(log.enabled, true);
    log.record({ ...RECORDS[0]!, timeMs: log.now() });
    assert.equal(lines.length, 1);
  });

  test('a logger with a log formatter gets the record through pino itself', () => {
    const { logger, lines } = capture({ formatters: { log: (object) => ({ ...object, extra: true }) } });
    createQueryLog(logger).record(RECORDS[0]!);
    const line = JSON.parse(lines[0]!) as { extra: boolean; name: string; list: string };
    assert.equal(line.extra, true);
    assert.equal(line.name, 'n-devs.tplinkcloud.com');
    assert.equal(line.list, 'tplink');
  });

  test('a stalled destination drops held records too, counted', async () => {
    const pipe = await heldPipe();
    const root = createRootLogger('info', pipe.writeFd, { maxBufferBytes: 10_000, notice: () => {} });
    const log = root.queryLog(root.logger, {}, NO_STORMS);
    // Batches small enough to be written whole, until the pipe is full and the bound is reached.
    for (let round = 0; round < 100; round++) {
      for (let index = 0; index < 30; index++) log.record({ ...RECORDS[0]!, timeMs: log.now() });
      await new Promise((resolve) => setTimeout(resolve, QUERY_LOG_BATCH_MS * 2));
    }
    assert.ok(root.dropped() > 2000, `dropped ${root.dropped()} of 3,000 lines (a 64 KiB pipe and 10,000 bytes hold a few hundred)`);
    assert.equal(await root.close(100), false);
    pipe.closeReader();
  });

  test('storm lines: the held path writes byte for byte what pino writes for the same summary', async () => {
    const file = path.join(await tempDir(), 'log');
    const fd = openSync(file, 'a');
    let ms = START_MS;
    const root = createRootLogger('info', fd, { time: cachedIsoTime(() => ms), notice: () => {} });
    const log = root.queryLog(root.logger, undefined, { windowMs: 60_000, maxWindows: 100 });
    const seen = new Set<string>();
    const records = RECORDS.filter((query) => {
      const key = `${query.client}|${query.name}|${query.qtype}|${query.kind}`;
      return !seen.has(key) && seen.add(key) !== undefined;
    });
    const firstMs = ms;
    for (const [index, query] of records.entries()) {
      // The first query gets its line; `index + 1` repeats a millisecond apart are counted.
      for (let repeat = 0; repeat <= index + 1; repeat++) log.record({ ...query, timeMs: firstMs + repeat });
    }
    ms = firstMs + 30_000;
    log.close();
    assert.equal(await root.close(), true);
    // The reference: pino itself, its clock set to each line's time.
    const lines: string[] = [];
    let at = 0;
    const logger = pino({ level: 'info', base: LOG_BASE, timestamp: cachedIsoTime(() => at) }, { write: (line: string) => { lines.push(line); } });
    at = firstMs;
    for (const query of records) logger.info(queryEvent(query), query.kind);
    at = ms;
    for (const [index, query] of records.entries()) {
      logger.info(stormEvent({ query, count: index + 1, firstMs: firstMs + 1, lastMs: firstMs + index + 1, closedMs: ms }), 'storm');
    }
    const text = readFileSync(file, 'utf8');
    assert.equal(text, lines.join(''));
    const storms = text.trimEnd().split('\n').map((line) => JSON.parse(line) as { event: string; count?: number }).filter((line) => line.event === 'storm');
    assert.deepEqual(storms.map((line) => line.count), records.map((_, index) => index + 1));
  });

  test('jsonString matches JSON.stringify', () => {
    for (const text of ['', 'plain', 'q"', 'b\\', '\u0000', '\u00e9', '\ud800', 'x\u2028y']) assert.equal(jsonString(text), JSON.stringify(text));
  });
});

describe('cachedIsoTime', () => {
  test('formats each millisecond once and changes with the clock', () => {
    let ms = Date.UTC(2026, 10, 21, 0, 0, 0, 5);
    const time = cachedIsoTime(() => ms);
    const first = time();
    assert.equal(first, ',"time":"2026-11-21T00:00:00.005Z"');
    assert.equal(time(), first);
    assert.equal(time(), first, 'same string while the millisecond lasts');
    ms++;
    assert.equal(time(), ',"time":"2026-11-21T00:00:00.006Z"');
    assert.equal(time.at(ms - 1), first, 'a given millisecond, for lines made later');
    assert.equal(time.now(), ms);
  });
});
