import type { Logger } from 'pino';
import type { LoadedConfig } from './config/load-config.js';
import type { Config } from './config/config-schema.js';
import { DnsStats } from './dns/dns-stats.js';
import { QueryHandler } from './dns/query-handler.js';
import { releaseListLoadGarbage } from './lists/load-garbage.js';
import { startTcpServer } from './dns/tcp-server.js';
import { startUdpServer, type BoundSocket } from './dns/udp-server.js';
import { CamshimError, formatProblem, type Problem } from './errors.js';
import { loadListSet, type ListSet } from './lists/list-set.js';
import { loadListSetOffThread } from './lists/load-off-thread.js';
import { createQueryLog, type QueryLog } from './log/query-log.js';
import { clientRateLimiter, limiterOptions } from './net/client-rate-limit.js';
import type { InterfaceSource } from './net/local-address.js';
import type { RateLimiter } from './net/rate-limiter.js';
import { coalescing } from './reload-queue.js';
import { buildResolverState, type ResolverState } from './resolver-state.js';
import { PlannedForwarder, type Forwarder } from './upstream/forwarder.js';
import { affectedByLists } from './upstream/list-flush.js';
import { selfViewOf } from './upstream/self-filter.js';
import { UpstreamForwarder } from './upstream/upstream-forwarder.js';
import { ntpOptionsFromConfig } from './ntp/options-from-config.js';
import { startNtpServer, type NtpServerHandle } from './ntp/server.js';

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
  /** Set in a `--workers` cluster worker: sockets are shared, and only slot 0 serves NTP (one NTP socket per port). */
  readonly worker?: { readonly slot: number };
}

export interface Daemon {
  readonly sockets: readonly BoundSocket[];
  readonly handler: QueryHandler;
  /** Made once: its cache and counters survive reloads. */
  readonly upstream: UpstreamForwarder;
  /** The NTP server, when enabled. */
  readonly ntp: NtpServerHandle | undefined;
  /** Re-reads config and lists; the new set replaces the old only when it has no errors. */
  reload(): Promise<{ applied: boolean; problems: Problem[] }>;
  close(): Promise<void>;
}

/** Reads the lists a config names, and builds the state a query needs. Used at start-up, reload and by `check`/`query`/`lists`. */
export async function prepareState(
  loaded: LoadedConfig, generation: number,
  options: { bundledListsDir?: string; interfaces?: InterfaceSource; forwarder?: Forwarder; rateLimiter?: RateLimiter; listsOffThread?: boolean } = {},
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
    ...(options.rateLimiter === undefined ? {} : { rateLimiter: options.rateLimiter }),
  });
  return { config, lists, state: built.state, problems: [...lists.errors, ...built.problems] };
}

