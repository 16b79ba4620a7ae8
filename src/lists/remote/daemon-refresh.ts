import type { Logger } from 'pino';
import type { LoadedConfig } from '../../config/load-config.js';
import { RefreshScheduler, type SchedulerClock } from './refresh-scheduler.js';
import type { RefreshResult } from './refresh-source.js';
import { remoteSourcesOf } from './remote-sources.js';
import { readSourceState } from './source-state.js';
import { updateRemoteSources } from './update-all.js';

export interface ListRefresh {
  /** Follows a reloaded config: sources added, dropped or moved. */
  update(loaded: LoadedConfig): Promise<void>;
  /** Refreshes every URL source now (the daemon reloads when one changed). */
  refreshNow(): Promise<RefreshResult[]>;
  stop(): void;
}

/**
 * The daemon's own refresh of URL sources: each on its interval, results logged, and a reload
 * (the same off-thread build and whole swap as SIGHUP) when a list changed. A failed download
 * is logged and leaves the served copy alone.
 */
export async function startListRefresh(options: {
  readonly loaded: LoadedConfig;
  readonly logger: Logger;
  readonly reload: () => unknown;
  readonly bundledDir?: string;
  readonly clock?: SchedulerClock;
  readonly random?: () => number;
}): Promise<ListRefresh> {
  const { logger } = options;
  let loaded = options.loaded;
  const scheduler = new RefreshScheduler({
    refresh: (sources) => updateRemoteSources(loaded.config, {
      baseDir: loaded.baseDir, only: sources, ...(options.bundledDir === undefined ? {} : { bundledDir: options.bundledDir }),
    }),
    stateOf: (source) => readSourceState(remoteSourcesOf(loaded.config, loaded.baseDir).stateDir, source.name, source.url),
    onResults: (results) => {
      for (const result of results) {
        const fields = { event: 'list-refresh', list: result.name, url: result.url, outcome: result.outcome, before: result.before, after: result.after, ms: result.ms, dropped: result.dropped.length };
        if (result.outcome === 'failed') logger.warn({ ...fields, error: result.error }, `list ${result.name}: refresh failed, the previous copy stays in use: ${result.error ?? ''}`);
        else logger.info(fields, `list ${result.name}: ${result.outcome}`);
      }
      if (results.some((result) => result.outcome === 'changed')) options.reload();
    },
    onError: (error) => logger.error({ event: 'list-refresh', error: (error as Error).message }, `list refresh failed: ${(error as Error).message}`),
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    ...(options.random === undefined ? {} : { random: options.random }),
  });
  await scheduler.set(remoteSourcesOf(loaded.config, loaded.baseDir).sources);
  return {
    async update(next) {
      const before = JSON.stringify(remoteSourcesOf(loaded.config, loaded.baseDir));
      loaded = next;
      const now = remoteSourcesOf(next.config, next.baseDir);
      if (JSON.stringify(now) !== before) await scheduler.set(now.sources);
    },
    refreshNow: () => scheduler.refreshNow(),
    stop: () => scheduler.stop(),
  };
}
