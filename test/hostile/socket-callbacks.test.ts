/**
 * A throw inside any socket callback (DNS over UDP and TCP, an upstream exchange, the NTP
 * server) ends that one query or connection: it is logged and counted, and the socket keeps
 * serving. Nothing reaches the process as an uncaught exception or unhandled rejection.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { DnsStats } from '../../src/servers/dns-stats.js';
import { QueryHandler } from '../../src/servers/query-handler.js';
import type { Logger } from 'pino';
import { startTcpServer } from '../../src/servers/tcp-server.js';
import { startUdpServer, type BoundSocket } from '../../src/servers/udp-server.js';
import { encodeQuery } from '../../src/wire/encode-query.js';
import { tcpFrame } from '../../src/wire/tcp-frame.js';
import { CamshimError } from '../../src/errors.js';
import { startNtpServer } from '../../src/ntp/server.js';
import { udpExchange as upstreamExchange } from '../../src/upstream/udp-exchange.js';
import { parseUpstreamAddress, type UpstreamAddress } from '../../src/net/upstream-address.js';
import { udpExchange } from '../helpers/udp.js';
import { captureLogger, exchange as ntpExchange, fixedStatus, ManualTimers, request, synced, testOptions } from '../ntp/helpers.js';
import { fakeUpstream, makeReply, memoryLogger } from '../upstream/helpers.js';

const escaped: unknown[] = [];
const onEscape = (error: unknown): void => { escaped.push(error); };
before(() => { process.on('uncaughtException', onEscape); process.on('unhandledRejection', onEscape); });
after(() => { process.off('uncaughtException', onEscape); process.off('unhandledRejection', onEscape); });

/**
 * A handler whose answer depends on the query name: `sync-throw` throws, `async-throw` rejects,
 * `unsendable` resolves to something no socket can send; anything else is echoed back.
 */
function faultyHandler(logger: Logger): QueryHandler {
  const stats = new DnsStats();
  // The real shared query path (QueryHandler.answer) around a handle() that misbehaves on purpose.
  return Object.assign(Object.create(QueryHandler.prototype) as QueryHandler, {
    stats,
    logger,
    handle(packet: Uint8Array): Buffer | Promise<Buffer> | null {
      const text = Buffer.from(packet).toString('latin1');
      if (text.includes('sync-throw')) throw new Error('handler threw');
      if (text.includes('async-throw')) return Promise.reject(new Error('handler rejected'));
      if (text.includes('unsendable')) return Promise.resolve(42 as unknown as Buffer);
      return Buffer.from(packet);
    },
  });
}

const settle = (ms = 50): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('errors inside socket callbacks stay inside one query or connection', () => {
  const sockets: BoundSocket[] = [];
  after(async () => { await Promise.all(sockets.map((socket) => socket.close())); });

  it('DNS over UDP: a throw, a rejection and an unsendable answer are counted and logged; the next query is answered', async () => {
    const { logger, lines } = memoryLogger('warn');
    const handler = faultyHandler(logger);
    const socket = await startUdpServer('127.0.0.1', 0, handler, logger);
    sockets.push(socket);
    for (const name of ['sync-throw.test', 'async-throw.test', 'unsendable.test']) {
      assert.equal(await udpExchange('127.0.0.1', socket.port, encodeQuery(name, 1), 200), null, `${name}: no answer`);
    }
    const fine = encodeQuery('fine.test', 1);
    assert.deepEqual(await udpExchange('127.0.0.1', socket.port, fine, 1000), fine, 'the socket still serves');
    assert.equal(handler.stats.internalErrors, 3);
    assert.equal(lines.length, 3, JSON.stringify(lines));
    assert.deepEqual(escaped, []);
  });

  it('DNS over TCP: a failing query ends only its connection (or only itself); other connections are served', async () => {
    const { logger, lines } = memoryLogger('warn');
    const handler = faultyHandler(logger);
    const socket = await startTcpServer('127.0.0.1', 0, { idleTimeoutMs: 5000, maxConnections: 10 }, handler, logger);
    sockets.push(socket);
    const ask = (names: string[]): Promise<{ answers: number; closed: boolean }> => new Promise((resolve) => {
      const client = net.connect({ host: '127.0.0.1', port: socket.port });
      let data = Buffer.alloc(0);
      let answers = 0;
      client.on('error', () => {});
      client.on('connect', () => client.write(Buffer.concat(names.map((name) => tcpFrame(encodeQuery(name, 1))))));
      client.on('data', (chunk: Buffer) => {
        data = Buffer.concat([data, chunk]);
        while (data.length >= 2 && data.length >= 2 + data.readUInt16BE(0)) { answers++; data = data.subarray(2 + data.readUInt16BE(0)); }
        if (answers === names.filter((name) => name.startsWith('fine')).length) { client.destroy(); resolve({ answers, closed: false }); }
      });
      client.on('close', () => resolve({ answers, closed: true }));
      setTimeout(() => { client.destroy(); resolve({ answers, closed: false }); }, 2000).unref();
    });
    // A throw or rejection costs that query only: the connection answers the next one.
    assert.deepEqual(await ask(['sync-throw.test', 'async-throw.test', 'fine-1.test']), { answers: 1, closed: false });
    // An answer that cannot be written ends its connection.
    assert.equal((await ask(['unsendable.test'])).closed, true);
    assert.deepEqual(await ask(['fine-2.test']), { answers: 1, closed: false }, 'a new connection is served');
    assert.equal(handler.stats.internalErrors, 3);
    assert.equal(lines.length, 3, JSON.stringify(lines));
    assert.deepEqual(escaped, []);
  });

  it('upstream exchange: a throw while handling a datagram fails that exchange with a coded error', async () => {
    // A reply with another ID: the exchange's "ignored" callback runs, and it throws.
    const upstream = await fakeUpstream((query, reply) => reply(makeReply(query, { id: query.readUInt16BE(0) ^ 1 })));
    try {
      const address = parseUpstreamAddress(upstream.label) as UpstreamAddress;
      const query = encodeQuery('x.example.test', 1);
      await assert.rejects(upstreamExchange(address, query, query.length, 2000, () => { throw new Error('callback threw'); }),
        (error: unknown) => error instanceof CamshimError && error.code === 'UPSTREAM_BAD_REPLY' && /callback threw/.test(error.message));
      await settle();
      assert.deepEqual(escaped, []);
    } finally {
      await upstream.close();
    }
  });

  it('NTP server: a throw while handling a request drops that request, counted and logged; the next is served', async () => {
    const cap = captureLogger('info');
    let fail = true;
    const handle = await startNtpServer(testOptions(), {
      logger: cap.logger,
      classify: () => { if (fail) throw new Error('classify threw'); return { allowed: true, group: 'cams' }; },
      syncStatus: fixedStatus(synced({ rootDispersion: 0.001 })),
      timers: new ManualTimers(),
    });
    try {
      const port = handle.addresses()[0]!.port;
      assert.equal(await ntpExchange('127.0.0.1', port, request(), 300), null);
      fail = false;
      assert.notEqual(await ntpExchange('127.0.0.1', port, request(), 2000), null);
      assert.equal(handle.stats().dropped['internal-error'], 1);
      assert.equal(cap.lines.filter((line) => line.msg === 'NTP request handling failed').length, 1);
      assert.deepEqual(escaped, []);
    } finally {
      await handle.close();
    }
  });
});
