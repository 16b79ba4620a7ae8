import path from 'node:path';
import type { Logger } from 'pino';
import { ClientDirectory } from './clients/index.js';
import type { Config } from './config/config-schema.js';
import type { LoadedConfig } from './config/load-config.js';
import { DnsStats } from './servers/dns-stats.js';
import { QueryHandler } from './servers/query-handler.js';
import { releaseListLoadGarbage } from './lists/load-garbage.js';
import { startTcpServer } from './servers/tcp-server.js';
import { startUdpServer, type BoundSocket } from './servers/udp-server.js';
import { CamshimError, formatProblem, type Problem } from './errors.js';
import { loadListSet, type ListSet } from './lists/list-set.js';
import { loadListSetOffThread } from './lists/load-off-thread.js';
import { startListRefresh, type ListRefresh } from './lists/remote/daemon-refresh.js';
import type { RefreshResult } from './lists/remote/refresh-source.js';
import { createQueryLog, type QueryLog } from './log/query-log.js';
import { clientRateLimiter, limiterOptions } from './net/client-rate-limit.js';
import type { RateLimiter } from './net/rate-limiter.js';
import { AddressWatcher, type WatchTimers } from './net/address-watch.js';
import { isWildcard, listenTargets } from './net/listen-targets.js';
import { systemInterfaces, type InterfaceSource, type NtpAddressSource } from './net/local-address.js';
import { ListenSocketSet, type SocketOpener } from './net/socket-set.js';
import { coalescing } from './reload-queue.js';
import { buildResolverState, type ResolverState } from './resolver-state.js';
import type { Forwarder } from './pipeline/forwarder.js';
import { PlannedForwarder } from './upstream/planned-forwarder.js';
import { affectedByLists } from './upstream/list-flush.js';
import { selfViewOf } from './upstream/self-filter.js';
import { UpstreamForwarder } from './upstream/upstream-forwarder.js';
import { ntpOptionsFromConfig } from './ntp/options-from-config.js';
import { startNtpServer, type NtpServerHandle, type NtpSocket } from './ntp/server.js';

export interface DaemonOptions {
  /** The config, read and checked once by the caller. */
  readonly loaded: LoadedConfig;
  /** Reads it again for a reload (SIGHUP): the same file and flags. */
  readonly reloadConfig: () => Promise<LoadedConfig>;
  readonly logger: Logger;
  /** The sinkhole log (default: through `logger` itself, line by line). */
  readonly queryLog?: QueryLog;
  readonly bundledListsDir?: string;
  readonly interfaces?: InterfaceSource;
  /** How often the machine's addresses are re-read (default ADDRESS_POLL_MS), and the timers doing it. */
  readonly addressPollMs?: number;
  readonly addressTimers?: WatchTimers;
  /** Set in a `--workers` cluster worker: sockets are shared, and only slot 0 serves NTP (one NTP socket per port). */
  readonly worker?: { readonly slot: number };
  /** Where the log goes, for the start line (the caller opened it). */
  readonly logOutput?: string;
  /** The client directory (default: one made from `clients:` and `clientDirectory:`, reading the system's leases and neighbours). */
  readonly makeClientDirectory?: (config: Config, baseDir: string, logger: Logger) => ClientDirectory;
}

export interface Daemon {
  /** The DNS sockets bound right now (they follow the machine's addresses). */
  readonly sockets: readonly BoundSocket[];
  readonly handler: QueryHandler;
  /** Made once: its cache and counters survive reloads. */
  readonly upstream: UpstreamForwarder;
  /** The NTP server, when enabled. */
  readonly ntp: NtpServerHandle | undefined;
  /** Which camera is it: address -> MAC and name (replaced on a reload that changes its settings). */
  readonly clients: ClientDirectory;
  /** Re-reads config and lists; the new set replaces the old only when it has no errors. */
  reload(): Promise<{ applied: boolean; problems: Problem[] }>;
  /** Downloads every URL source now, as its timer would; a changed list is reloaded. */
  refreshLists(): Promise<RefreshResult[]>;
  close(): Promise<void>;
}

