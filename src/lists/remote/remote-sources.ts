import path from 'node:path';
import type { Config } from '../../config/config-schema.js';
import { DEFAULT_REMOTE_REFRESH_MS } from '../../config/config-schema.js';
import { remoteListName } from './cache-paths.js';
import type { ListFormat } from './list-format.js';

/** A list source given by URL, as the downloader and the refresher see it. */
export interface RemoteSource {
  readonly name: string;
  readonly url: string;
  readonly refreshMs: number;
  /** An allow list's entries are not checked against the never-block names. */
  readonly kind: 'block' | 'allow';
  readonly format?: ListFormat;
  /** The config path, for messages. */
  readonly path: string;
}

/** The URL sources of a config, and the state folder (resolved like list paths: from the config file's folder). */
export function remoteSourcesOf(config: Config, baseDir: string): { stateDir: string; sources: RemoteSource[] } {
  const sources: RemoteSource[] = [];
  config.lists.sources.forEach((source, index) => {
    if (source.url === undefined) return;
    sources.push({ name: remoteListName(source), url: source.url, refreshMs: source.refresh ?? DEFAULT_REMOTE_REFRESH_MS, kind: source.kind, path: `lists.sources[${index}]`, ...(source.format === undefined ? {} : { format: source.format }) });
  });
  return { stateDir: path.resolve(baseDir, config.lists.remote.stateDir), sources };
}
