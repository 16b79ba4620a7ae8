/** A loopback upstream resolver whose behaviour a test switches at run time. */
import dgram from 'node:dgram';
import net from 'node:net';
import { tcpFrame } from '../../src/wire/tcp-frame.js';
import { tcpMessages } from '../helpers/tcp-messages.js';

export type UpstreamMode = 'answer' | 'silent' | 'slow' | 'garble';

export interface TestUpstream {
  readonly port: number;
  mode: UpstreamMode;
  /** Delay for 'slow', milliseconds. */
  delayMs: number;
  readonly received: { udp: number; tcp: number; any: number };
  close(): Promise<void>;
}

/**
 * Answers every A query with 192.0.2.<n> (TTL 0, so nothing is cached and every query reaches
 * it) and ANY queries with 40 TXT records (~2.5 kB: what an amplifier would love to relay).
 * 'garble' sends random bytes, truncated copies of a good reply, or a reply with a wrong ID.
 */
export async function startTestUpstream(): Promise<TestUpstream> {
  const udp = dgram.createSocket('udp4');
  let garbleCounter = 0;
  let closed = false;
  const state: TestUpstream = {
    port: 0, mode: 'answer', delayMs: 0, received: { udp: 0, tcp: 0, any: 0 },
    close: async () => {
      closed = true;
      await new Promise<void>((resolve) => udp.close(() => resolve()));
      await new Promise<void>((resolve) => { for (const s of sockets) s.destroy(); tcp.close(() => resolve()); });
    },
  };
  const replyTo = (query: Buffer): Buffer | null => {
    if (query.length < 17) return null;
    let end = 12;
    while (end < query.length && query[end] !== 0) end += 1 + query[end]!;
    end += 5;
    if (end > query.length) return null;
    const qtype = query.readUInt16BE(end - 4);
    const question = query.subarray(12, end);
    const records: Buffer[] = [];
    if (qtype === 255) {
      state.received.any++;
      for (let i = 0; i < 40; i++) {
        const text = Buffer.from(`v=amplify-me-${i}-${'x'.repeat(40)}`);
        const head = Buffer.from([0xc0, 0x0c, 0, 16, 0, 1, 0, 0, 0, 0, 0, text.length + 1]);
        records.push(Buffer.concat([head, Buffer.from([text.length]), text]));
      }
    } else if (qtype === 1) {
      records.push(Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 192, 0, 2, query[13] ?? 1]));
    }
    const header = Buffer.alloc(12);
    query.copy(header, 0, 0, 2);
    header.writeUInt16BE(0x8180, 2);
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(records.length, 6);
    return Buffer.concat([header, question, ...records]);
  };
  const garble = (good: Buffer): Buffer => {
    garbleCounter++;
    switch (garbleCounter % 4) {
      case 0: return Buffer.from(Array.from({ length: 1 + (garbleCounter * 7919) % 300 }, (_, i) => (i * 31 + garbleCounter) & 0xff));
      case 1: return good.subarray(0, Math.max(2, good.length - 5));
      case 2: { const copy = Buffer.from(good); copy.writeUInt16BE(copy.readUInt16BE(0) ^ 0x5a5a, 0); return copy; }
      default: { const copy = Buffer.from(good); copy.writeUInt16BE(0xffff, 6); return copy; }
    }
  };
  const respond = (query: Buffer, send: (reply: Buffer) => void): void => {
    const good = replyTo(query);
    if (good === null) return;
    switch (state.mode) {
      case 'answer': send(good); return;
      case 'silent': return;
      case 'slow': setTimeout(() => send(good), state.delayMs); return;
      case 'garble': send(garble(good)); return;
    }
  };
  udp.on('message', (query, from) => {
    state.received.udp++;
    respond(query, (reply) => { if (!closed) udp.send(reply, from.port, from.address); });
  });
  const sockets = new Set<net.Socket>();
  const tcp = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    socket.on('data', tcpMessages((query) => {
      state.received.tcp++;
      respond(query, (reply) => {
        if (!socket.destroyed) socket.write(tcpFrame(reply));
      });
    }));
  });
  await new Promise<void>((resolve) => udp.bind({ address: '127.0.0.1', port: 0 }, () => resolve()));
  const port = udp.address().port;
  await new Promise<void>((resolve, reject) => { tcp.once('error', reject); tcp.listen({ host: '127.0.0.1', port }, () => resolve()); });
  (state as { port: number }).port = port;
  return state;
}