/** Reads the lists a config names, and builds the state a query needs. Used at start-up, reload and by `check`/`query`/`lists`. */
export async function prepareState(
  loaded: LoadedConfig, generation: number,
  options: {
    bundledListsDir?: string; interfaces?: InterfaceSource; interfacesRefreshMs?: number; ntpAddresses?: NtpAddressSource;
    forwarder?: Forwarder; rateLimiter?: RateLimiter; listsOffThread?: boolean; macOf?: (address: string) => string | undefined;
  } = {},
): Promise<{ config: Config; lists: ListSet; state: ResolverState | undefined; problems: Problem[] }> {
  const { config } = loaded;
  // A reload builds the lists on a thread of its own, so the running daemon keeps answering meanwhile.
  const load = options.listsOffThread === true ? loadListSetOffThread : loadListSet;
  const lists = await load(config, {
    ...(options.bundledListsDir === undefined ? {} : { bundledDir: options.bundledListsDir }),
    baseDir: loaded.baseDir,
  });
  // The daemon passes its one live forwarder; check/query/lists get one that only names the upstreams.
  const forwarder = options.forwarder ?? await PlannedForwarder.plan(config);
  const built = buildResolverState(config, lists, generation, {
    forwarder,
    ...(options.interfaces === undefined ? {} : { interfaces: options.interfaces }),
    ...(options.interfacesRefreshMs === undefined ? {} : { interfacesRefreshMs: options.interfacesRefreshMs }),
    ...(options.ntpAddresses === undefined ? {} : { ntpAddresses: options.ntpAddresses }),
    ...(options.rateLimiter === undefined ? {} : { rateLimiter: options.rateLimiter }),
    ...(options.macOf === undefined ? {} : { macOf: options.macOf }),
  });
  return { config, lists, state: built.state, problems: [...lists.errors, ...built.problems] };
}

