/**
 * The log destination failing: a reader that stops reading, and stdout closed (EPIPE). The
 * daemon keeps answering, holds a bounded amount of unwritten log, drops the rest with a count
 * and says so once on stderr.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import { QType } from '../../src/dns/wire/constants.js';
import { encodeQuery } from '../../src/dns/wire/encode-query.js';
import { LogSink, type SinkWriter } from '../../src/log/log-sink.js';
import { startDaemon, tempDir } from '../helpers/daemon.js';
import { dig } from '../helpers/dig.js';
import { mb, rssOf, udpLoad } from './load.js';

/** A writer the test drives: writes complete only when told to. */
function heldWriter(): SinkWriter & { writes: string[]; complete(error?: Error): void; released: boolean } {
  let pending: ((error?: Error | null) => void) | undefined;
  const writer = {
    writes: [] as string[],
    released: false,
    write(text: string, done: (error?: Error | null) => void) { writer.writes.push(text); pending = done; },
    writeSync(text: string) { writer.writes.push(text); },
    release() { writer.released = true; },
    complete(error?: Error) { const done = pending; pending = undefined; done?.(error ?? null); },
  };
  return writer;
}

describe('log sink: bounded, never blocking, counted drops', () => {
  test('a destination that stops accepting: buffer stays under the bound, drops counted, one notice, count logged on recovery', () => {
    const writer = heldWriter();
    const notices: string[] = [];
    const recovered: number[] = [];
    const sink = new LogSink(writer, { maxBufferBytes: 10_000, batchMs: 0, notice: (text) => notices.push(text), onRecovered: (n) => recovered.push(n) });
    const line = `${'x'.repeat(99)}\n`;
    for (let i = 0; i < 5000; i++) {
      assert.equal(sink.write(line), true);
      assert.ok(sink.bufferedBytes <= 10_000);
    }
    assert.equal(writer.writes.length, 1, 'one write in flight at a time');
    assert.equal(sink.dropped, 5000 - 100);
    assert.equal(notices.length, 1);
    assert.match(notices[0]!, /not reading/);
    writer.complete();
    assert.deepEqual(recovered, [4900]);
    assert.equal(writer.writes.length, 2, 'the queued lines go out in one write');
    writer.complete();
    for (let i = 0; i < 500; i++) sink.write(line);
    assert.equal(notices.length, 1, 'a second stall is not announced again on stderr');
  });

  test('a destination that fails (EPIPE): everything after is dropped and counted, one notice, no throw', () => {
    const writer = heldWriter();
    const notices: string[] = [];
    const sink = new LogSink(writer, { maxBufferBytes: 10_000, batchMs: 0, notice: (text) => notices.push(text) });
    sink.write('a\n');
    sink.write('b\n');
    writer.complete(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    for (let i = 0; i < 1000; i++) sink.write('c\n');
    assert.equal(sink.dropped, 1001);
    assert.equal(notices.length, 1);
    assert.match(notices[0]!, /failed \(EPIPE\)/);
    assert.equal(writer.released, true);
    sink.flush();
  });

  test('a writer that throws synchronously is a failed destination, not a crash', () => {
    const sink = new LogSink({ write() { throw new Error('EBADF'); }, writeSync() { throw new Error('EBADF'); }, release() {} }, { batchMs: 0, notice: () => {} });
    sink.write('x\n');
    sink.write('y\n');
    assert.equal(sink.broken, true);
    sink.flush();
  });

  test('lines are batched: one write per window, never more than one in flight, flush sends the rest at once', async () => {
    const writer = heldWriter();
    const sink = new LogSink(writer, { batchMs: 20, notice: () => {} });
    for (let i = 0; i < 100; i++) sink.write(`line ${i}\n`);
    assert.equal(writer.writes.length, 0, 'nothing written before the window closes');
    await new Promise((resolve) => setTimeout(resolve, 40));
    assert.equal(writer.writes.length, 1);
    assert.equal(writer.writes[0]!.split('\n').length - 1, 100, 'all 100 lines in one write');
    sink.write('next\n');
    writer.complete();
    assert.equal(writer.writes.length, 1, 'a completed write does not start the next before the window');
    await new Promise((resolve) => setTimeout(resolve, 40));
    assert.deepEqual(writer.writes.slice(1), ['next\n']);
    writer.complete();
    sink.write('at shutdown\n');
    sink.flush();
    assert.deepEqual(writer.writes.slice(2), ['at shutdown\n'], 'flush writes what waits for the window, synchronously');
    assert.equal(writer.released, true);
  });
});

const LIST = 'cloud.vendor.example\n';
const sinkholeQuery = (index: number): Buffer => encodeQuery(`q${index}.cloud.vendor.example`, QType.A, { id: index & 0xffff });

describe('the daemon with a failing log destination', () => {
  test('stdout reader stops reading: answers keep coming, memory stays bounded, dropped lines are counted and said once', async () => {
    const dir = await tempDir({ 'vendor.list': LIST });
    const daemon = await startDaemon(['--blocklist', path.join(dir, 'vendor.list'), '--listen', '127.0.0.1', '--ntp-port', '0']);
    try {
      const port = daemon.port('udp', 4);
      // Warm up, then stop reading the daemon's stdout: the pipe and then camshim's buffer fill.
      await udpLoad('127.0.0.1', port, 2000, sinkholeQuery);
      const rssBefore = rssOf(daemon.process.pid!);
      daemon.process.stdout!.pause();
      const count = 30_000;
      const load = await udpLoad('127.0.0.1', port, count, sinkholeQuery, { window: 32 });
      const rssAfter = rssOf(daemon.process.pid!);
      const answer = await dig('dig', '127.0.0.1', port, ['+notcp', 'late.cloud.vendor.example']);
      console.log(`# stalled stdout: ${load.answered}/${count} sinkhole queries answered (each one a log line) in ${Math.round(load.ms)} ms; RSS ${mb(rssBefore)} -> ${mb(rssAfter)}`);
      assert.equal(load.answered, count, 'every query answered while nobody reads the log');
      assert.equal(answer.status, 'NXDOMAIN');
      assert.ok(rssAfter - rssBefore < 48 * 1024 * 1024, `RSS grew ${mb(rssAfter - rssBefore)}`);
      assert.equal(daemon.stderr().match(/not reading/g)?.length, 1, `one notice on stderr: ${daemon.stderr()}`);
      // Reading again: the count of dropped lines arrives as a log event.
      daemon.process.stdout!.resume();
      const dropped = await daemon.waitForLog((line) => line.event === 'log-dropped', 10_000, 0);
      console.log(`# dropped log lines reported after the reader resumed: ${String(dropped.dropped)}`);
      assert.ok(Number(dropped.dropped) > 1000);
    } finally {
      assert.equal(await daemon.stop(), 0);
    }
  });

  test('stdout closed under the daemon (EPIPE): it keeps answering, says so once, and still exits cleanly', async () => {
    const dir = await tempDir({ 'vendor.list': LIST });
    const daemon = await startDaemon(['--blocklist', path.join(dir, 'vendor.list'), '--listen', '127.0.0.1', '--ntp-port', '0']);
    try {
      const port = daemon.port('udp', 4);
      daemon.process.stdout!.destroy();
      const load = await udpLoad('127.0.0.1', port, 10_000, sinkholeQuery);
      console.log(`# closed stdout: ${load.answered}/10000 answered`);
      assert.equal(load.answered, 10_000);
      const answer = await dig('kdig', '127.0.0.1', port, ['+notcp', 'after.cloud.vendor.example']);
      assert.equal(answer.status, 'NXDOMAIN');
      assert.equal(daemon.stderr().match(/log destination failed \(EPIPE\)/g)?.length, 1, daemon.stderr());
    } finally {
      assert.equal(await daemon.stop(), 0);
    }
  });
});
