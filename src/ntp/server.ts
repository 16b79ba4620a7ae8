/**
 * The NTP server: UDP sockets and timers around the pure responder. I/O only.
 *
 * Per datagram: take the receive time first -> access control (injected
 * `classify`) -> `respond()` (length, version, mode, trailer, rate limit) ->
 * stamp the transmit time -> send. Every failure is counted and logged, never
 * thrown out of the socket handler.
 *
 * Timers (injectable): every 64 s the host's sync status is re-probed and the
 * clock state recomputed; every second the anchored clock checks for wall
 * clock steps (re-anchors, logs, recomputes plausibility). State changes are
 * logged at warn (leaving `synchronised`) or info.
 */
import dgram from 'node:dgram';
import { isIP } from 'node:net';
import type { Logger } from 'pino';
import { AnchoredClock, measurePrecision, type StepCheck, type WallClock } from './clock.js';
import { ClientTable } from './client-table.js';
import { bindError, formatEndpoint, NtpError } from './errors.js';
import { DROP_REASONS, receiveTimestampOf, respond, stampTransmit, type DropReason, type RateVerdict } from './responder.js';
import type { NtpRateLimitConfig } from '../config/config-schema.js';
import { clientRateLimiter, limiterOptions } from '../net/client-rate-limit.js';
import { RateLimiter } from '../net/rate-limiter.js';
import { createHostSyncProbe, type HostSync, type SyncStatusSource } from './sync-status.js';
import { selectTimeState, type ClockStateName, type TimeState } from './time-state.js';
import { ntpFromUnixNs, refIdToAscii, TransmitStamper } from './timestamp.js';

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

/** A wall clock, optionally able to detect and absorb steps (AnchoredClock is). */
export interface NtpClock extends WallClock {
  checkStep?(): StepCheck;
}

export interface NtpTimers {
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
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

/** One UDP socket serving NTP, bound to one address. */
export interface NtpSocket {
  readonly address: string;
  readonly port: number;
  close(): Promise<void>;
}

export interface NtpServerHandle {
  addresses(): { address: string; port: number; family: 'IPv4' | 'IPv6' }[];
  /** Serves NTP on one more address; rejects with an NtpError naming the cause when it cannot bind. */
  listenOn(address: string, port: number): Promise<NtpSocket>;
  stats(): NtpStats;
  /** A reload's `ntp.rateLimit`: applied to the same buckets, as DNS does (no client gets a fresh burst). */
  setRateLimit(rateLimit: NtpRateLimitConfig): void;
  close(): Promise<void>;
}

const defaultTimers: NtpTimers = {
  setInterval(fn, ms) {
    const h = setInterval(fn, ms);
    h.unref();
    return h;
  },
  clearInterval(handle) {
    clearInterval(handle as ReturnType<typeof setInterval>);
  },
};

function emptyDropped(): Record<DropReason, number> {
  return Object.fromEntries(DROP_REASONS.map((r) => [r, 0])) as Record<DropReason, number>;
}

function describeState(s: TimeState): Record<string, unknown> {
  return { state: s.name, stratum: s.stratum, leap: s.leap, refId: refIdToAscii(s.refId) || s.refId.toString(16), source: s.source, reason: s.reason };
}

async function bindSocket(address: string, port: number): Promise<dgram.Socket> {
  const family = isIP(address) === 6 ? 'udp6' : 'udp4';
  const socket = dgram.createSocket(family === 'udp6' ? { type: 'udp6', ipv6Only: true } : { type: 'udp4' });
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => {
      socket.close();
      reject(bindError(address, port, err));
    };
    socket.once('error', onError);
    try {
      socket.bind({ address, port, exclusive: true }, () => {
        socket.off('error', onError);
        resolve();
      });
    } catch (err) {
      socket.off('error', onError);
      reject(bindError(address, port, err));
    }
  });
  return socket;
}

