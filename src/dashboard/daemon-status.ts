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

/** What the status endpoints read, from one daemon or gathered from a `--workers` cluster. */
export interface StatusReader {
  ntp(): NtpStatusBody | Promise<NtpStatusBody>;
  lists(): Promise<ListStatusBody>;
  upstream(): UpstreamStatusBody | Promise<UpstreamStatusBody>;
  /** A client's MAC and name, when known. */
  identify(address: string): { readonly mac?: string | undefined; readonly name?: string | undefined } | undefined;
  /** With `--workers`: how many, and what did not reach the dashboard (added to the summary's answer). */
  workers?(): WorkersFeedStatus;
}

export interface WorkersFeedStatus {
  readonly count: number;
  /** Decisions the workers counted but could not send (batch cap, IPC channel backed up). */
  readonly droppedDecisions: number;
  /** Messages that claimed to be the dashboard's and were not well formed, ignored. */
  readonly malformedMessages: number;
}

/** The status endpoints of one daemon that serves DNS itself. */
export function daemonStatusReader(source: DaemonStatusSource): StatusReader {
  return {
    ntp: () => ntpStatus(source),
    lists: () => listStatus(source),
    upstream: () => upstreamStatus(source),
    identify: (address) => source.identify(address),
  };
}

export type NtpStatusBody = { readonly enabled: false } | ({ readonly enabled: true } & Readonly<Record<string, unknown>>);

export interface ListStatusBody {
  readonly loadedAt: string;
  readonly lists: readonly Readonly<Record<string, unknown>>[];
  readonly errors: readonly string[];
}

export interface UpstreamRow {
  readonly upstream: string;
  readonly state: string;
  readonly queries: number;
  readonly answers: number;
  readonly failures: number;
  readonly timeouts: number;
  readonly downs: number;
}

export interface UpstreamStatusBody {
  readonly forwarded: number;
  readonly servfail: number;
  readonly cacheHits: number;
  readonly cacheEntries: number;
  readonly upstreams: readonly UpstreamRow[];
}

const optional = <K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> => (value === undefined ? {} : { [key]: value } as Record<K, V>);

/** `/dashboard/api/ntp`: the clock state and since when, and every client in the NTP server's table. */
export function ntpStatus(source: DaemonStatusSource): NtpStatusBody {
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
export async function listStatus(source: DaemonStatusSource): Promise<ListStatusBody> {
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
export function upstreamStatus(source: DaemonStatusSource): UpstreamStatusBody {
  const { upstreams, ...totals } = source.upstream() as { upstreams?: Record<string, Record<string, unknown>> } & Record<string, unknown>;
  const count = (value: unknown): number => (typeof value === 'number' ? value : 0);
  return {
    forwarded: count(totals.forwarded), servfail: count(totals.servfail), cacheHits: count(totals.cacheHits), cacheEntries: count(totals.cacheEntries),
    upstreams: Object.entries(upstreams ?? {}).map(([label, counters]) => ({
      upstream: label, state: String(counters.state), queries: count(counters.queries), answers: count(counters.answers), failures: count(counters.failures),
      timeouts: count(counters.timeouts), downs: count(counters.downs),
    })),
  };
}