export async function startDaemon(options: DaemonOptions): Promise<Daemon> {
  const { logger } = options;
  let generation = 1;
  const upstream = new UpstreamForwarder({ logger });
  // Made once, like the forwarder: a reload applies new settings to the same buckets (as NTP's).
  const dnsLimiter = clientRateLimiter(options.loaded.config.dns.rateLimit);
  // One read of the machine's addresses serves the sockets, the NTP redirect and the self filter.
  const watcher = new AddressWatcher(options.interfaces ?? systemInterfaces, options.addressPollMs, options.addressTimers);
  const interfaces: InterfaceSource = () => [...watcher.addresses()];
  // Set once the NTP side is known; the redirect stage asks it per query.
  let ntpAddresses: NtpAddressSource = () => [];
  const makeDirectory = options.makeClientDirectory ?? clientDirectoryFor;
  // Replaced whole by a reload that changes `clients:` or `clientDirectory:`; groups and the log ask whichever is current.
  let clients = makeDirectory(options.loaded.config, options.loaded.baseDir, logger);
  const stateOptions = {
    ...(options.bundledListsDir === undefined ? {} : { bundledListsDir: options.bundledListsDir }), interfaces, interfacesRefreshMs: 0, ntpAddresses: () => ntpAddresses(), forwarder: upstream, rateLimiter: dnsLimiter,
    macOf: (address: string) => clients.lookup(address)?.mac,
  };
  // The directory is made but not started (see below): a start that fails before then has nothing of it to close.
  const prepared = await prepareState(options.loaded, generation, stateOptions);
  // log.level (after --log-level) applies from here on; the lines before it used the CLI's level.
  logger.level = prepared.config.log.level;
  for (const warning of prepared.lists.warnings) logger.warn({ problem: warning }, formatProblem(warning));
  // At start-up a bad list is skipped (serving the rest beats serving nothing); a bad group is fatal.
  for (const problem of prepared.lists.errors) logger.error({ problem }, formatProblem(problem));
  if (prepared.state === undefined) {
    throw new CamshimError('CONFIG_INVALID', prepared.problems.map(formatProblem).join('\n'), { problems: prepared.problems });
  }
  // The directory reads lease files and the neighbour table (a child process, whose start holds
  // the event loop for some milliseconds). A group naming clients by MAC needs it before the first
  // answer; else it decides nothing a query gets, so it starts once DNS is bound, and the log
  // lines of the first queries wait for it instead (identifyClients), so they still name the camera.
  let startClients: () => void = () => undefined;
  const clientsStarted = new Promise<void>((resolve) => { startClients = resolve; }).then(() => clients.start());
  // Awaited below, once the sockets are bound: marked handled meanwhile.
  clientsStarted.catch(() => undefined);
  if (prepared.state.groups.byMac) {
    startClients();
    await clientsStarted;
  }
  const queryLog = options.queryLog ?? createQueryLog(logger);
  // Only lines that are written look their client up: a storm's repeats cost nothing here.
  queryLog.identifyClients((address) => clients.lookup(address), clientsStarted);
  const handler = new QueryHandler(prepared.state, logger, new DnsStats(), queryLog);
  const config = prepared.config;
  const shared = options.worker !== undefined;

  const dns = new ListenSocketSet(config.dns.listen, config.dns.port, dnsOpener(config, handler, logger, shared), logger);
  const tcpWildcards: BoundSocket[] = [];
  const ntpConfigured = ntpOptionsFromConfig(config);
  // In a cluster only slot 0 serves NTP (one NTP socket per address and port).
  const ntpOptions = options.worker !== undefined && options.worker.slot !== 0 ? undefined : ntpConfigured;
  let ntp: NtpServerHandle | undefined;
  let ntpSockets: ListenSocketSet<NtpSocket> | undefined;
  let upstreamStarted = false;
  const closeAll = async (): Promise<void> => {
    watcher.stop();
    clients.close();
    await Promise.all([dns.close(), ...tcpWildcards.map((socket) => socket.close()), ntpSockets?.close()]);
    await ntp?.close();
  };
  const sockets = (): BoundSocket[] => [...dns.handles().flat(), ...tcpWildcards];
  // A wildcard listen answers on every address of the host, including ones that appear later.
  const selfView = (): ReturnType<typeof selfViewOf> => selfViewOf([
    ...sockets(), ...config.dns.listen.filter(isWildcard).map((address) => ({ address, port: dns.port })),
  ], interfaces);
  try {
    await dns.start(watcher.addresses());
    if (config.dns.tcp.enabled) await bindTcpWildcards(config, dns, handler, logger, shared, tcpWildcards);
    if (dns.handles().length === 0 && tcpWildcards.length === 0) {
      logger.warn({ event: 'listen-none', listen: config.dns.listen }, 'no DNS address to serve yet; DNS starts on each listen address as it appears');
    }
    // Needs the bound sockets: they say which addresses are camshim itself, and the loop probe comes back through them.
    // Right after binding, before NTP's start-up probes: queries that already arrived wait for this (bounded by the timeout).
    upstreamStarted = true;
    await upstream.start(config, selfView());
    startClients();
    if (ntpOptions !== undefined) {
      ntp = await startNtpServer({ ...ntpOptions, listen: [] }, {
        logger,
        // Same access networks and groups as DNS, from whichever state is current after reloads.
        classify: (address) => {
          const classified = handler.state.groups.classify(address);
          return { allowed: classified.allowed, group: classified.group.name };
        },
        identify: (address) => clients.lookup(address),
      });
      ntpSockets = new ListenSocketSet(ntpOptions.listen, ntpOptions.port, ntpOpener(ntp), logger);
      await ntpSockets.start(watcher.addresses());
    }
    // The start line says what the client directory found.
    await clientsStarted;
  } catch (error) {
    await closeAll();
    if (upstreamStarted) await upstream.close();
    throw error;
  }
  const served = ntpSockets;
  if (served !== undefined) ntpAddresses = () => served.addresses();
  // A worker without the NTP server: slot 0 serves NTP on the same addresses, as the config places them.
  else if (ntpConfigured !== undefined) ntpAddresses = () => listenTargets(ntpConfigured.listen, watcher.addresses()).targets.map((target) => target.address);
  watcher.onPoll((addresses, changed) => {
    void dns.update(addresses, changed);
    void served?.update(addresses, changed);
  });
  watcher.start();
  logStartup(logger, prepared.state, sockets(), ntp?.addresses() ?? [], { log: options.logOutput ?? 'stdout', clients: clients.describe() });
  releaseListLoadGarbage(prepared.lists);

  let refresh: ListRefresh | undefined;
  const reloadOnce = async (): Promise<{ applied: boolean; problems: Problem[] }> => {
    const started = performance.now();
    try {
      const reloaded = await options.reloadConfig();
      const next = await prepareState(reloaded, generation + 1, { ...stateOptions, listsOffThread: true });
      if (next.state === undefined || next.problems.length > 0) {
        for (const problem of next.problems) logger.error({ problem }, `reload rejected: ${formatProblem(problem)}`);
        logger.error({ event: 'reload', applied: false, errors: next.problems.length }, 'reload rejected: the previous config and lists keep serving');
        return { applied: false, problems: next.problems };
      }
      for (const warning of next.lists.warnings) logger.warn({ problem: warning }, formatProblem(warning));
      if (JSON.stringify(next.config.dns.listen) !== JSON.stringify(handler.state.config.dns.listen) || next.config.dns.port !== handler.state.config.dns.port
        || JSON.stringify(next.config.ntp) !== JSON.stringify(handler.state.config.ntp)) {
        logger.warn('listen addresses, ports or NTP settings changed: restart camshim to apply them');
      }
      // The log's destination, format and storm windows are set up once, before the daemon starts (its level is not).
      const { level: _nextLevel, ...nextLog } = next.config.log;
      const { level: _level, ...currentLog } = handler.state.config.log;
      if (JSON.stringify(nextLog) !== JSON.stringify(currentLog)) logger.warn('log format, file or storm settings changed: restart camshim to apply them');
      // New client settings make a new directory (its names and sources are fixed when made); else the current one re-reads its sources.
      if (JSON.stringify([next.config.clients, next.config.clientDirectory]) !== JSON.stringify([handler.state.config.clients, handler.state.config.clientDirectory])) {
        const fresh = makeDirectory(next.config, reloaded.baseDir, logger);
        await fresh.start();
        const old = clients;
        clients = fresh;
        old.close();
      } else await clients.refresh();
      const previous = handler.state;
      generation++;
      handler.flushLog();
      // Rate limits apply at once, to the buckets clients already have (DNS and NTP alike).
      dnsLimiter.reconfigure(limiterOptions(next.config.dns.rateLimit));
      ntp?.setRateLimit(next.config.ntp.rateLimit);
      handler.swap(next.state);
      await upstream.reconfigure(next.config, selfView(), affectedByLists(previous.lists, next.lists));
      logger.info({ event: 'reload', applied: true, generation, ms: Math.round(performance.now() - started), lists: listSummary(next.lists), rules: next.lists.table.ruleCount }, 'reloaded config and lists');
      // After the reload line, so a reload to a quieter level is still acknowledged in the log.
      logger.level = next.config.log.level;
      // The previous set is garbage too now (queries still running on it hold their own references).
      releaseListLoadGarbage(next.lists);
      await refresh?.update(reloaded);
      return { applied: true, problems: [] };
    } catch (error) {
      const problem: Problem = error instanceof CamshimError
        ? { code: error.code, message: error.message }
        : { code: 'CONFIG_READ', message: (error as Error).message };
      logger.error({ problem }, `reload rejected: ${problem.message}; the previous config and lists keep serving`);
      return { applied: false, problems: [problem] };
    }
  };

  // Reloads never overlap, and a SIGHUP storm collapses into one queued reload: the last one wins.
  const reload = coalescing(reloadOnce);
  // Downloads start here, after the cached copies serve: start-up never waits on the
  // network. In a cluster, worker 0 downloads and signals the primary, which reloads every worker.
  if (options.worker === undefined || options.worker.slot === 0) {
    refresh = await startListRefresh({
      loaded: options.loaded, logger,
      reload: options.worker === undefined ? () => { void reload(); } : () => { process.kill(process.ppid, 'SIGHUP'); },
      ...(options.bundledListsDir === undefined ? {} : { bundledDir: options.bundledListsDir }),
    });
  }
  return {
    get sockets() { return sockets(); },
    handler,
    upstream,
    ntp,
    get clients() { return clients; },
    reload,
    refreshLists: () => refresh?.refreshNow() ?? Promise.resolve([]),
    async close() {
      refresh?.stop();
      await closeAll();
      await handler.state.forwarder.close();
      handler.close();
    },
  };
}