export async function startNtpServer(options: NtpServerOptions, deps: NtpServerDeps): Promise<NtpServerHandle> {
  const log = deps.logger.child({ module: 'ntp' });
  const clock: NtpClock = deps.clock ?? new AnchoredClock();
  const syncStatus = deps.syncStatus ?? createHostSyncProbe();
  const timers = deps.timers ?? defaultTimers;
  const nowMs = deps.nowMs ?? (() => performance.now());
  const precision = deps.precision ?? measurePrecision();
  let rl = options.rateLimit;
  const limiter = clientRateLimiter(rl, { nowMs, ...(deps.random === undefined ? {} : { random: deps.random }) });
  const clients = new ClientTable(deps.maxTrackedClients ?? 4096, nowMs);
  // New-client lines are themselves rate limited (burst 20, then one per 3 s), so a flood of
  // spoofed source addresses cannot flood the log; the next line says how many were held back.
  // Looked up only for the rare "new NTP client" line, never per request.
  const identity = (address: string): { mac?: string; host?: string } => {
    const known = deps.identify?.(address);
    return { ...(known?.mac === undefined ? {} : { mac: known.mac }), ...(known?.name === undefined ? {} : { host: known.name }) };
  };
  const newClientLog = new RateLimiter({ ratePerSecond: 1 / 3, burst: 20, maxEntries: 1, leakProbability: 0 }, { nowMs, random: () => 1 });
  let suppressedNewClients = 0;
  const stamper = new TransmitStamper();

  const counters = { received: 0, served: 0, kod: 0, rateLimited: 0, leaked: 0, sendErrors: 0, clockSteps: 0, stateChanges: 0 };
  const dropped = emptyDropped();

  let lastSync: HostSync = await safeProbe();
  let state = computeState();
  let stateSince = new Date(Number(clock.nowNs() / 1_000_000n));

  async function safeProbe(): Promise<HostSync> {
    try {
      return await syncStatus();
    } catch (err) {
      return { status: 'unknown', source: 'none', detail: `sync status probe failed: ${err instanceof Error ? err.message : String(err)}` };
    }
  }

  function computeState(): TimeState {
    return selectTimeState({
      sync: lastSync,
      nowNs: clock.nowNs(),
      notBefore: options.notBefore,
      stratum: options.stratum,
      localStratum: options.localStratum,
      precision,
    });
  }

  function refreshState(trigger: string): void {
    const next = computeState();
    if (next.name !== state.name) {
      counters.stateChanges++;
      const fields = { event: 'ntp-clock', ...describeState(next), previous: state.name, trigger };
      if (state.name === 'synchronised' || next.name === 'unsynchronised') log.warn(fields, `NTP clock state ${state.name} -> ${next.name}`);
      else log.info(fields, `NTP clock state ${state.name} -> ${next.name}`);
      stateSince = new Date(Number(clock.nowNs() / 1_000_000n));
    }
    state = next;
  }

  const sockets = new Set<dgram.Socket>();
  const serve = (socket: dgram.Socket): void => {
    sockets.add(socket);
    socket.on('message', (msg, rinfo) => {
      // Receive time first: everything after this point counts as server processing time.
      const receiveNs = clock.nowNs();
      handle(socket, msg, rinfo, receiveNs);
    });
    socket.on('error', (err) => {
      log.warn({ err }, 'NTP socket error');
    });
  };
  const closeSocket = (socket: dgram.Socket): Promise<void> => {
    if (!sockets.delete(socket)) return Promise.resolve();
    return new Promise<void>((r) => socket.close(() => r()));
  };

  // Bind everything or nothing.
  const initial: dgram.Socket[] = [];
  try {
    for (const address of options.listen) initial.push(await bindSocket(address, options.port));
  } catch (err) {
    await Promise.all(initial.map((s) => new Promise<void>((r) => s.close(() => r()))));
    throw err;
  }
  for (const socket of initial) serve(socket);

  const notBeforeNs = BigInt(options.notBefore.getTime()) * 1_000_000n;

  function handle(socket: dgram.Socket, msg: Buffer, rinfo: dgram.RemoteInfo, receiveNs: bigint): void {
    counters.received++;
    // Checked per datagram (cheap) so a runtime level change takes effect at once.
    const debug = log.isLevelEnabled('debug');
    try {
      const who = deps.classify(rinfo.address);
      if (!who.allowed) {
        dropped.denied++;
        if (debug) log.debug({ client: rinfo.address, port: rinfo.port, action: 'drop', reason: 'denied' }, 'NTP request');
        return;
      }
      // The plausibility floor is checked per request too: a clock stepped into the past between checks is never served.
      let current = state;
      if (current.name !== 'unsynchronised' && receiveNs < notBeforeNs) {
        refreshState('request');
        current = state;
      }
      let overLimit = false;
      const decision = respond({
        request: msg,
        receiveNs,
        state: current,
        rateLimit: (): RateVerdict => {
          if (!rl.enabled) return 'pass';
          const r = limiter.check(rinfo.address);
          if (r === 'pass') return 'pass';
          overLimit = true;
          counters.rateLimited++;
          if (r === 'leaked') {
            counters.leaked++;
            return 'pass';
          }
          return rl.overLimit;
        },
      });
      if (decision.version !== undefined && (decision.action !== 'drop' || decision.reason === 'rate-limited')) {
        const seen = clients.observe(rinfo.address, who.group, decision.version);
        if (seen.isNew) {
          if (newClientLog.check('new-client') === 'pass') {
            log.info(
              {
                event: 'ntp-client',
                client: rinfo.address,
                ...identity(rinfo.address),
                group: who.group,
                version: decision.version,
                firstSeen: new Date(Number(receiveNs / 1_000_000n)).toISOString(),
                ...(suppressedNewClients > 0 ? { suppressedNewClients } : {}),
              },
              'new NTP client',
            );
            suppressedNewClients = 0;
          } else suppressedNewClients++;
        }
      }
      if (debug) {
        log.debug(
          {
            client: rinfo.address,
            port: rinfo.port,
            group: who.group,
            version: decision.version,
            action: decision.action,
            ...(decision.action === 'drop' ? { reason: decision.reason } : {}),
            ...(overLimit ? { overLimit } : {}),
          },
          'NTP request',
        );
      }
      if (decision.action === 'drop') {
        dropped[decision.reason]++;
        return;
      }
      if (decision.action === 'kod') counters.kod++;
      else counters.served++;
      const packet = decision.packet;
      // Transmit time last, strictly increasing across all replies.
      stampTransmit(packet, stamper.next(ntpFromUnixNs(clock.nowNs()), receiveTimestampOf(packet)));
      socket.send(packet, rinfo.port, rinfo.address, (err) => {
        if (err) {
          counters.sendErrors++;
          if (debug) log.debug({ client: rinfo.address, err }, 'NTP send failed');
        }
      });
    } catch (err) {
      dropped['internal-error']++;
      log.error({ err, client: rinfo.address }, 'NTP request handling failed');
    }
  }

  // Periodic work.
  let closed = false;
  let probing = false;
  const statusTimer = timers.setInterval(() => {
    if (probing || closed) return;
    probing = true;
    void safeProbe().then((sync) => {
      probing = false;
      if (closed) return;
      lastSync = sync;
      refreshState('status check');
    });
  }, deps.statusIntervalMs ?? 64_000);
  const stepTimer =
    clock.checkStep === undefined
      ? null
      : timers.setInterval(() => {
          if (closed || clock.checkStep === undefined) return;
          const check = clock.checkStep();
          if (check.stepped) {
            counters.clockSteps++;
            log.warn(
              { offsetMs: Number(check.offsetNs) / 1e6, anchor: check.anchor.method, anchorUncertaintyNs: Number(check.anchor.uncertaintyNs) },
              'wall clock stepped; NTP clock re-anchored',
            );
            refreshState('clock step');
          }
        }, deps.stepCheckIntervalMs ?? 1_000);

  const handleAddresses = (): { address: string; port: number; family: 'IPv4' | 'IPv6' }[] =>
    [...sockets].map((s) => {
      const a = s.address();
      return { address: a.address, port: a.port, family: a.family === 'IPv6' ? 'IPv6' : 'IPv4' };
    });

  // An ntp-clock event too: `camshim report` learns the state the clock started in.
  log.info(
    {
      event: 'ntp-clock',
      listen: handleAddresses().map((a) => formatEndpoint(a.address, a.port)),
      ...describeState(state),
      precision,
      stratumWhenSynchronised: options.stratum,
      localStratum: options.localStratum,
      notBefore: options.notBefore.toISOString(),
      rateLimit: rl,
    },
    `NTP server started, clock state: ${state.name}`,
  );

  return {
    addresses: handleAddresses,
    async listenOn(address, port) {
      if (closed) throw new NtpError('NTP_BIND_FAILED', 'NTP: the server is stopped', { address, port });
      const socket = await bindSocket(address, port);
      // Stopped while binding: nobody would close this socket later.
      if (closed) {
        await new Promise<void>((r) => socket.close(() => r()));
        throw new NtpError('NTP_BIND_FAILED', 'NTP: the server is stopped', { address, port });
      }
      serve(socket);
      const bound = socket.address();
      return { address: bound.address, port: bound.port, close: () => closeSocket(socket) };
    },
    stats: () => ({
      state: state.name,
      stateReason: state.reason,
      stateSince: stateSince.toISOString(),
      syncSource: state.source,
      stratum: state.stratum,
      leap: state.leap,
      ...counters,
      dropped: { ...dropped },
      clients: clients.size,
    }),
    setRateLimit(next) {
      limiter.reconfigure(limiterOptions(next));
      rl = next;
    },
    async close() {
      if (closed) return;
      closed = true;
      timers.clearInterval(statusTimer);
      if (stepTimer !== null) timers.clearInterval(stepTimer);
      await Promise.all([...sockets].map(closeSocket));
      log.info('NTP server stopped');
    },
  };
}
