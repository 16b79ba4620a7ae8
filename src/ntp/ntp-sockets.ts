import dgram from 'node:dgram';
import { isIP } from 'node:net';
import type { Logger } from 'pino';
import { bindError } from '../net/bind-error.js';
import { NtpError } from './errors.js';

/** One UDP socket serving NTP, bound to one address. */
export interface NtpSocket {
  readonly address: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Where a datagram came in: the socket to answer on and the client. */
export type NtpDatagramHandler = (socket: dgram.Socket, message: Buffer, rinfo: dgram.RemoteInfo) => void;

/**
 * The NTP server's sockets, one per address (so a reply leaves from the address the camera
 * asked). This file moves datagrams; the request handler decides what to send.
 */
export class NtpSockets {
  private readonly sockets = new Set<dgram.Socket>();
  private closed = false;

  constructor(private readonly onDatagram: NtpDatagramHandler, private readonly log: Logger) {}

  /** Binds one address; rejects with a bind error naming the cause and the fix. */
  async listen(address: string, port: number): Promise<NtpSocket> {
    if (this.closed) throw new NtpError('NTP_BIND_FAILED', 'NTP: the server is stopped', { address, port });
    const socket = await bindSocket(address, port);
    // Stopped while binding: nobody would close this socket later.
    if (this.closed) {
      await new Promise<void>((r) => socket.close(() => r()));
      throw new NtpError('NTP_BIND_FAILED', 'NTP: the server is stopped', { address, port });
    }
    this.sockets.add(socket);
    socket.on('message', (message, rinfo) => this.onDatagram(socket, message, rinfo));
    socket.on('error', (err) => { this.log.warn({ err }, 'NTP socket error'); });
    const bound = socket.address();
    return { address: bound.address, port: bound.port, close: () => this.closeSocket(socket) };
  }

  addresses(): { address: string; port: number; family: 'IPv4' | 'IPv6' }[] {
    return [...this.sockets].map((s) => {
      const a = s.address();
      return { address: a.address, port: a.port, family: a.family === 'IPv6' ? 'IPv6' : 'IPv4' };
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.sockets].map((socket) => this.closeSocket(socket)));
  }

  private closeSocket(socket: dgram.Socket): Promise<void> {
    if (!this.sockets.delete(socket)) return Promise.resolve();
    return new Promise<void>((r) => socket.close(() => r()));
  }
}

async function bindSocket(address: string, port: number): Promise<dgram.Socket> {
  const family = isIP(address) === 6 ? 'udp6' : 'udp4';
  const socket = dgram.createSocket(family === 'udp6' ? { type: 'udp6', ipv6Only: true } : { type: 'udp4' });
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => {
      socket.close();
      reject(bindError(err, { service: 'NTP', protocol: 'udp', address, port }));
    };
    socket.once('error', onError);
    try {
      socket.bind({ address, port, exclusive: true }, () => {
        socket.off('error', onError);
        resolve();
      });
    } catch (err) {
      socket.off('error', onError);
      reject(bindError(err, { service: 'NTP', protocol: 'udp', address, port }));
    }
  });
  return socket;
}
