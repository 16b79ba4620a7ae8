import dgram from 'node:dgram';
import type { Logger } from 'pino';
import type { ClientInfo } from '../pipeline/context.js';
import { bindError } from './bind-error.js';
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

/** One UDP socket. The handler does the work; this file only moves datagrams. */
export function startUdpServer(address: string, port: number, handler: QueryHandler, logger: Logger): Promise<BoundSocket> {
  const family = address.includes(':') ? 'udp6' : 'udp4';
  const socket = dgram.createSocket({ type: family, ipv6Only: family === 'udp6', reuseAddr: false });
  // A wildcard socket cannot tell which local address a datagram hit; a specific one can.
  const localAddress = isWildcardAddress(address) ? undefined : address;
  const send = (response: Buffer, rinfo: dgram.RemoteInfo): void => {
    socket.send(response, rinfo.port, rinfo.address, (error) => {
      if (error) logger.debug({ err: error, client: rinfo.address }, 'udp send failed');
    });
  };
  socket.on('message', (packet, rinfo) => {
    handler.stats.queriesUdp++;
    const client: ClientInfo = { address: rinfo.address, port: rinfo.port, transport: 'udp', localAddress };
    try {
      const response = handler.handle(packet, client);
      if (response === null) return;
      if (response instanceof Promise) {
        response.then((buffer) => send(buffer, rinfo), (error: unknown) => {
          handler.stats.internalErrors++;
          logger.error({ err: error, client: rinfo.address }, 'query failed');
        });
      } else send(response, rinfo);
    } catch (error) {
      // No packet may stop the server: count it, say it, keep serving.
      handler.stats.internalErrors++;
      logger.error({ err: error, client: rinfo.address }, 'internal error while answering');
    }
  });
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => {
      socket.close();
      reject(bindError(error, 'udp', address, port));
    };
    socket.once('error', onError);
    socket.bind({ address, port, exclusive: true }, () => {
      socket.off('error', onError);
      socket.on('error', (error) => logger.warn({ err: error }, 'udp socket error'));
      const bound = socket.address();
      resolve({
        protocol: 'udp', address: bound.address, port: bound.port,
        close: () => new Promise((done) => socket.close(() => done())),
      });
    });
  });
}
