import type { Config } from '../config/config-schema.js';
import { formatProblem } from '../errors.js';
import type { ListSet } from '../lists/list-set.js';
import { remoteSourcesOf } from '../lists/remote/remote-sources.js';
import { readSourceState } from '../lists/remote/source-state.js';
import type { NtpClientSeen, NtpStats } from '../ntp/server.js';

/**
 * What the dashboard reads from the running daemon besides queries: read at request time, from
 * the same objects `/metrics` reads. http/serve-http.ts builds it from the daemon.
 */
export interface DaemonStatusSource {
  /** undefined: no NTP server in this process. */
  ntp(): { readonly stats: NtpStats; readonly clients: readonly NtpClientSeen[] } | undefined;
  lists(): ListSet;
  /** The config serving now, and the folder its relative paths start from. */
  config(): { readonly config: Config; readonly baseDir: string };
  /** The forwarder's snapshot (UpstreamForwarder.statsSnapshot). */
  upstream(): Record<string, unknown>;
  /** A client's MAC and name, when the client directory knows them. */
  identify(address: string): { readonly mac?: string | undefined; readonly name?: string | undefined } | undefined;
}

const optional = <K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> => (value === undefined ? {} : { [key]: value } as Record<K, V>);

/** `/dashboard/api/ntp`: the clock state and since when, and every client in the NTP server's table. */
export function ntpStatus(source: DaemonStatusSource): Record<string, unknown> {
  const ntp = source.ntp();
  if (ntp === undefined) return { enabled: false };
  const { stats } = ntp;
  return {
    enabled: true,
    clock: { state: stats.state, since: stats.stateSince, reason: stats.stateReason, source: stats.syncSource, stratum: stats.stratum, leap: stats.leap },
    served: stats.served, received: stats.received, kod: stats.kod, rateLimited: stats.rateLimited,
    clients: [...ntp.clients].reverse().map((seen) => {
      const who = source.identify(seen.address);
      return {
        client: seen.address, ...optional('mac', who?.mac), ...optional('host', who?.name),
        group: seen.group, version: seen.version, requests: seen.requests, firstSeen: seen.firstSeen, lastRequest: seen.lastSeen,
      };
    }),
  };
}

/** `/dashboard/api/lists`: each loaded list, with a URL source's last refresh and last error from its state file. */
export async function listStatus(source: DaemonStatusSource): Promise<Record<string, unknown>> {
  const lists = source.lists();
  const { config, baseDir } = source.config();
  const remote = remoteSourcesOf(config, baseDir);
  const states = new Map(await Promise.all(remote.sources.map(async (url) => [url.name, await readSourceState(remote.stateDir, url.name, url.url)] as const)));
  return {
    loadedAt: lists.loadedAt.toISOString(),
    lists: lists.lists.map((list) => {
      const state = states.get(list.name);
      return {
        name: list.name, kind: list.kind, entries: list.entryCount, source: list.url ?? list.file, bundled: list.bundled,
        ...optional('modified', list.modifiedAt?.toISOString()),
        ...optional('lastRefresh', state?.lastSuccessAt), ...optional('lastAttempt', state?.lastAttemptAt), ...optional('lastError', state?.lastError),
      };
    }),
    // Lists that did not load (a missing file, a rejected download): the daemon serves the others.
    errors: lists.errors.map(formatProblem),
  };
}

/** `/dashboard/api/upstream`: each upstream's state and counters, and the forwarder's totals. */
export function upstreamStatus(source: DaemonStatusSource): Record<string, unknown> {
  const { upstreams, ...totals } = source.upstream() as { upstreams?: Record<string, Record<string, unknown>> } & Record<string, unknown>;
  return {
    forwarded: totals.forwarded, servfail: totals.servfail, cacheHits: totals.cacheHits, cacheEntries: totals.cacheEntries,
    upstreams: Object.entries(upstreams ?? {}).map(([label, counters]) => ({
      upstream: label, state: counters.state, queries: counters.queries, answers: counters.answers, failures: counters.failures,
      timeouts: counters.timeouts, downs: counters.downs,
    })),
  };
}