/**
 * DNS on one address: UDP, and TCP too for an address named in the listen list. Under a
 * wildcard, TCP stays on the wildcard: a connected socket always answers from the address the
 * client connected to.
 */
function dnsOpener(config: Config, handler: QueryHandler, logger: Logger, shared: boolean): SocketOpener<BoundSocket[]> {
  return {
    service: 'DNS',
    async open(target, port) {
      const udp = await startUdpServer(target.address, port, handler, logger, { shared });
      if (!target.explicit || !config.dns.tcp.enabled) return [udp];
      try {
        // With port 0 the UDP socket picked a port; TCP takes the same one so clients need one number.
        return [udp, await startTcpServer(target.address, udp.port, config.dns.tcp, handler, logger, { shared })];
      } catch (error) {
        await udp.close();
        throw error;
      }
    },
    portOf: (sockets) => sockets[0]!.port,
    close: async (sockets) => { await Promise.all(sockets.map((socket) => socket.close())); },
    unavailable: (error) => error instanceof CamshimError && error.code === 'DNS_ADDRESS_UNAVAILABLE',
    inUse: (error) => error instanceof CamshimError && error.code === 'DNS_PORT_IN_USE',
  };
}

function ntpOpener(ntp: NtpServerHandle): SocketOpener<NtpSocket> {
  return {
    service: 'NTP',
    open: (target, port) => ntp.listenOn(target.address, port),
    portOf: (socket) => socket.port,
    close: (socket) => socket.close(),
    unavailable: (error) => error instanceof CamshimError && error.code === 'NTP_ADDRESS_UNAVAILABLE',
    inUse: (error) => error instanceof CamshimError && error.code === 'NTP_PORT_IN_USE',
  };
}

