/**
 * Faults around a running daemon: an upstream that stops answering, answers slowly or garbles;
 * a list file deleted or corrupted while running; SIGHUP storms during load.
 */
import assert from 'node:assert/strict';
import { rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { QType } from '../../src/wire/constants.js';
import { encodeQuery } from '../../src/wire/encode-query.js';
import { startDaemon, tempDir, type RunningDaemon } from '../helpers/daemon.js';
import { fuzzScale } from './fuzz.js';
import { mb, percentile, rssOf, udpLoad } from './load.js';
import { startTestUpstream, type TestUpstream } from './upstream.js';

const SCALE = fuzzScale();
const GOOD_LIST = '# vendor: Test\ncloud.vendor.example\nother.vendor.example\n';
const CONFIG = (port: number): string => `
access:
  allow: [127.0.0.0/8, "::1/128"]
lists:
  sources:
    - path: vendor.list
upstream:
  servers: ["127.0.0.1:${port}"]
  timeoutMs: 400
`;

const rcodeOf = (reply: Buffer | null): number => (reply === null ? -1 : reply[3]! & 0x0f);

describe('faults while serving', () => {
  let daemon: RunningDaemon;
  let upstream: TestUpstream;
  let dir: string;
  before(async () => {
    upstream = await startTestUpstream();
    dir = await tempDir({ 'vendor.list': GOOD_LIST, 'config.yaml': CONFIG(upstream.port) });
    daemon = await startDaemon(['--config', path.join(dir, 'config.yaml'), '--listen', '127.0.0.1']);
  });
  after(async () => {
    // The upstream is closed even when the daemon never started: its sockets would keep this file running.
    const code = await daemon?.stop();
    await upstream?.close();
    if (daemon !== undefined) assert.equal(code, 0);
  });

  for (const mode of ['silent', 'slow', 'garble'] as const) {
    test(`upstream ${mode}: forwarded names get SERVFAIL within the timeout, sinkhole answers keep their latency, recovery is immediate`, async () => {
      const port = daemon.port('udp', 4);
      upstream.mode = mode;
      upstream.delayMs = 2000;
      const rssBefore = rssOf(daemon.process.pid!);
      const forwardedCount = Math.round(1000 * SCALE);
      const [forwarded, sinkholed] = await Promise.all([
        udpLoad('127.0.0.1', port, forwardedCount, (i) => encodeQuery(`f${i}.${mode}.example.net`, QType.A, { id: i & 0xffff }), { window: 64, timeoutMs: 2000, keepReplies: true }),
        udpLoad('127.0.0.1', port, 2000, (i) => encodeQuery(`s${i}.cloud.vendor.example`, QType.A, { id: i & 0xffff }), { window: 8, keepReplies: true }),
      ]);
      const rssAfter = rssOf(daemon.process.pid!);
      const servfail = forwarded.replies.filter((r) => rcodeOf(r) === 2).length;
      const nx = sinkholed.replies.filter((r) => rcodeOf(r) === 3).length;
      console.log(`# upstream ${mode}: ${forwarded.answered}/${forwardedCount} forwarded answered (${servfail} SERVFAIL, p99 ${percentile(forwarded.latencies, 99).toFixed(0)} ms); sinkhole ${nx}/2000 NXDOMAIN, p99 ${percentile(sinkholed.latencies, 99).toFixed(2)} ms; RSS ${mb(rssBefore)} -> ${mb(rssAfter)}`);
      assert.equal(forwarded.answered, forwardedCount, 'every forwarded query is answered');
      assert.equal(servfail, forwardedCount);
      assert.ok(percentile(forwarded.latencies, 99) < 1500);
      assert.equal(nx, 2000);
      assert.ok(percentile(sinkholed.latencies, 99) < 100, 'sinkhole answers do not wait on the upstream');
      upstream.mode = 'answer';
      const recovered = await udpLoad('127.0.0.1', port, 50, (i) => encodeQuery(`r${i}.${mode}.example.net`, QType.A, { id: i }), { keepReplies: true });
      assert.equal(recovered.replies.filter((r) => rcodeOf(r) === 0).length, 50);
    });
  }

  test('a list file deleted, corrupted, half-written while running: the old list keeps serving until a good one arrives', async () => {
    const port = daemon.port('udp', 4);
    const listFile = path.join(dir, 'vendor.list');
    const ask = async (name: string): Promise<number> => rcodeOf((await udpLoad('127.0.0.1', port, 1, () => encodeQuery(name, QType.A, { id: 0 }), { keepReplies: true })).replies[0] ?? null);
    const reload = async (): Promise<boolean> => {
      const mark = daemon.logs.length;
      daemon.process.kill('SIGHUP');
      return (await daemon.waitForLog((line) => line.event === 'reload', 5000, mark)).applied === true;
    };
    const bad: [string, () => Promise<void>][] = [
      ['deleted', () => rm(listFile)],
      ['binary garbage', () => writeFile(listFile, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) & 0xff)))],
      ['an HTML error page', () => writeFile(listFile, '<html><head><title>502 Bad Gateway</title></head>\n<body>\n<h1>502</h1>\n</body>\n</html>\n')],
      ['truncated to nothing (caught mid-write)', () => writeFile(listFile, '')],
    ['whitespace only', () => writeFile(listFile, '\n  \n\t\n')],
    ];
    for (const [what, damage] of bad) {
      await damage();
      const applied = await reload();
      const answer = await ask('x.cloud.vendor.example');
      console.log(`# list ${what}: reload applied=${applied}, blocked name -> rcode ${answer}`);
      assert.equal(applied, false, `a list that is ${what} is rejected`);
      assert.equal(answer, 3, `old list still serving after the list was ${what}`);
    }
    await writeFile(listFile, '# vendor: Test\nnew.vendor.example\n');
    assert.equal(await reload(), true);
    assert.equal(await ask('x.new.vendor.example'), 3);
    assert.equal(await ask('x.cloud.vendor.example'), 0, 'the new list replaced the old one whole');
    await writeFile(listFile, GOOD_LIST);
    assert.equal(await reload(), true);
  });

  test('a SIGHUP storm during load: zero queries lost, every answer correct', async () => {
    const port = daemon.port('udp', 4);
    const listFile = path.join(dir, 'vendor.list');
    const count = Math.round(20_000 * SCALE);
    const marks = daemon.logs.length;
    let signals = 0;
    const storm = setInterval(() => {
      // Alternate a good list edit and a broken one: both kinds of reload race the queries.
      // Replaced atomically (write aside, rename), as a list updater should.
      const temp = `${listFile}.${signals}.tmp`;
      const broken = signals % 4 === 3;
      signals++;
      void writeFile(temp, broken ? '<html>\n<body>\n</body>\n</html>\n' : GOOD_LIST).then(() => rename(temp, listFile)).then(() => {
        if (daemon.process.exitCode === null) daemon.process.kill('SIGHUP');
      });
    }, 25);
    const load = await udpLoad('127.0.0.1', port, count, (i) => encodeQuery(i % 2 === 0 ? `s${i}.cloud.vendor.example` : `${i % 3}.pool.ntp.org`, QType.A, { id: i & 0xffff }), { window: 32, timeoutMs: 2000, keepReplies: true });
    clearInterval(storm);
    await writeFile(listFile, GOOD_LIST);
    const wrong = load.replies.filter((reply, i) => (i % 2 === 0 ? rcodeOf(reply) !== 3 : rcodeOf(reply) !== 0)).length;
    await new Promise((resolve) => setTimeout(resolve, 500));
    const reloads = daemon.logs.slice(marks).filter((line) => line.event === 'reload');
    console.log(`# SIGHUP storm: ${signals} signals, ${reloads.length} reloads (${reloads.filter((l) => l.applied === true).length} applied) during ${count} queries in ${Math.round(load.ms)} ms; lost ${count - load.answered}, wrong ${wrong}`);
    assert.ok(signals >= 10);
    assert.ok(reloads.length < signals, 'signals that arrive during a reload collapse into one queued reload');
    assert.equal(load.answered, count, 'zero queries lost during reloads');
    assert.equal(wrong, 0);
    assert.equal(daemon.process.exitCode, null);
  });
});
