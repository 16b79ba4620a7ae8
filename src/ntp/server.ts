/**
 * The NTP server, composed: sockets (ntp-sockets.ts) hand each datagram, with its receive time
 * taken first, to the request handler (request-handler.ts), which decides with the pure
 * responder against the clock state the tracker keeps (clock-tracker.ts); the reply goes back
 * from the socket it came in on. Timers and clocks are injectable.
 */
import type { Logger } from 'pino';
import type { NtpRateLimitConfig } from '../config/config-schema.js';
import { formatEndpoint } from '../net/bind-error.js';
import { clientRateLimiter, limiterOptions } from '../net/client-rate-limit.js';
import { AnchoredClock, measurePrecision } from './clock.js';
import { ClientTable } from './client-table.js';
import { ClockTracker, defaultTimers, describeState, type NtpClock, type NtpTimers } from './clock-tracker.js';
import { NtpSockets, type NtpSocket } from './ntp-sockets.js';
import { NtpRequestHandler } from './request-handler.js';
import type { DropReason } from './responder.js';
import { createHostSyncProbe, type SyncStatusSource } from './sync-status.js';
import type { ClockStateName } from './time-state.js';

export type { NtpClock, NtpTimers, NtpSocket };

export interface NtpServerOptions {
  /**
   * IP addresses to bind at start, e.g. ['127.0.0.1']. Empty: none at start; the caller adds
   * sockets with `listenOn` as addresses come (one socket per address, so replies leave from it).
   */
  listen: readonly string[];
  /** UDP port; 0 asks the kernel for a free one (tests; the config never gives 0: it means no NTP server). */
  port: number;
  /** Stratum served while the host clock is synchronised (default 3). */
  stratum: number;
  /** Stratum served while not synchronised but plausible, like chrony's `local stratum` (default 10). */
  localStratum: number;
  /** Clock plausibility floor: a clock reading earlier than this is never served (release build date). */
  notBefore: Date;
  /** `ntp.rateLimit`, checked by the config schema (the daemon's one place that validates settings). */
  rateLimit: NtpRateLimitConfig;
}

export interface NtpServerDeps {
  logger: Logger;
  /** Access control and client group, shared with DNS. */
  classify(address: string): { allowed: boolean; group: string };
  /** The client's MAC and name where known (the client directory), for the "new NTP client" line. */
  identify?(address: string): { readonly mac?: string; readonly name?: string } | undefined;
  /** Served clock; default: an AnchoredClock on process.hrtime + Date.now. */
  clock?: NtpClock;
  /** Host sync status; default: chronyc / timesyncd / timedatectl / adjtimex probe. */
  syncStatus?: SyncStatusSource;
  /** Uniform [0, 1) for the rate limiter's leak; default Math.random. */
  random?: () => number;
  /** Interval timers; default the global ones (unref'd). */
  timers?: NtpTimers;
  /** Monotonic ms for rate limiting and the client table; default performance.now. */
  nowMs?: () => number;
  /** Clock precision (log2 s); default measured at start. */
  precision?: number;
  /** Sync status re-check period (ms), default 64 000. */
  statusIntervalMs?: number;
  /** Wall-clock step check period (ms), default 1 000. */
  stepCheckIntervalMs?: number;
  /** Bound on the new-client table (default 4096). */
  maxTrackedClients?: number;
}

export interface NtpStats {
  /** Current clock state and why. */
  state: ClockStateName;
  stateReason: string;
  stateSince: string;
  syncSource: string;
  stratum: number;
  leap: number;
  received: number;
  /** Replies with time (including leaked over-limit ones). */
  served: number;
  /** Kiss-o'-death RATE replies. */
  kod: number;
  /** Requests over their client's rate limit (answered with KoD, dropped, or leaked). */
  rateLimited: number;
  /** Over-limit requests answered anyway by the random leak. */
  leaked: number;
  dropped: Record<DropReason, number>;
  sendErrors: number;
  /** Clients in the new-client table. */
  clients: number;
  /** Wall-clock steps detected (and re-anchored). */
  clockSteps: number;
  stateChanges: number;
}

export interface NtpClientSeen {
  readonly address: string;
  readonly group: string;
  readonly version: number;
  readonly requests: number;
  /** ISO times. */
  readonly firstSeen: string;
  readonly lastSeen: string;
}

