import type { Logger } from 'pino';
import type { RateLimiter } from '../net/rate-limiter.js';
import type { NtpRateLimitConfig } from '../config/config-schema.js';
import { RateLimiter as Limiter } from '../net/rate-limiter.js';
import type { ClientTable } from './client-table.js';
import type { ClockTracker, NtpClock } from './clock-tracker.js';
import { DROP_REASONS, receiveTimestampOf, respond, stampTransmit, type DropReason, type RateVerdict } from './responder.js';
import { ntpFromUnixNs, TransmitStamper } from './timestamp.js';

export interface NtpCounters {
  received: number;
  /** Replies with time (including leaked over-limit ones). */
  served: number;
  /** Kiss-o'-death RATE replies. */
  kod: number;
  /** Requests over their client's rate limit (answered with KoD, dropped, or leaked). */
  rateLimited: number;
  /** Over-limit requests answered anyway by the random leak. */
  leaked: number;
  sendErrors: number;
  readonly dropped: Record<DropReason, number>;
}

export interface RequestHandlerDeps {
  readonly log: Logger;
  /** Access control and client group, shared with DNS. */
  classify(address: string): { allowed: boolean; group: string };
  readonly clock: NtpClock;
  readonly tracker: ClockTracker;
  readonly limiter: RateLimiter;
  /** The current `ntp.rateLimit` (a reload may change it). */
  rateLimit(): NtpRateLimitConfig;
  readonly clients: ClientTable;
  readonly nowMs: () => number;
  /** The client's MAC and name, when the client directory knows them (asked only for the rare new-client line). */
  identify?(address: string): { readonly mac?: string; readonly name?: string } | undefined;
}

/**
 * One NTP request, straight through like chrony's server path: access list, the clock state
 * (a clock stepped into the past is never served), the pure responder (length, version, mode,
 * trailer, rate limit), the new-client line, then the transmit time stamped last. Returns the
 * reply to send, or null. Every failure is counted, never thrown into the socket.
 */
export class NtpRequestHandler {
  readonly counters: NtpCounters = {
    received: 0, served: 0, kod: 0, rateLimited: 0, leaked: 0, sendErrors: 0,
    dropped: Object.fromEntries(DROP_REASONS.map((r) => [r, 0])) as Record<DropReason, number>,
  };
  private readonly stamper = new TransmitStamper();
  /**
   * New-client lines are themselves rate limited (burst 20, then one per 3 s), so a flood of
   * spoofed source addresses cannot flood the log; the next line says how many were held back.
   */
  private readonly newClientLog: RateLimiter;
  private suppressedNewClients = 0;

  constructor(private readonly deps: RequestHandlerDeps) {
    this.newClientLog = new Limiter({ ratePerSecond: 1 / 3, burst: 20, maxEntries: 1, leakProbability: 0 }, { nowMs: deps.nowMs, random: () => 1 });
  }

  handle(msg: Buffer, client: { address: string; port: number }, receiveNs: bigint): Buffer | null {
    const { counters, deps } = this;
    const { log } = deps;
    counters.received++;
    // Checked per datagram (cheap) so a runtime level change takes effect at once.
    const debug = log.isLevelEnabled('debug');
    try {
      const who = deps.classify(client.address);
      if (!who.allowed) {
        counters.dropped.denied++;
        if (debug) log.debug({ client: client.address, port: client.port, action: 'drop', reason: 'denied' }, 'NTP request');
        return null;
      }
      const state = deps.tracker.forRequest(receiveNs);
      let overLimit = false;
      const decision = respond({
        request: msg,
        receiveNs,
        state,
        rateLimit: (): RateVerdict => {
          const limit = deps.rateLimit();
          if (!limit.enabled) return 'pass';
          const verdict = deps.limiter.check(client.address);
          if (verdict === 'pass') return 'pass';
          overLimit = true;
          counters.rateLimited++;
          if (verdict === 'leaked') {
            counters.leaked++;
            return 'pass';
          }
          return limit.overLimit;
        },
      });
      if (decision.version !== undefined && (decision.action !== 'drop' || decision.reason === 'rate-limited')) {
        this.noteClient(client.address, who.group, decision.version, receiveNs);
      }
      if (debug) {
        log.debug({
          client: client.address, port: client.port, group: who.group, version: decision.version, action: decision.action,
          ...(decision.action === 'drop' ? { reason: decision.reason } : {}), ...(overLimit ? { overLimit } : {}),
        }, 'NTP request');
      }
      if (decision.action === 'drop') {
        counters.dropped[decision.reason]++;
        return null;
      }
      if (decision.action === 'kod') counters.kod++;
      else counters.served++;
      const packet = decision.packet;
      // Transmit time last, strictly increasing across all replies.
      stampTransmit(packet, this.stamper.next(ntpFromUnixNs(deps.clock.nowNs()), receiveTimestampOf(packet)));
      return packet;
    } catch (err) {
      counters.dropped['internal-error']++;
      log.error({ err, client: client.address }, 'NTP request handling failed');
      return null;
    }
  }

  private noteClient(address: string, group: string, version: number, receiveNs: bigint): void {
    if (!this.deps.clients.observe(address, group, version).isNew) return;
    if (this.newClientLog.check('new-client') !== 'pass') { this.suppressedNewClients++; return; }
    const known = this.deps.identify?.(address);
    this.deps.log.info({
      event: 'ntp-client', client: address,
      ...(known?.mac === undefined ? {} : { mac: known.mac }), ...(known?.name === undefined ? {} : { host: known.name }),
      group, version,
      firstSeen: new Date(Number(receiveNs / 1_000_000n)).toISOString(),
      ...(this.suppressedNewClients > 0 ? { suppressedNewClients: this.suppressedNewClients } : {}),
    }, 'new NTP client');
    this.suppressedNewClients = 0;
  }
}
