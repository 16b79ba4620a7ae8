/** Test helpers for forwarding: reply builders, small misbehaving upstreams, a context builder. */
import dgram from 'node:dgram';
import net from 'node:net';
import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';
import { decodeQuery } from '../../src/wire/query.js';
import { encodeName, responseLimit } from '../../src/wire/response.js';
import type { QueryContext } from '../../src/pipeline/context.js';
import { tcpFrame } from '../../src/wire/tcp-frame.js';
import { tcpMessages } from '../helpers/tcp-messages.js';

export interface Rr { type: number; ttl: number; data: Buffer; owner?: Buffer }

/** A response to `query`: its ID (unless overridden) and question, records owned by the question name. */
export function makeReply(query: Uint8Array, options: { rcode?: number; answers?: Rr[]; authority?: Rr[]; additional?: Rr[]; tc?: boolean; id?: number; question?: Buffer; opt?: boolean } = {}): Buffer {
  const q = Buffer.from(query);
  let end = 12;
  while (q[end] !== 0) end += 1 + q[end]!;
  end += 5;
  const question = options.question ?? q.subarray(12, end);
  const rr = (record: Rr): Buffer => {
    const owner = record.owner ?? Buffer.from([0xc0, 0x0c]);
    const head = Buffer.alloc(10);
    head.writeUInt16BE(record.type, 0); head.writeUInt16BE(1, 2); head.writeUInt32BE(record.ttl, 4); head.writeUInt16BE(record.data.length, 8);
    return Buffer.concat([owner, head, record.data]);
  };
  const answers = options.answers ?? [];
  const authority = options.authority ?? [];
  const additional = options.additional ?? [];
  const header = Buffer.alloc(12);
  header.writeUInt16BE(options.id ?? q.readUInt16BE(0), 0);
  header.writeUInt16BE(0x8180 | (options.tc === true ? 0x0200 : 0) | (options.rcode ?? 0), 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(answers.length, 6);
  header.writeUInt16BE(authority.length, 8);
  header.writeUInt16BE(additional.length + (options.opt === false ? 0 : 1), 10);
  const opt = options.opt === false ? Buffer.alloc(0) : Buffer.from([0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0]);
  return Buffer.concat([header, question, ...answers.map(rr), ...authority.map(rr), ...additional.map(rr), opt]);
}

export function aRecord(address: string, ttl: number): Rr {
  return { type: 1, ttl, data: Buffer.from(address.split('.').map(Number)) };
}

export function txtRecord(text: string, ttl: number): Rr {
  return { type: 16, ttl, data: Buffer.concat([Buffer.from([text.length]), Buffer.from(text)]) };
}

export function soaRecord(ttl: number, minimum: number, owner?: string): Rr {
  const tail = Buffer.alloc(20);
  tail.writeUInt32BE(1, 0); tail.writeUInt32BE(3600, 4); tail.writeUInt32BE(600, 8); tail.writeUInt32BE(86400, 12); tail.writeUInt32BE(minimum, 16);
  return { type: 6, ttl, data: Buffer.concat([encodeName('ns.test'), encodeName('hostmaster.test'), tail]), ...(owner === undefined ? {} : { owner: encodeName(owner) }) };
}

/** The QueryContext the forwarder sees for a client query. */
export function contextFor(packet: Buffer, transport: 'udp' | 'tcp' = 'udp', serverPayload = 1232): QueryContext {
  const decoded = decodeQuery(packet);
  if (decoded.kind !== 'query') throw new Error(`not a query: ${decoded.kind}`);
  return {
    packet, query: decoded.query,
    client: { address: '127.0.0.1', port: 5555, transport, localAddress: undefined },
    allowed: true, group: { name: 'default' } as QueryContext['group'], match: { allow: -1, block: -1, redirect: -1, blockSuffix: -1 },
    limit: responseLimit(decoded.query.edns, transport, serverPayload),
  };
}

export type UdpBehaviour = (query: Buffer, reply: (message: Buffer) => void, socket: dgram.Socket, from: dgram.RemoteInfo) => void;

export interface FakeUpstream {
  readonly port: number;
  readonly label: string;
  /** Every UDP query received, in order. */
  readonly udpQueries: Buffer[];
  readonly tcpQueries: Buffer[];
  close(): Promise<void>;
}

/**
 * A UDP (and optionally TCP, same port) server on 127.0.0.1 whose behaviour the test writes:
 * answer, drop, delay, answer from another port, with another ID...
 */
export async function fakeUpstream(udp: UdpBehaviour, tcp?: (query: Buffer) => Buffer | null): Promise<FakeUpstream> {
  const socket = dgram.createSocket('udp4');
  const udpQueries: Buffer[] = [];
  const tcpQueries: Buffer[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let closed = false;
  socket.on('message', (message, rinfo) => {
    // Loop probes are camshim's own start-up traffic, not client queries.
    if (!message.includes(Buffer.from('camshim-loop-probe'))) udpQueries.push(message);
    udp(message, (out) => socket.send(out, rinfo.port, rinfo.address), socket, rinfo);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  const port = socket.address().port;
  let server: net.Server | undefined;
  if (tcp !== undefined) {
    server = net.createServer((connection) => {
      connection.on('error', () => {});
      connection.on('data', tcpMessages((query) => {
        tcpQueries.push(query);
        const out = tcp(Buffer.from(query));
        if (out !== null) {
          connection.write(tcpFrame(out));
        }
      }));
    });
    await new Promise<void>((resolve, reject) => { server!.once('error', reject); server!.listen(port, '127.0.0.1', () => resolve()); });
  }
  return {
    port, label: `127.0.0.1:${port}`, udpQueries, tcpQueries,
    async close() {
      if (closed) return;
      closed = true;
      for (const timer of timers) clearTimeout(timer);
      await new Promise<void>((resolve) => socket.close(() => resolve()));
      if (server !== undefined) await new Promise<void>((resolve) => server!.close(() => resolve()));
    },
  };
}

/** A pino logger that keeps every line in memory. */
export function memoryLogger(level: pino.Level = 'debug'): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({ write(chunk: Buffer, _enc, done) { for (const text of chunk.toString().split('\n')) if (text !== '') lines.push(JSON.parse(text) as Record<string, unknown>); done(); } });
  return { logger: pino({ level }, stream), lines };
}

/** A free TCP+UDP port on 127.0.0.1 at the time of asking (for a daemon whose port must be known in advance). */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
    const port = socket.address().port;
    await new Promise<void>((resolve) => socket.close(() => resolve()));
    const free = await new Promise<boolean>((resolve) => {
      const server = net.createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error('no free port found');
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
