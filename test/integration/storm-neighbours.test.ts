/**
 * A storm does not cost other clients their answers, and costs the log a summary, not a line
 * per query: one loopback client repeats one sinkholed name (a bounded number of times, a
 * bounded number in flight) while another asks distinct names one after another. The quiet
 * client gets every answer; every storm query is answered; and the storm's triple is one line
 * for its first query plus summary lines whose counts add up to every other query.
 */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { QType } from '../../src/wire/constants.js';
import { encodeQuery } from '../../src/wire/encode-query.js';
import { runCli, startDaemon, tempDir } from '../helpers/daemon.js';
import { queriesFrom } from '../helpers/loopback-queries.js';

const STORM_NAME = 'dev.cloud.vendor.example';
/** The storm stops here at the latest, whether or not the quiet client is done. */
const STORM_MAX = 20_000;
/** Storm queries in flight: well under the per-client queue bound, so none is dropped for lack of room. */
const IN_FLIGHT = 64;
const QUIET_NAMES = Array.from({ length: 50 }, (_, i) => `n${i}.p2p.other.example`);
/** The default storm window (log.stormWindowSeconds). */
const WINDOW_MS = 60_000;

interface Storm {
  /** Ends the storm (no new queries) and resolves once every query sent is answered, or after 5 s without an answer. */
  finish(): Promise<{ sent: number; answered: number }>;
  answered(): number;
}

/** One name, as fast as the daemon answers, at most IN_FLIGHT outstanding and STORM_MAX in all. */
async function startStorm(port: number): Promise<Storm> {
  const socket = dgram.createSocket({ type: 'udp4', recvBufferSize: 1 << 20 });
  await new Promise<void>((resolve) => socket.bind({ address: '127.0.0.2', port: 0 }, resolve));
  let sent = 0;
  let answered = 0;
  let stopping = false;
  let onIdle: (() => void) | undefined;
  const send = (): void => {
    socket.send(encodeQuery(STORM_NAME, QType.A, { id: sent & 0xffff }), port, '127.0.0.1');
    sent++;
  };
  socket.on('message', () => {
    answered++;
    if (!stopping && sent < STORM_MAX) send();
    else if (answered === sent) onIdle?.();
  });
  for (let i = 0; i < IN_FLIGHT; i++) send();
  return {
    answered: () => answered,
    async finish() {
      stopping = true;
      if (answered < sent) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 5000);
          onIdle = () => { clearTimeout(timer); resolve(); };
        });
      }
      socket.close();
      return { sent, answered };
    },
  };
}

test('a one-name storm from one client: another client gets every answer, and the storm is logged as summaries with its full count', async () => {
  const dir = await tempDir({ 'vendor.list': 'cloud.vendor.example\np2p.other.example\n' });
  const daemon = await startDaemon(['--blocklist', path.join(dir, 'vendor.list'), '--listen', '127.0.0.1']);
  const started = Date.now();
  let storm: Storm | undefined;
  let stormTotal = { sent: 0, answered: 0 };
  try {
    const port = daemon.port('udp', 4);
    storm = await startStorm(port);
    // The quiet client starts once the storm is answered, so its queries meet a storm in progress.
    for (let waited = 0; storm.answered() < IN_FLIGHT && waited < 5000; waited += 10) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.ok(storm.answered() >= IN_FLIGHT, `the storm had ${storm.answered()} answers after 5 s`);
    const quietAnswered = await queriesFrom('127.0.0.3', port, QUIET_NAMES);
    const stormAnsweredMeanwhile = storm.answered();
    stormTotal = await storm.finish();
    storm = undefined;
    const { sent, answered } = stormTotal;
    console.log(`# quiet client: ${quietAnswered}/${QUIET_NAMES.length} answered; storm: ${answered}/${sent} answered`);
    assert.equal(quietAnswered, QUIET_NAMES.length, 'the quiet client got every answer during the storm');
    assert.ok(stormAnsweredMeanwhile > IN_FLIGHT, 'the storm went on while the quiet client asked');
    assert.equal(answered, sent, 'every storm query was answered');
  } finally {
    await storm?.finish();
    assert.equal(await daemon.stop(), 0);
  }
  const elapsedMs = Date.now() - started;
  const lines = daemon.logs.filter((line) => line.service === 'camshim');
  const stormFirst = lines.filter((line) => line.event === 'sinkhole' && line.client === '127.0.0.2');
  const stormSummaries = lines.filter((line) => line.event === 'storm' && line.client === '127.0.0.2');
  const stormLogged = stormFirst.length + stormSummaries.reduce((sum, line) => sum + (line.count as number), 0);
  assert.equal(stormFirst.length, 1, 'one line for the first storm query');
  assert.equal(stormLogged, stormTotal.sent, 'the first line and the summaries account for every storm query');
  assert.ok(stormSummaries.length >= 1 && stormSummaries.length <= Math.ceil(elapsedMs / WINDOW_MS),
    `${stormSummaries.length} storm lines in ${elapsedMs} ms (one per ${WINDOW_MS / 1000} s window)`);
  for (const line of stormSummaries) assert.deepEqual([line.name, line.of, line.type], [STORM_NAME, 'sinkhole', 'A']);
  // The quiet client asked each name once: one line each, no summaries.
  const quietLines = lines.filter((line) => line.client === '127.0.0.3');
  assert.deepEqual(quietLines.map((line) => [line.event, line.name]), QUIET_NAMES.map((name) => ['sinkhole', name]));

  // Every storm query counted: the log's total equals what was sent, and the report reads the same.
  const file = path.join(await tempDir(), 'camshim.log');
  await writeFile(file, `${daemon.logs.map((line) => JSON.stringify(line)).join('\n')}\n`);
  const report = await runCli(['report', '--format', 'json', file]);
  assert.equal(report.code, 0, report.stderr);
  const result = JSON.parse(report.stdout) as { sinkholed: { name: string; attempts: number; clients: number }[] };
  const stormRow = result.sinkholed.find((row) => row.name === STORM_NAME);
  assert.deepEqual(stormRow && [stormRow.attempts, stormRow.clients], [stormTotal.sent, 1]);
});
