/** Load generators for the hostile tests: bounded in count and time, loopback only. */
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { tcpFrame } from '../../src/wire/tcp-frame.js';
import { tcpMessages } from '../helpers/tcp-messages.js';

export interface UdpLoadResult {
  readonly sent: number;
  readonly answered: number;
  /** Reply per query index (null: none within the timeout). Only kept when `keepReplies`. */
  readonly replies: (Buffer | null)[];
  /** Milliseconds from send to reply, per answered query. */
  readonly latencies: number[];
  readonly ms: number;
}

/**
 * Sends `count` queries from one socket with at most `window` unanswered at once. A query counts
 * as lost after `timeoutMs`. Replies are matched by DNS ID, so `make(i)` must give packet i the
 * ID `i & 0xffff` (and `window` must stay far below 65536).
 */
export function udpLoad(address: string, port: number, count: number, make: (index: number) => Buffer,
  options: { window?: number; timeoutMs?: number; keepReplies?: boolean; bindAddress?: string } = {}): Promise<UdpLoadResult> {
  const window = options.window ?? 64;
  const timeoutMs = options.timeoutMs ?? 1000;
  const socket = dgram.createSocket(address.includes(':') ? 'udp6' : 'udp4');
  const replies: (Buffer | null)[] = options.keepReplies === true ? new Array<Buffer | null>(count).fill(null) : [];
  const latencies: number[] = [];
  const pending = new Map<number, { index: number; at: number }>();
  let next = 0;
  let answered = 0;
  let finished = false;
  const started = performance.now();
  return new Promise((resolve) => {
    const finish = (): void => {
      if (finished) return;
      finished = true;
      clearInterval(sweeper);
      socket.close();
      resolve({ sent: next, answered, replies, latencies, ms: performance.now() - started });
    };
    const pump = (): void => {
      while (next < count && pending.size < window) {
        const index = next++;
        pending.set(index & 0xffff, { index, at: performance.now() });
        socket.send(make(index), port, address);
      }
      if (next >= count && pending.size === 0) finish();
    };
    const sweeper = setInterval(() => {
      const now = performance.now();
      for (const [id, entry] of pending) if (now - entry.at > timeoutMs) pending.delete(id);
      pump();
    }, 50);
    socket.on('message', (message) => {
      if (message.length < 2) return;
      const entry = pending.get(message.readUInt16BE(0));
      if (entry === undefined) return;
      pending.delete(message.readUInt16BE(0));
      answered++;
      latencies.push(performance.now() - entry.at);
      if (options.keepReplies === true) replies[entry.index] = message;
      pump();
    });
    if (options.bindAddress === undefined) pump();
    else socket.bind({ address: options.bindAddress, port: 0 }, pump);
  });
}

/**
 * Fires `count` datagrams without waiting for answers (`perTick` per event-loop turn, or per
 * `intervalMs` when given), then
 * waits `settleMs` and reports how many datagrams came back and their sizes against what was sent.
 */
export function udpBlast(address: string, port: number, count: number, make: (index: number) => Buffer,
  options: { perTick?: number; intervalMs?: number; settleMs?: number; onReply?: (reply: Buffer) => void } = {}): Promise<{ sent: number; replies: number; ms: number }> {
  const perTick = options.perTick ?? 200;
  const socket = dgram.createSocket(address.includes(':') ? 'udp6' : 'udp4');
  let sent = 0;
  let replies = 0;
  const started = performance.now();
  socket.on('message', (message) => { replies++; options.onReply?.(message); });
  return new Promise((resolve) => {
    const tick = (): void => {
      for (let i = 0; i < perTick && sent < count; i++) socket.send(make(sent++), port, address);
      if (sent < count) { if (options.intervalMs === undefined) setImmediate(tick); else setTimeout(tick, options.intervalMs); return; }
      setTimeout(() => { socket.close(); resolve({ sent, replies, ms: performance.now() - started }); }, options.settleMs ?? 300);
    };
    tick();
  });
}

/** Resident set size of a process, in bytes (Linux /proc). */
export function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /VmRSS:\s+(\d+) kB/.exec(status);
  return match === null ? 0 : Number(match[1]) * 1024;
}

export function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** One DNS-over-TCP exchange on a fresh connection; null when nothing came back within `timeoutMs`. */
export function tcpQuery(address: string, port: number, query: Buffer, timeoutMs = 1000): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: address, port });
    const done = (result: Buffer | null): void => { clearTimeout(timer); socket.destroy(); resolve(result); };
    const timer = setTimeout(() => done(null), timeoutMs);
    socket.on('error', () => done(null));
    socket.on('connect', () => socket.write(tcpFrame(query)));
    socket.on('data', tcpMessages(done));
    socket.on('close', () => done(null));
  });
}