/** TCP on each wildcard of the listen list, on the UDP sockets' port (or picking it, when none is bound yet). */
async function bindTcpWildcards(config: Config, dns: ListenSocketSet<BoundSocket[]>, handler: QueryHandler, logger: Logger, shared: boolean, into: BoundSocket[]): Promise<void> {
  for (const address of config.dns.listen.filter(isWildcard)) {
    try {
      const tcp = await startTcpServer(address, dns.port, config.dns.tcp, handler, logger, { shared });
      dns.adoptPort(tcp.port);
      into.push(tcp);
    } catch (error) {
      // The default listens on both families; a host without IPv6 should still serve IPv4.
      if (error instanceof CamshimError && error.code === 'DNS_ADDRESS_UNAVAILABLE' && address === '::') {
        logger.warn({ address }, `${error.message}; serving TCP without it`);
        continue;
      }
      throw error;
    }
  }
}

function listSummary(lists: ListSet): Record<string, number> {
  return Object.fromEntries(lists.lists.map((list) => [list.name, list.entryCount]));
}

/** The client directory a config describes; its problems (a lease file unreadable, a bad line) are warnings in the log. */
function clientDirectoryFor(config: Config, baseDir: string, logger: Logger): ClientDirectory {
  const { leases: configured, neighbours } = config.clientDirectory;
  // Relative lease paths start at the config file's folder, as list paths do.
  const leases = configured === 'auto' ? 'auto' : configured.map((spec) => typeof spec === 'string' ? path.resolve(baseDir, spec)
    : { path: path.resolve(baseDir, spec.path), ...(spec.format === undefined ? {} : { format: spec.format }) });
  return new ClientDirectory({ leases, neighbours, names: config.clients }, {
    onProblem: (problem) => logger.warn({ event: 'clients', problem }, formatProblem(problem)),
  });
}

function logStartup(
  logger: Logger, state: ResolverState, sockets: readonly BoundSocket[], ntp: readonly { address: string; port: number }[],
  described: { log: string; clients: string },
): void {
  const { config, lists } = state;
  logger.info({
    event: 'start',
    log: { output: described.log, stormWindowSeconds: config.log.stormWindowSeconds, stormMaxWindows: config.log.stormMaxWindows },
    clients: described.clients,
    listen: sockets.map((socket) => `${socket.protocol}://${socket.address.includes(':') ? `[${socket.address}]` : socket.address}:${socket.port}`),
    // Sockets on addresses that appear later are logged as they are bound (event "listen").
    ntpListen: ntp.map((socket) => `udp://${socket.address.includes(':') ? `[${socket.address}]` : socket.address}:${socket.port}`),
    access: config.access.allow,
    groups: [
      ...config.groups.map((group) => ({ name: group.name, clients: group.clients, lists: group.lists, unlisted: group.unlisted, ntpRedirect: group.ntpRedirect })),
      { name: 'default', clients: ['(everyone else)'], lists: config.defaultGroup.lists, unlisted: config.defaultGroup.unlisted, ntpRedirect: config.defaultGroup.ntpRedirect },
    ],
    negativeTtl: config.dns.negativeTtl,
    ednsPayload: config.dns.ednsPayload,
    tcp: config.dns.tcp,
    rateLimit: config.dns.rateLimit.enabled ? config.dns.rateLimit : 'off',
    ntpRedirect: { enabled: config.ntpRedirect.enabled, ipv4: config.ntpRedirect.ipv4 ?? 'interface facing the client', ipv6: config.ntpRedirect.ipv6 ?? 'interface facing the client' },
    upstream: state.forwarder.describe(),
    lists: listSummary(lists),
    rules: lists.table.ruleCount,
    listLoadMs: Math.round(lists.loadMs),
    listCache: lists.cache,
  }, 'camshim started');
}
