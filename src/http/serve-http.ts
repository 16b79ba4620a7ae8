import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import type { Daemon } from '../app.js';
import type { HttpConfig } from '../config/config-schema.js';
import { clusterMetricsReader, exposeWorkerRegistry } from './cluster-metrics.js';
import { clusterHealth, daemonHealth } from './health.js';
import { startHttpListener, type HttpListener } from './http-server.js';
import { registerDaemonMetrics, type MetricsSource } from './metrics.js';

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
 * One process serving DNS: its metrics, and the listener when `http.listen` is set. A cluster
 * worker only registers its metrics for the primary to gather (`worker: true`). Nothing at all
 * when the listener is off.
 */
export async function startDaemonHttp(http: HttpConfig, daemon: Daemon, source: MetricsSource, logger: Logger, worker: boolean): Promise<HttpListener | undefined> {
  if (http.listen === undefined) return undefined;
  const registry = new Registry();
  registerDaemonMetrics(registry, source);
  if (worker) { exposeWorkerRegistry(registry); return undefined; }
  return startHttpListener(http.listen, http.allow, {
    metrics: async () => ({ contentType: registry.contentType, body: await registry.metrics() }),
    health: () => daemonHealth(daemon.sockets.length, daemon.handler.state.lists),
  }, logger);
}

/** The `--workers` primary: the listener, with every worker's figures summed and the workers' readiness as health. */
export async function startPrimaryHttp(http: HttpConfig, workers: { readonly count: number; readonly serving: number; readonly listProblems: readonly string[] }, logger: Logger): Promise<HttpListener | undefined> {
  if (http.listen === undefined) return undefined;
  return startHttpListener(http.listen, http.allow, {
    metrics: clusterMetricsReader(),
    health: () => clusterHealth(workers.serving, workers.count, workers.listProblems),
  }, logger);
}
