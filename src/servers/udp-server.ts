import dgram from 'node:dgram';
import type { Logger } from 'pino';
import type { ClientInfo } from '../pipeline/context.js';
import { bindError } from '../net/bind-error.js';
import { DEFAULT_FAIR_SCHEDULER, EVENT_LOOP_TURNS, FairScheduler } from './fair-scheduler.js';
import type { QueryHandler } from './query-handler.js';

export interface BoundSocket {
  readonly protocol: 'udp' | 'tcp';
  readonly address: string;
  readonly port: number;
  close(): Promise<void>;
}

function isWildcardAddress(address: string): boolean {
  return address === '0.0.0.0' || address === '::';
}

/**
 * Replies go to the literal address a datagram came from, so no name lookup is needed; the
 * default (dns.lookup) would still cost a nextTick and closures on every send.
 */
export function literalLookup(address: string, family: number, callback: (error: Error | null, address: string, family: number) => void): void {
  callback(null, address, family);
}

const UDP_RECEIVE_BUFFER = 4 * 1024 * 1024;

/**
 * One UDP socket. The handler does the work; this file only moves datagrams.
 * `shared`: in a cluster worker the socket is shared with the other workers (the primary owns it).
 */
export function startUdpServer(address: string, port: number, handler: QueryHandler, logger: Logger, options: { shared?: boolean } = {}): Promise<BoundSocket> {
  const family = address.includes(':') ? 'udp6' : 'udp4';
  // A larger receive buffer absorbs bursts (a camera storm, a GC pause) instead of the kernel dropping
  // them; the kernel caps it at net.core.rmem_max without error.
  const socket = dgram.createSocket({ type: family, ipv6Only: family === 'udp6', reuseAddr: false, lookup: literalLookup as never, recvBufferSize: UDP_RECEIVE_BUFFER });
  // A wildcard socket cannot tell which local address a datagram hit; a specific one can.
  const localAddress = isWildcardAddress(address) ? undefined : address;
  // No send callback: then Node tries the send at once (uv_udp_try_send) and, when it went
  // out, makes no request object and no completion callback (a per-answer cost saved). A reply
  // that cannot be sent is lost like any UDP datagram, uncounted; the client retries.
  const send = (response: Buffer, rinfo: dgram.RemoteInfo): void => {
    // send() throws when the socket closed while the answer was being worked out (shutdown, a
    // listen address that went away); that loses this answer, never the process.
    try {
      socket.send(response, rinfo.port, rinfo.address);
    } catch (error) {
      handler.stats.internalErrors++;
      logger.warn({ err: error, client: rinfo.address }, 'answer not sent');
    }
  };
  const answer = (packet: Uint8Array, rinfo: dgram.RemoteInfo): void => {
    const client: ClientInfo = { address: rinfo.address, port: rinfo.port, transport: 'udp', localAddress };
    handler.answer(packet, client, (response) => send(response, rinfo));
  };
  // A flooding client waits its turn instead of holding everyone else's queries behind it.
  const scheduler = new FairScheduler(answer, DEFAULT_FAIR_SCHEDULER, EVENT_LOOP_TURNS, handler.stats.udpScheduling);
  socket.on('message', (packet, rinfo) => {
    handler.stats.queriesUdp++;
    scheduler.submit(rinfo.address, packet, rinfo);
  });
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => {
      socket.close();
      reject(bindError(error, { service: 'DNS', protocol: 'udp', address, port }));
    };
    socket.once('error', onError);
    socket.bind({ address, port, exclusive: options.shared !== true }, () => {
      socket.off('error', onError);
      socket.on('error', (error) => logger.warn({ err: error }, 'udp socket error'));
      const bound = socket.address();
      resolve({
        protocol: 'udp', address: bound.address, port: bound.port,
        close: () => new Promise((done) => { scheduler.discard(); socket.close(() => done()); }),
      });
    });
  });
}
