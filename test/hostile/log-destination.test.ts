/**
 * The log destination failing: a reader that stops reading, and stdout closed (EPIPE). The
 * daemon keeps answering, holds a bounded amount of unwritten log, drops the rest with a count
 * and says so once on stderr.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import { QType } from '../../src/wire/constants.js';
import { encodeQuery } from '../../src/wire/encode-query.js';
import { LogDestination } from '../../src/log/destination.js';
import { heldPipe } from '../helpers/fifo.js';
import { startDaemon, tempDir } from '../helpers/daemon.js';
import { dig } from '../helpers/dig.js';
import { mb, rssOf, udpLoad } from './load.js';

const LINE = `${'x'.repeat(99)}\n`;
const until = async (condition: () => boolean, timeoutMs = 5000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

describe('log destination: bounded, never blocking, counted drops', () => {
  test('a reader that stops reading: the buffer stays under the bound, drops counted, one notice, count reported on recovery', async () => {
    const pipe = await heldPipe();
    const notices: string[] = [];
    const recovered: number[] = [];
    const destination = new LogDestination(pipe.writeFd, { maxBufferBytes: 10_000, notice: (text) => notices.push(text), onRecovered: (n) => recovered.push(n) });
    // The kernel's pipe buffer (64 KiB) takes the first lines; let the writes land there.
    for (let i = 0; i < 2000 && destination.dropped === 0; i++) {
      destination.write(LINE);
      if (i % 50 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    }
    const droppedAtStall = destination.dropped;
    for (let i = 0; i < 5000; i++) assert.equal(destination.write(LINE), true);
    assert.ok(destination.dropped >= droppedAtStall + 5000 - 100, `dropped ${destination.dropped}: at most 10,000 bytes (100 lines) more were kept`);
    assert.equal(notices.length, 1);
    assert.match(notices[0]!, /not reading/);
    // The reader comes back: what was kept is written, and the count of the dropped lines reported.
    let read = '';
    await until(() => { read += pipe.drain(); return recovered.length > 0; });
    assert.equal(recovered[0], destination.dropped);
    for (let i = 0; i < 500; i++) destination.write(LINE);
    await until(() => { read += pipe.drain(); return read.length >= 500 * LINE.length; });
    assert.equal(notices.length, 1, 'a second stall is not announced again on stderr');
    assert.equal(await destination.close(), true);
    pipe.closeReader();
  });

  test('a destination that fails (EPIPE): everything after is dropped and counted, one notice, no throw', async () => {
    const pipe = await heldPipe();
    const notices: string[] = [];
    const destination = new LogDestination(pipe.writeFd, { notice: (text) => notices.push(text) });
    pipe.closeReader();
    destination.write('a\n');
    await until(() => destination.broken);
    for (let i = 0; i < 1000; i++) destination.write('c\n');
    assert.ok(destination.dropped >= 1000);
    assert.equal(notices.length, 1);
    assert.match(notices[0]!, /failed \(EPIPE\)/);
    assert.equal(await destination.close(), false);
  });

  test('close waits for what is buffered, and gives up on a reader that never reads', async () => {
    const pipe = await heldPipe();
    const destination = new LogDestination(pipe.writeFd, { maxBufferBytes: 1024 * 1024, notice: () => {} });
    for (let i = 0; i < 2000; i++) destination.write(LINE);
    const started = Date.now();
    assert.equal(await destination.close(200), false, '200 KB cannot go into a 64 KiB pipe nobody reads');
    assert.ok(Date.now() - started < 2000);
    pipe.closeReader();
  });

  test('held lines are handed over before any other line, so the log keeps its order', async () => {
    const pipe = await heldPipe();
    const destination = new LogDestination(pipe.writeFd);
    let held: string | undefined = 'held 1\nheld 2\n';
    destination.attach(() => { const text = held; held = undefined; return text; });
    destination.write('after\n');
    assert.equal(await destination.close(), true);
    assert.equal(pipe.drain(), 'held 1\nheld 2\nafter\n');
    pipe.closeReader();
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
