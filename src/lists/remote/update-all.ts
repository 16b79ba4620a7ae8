import type { Config } from '../../config/config-schema.js';
import { BUNDLED_LISTS_DIR } from '../list-set.js';
import { removeStaleTemps } from '../atomic-file.js';
import { remoteListFolder } from './cache-paths.js';
import type { FetchHooks } from './fetch-list.js';
import { readNeverBlockGuard } from './never-block-guard.js';
import { refreshSource, type RefreshResult } from './refresh-source.js';
import { remoteSourcesOf, type RemoteSource } from './remote-sources.js';

export interface UpdateOptions {
  readonly baseDir: string;
  readonly force?: boolean;
  readonly bundledDir?: string;
  /** Only these sources (default: every URL source of the config). */
  readonly only?: readonly RemoteSource[];
  /** Told before each source and as its bytes arrive. */
  readonly onStart?: (source: RemoteSource) => void;
  readonly onProgress?: (source: RemoteSource, received: number, total: number | undefined) => void;
  readonly hooks?: Omit<FetchHooks, 'onProgress'>;
  readonly retryBaseMs?: number;
}

/**
 * Refreshes URL sources one after the other (a list server is not hammered, and the progress
 * line names one download), after clearing temporary files a crash may have left.
 */
export async function updateRemoteSources(config: Config, options: UpdateOptions): Promise<RefreshResult[]> {
  const { stateDir, sources } = remoteSourcesOf(config, options.baseDir);
  const chosen = options.only ?? sources;
  if (chosen.length === 0) return [];
  await removeStaleTemps(remoteListFolder(stateDir));
  const guard = await readNeverBlockGuard(options.bundledDir ?? BUNDLED_LISTS_DIR, config.lists.neverBlockOverride);
  const results: RefreshResult[] = [];
  for (const source of chosen) {
    options.onStart?.(source);
    const onProgress = options.onProgress;
    results.push(await refreshSource(source, {
      stateDir, settings: config.lists.remote, guard, force: options.force ?? false,
      ...(options.retryBaseMs === undefined ? {} : { retryBaseMs: options.retryBaseMs }),
      hooks: { ...options.hooks, ...(onProgress === undefined ? {} : { onProgress: (received: number, total: number | undefined) => onProgress(source, received, total) }) },
    }));
  }
  return results;
}
