import dgram from 'node:dgram';
import type { ReplyScan } from '../wire/reply.js';
import { checkReply, upstreamError } from './reply-check.js';
import type { UpstreamAddress } from '../net/upstream-address.js';

export interface Exchanged {
  readonly reply: Buffer;
  readonly scan: ReplyScan;
}

/**
 * One query over UDP from a fresh socket (so a fresh ephemeral source port: Linux picks it at
 * random), connected to the upstream so the kernel already drops datagrams from anyone else.
 * A datagram from another source, with another ID or another question is ignored and the wait
 * goes on; the first matching reply settles. Rejects with UPSTREAM_TIMEOUT or UPSTREAM_NETWORK.
 *
 * Every failure of the socket (connect refused by routing or a firewall, a send error, an ICMP
 * error on receive, a throw in a callback) settles this one exchange as a rejection: nothing
 * escapes into the event loop, where it would end the process.
 */
export function udpExchange(
  upstream: UpstreamAddress, query: Buffer, questionEnd: number, timeoutMs: number, onIgnored: (reason: string) => void,
): Promise<Exchanged> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket(upstream.family === 6 ? 'udp6' : 'udp4');
    let done = false;
    const finish = (error: Error | undefined, result?: Exchanged): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      try { socket.close(); } catch { /* already closed */ }
      if (error !== undefined) reject(error); else resolve(result!);
    };
    const networkError = (error: unknown, step: string): Error => {
      const text = error instanceof Error ? (error as NodeJS.ErrnoException).code ?? error.message : String(error);
      return upstreamError('UPSTREAM_NETWORK', upstream.label, `${text} (udp ${step})`, error);
    };
    const timer = setTimeout(() => finish(upstreamError('UPSTREAM_TIMEOUT', upstream.label, `no reply within ${Math.round(timeoutMs)} ms (udp)`)), Math.max(1, timeoutMs));
    socket.on('error', (error) => finish(networkError(error, 'receive')));
    socket.on('message', (message, rinfo) => {
      try {
        if (rinfo.port !== upstream.port || rinfo.address !== upstream.address.split('%', 2)[0]) { onIgnored('wrong source'); return; }
        const checked = checkReply(message, query, questionEnd);
        if ('ignore' in checked) { onIgnored(checked.ignore); return; }
        finish(undefined, { reply: message, scan: checked.scan });
      } catch (error) {
        finish(upstreamError('UPSTREAM_BAD_REPLY', upstream.label, `reply handling failed: ${error instanceof Error ? error.message : String(error)} (udp)`, error));
      }
    });
    const send = (): void => {
      socket.send(query, (error) => { if (error) finish(networkError(error, 'send')); });
    };
    try {
      // A failed connect (no route, EACCES/EPERM from a firewall) reaches this callback, not the
      // 'error' event; the socket is then unconnected and must not be sent on.
      socket.connect(upstream.port, upstream.address, (error?: Error) => {
        if (done) return;
        if (error) { finish(networkError(error, 'connect')); return; }
        try { send(); } catch (thrown) { finish(networkError(thrown, 'send')); }
      });
    } catch (thrown) {
      finish(networkError(thrown, 'connect'));
    }
  });
}
