import { AggregatorRegistry, Registry } from 'prom-client';

/**
 * `--workers N`: each worker keeps its own registry, and the primary asks every worker for it
 * over the cluster's IPC channel at each scrape (prom-client's AggregatorRegistry), summing
 * counters and histograms and taking each gauge's own aggregator. The primary itself answers no
 * queries, so it registers no daemon metric.
 */

/** In a worker: answer the primary's requests with this registry. */
export function exposeWorkerRegistry(registry: Registry): void {
  AggregatorRegistry.setRegistries([registry]);
  // The constructor is what starts listening for the primary's requests (once per process).
  new AggregatorRegistry();
}

/** In the primary: the whole cluster's figures. */
export function clusterMetricsReader(): () => Promise<{ contentType: string; body: string }> {
  const aggregator = new AggregatorRegistry();
  return async () => ({ contentType: aggregator.contentType, body: await aggregator.clusterMetrics() });
}
