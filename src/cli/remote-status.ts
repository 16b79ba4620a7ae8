import { stat } from 'node:fs/promises';
import type { Config } from '../config/config-schema.js';
import { cachedListFile } from '../lists/remote/cache-paths.js';
import { nextRefreshAt } from '../lists/remote/next-refresh.js';
import { remoteSourcesOf } from '../lists/remote/remote-sources.js';
import { readSourceState } from '../lists/remote/source-state.js';
import { layoutTable } from '../report/text-table.js';

/** What `camshim lists` shows about one URL source. */
export interface RemoteStatus {
  readonly name: string;
  readonly url: string;
  /** ISO times; undefined: never. */
  readonly lastRefresh: string | undefined;
  readonly nextRefresh: string;
  readonly lastError: string | undefined;
  /** Bytes of the cached copy; undefined: none yet. */
  readonly cachedBytes: number | undefined;
}

export async function remoteStatus(config: Config, baseDir: string, now = new Date()): Promise<RemoteStatus[]> {
  const { stateDir, sources } = remoteSourcesOf(config, baseDir);
  return Promise.all(sources.map(async (source) => {
    const state = await readSourceState(stateDir, source.name, source.url);
    const size = await stat(cachedListFile(stateDir, source.name)).then((info) => info.size, () => undefined);
    const next = Math.max(nextRefreshAt(state, source.refreshMs), now.getTime());
    return {
      name: source.name, url: source.url, lastRefresh: state.lastSuccessAt, nextRefresh: new Date(next).toISOString(),
      lastError: state.lastError, cachedBytes: size,
    };
  }));
}

/** Times as `YYYY-MM-DD HH:MM` (UTC), sizes in kB: short enough for 80 columns. */
export function remoteTable(rows: readonly RemoteStatus[], width: number): string[] {
  const time = (iso: string | undefined): string => (iso === undefined ? 'never' : `${iso.slice(0, 10)} ${iso.slice(11, 16)}`);
  const size = (bytes: number | undefined): string => (bytes === undefined ? '-' : bytes < 10_240 ? `${bytes} B` : `${Math.round(bytes / 1024)} kB`);
  return layoutTable([
    { heading: 'LIST', flexible: true, min: 10, max: 24 },
    { heading: 'REFRESHED (UTC)' },
    { heading: 'NEXT (UTC)' },
    { heading: 'CACHED', align: 'right' },
    { heading: 'LAST ERROR', flexible: true, min: 10 },
  ], rows.map((row) => [
    row.name, time(row.lastRefresh), time(row.nextRefresh), size(row.cachedBytes),
    row.lastError ?? (row.cachedBytes === undefined ? 'not downloaded yet' : ''),
  ]), width);
}
