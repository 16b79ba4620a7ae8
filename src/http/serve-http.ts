import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import type { Daemon } from '../app.js';
import type { HttpConfig } from '../config/config-schema.js';
import { clusterMetricsReader, exposeWorkerRegistry } from './cluster-metrics.js';
import { clusterHealth, daemonHealth } from './health.js';
import { startHttpListener, type HttpListener } from './http-server.js';
import { registerDaemonMetrics, type MetricsSource } from './metrics.js';
import { loadDashboardAssets } from '../dashboard/assets.js';
import { daemonStatusReader, type DaemonStatusSource } from '../dashboard/daemon-status.js';
import { LiveSummary } from '../dashboard/live-summary.js';
import { dashboardRoutes } from '../dashboard/routes.js';

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
 * `--workers` cluster: there the listener is the primary's, and the queries the workers'). The
 * caller feeds it from the sinkhole log (`live.tap(queryLog)`) before the daemon starts.
 */
export function dashboardSummary(http: HttpConfig, worker: boolean): LiveSummary | undefined {
  return http.listen === undefined || worker ? undefined : new LiveSummary();
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

/** The `--workers` primary: the listener, with every worker's figures summed and the workers' readiness as health. */
export async function startPrimaryHttp(http: HttpConfig, workers: { readonly count: number; readonly serving: number; readonly listProblems: readonly string[] }, logger: Logger): Promise<HttpListener | undefined> {
  if (http.listen === undefined) return undefined;
  return startHttpListener(http.listen, http.allow, {
    metrics: clusterMetricsReader(),
    health: () => clusterHealth(workers.serving, workers.count, workers.listProblems),
    // Each worker sees only the queries the kernel hands it: no one process could draw the page.
    page: (path) => Promise.resolve(path === '/dashboard' || path.startsWith('/dashboard/')
      ? { status: 404, headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }, body: 'the dashboard is served with dns.workers 1 only: each worker sees only its own queries\n' }
      : undefined),
  }, logger);
}
