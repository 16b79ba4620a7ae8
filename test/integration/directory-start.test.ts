/**
 * DNS does not wait for the client directory unless a group needs it. The directory reads lease
 * files and the neighbour table (a child process); a restarted camshim answers before that is
 * done when no group names clients by MAC, and the log lines of those first queries wait for the
 * directory, so they still carry the camera's MAC and name. A group by MAC makes DNS wait: a
 * client's group, and so its answer, depends on the directory.
 *
 * In process, on 127.0.0.1: the neighbour table is a test's reader that answers when the test says.
 */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import path from 'node:path';
import { test } from 'node:test';
import { startDaemon, type Daemon } from '../../src/app.js';
import { ClientDirectory } from '../../src/clients/index.js';
import { loadConfig } from '../../src/config/load-config.js';
import { QType, RCode } from '../../src/wire/constants.js';
import { encodeQuery } from '../../src/wire/encode-query.js';
import { tempDir } from '../helpers/daemon.js';
import { freePort, memoryLogger } from '../upstream/helpers.js';

const CAMERA_MAC = '5c:e9:31:aa:bb:cc';

/** Sends the query every 20 ms until an answer comes or `withinMs` passes; the answer's rcode, or undefined. */
async function askUntil(port: number, name: string, withinMs: number): Promise<number | undefined> {
  const socket = dgram.createSocket('udp4');
  socket.on('error', () => undefined);
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  try {
    return await new Promise<number | undefined>((resolve) => {
      const send = (): void => { socket.send(encodeQuery(name, QType.A, { id: 0x4444 }), port, '127.0.0.1'); };
      const timer = setInterval(send, 20);
      const deadline = setTimeout(() => { clearInterval(timer); resolve(undefined); }, withinMs);
      socket.once('message', (message) => { clearInterval(timer); clearTimeout(deadline); resolve(message[3]! & 0x0f); });
      send();
    });
  } finally {
    socket.close();
  }
}

interface Started {
  readonly daemon: Promise<Daemon>;
  readonly port: number;
  readonly lines: Record<string, unknown>[];
  /** Lets the neighbour table answer (the directory then finishes its start). */
  readonly releaseNeighbours: () => void;
  /** Whether startDaemon has resolved. */
  readonly started: () => boolean;
}

async function start(groupsYaml: string): Promise<Started> {
  const port = await freePort();
  const dir = await tempDir({
    'vendor.list': 'cloud.vendor.example\n',
    'config.yaml': [
      `dns: { listen: ["127.0.0.1"], port: ${port} }`,
      'ntp: { enabled: false }',
      'upstream: { resolvConf: /dev/null }',
      'lists: { bundled: false, sources: [{ path: vendor.list }], cache: { enabled: false } }',
      `clients: { "${CAMERA_MAC}": garage-c200 }`,
      'clientDirectory: { leases: [] }',
      groupsYaml,
    ].join('\n'),
  });
  const loaded = await loadConfig(path.join(dir, 'config.yaml'));
  const { logger, lines } = memoryLogger('info');
  let releaseNeighbours: () => void = () => undefined;
  const neighboursAnswer = new Promise<void>((resolve) => { releaseNeighbours = resolve; });
  let started = false;
  const daemon = startDaemon({
    loaded, reloadConfig: () => Promise.resolve(loaded), logger,
    makeClientDirectory: (config) => new ClientDirectory({ leases: [], neighbours: true, names: config.clients }, {
      neighbourReader: async () => { await neighboursAnswer; return [{ ip: '127.0.0.1', mac: CAMERA_MAC }]; },
    }),
  });
  void daemon.then(() => { started = true; }, () => undefined);
  return { daemon, port, lines, releaseNeighbours, started: () => started };
}

const sinkholeLines = (lines: readonly Record<string, unknown>[]): Record<string, unknown>[] => lines.filter((line) => line.msg === 'sinkhole');

test('without a group by MAC, DNS answers while the directory still starts, and the first line names the camera once it has', async () => {
  const run = await start('');
  let daemon: Daemon | undefined;
  try {
    assert.equal(await askUntil(run.port, 'cloud.vendor.example', 5000), RCode.NxDomain, 'answered before the neighbour table was read');
    assert.equal(run.started(), false, 'the start waits for the directory (its start line says what it found)');
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(sinkholeLines(run.lines), [], 'the line waits for the directory');
    run.releaseNeighbours();
    daemon = await run.daemon;
    for (let waited = 0; sinkholeLines(run.lines).length === 0 && waited < 2000; waited += 10) await new Promise((resolve) => setTimeout(resolve, 10));
    const [line, ...rest] = sinkholeLines(run.lines);
    assert.equal(rest.length, 0);
    assert.deepEqual([line?.client, line?.mac, line?.host, line?.name], ['127.0.0.1', CAMERA_MAC, 'garage-c200', 'cloud.vendor.example']);
    const startLine = run.lines.find((entry) => entry.event === 'start');
    assert.ok(startLine !== undefined && run.lines.indexOf(startLine) > run.lines.indexOf(line!), 'the start line follows the directory');
  } finally {
    run.releaseNeighbours();
    await (daemon ?? await run.daemon).close();
  }
});

test('with a group by MAC, DNS waits for the directory, and the camera gets its group\'s answer from the first query', async () => {
  const run = await start([
    'groups:',
    `  - { name: cams, clients: ["${CAMERA_MAC}"], lists: [], unlisted: refuse }`,
  ].join('\n'));
  let daemon: Daemon | undefined;
  try {
    assert.equal(await askUntil(run.port, 'cloud.vendor.example', 300), undefined, 'no answer while the directory starts');
    run.releaseNeighbours();
    daemon = await run.daemon;
    assert.equal(await askUntil(run.port, 'cloud.vendor.example', 5000), RCode.Refused, 'the MAC put the camera in its group');
  } finally {
    run.releaseNeighbours();
    await (daemon ?? await run.daemon).close();
  }
});
