import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import path from 'node:path';
import { test } from 'node:test';
import { QType } from '../../src/wire/constants.js';
import { encodeQuery } from '../../src/wire/encode-query.js';
import { startDaemon, tempDir } from '../helpers/daemon.js';
import { udpExchange } from '../helpers/udp.js';

const CONFIG = `
lists:
  bundled: false
  sources: [{ path: vendor.list }]
defaultGroup: { lists: ["*"], unlisted: nxdomain }
dns: { tcp: { enabled: false } }
`;

/** A UDP port that was free a moment ago (for NTP, which must be bound by exactly one worker). */
async function freeUdpPort(): Promise<number> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

test('--workers 2: two workers share the DNS socket, one serves NTP, all stop on SIGTERM', async () => {
  const dir = await tempDir({ 'vendor.list': 'cloud.vendor.example\n', 'config.yaml': CONFIG });
  const ntpPort = await freeUdpPort();
  const daemon = await startDaemon(['--config', path.join(dir, 'config.yaml'), '--listen', '127.0.0.1', '--workers', '2', '--ntp-port', String(ntpPort)], { timeoutMs: 20_000 });
  try {
    const first = await daemon.waitForLog((line) => line.event === 'start' && line.worker === 0, 20_000, 0);
    const second = await daemon.waitForLog((line) => line.event === 'start' && line.worker === 1, 20_000, 0);
    assert.deepEqual(first.listen, second.listen, 'both workers serve the same socket');
    const port = daemon.port('udp', 4);
    for (let i = 0; i < 40; i++) {
      const name = i % 2 === 0 ? `h${i}.cloud.vendor.example` : `h${i}.other.example`;
      const reply = await udpExchange('127.0.0.1', port, encodeQuery(name, QType.A, { id: i + 1 }), 2000);
      assert.ok(reply !== null, `no answer for ${name}`);
      assert.equal(reply.readUInt16BE(0), i + 1);
      assert.equal(reply[3]! & 0x0f, 3, 'NXDOMAIN');
    }
    // NTP: one worker bound the port (a second bind would have failed and killed that worker).
    const ntpRequest = Buffer.alloc(48);
    ntpRequest[0] = 0x23; // version 4, client
    const ntpReply = await udpExchange('127.0.0.1', ntpPort, ntpRequest, 2000);
    assert.ok(ntpReply !== null && ntpReply.length >= 48, 'NTP answered');
    assert.equal(daemon.logs.filter((line) => line.event === 'worker-exit').length, 0, 'no worker died');
  } finally {
    assert.equal(await daemon.stop(), 0);
  }
});

test('--workers rejects nonsense', async () => {
  const { runCli } = await import('../helpers/daemon.js');
  const result = await runCli(['serve', '--workers', '0']);
  assert.notEqual(result.code, 0);
  assert.match(result.stderr, /--workers: expected an integer from 1 to 64, got 0/);
  assert.equal(result.code, 2);
});