export async function startDaemon(options: DaemonOptions): Promise<Daemon> {
  const { logger } = options;
  let generation = 1;
  const upstream = new UpstreamForwarder({ logger });
  // Made once, like the forwarder: a reload applies new settings to the same buckets (as NTP's).
  const dnsLimiter = clientRateLimiter(options.loaded.config.dns.rateLimit);
  const stateOptions = {
    ...(options.bundledListsDir === undefined ? {} : { bundledListsDir: options.bundledListsDir }),
    ...(options.interfaces === undefined ? {} : { interfaces: options.interfaces }),
    forwarder: upstream, rateLimiter: dnsLimiter,
  };
  const prepared = await prepareState(options.loaded, generation, stateOptions);
  // log.level (after --log-level) applies from here on; the lines before it used the CLI's level.
  logger.level = prepared.config.log.level;
  for (const warning of prepared.lists.warnings) logger.warn({ problem: warning }, formatProblem(warning));
  // At start-up a bad list is skipped (serving the rest beats serving nothing); a bad group is fatal.
  for (const problem of prepared.lists.errors) logger.error({ problem }, formatProblem(problem));
  if (prepared.state === undefined) {
    throw new CamshimError('CONFIG_INVALID', prepared.problems.map(formatProblem).join('\n'), { problems: prepared.problems });
  }
  const handler = new QueryHandler(prepared.state, logger, new DnsStats(), options.queryLog ?? createQueryLog(logger));
  const config = prepared.config;

  const sockets: BoundSocket[] = [];
  try {
    for (const address of config.dns.listen) {
      const bound = await bindAddress(address, config, handler, logger, sockets.length, options.worker !== undefined);
      sockets.push(...bound);
    }
    if (sockets.length === 0) throw new CamshimError('DNS_BIND_ADDRESS', 'no DNS socket could be bound; check dns.listen / --listen', {});
  } catch (error) {
    await Promise.all(sockets.map((socket) => socket.close()));
    throw error;
  }
  // Needs the bound sockets: they say which addresses are camshim itself, and the loop probe comes back through them.
  // Right after binding, before NTP's start-up probes: queries that already arrived wait for this (bounded by the timeout).
  await upstream.start(config, selfViewOf(sockets, options.interfaces));
  const ntpOptions = options.worker !== undefined && options.worker.slot !== 0 ? undefined : ntpOptionsFromConfig(config);
  let ntp: NtpServerHandle | undefined;
  if (ntpOptions !== undefined) {
    try {
      ntp = await startNtpServer(ntpOptions, {
        logger,
        // Same access networks and groups as DNS, from whichever state is current after reloads.
        classify: (address) => {
          const classified = handler.state.groups.classify(address);
          return { allowed: classified.allowed, group: classified.group.name };
        },
      });
    } catch (error) {
      await Promise.all(sockets.map((socket) => socket.close()));
      await upstream.close();
      throw error;
    }
  }
  logStartup(logger, prepared.state, sockets);
  releaseListLoadGarbage(prepared.lists);

  const reloadOnce = async (): Promise<{ applied: boolean; problems: Problem[] }> => {
    const started = performance.now();
    try {
      const next = await prepareState(await options.reloadConfig(), generation + 1, { ...stateOptions, listsOffThread: true });
      if (next.state === undefined || next.problems.length > 0) {
        for (const problem of next.problems) logger.error({ problem }, `reload rejected: ${formatProblem(problem)}`);
        logger.error({ event: 'reload', applied: false, errors: next.problems.length }, 'reload rejected: the previous config and lists keep serving');
        return { applied: false, problems: next.problems };
      }
      for (const warning of next.lists.warnings) logger.warn({ problem: warning }, formatProblem(warning));
      if (JSON.stringify(next.config.dns.listen) !== JSON.stringify(handler.state.config.dns.listen) || next.config.dns.port !== handler.state.config.dns.port
        || ntpNeedsRestart(handler.state.config, next.config)) {
        logger.warn('listen addresses, ports or NTP settings changed: restart camshim to apply them');
      }
      const previous = handler.state;
      generation++;
      handler.flushLog();
      // Rate limits apply at once, to the buckets clients already have (DNS and NTP alike).
      dnsLimiter.reconfigure(limiterOptions(next.config.dns.rateLimit));
      ntp?.setRateLimit(next.config.ntp.rateLimit);
      handler.swap(next.state);
      await upstream.reconfigure(next.config, selfViewOf(sockets, options.interfaces), affectedByLists(previous.lists, next.lists));
      logger.info({ event: 'reload', applied: true, generation, ms: Math.round(performance.now() - started), lists: listSummary(next.lists), rules: next.lists.table.ruleCount }, 'reloaded config and lists');
      // After the reload line, so a reload to a quieter level is still acknowledged in the log.
      logger.level = next.config.log.level;
      // The previous set is garbage too now (queries still running on it hold their own references).
      releaseListLoadGarbage(next.lists);
      return { applied: true, problems: [] };
    } catch (error) {
      const problem: Problem = error instanceof CamshimError
        ? { code: error.code, message: error.message }
        : { code: 'CONFIG_READ', message: (error as Error).message };
      logger.error({ problem }, `reload rejected: ${problem.message}; the previous config and lists keep serving`);
      return { applied: false, problems: [problem] };
    }
  };

  return {
    sockets,
    handler,
    upstream,
    ntp,
    // Reloads never overlap, and a SIGHUP storm collapses into one queued reload: the last one wins.
    reload: coalescing(reloadOnce),
    async close() {
      await Promise.all([...sockets.map((socket) => socket.close()), ntp?.close()]);
      await handler.state.forwarder.close();
      handler.close();
    },
  };
}

async function bindAddress(address: string, config: Config, handler: QueryHandler, logger: Logger, alreadyBound: number, shared: boolean): Promise<BoundSocket[]> {
  const bound: BoundSocket[] = [];
  try {
    const udp = await startUdpServer(address, config.dns.port, handler, logger, { shared });
    bound.push(udp);
    if (config.dns.tcp.enabled) {
      // With port 0 the UDP socket picked a port; TCP takes the same one so clients need one number.
      bound.push(await startTcpServer(address, udp.port, config.dns.tcp, handler, logger, { shared }));
    }
    return bound;
  } catch (error) {
    await Promise.all(bound.map((socket) => socket.close()));
    // The default listens on both families; a host without IPv6 should still serve IPv4.
    if (error instanceof CamshimError && error.code === 'DNS_BIND_ADDRESS' && address === '::' && alreadyBound > 0) {
      logger.warn({ address }, `${error.message}; serving without it`);
      return [];
    }
    throw error;
  }
}

/** NTP settings other than the rate limit (which a reload applies) take a restart: the sockets are bound once. */
function ntpNeedsRestart(current: Config, next: Config): boolean {
  const { rateLimit: _current, ...currentRest } = current.ntp;
  const { rateLimit: _next, ...nextRest } = next.ntp;
  return JSON.stringify(currentRest) !== JSON.stringify(nextRest);
}

function listSummary(lists: ListSet): Record<string, number> {
  return Object.fromEntries(lists.lists.map((list) => [list.name, list.entryCount]));
}

function logStartup(logger: Logger, state: ResolverState, sockets: readonly BoundSocket[]): void {
  const { config, lists } = state;
  logger.info({
    event: 'start',
    listen: sockets.map((socket) => `${socket.protocol}://${socket.address.includes(':') ? `[${socket.address}]` : socket.address}:${socket.port}`),
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
