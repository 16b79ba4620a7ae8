import net from 'node:net';
import { checkReply, upstreamError } from './reply-check.js';
import type { Exchanged } from './udp-exchange.js';
import type { UpstreamAddress } from '../net/upstream-address.js';
import { tcpFrame } from '../wire/tcp-frame.js';

/**
 * One query over TCP (RFC 7766 framing) on a fresh connection. On TCP a reply that does not match
 * is an error, not noise: nobody else can write into our connection.
 */
export function tcpExchange(upstream: UpstreamAddress, query: Buffer, questionEnd: number, timeoutMs: number): Promise<Exchanged> {
  return new Promise((resolve, reject) => {
    let socket: net.Socket;
    try {
      socket = net.connect({ host: upstream.address, port: upstream.port, noDelay: true });
    } catch (error) {
      reject(upstreamError('UPSTREAM_NETWORK', upstream.label, `${error instanceof Error ? error.message : String(error)} (tcp connect)`, error));
      return;
    }
    let done = false;
    let buffered: Buffer = Buffer.alloc(0);
    const finish = (error: Error | undefined, result?: Exchanged): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      if (error !== undefined) reject(error); else resolve(result!);
    };
    const timer = setTimeout(() => finish(upstreamError('UPSTREAM_TIMEOUT', upstream.label, `no reply within ${Math.round(timeoutMs)} ms (tcp)`)), Math.max(1, timeoutMs));
    socket.on('error', (error) => finish(upstreamError('UPSTREAM_NETWORK', upstream.label, `${(error as NodeJS.ErrnoException).code ?? error.message} (tcp)`, error)));
    socket.on('close', () => finish(upstreamError('UPSTREAM_NETWORK', upstream.label, 'connection closed before a reply (tcp)')));
    socket.on('connect', () => {
      try { socket.write(tcpFrame(query)); } catch (error) { finish(upstreamError('UPSTREAM_NETWORK', upstream.label, `${error instanceof Error ? error.message : String(error)} (tcp write)`, error)); }
    });
    socket.on('data', (chunk: Buffer) => {
      // A throw here would leave the event loop and end the process: it fails this exchange only.
      try {
        buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
        if (buffered.length < 2) return;
        const length = buffered.readUInt16BE(0);
        if (buffered.length < 2 + length) return;
        const message = Buffer.from(buffered.subarray(2, 2 + length));
        const checked = checkReply(message, query, questionEnd);
        if ('ignore' in checked) finish(upstreamError('UPSTREAM_BAD_REPLY', upstream.label, `${checked.ignore} (tcp)`));
        else finish(undefined, { reply: message, scan: checked.scan });
      } catch (error) {
        finish(upstreamError('UPSTREAM_BAD_REPLY', upstream.label, `reply handling failed: ${error instanceof Error ? error.message : String(error)} (tcp)`, error));
      }
    });
  });
}
