/** Test helpers for the NTP server: fakes (clock, status, timers, logger), packet builders, UDP exchange. */
import dgram from 'node:dgram';
import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';
import type { StepCheck } from '../../src/ntp/clock.js';
import { encodeHeader, NTP_HEADER_LENGTH, type NtpHeader } from '../../src/ntp/packet.js';
import type { NtpClock, NtpServerOptions, NtpTimers } from '../../src/ntp/server.js';
import { defaultConfig } from '../../src/config/load-config.js';
import { ntpOptionsFromConfig } from '../../src/ntp/options-from-config.js';
import type { HostSync, SyncStatusSource } from '../../src/ntp/sync-status.js';

/** A transmit timestamp whose low bits do not survive a trip through a double. */
export const LOSSY_TS = 0xe8f0_1234_5678_9abdn;

export const NOT_BEFORE = new Date('2024-01-01T00:00:00Z');
/** 2026-01-01T00:00:00Z in Unix ns. */
export const T2026_NS = 1_767_225_600_000_000_000n;

export class FakeClock implements NtpClock {
  constructor(public ns: bigint = T2026_NS) {}
  nowNs(): bigint {
    return this.ns;
  }
  advanceMs(ms: number): void {
    this.ns += BigInt(Math.round(ms * 1e6));
  }
  step: StepCheck | null = null;
  checkStep(): StepCheck {
    const s = this.step;
    this.step = null;
    return s ?? { stepped: false, offsetNs: 0n, anchor: { hr: 0n, wallNs: this.ns, uncertaintyNs: 0n, method: 'tick' } };
  }
}

export function synced(extra: Partial<HostSync> = {}): HostSync {
  return { status: 'synchronised', source: 'test', detail: 'test: synchronised', ...extra };
}
export function unsynced(): HostSync {
  return { status: 'unsynchronised', source: 'test', detail: 'test: not synchronised' };
}
export function fixedStatus(sync: HostSync): SyncStatusSource {
  return async () => sync;
}

/** Timers that run only when told to. */
export class ManualTimers implements NtpTimers {
  #next = 1;
  readonly jobs = new Map<number, { fn: () => void; ms: number }>();
  setInterval(fn: () => void, ms: number): unknown {
    const id = this.#next++;
    this.jobs.set(id, { fn, ms });
    return id;
  }
  clearInterval(handle: unknown): void {
    this.jobs.delete(handle as number);
  }
  /** Run every job with the given period once. */
  fire(ms: number): void {
    for (const job of [...this.jobs.values()]) if (job.ms === ms) job.fn();
  }
}

export interface CapturedLogger {
  logger: Logger;
  lines: Array<Record<string, unknown>>;
}

export function captureLogger(level: pino.Level = 'info'): CapturedLogger {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString('utf8').split('\n')) if (l.trim() !== '') lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { logger: pino({ level }, stream), lines };
}

export function testOptions(overrides: Partial<NtpServerOptions> = {}): NtpServerOptions {
  // The config's defaults: the server is tested with what the daemon gives it.
  return { ...ntpOptionsFromConfig(defaultConfig())!, port: 0, listen: ['127.0.0.1'], notBefore: NOT_BEFORE, ...overrides };
}

export interface RequestFields {
  leap?: number;
  version?: number;
  mode?: number;
  stratum?: number;
  poll?: number;
  precision?: number;
  transmitTs?: bigint;
  trailer?: Uint8Array;
}

/** A client request: by default NTPv4 mode 3 with every other header field deliberately odd. */
export function request(f: RequestFields = {}): Buffer {
  const h: NtpHeader = {
    leap: f.leap ?? 0,
    version: f.version ?? 4,
    mode: f.mode ?? 3,
    stratum: f.stratum ?? 0,
    poll: f.poll ?? 6,
    precision: f.precision ?? -6,
    rootDelay: 0,
    rootDispersion: 0,
    refId: 0,
    referenceTs: 0n,
    originTs: 0n,
    receiveTs: 0n,
    transmitTs: f.transmitTs ?? LOSSY_TS,
  };
  const head = encodeHeader(h);
  return f.trailer ? Buffer.concat([head, f.trailer]) : head;
}

/** An extension field (RFC 7822) of the given type and total length (>= 16, multiple of 4). */
export function extensionField(type: number, length: number): Buffer {
  const b = Buffer.alloc(length, 0xab);
  b.writeUInt16BE(type, 0);
  b.writeUInt16BE(length, 2);
  return b;
}

export function txOf(packet: Buffer): bigint {
  return packet.readBigUInt64BE(40);
}

/**
 * Send `packets` in order from one socket, then a marker request, and collect
 * every datagram that comes back until the marker's reply (or `timeoutMs`).
 * Loopback keeps order and the server is single-threaded, so any reply to an
 * earlier packet arrives before the marker's.
 */
export async function sendThenMarker(
  address: string,
  port: number,
  packets: Buffer[],
  timeoutMs = 2000,
): Promise<{ replies: Buffer[]; marker: Buffer | null }> {
  const socket = dgram.createSocket(address.includes(':') ? 'udp6' : 'udp4');
  const markerTs = 0x1234_5678_9abc_def1n;
  const replies: Buffer[] = [];
  try {
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => resolve({ replies, marker: null }), timeoutMs);
      socket.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      socket.on('message', (msg) => {
        if (msg.length >= NTP_HEADER_LENGTH && msg.readBigUInt64BE(24) === markerTs) {
          clearTimeout(timer);
          resolve({ replies, marker: msg });
        } else replies.push(msg);
      });
      socket.bind(0, address, () => {
        for (const p of packets) socket.send(p, port, address);
        socket.send(request({ transmitTs: markerTs }), port, address);
      });
    });
  } finally {
    socket.close();
  }
}

/** One request, one reply (or null after timeoutMs). */
export async function exchange(address: string, port: number, packet: Buffer, timeoutMs = 2000): Promise<Buffer | null> {
  const socket = dgram.createSocket(address.includes(':') ? 'udp6' : 'udp4');
  try {
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => resolve(null), timeoutMs);
      socket.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      socket.on('message', (msg) => {
        clearTimeout(timer);
        resolve(msg);
      });
      socket.bind(0, address, () => socket.send(packet, port, address));
    });
  } finally {
    socket.close();
  }
}

/** Deterministic PRNG for reproducible hostile inputs. */
export { seededRandom as prng } from '../helpers/prng.js';

export function randomBytes(rand: () => number, length: number): Buffer {
  const b = Buffer.alloc(length);
  for (let i = 0; i < length; i++) b[i] = Math.floor(rand() * 256);
  return b;
}
