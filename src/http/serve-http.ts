import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import type { Daemon } from '../app.js';
import type { HttpConfig } from '../config/config-schema.js';
import { clusterMetricsReader, exposeWorkerRegistry } from './cluster-metrics.js';
import { clusterHealth, daemonHealth } from './health.js';
import { startHttpListener, type HttpListener } from './http-server.js';
import { registerDaemonMetrics, type MetricsSource } from './metrics.js';
import { loadDashboardAssets } from '../dashboard/assets.js';
import { ClusterDashboard, clusterPrimaryChannel } from '../dashboard/cluster-dashboard.js';
import { daemonStatusReader, type DaemonStatusSource, type StatusReader } from '../dashboard/daemon-status.js';
import { LiveSummary } from '../dashboard/live-summary.js';
import { dashboardRoutes } from '../dashboard/routes.js';
import { answerStatusRequests, processChannel, WorkerFeed } from '../dashboard/worker-feed.js';

/** The daemon's metrics source: its live counters, read at scrape time. */
export function daemonMetricsSource(daemon: Daemon, log: { dropped(): number; collapsed(): number }): MetricsSource {
  return {
    dns: daemon.handler.stats,
    upstream: daemon.upstream.stats,
    upstreamState() {
      const snapshot = daemon.upstream.statsSnapshot() as { cacheEntries: number; upstreams: Record<string, { state: string }> };
      return { states: new Map(Object.entries(snapshot.upstreams).map(([label, counters]) => [label, counters.state])), cacheEntries: snapshot.cacheEntries };
    },
    ntp: () => daemon.ntp?.stats(),
    lists: () => daemon.handler.state.lists,
    logDropped: () => log.dropped(),
    logCollapsed: () => log.collapsed(),
  };
}

/**
 * The dashboard's summary, for a process that serves the HTTP listener and DNS itself (not a
 * `--workers` worker: see workerDashboardFeed). The caller feeds it from the sinkhole log
 * (`live.tap(queryLog)`) before the daemon starts.
 */
export function dashboardSummary(http: HttpConfig, worker: boolean): LiveSummary | undefined {
  return http.listen === undefined || worker ? undefined : new LiveSummary();
}

/**
 * A `--workers` worker's part of the dashboard the primary serves: its decisions, tapped from the
 * sinkhole log before the daemon starts and sent to the primary in batches, and (once the daemon
 * is up: `serve`) its answers to the primary's status requests.
 */
export function workerDashboardFeed(http: HttpConfig, slot: number): { tap: WorkerFeed['tap']; serve(daemon: Daemon, loaded: { readonly baseDir: string }): void } | undefined {
  const channel = processChannel();
  if (http.listen === undefined || channel === undefined) return undefined;
  let status: StatusReader | undefined;
  const feed = new WorkerFeed(channel, (address) => status?.identify(address));
  return {
    tap: (log) => feed.tap(log),
    serve: (daemon, loaded) => {
      status = daemonStatusReader(daemonStatusSource(daemon, loaded));
      answerStatusRequests(channel, slot, status);
    },
  };
}

/** What the dashboard reads from the daemon besides queries. */
function daemonStatusSource(daemon: Daemon, loaded: { readonly baseDir: string }): DaemonStatusSource {
  return {
    ntp: () => (daemon.ntp === undefined ? undefined : { stats: daemon.ntp.stats(), clients: daemon.ntp.clients() }),
    lists: () => daemon.handler.state.lists,
    config: () => ({ config: daemon.handler.state.config, baseDir: loaded.baseDir }),
    upstream: () => daemon.upstream.statsSnapshot(),
    identify: (address) => daemon.clients.lookup(address),
  };
}

/**
 * One process serving DNS: its metrics, and the listener when `http.listen` is set (with the
 * dashboard when `live` is given). A cluster
 * worker only registers its metrics for the primary to gather (`worker: true`). Nothing at all
 * when the listener is off.
 */
export async function startDaemonHttp(
  http: HttpConfig, daemon: Daemon, source: MetricsSource, logger: Logger, worker: boolean,
  dashboard?: { readonly live: LiveSummary; readonly baseDir: string },
): Promise<HttpListener | undefined> {
  if (http.listen === undefined) return undefined;
  const registry = new Registry();
  registerDaemonMetrics(registry, source);
  if (worker) { exposeWorkerRegistry(registry); return undefined; }
  return startHttpListener(http.listen, http.allow, {
    metrics: async () => ({ contentType: registry.contentType, body: await registry.metrics() }),
    health: () => daemonHealth(daemon.sockets.length, daemon.handler.state.lists),
    ...(dashboard === undefined ? {} : { page: dashboardRoutes(dashboard.live, daemonStatusReader(daemonStatusSource(daemon, dashboard)), loadDashboardAssets()) }),
  }, logger);
}

/**
 * The `--workers` primary: the listener, with every worker's figures summed and the workers'
 * readiness as health, and the dashboard drawn from the decisions every worker sends.
 */
export async function startPrimaryHttp(http: HttpConfig, workers: { readonly count: number; readonly serving: number; readonly listProblems: readonly string[] }, logger: Logger): Promise<HttpListener | undefined> {
  if (http.listen === undefined) return undefined;
  // Listening before any worker is forked: their first batches find it in place.
  const dashboard = new ClusterDashboard(clusterPrimaryChannel(), { workers: workers.count });
  return startHttpListener(http.listen, http.allow, {
    metrics: clusterMetricsReader(),
    health: () => clusterHealth(workers.serving, workers.count, workers.listProblems),
    page: dashboardRoutes(dashboard.live, dashboard.reader(), loadDashboardAssets()),
  }, logger);
}
