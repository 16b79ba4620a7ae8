import net from 'node:net';
import type { Logger } from 'pino';
import type { ClientInfo } from '../pipeline/context.js';
import { bindError } from '../net/bind-error.js';
import type { QueryHandler } from './query-handler.js';
import type { BoundSocket } from './udp-server.js';
import { tcpFrame } from '../wire/tcp-frame.js';

export interface TcpOptions {
  readonly idleTimeoutMs: number;
  readonly maxConnections: number;
}

/** Responses a connection may have pending before we stop reading from it (backpressure). */
const MAX_PENDING_RESPONSES = 64;

/**
 * DNS over TCP per RFC 7766: 2-byte length framing, pipelined queries answered as they are
 * ready (possibly out of order), an idle timeout, and a connection cap. Each connection is
 * event-driven, so one that stalls mid-message holds only its own buffer (at most one 64 KiB
 * message plus a chunk). At the cap the stalest idle connection is closed for the new one.
 */
/** `shared`: in a cluster worker the listening socket is the primary's, shared by all workers. */
export function startTcpServer(address: string, port: number, options: TcpOptions, handler: QueryHandler, logger: Logger, sharing: { shared?: boolean } = {}): Promise<BoundSocket> {
  const sockets = new Map<net.Socket, Connection>();
  const server = net.createServer({ noDelay: true, pauseOnConnect: false }, (socket) => {
    // At the cap, the connection that has gone longest without a complete query makes room:
    // half-open and slow-drip connections cannot lock fresh clients out.
    if (sockets.size >= options.maxConnections && !evictStalest(sockets)) {
      handler.stats.tcpRejected++;
      socket.destroy();
      return;
    }
    handler.stats.tcpConnections++;
    socket.on('close', () => sockets.delete(socket));
    try {
      sockets.set(socket, serveConnection(socket, options, handler, logger));
    } catch (error) {
      // Setting up one connection failed: that connection goes, the server stays.
      handler.stats.internalErrors++;
      logger.error({ err: error, client: socket.remoteAddress }, 'internal error on a TCP connection; closing it');
      socket.destroy();
    }
  });
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(bindError(error, { service: 'DNS', protocol: 'tcp', address, port }));
    server.once('error', onError);
    server.listen({ host: address, port, ipv6Only: address.includes(':'), exclusive: sharing.shared !== true }, () => {
      server.off('error', onError);
      server.on('error', (error) => logger.warn({ err: error }, 'tcp server error'));
      const bound = server.address() as net.AddressInfo;
      resolve({
        protocol: 'tcp', address: bound.address, port: bound.port,
        close: () => new Promise((done) => {
          for (const socket of sockets.keys()) socket.destroy();
          server.close(() => done());
        }),
      });
    });
  });
}

/** What eviction needs to know about a live connection. */
interface Connection {
  /** performance.now() of the last complete query or written answer (connect time at first). */
  readonly lastProgress: () => number;
  /** Answers still owed: such a connection is not evicted. */
  readonly pending: () => number;
  readonly evict: () => void;
}

function evictStalest(sockets: Map<net.Socket, Connection>): boolean {
  let stalest: Connection | undefined;
  for (const connection of sockets.values()) {
    if (connection.pending() > 0) continue;
    if (stalest === undefined || connection.lastProgress() < stalest.lastProgress()) stalest = connection;
  }
  stalest?.evict();
  return stalest !== undefined;
}

function serveConnection(socket: net.Socket, options: TcpOptions, handler: QueryHandler, logger: Logger): Connection {
  const client: ClientInfo = {
    address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0, transport: 'tcp', localAddress: socket.localAddress,
  };
  let buffered: Buffer = Buffer.alloc(0);
  let pending = 0;
  let closed = false;
  let lastProgress = performance.now();
  // The idle timer restarts on progress only (a complete query, an answer written), not on any
  // byte: a client dripping one byte a second cannot hold a connection past the idle timeout.
  const idle = setTimeout(function onIdle() {
    if (pending > 0) { idle.refresh(); return; }
    handler.stats.tcpTimeouts++;
    socket.destroy();
  }, options.idleTimeoutMs);
  idle.unref();
  const progress = (): void => { lastProgress = performance.now(); idle.refresh(); };
  socket.on('error', () => { /* resets are normal; close handles cleanup */ });
  socket.on('close', () => { closed = true; clearTimeout(idle); });
  const write = (response: Buffer): void => {
    pending--;
    if (closed) return;
    // A throw here (framing, the buffered queries it resumes) ends this connection only.
    try {
      progress();
      socket.write(tcpFrame(response));
      if (pending < MAX_PENDING_RESPONSES && socket.isPaused()) {
        socket.resume();
        answerBuffered();
      }
    } catch (error) {
      failConnection(error);
    }
  };
  const failConnection = (error: unknown): void => {
    handler.stats.internalErrors++;
    logger.error({ err: error, client: client.address }, 'internal error on a TCP connection; closing it');
    socket.destroy();
  };
  const answerBuffered = (): void => {
    while (buffered.length >= 2 && pending < MAX_PENDING_RESPONSES) {
      const length = buffered.readUInt16BE(0);
      if (buffered.length < 2 + length) break;
      const message = buffered.subarray(2, 2 + length);
      buffered = buffered.subarray(2 + length);
      handler.stats.queriesTcp++;
      progress();
      // Counted before the answer: a response made at once is written (and uncounted) inside answer().
      pending++;
      if (!handler.answer(message, client, write, () => { pending--; })) pending--;
    }
    // Too many answers outstanding: stop reading until they are written (backpressure).
    if (pending >= MAX_PENDING_RESPONSES) socket.pause();
    // Copy out the leftover so the big chunk it came from can be freed.
    if (buffered.length > 0 && buffered.byteOffset !== 0) buffered = Buffer.from(buffered);
  };
  socket.on('data', (chunk: Buffer) => {
    // A length prefix is at most 65535, so a connection buffers at most one message plus a chunk.
    try {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      answerBuffered();
    } catch (error) {
      failConnection(error);
    }
  });
  return {
    lastProgress: () => lastProgress,
    pending: () => pending,
    evict: () => { handler.stats.tcpEvicted++; socket.destroy(); },
  };
}