export interface NtpServerHandle {
  addresses(): { address: string; port: number; family: 'IPv4' | 'IPv6' }[];
  /** Serves NTP on one more address; rejects with an NtpError naming the cause when it cannot bind. */
  listenOn(address: string, port: number): Promise<NtpSocket>;
  stats(): NtpStats;
  /** The clients in the new-client table, most recently seen last, with wall-clock times (the dashboard's "last request"). */
  clients(): NtpClientSeen[];
  /** A reload's `ntp.rateLimit`: applied to the same buckets, as DNS does (no client gets a fresh burst). */
  setRateLimit(rateLimit: NtpRateLimitConfig): void;
  close(): Promise<void>;
}

export async function startNtpServer(options: NtpServerOptions, deps: NtpServerDeps): Promise<NtpServerHandle> {
  const log = deps.logger.child({ module: 'ntp' });
  const clock: NtpClock = deps.clock ?? new AnchoredClock();
  const nowMs = deps.nowMs ?? (() => performance.now());
  const precision = deps.precision ?? measurePrecision();
  let rateLimit = options.rateLimit;
  const limiter = clientRateLimiter(rateLimit, { nowMs, ...(deps.random === undefined ? {} : { random: deps.random }) });
  const clients = new ClientTable(deps.maxTrackedClients ?? 4096, nowMs);
  const tracker = await ClockTracker.start({
    notBefore: options.notBefore, stratum: options.stratum, localStratum: options.localStratum, precision,
    statusIntervalMs: deps.statusIntervalMs ?? 64_000, stepCheckIntervalMs: deps.stepCheckIntervalMs ?? 1_000,
  }, clock, deps.syncStatus ?? createHostSyncProbe(), deps.timers ?? defaultTimers, log);
  const handler = new NtpRequestHandler({
    log, classify: deps.classify, clock, tracker, limiter, rateLimit: () => rateLimit, clients, nowMs,
    ...(deps.identify === undefined ? {} : { identify: deps.identify }),
  });
  const counters = handler.counters;
  const sockets = new NtpSockets((socket, message, rinfo) => {
    // Receive time first: everything after this point counts as server processing time.
    const receiveNs = clock.nowNs();
    const reply = handler.handle(message, rinfo, receiveNs);
    if (reply === null) return;
    socket.send(reply, rinfo.port, rinfo.address, (err) => {
      if (!err) return;
      counters.sendErrors++;
      if (log.isLevelEnabled('debug')) log.debug({ client: rinfo.address, err }, 'NTP send failed');
    });
  }, log);

  // Bind everything or nothing.
  try {
    for (const address of options.listen) await sockets.listen(address, options.port);
  } catch (err) {
    await sockets.close();
    tracker.close();
    throw err;
  }

  const state = tracker.current;
  log.info(
    {
      // The starting clock state, as camshim report reads it (later changes are ntp-clock lines too).
      event: 'ntp-clock',
      listen: sockets.addresses().map((a) => formatEndpoint(a.address, a.port)),
      ...describeState(state),
      precision,
      stratumWhenSynchronised: options.stratum,
      localStratum: options.localStratum,
      notBefore: options.notBefore.toISOString(),
      rateLimit,
    },
    `NTP server started, clock state: ${state.name}`,
  );

  let closed = false;
  return {
    addresses: () => sockets.addresses(),
    listenOn: (address, port) => sockets.listen(address, port),
    stats: () => {
      const current = tracker.current;
      const { dropped, ...rest } = counters;
      return {
        state: current.name,
        stateReason: current.reason,
        stateSince: tracker.since.toISOString(),
        syncSource: current.source,
        stratum: current.stratum,
        leap: current.leap,
        ...rest,
        dropped: { ...dropped },
        clients: clients.size,
        clockSteps: tracker.clockSteps,
        stateChanges: tracker.stateChanges,
      };
    },
    clients: () => {
      // The table keeps the request clock (monotonic); the wall clock's offset to it converts.
      const offset = Date.now() - nowMs();
      const iso = (ms: number): string => new Date(ms + offset).toISOString();
      return clients.list().map((seen) => ({
        address: seen.address, group: seen.group, version: seen.version, requests: seen.requests, firstSeen: iso(seen.firstSeenMs), lastSeen: iso(seen.lastSeenMs),
      }));
    },
    setRateLimit(next) {
      limiter.reconfigure(limiterOptions(next));
      rateLimit = next;
    },
    async close() {
      if (closed) return;
      closed = true;
      tracker.close();
      await sockets.close();
      log.info('NTP server stopped');
    },
  };
}
