import { QUERY_EVENT_NAMES, type QueryEventName } from '../log/log-schema.js';
import { inWindow, type ReportFilter } from './filters.js';
import { GapHistogram, median } from './gap-histogram.js';
import type { ReportRecord, QueryRecord, SkipReason } from './parse-event.js';
import type { ReadProblem } from './read-lines.js';

/** One client's attempts at one name. */
interface PairState {
  attempts: number;
  lastMs: number;
  readonly gaps: GapHistogram;
}

interface NameState {
  readonly name: string;
  readonly event: QueryEventName;
  list: string | null;
  rule: string | null;
  attempts: number;
  firstMs: number;
  lastMs: number;
  readonly clients: Map<string, PairState>;
}

interface ClientState {
  readonly client: string;
  mac: string | undefined;
  host: string | undefined;
  readonly counts: Record<QueryEventName, number>;
  firstMs: number;
  lastMs: number;
}

export interface NameRow {
  readonly name: string;
  readonly list: string | null;
  readonly rule: string | null;
  readonly attempts: number;
  readonly clients: number;
  readonly firstSeen: string;
  readonly lastSeen: string;
  /** The typical gap between one client's attempts (median over clients of each one's median gap), ms. */
  readonly cadenceMs: number | undefined;
  /** First seen inside the window: not in any earlier line of the input. */
  readonly isNew: boolean;
}

export interface ClientRow {
  readonly client: string;
  readonly mac: string | undefined;
  readonly host: string | undefined;
  readonly sinkholed: number;
  readonly redirected: number;
  readonly unlisted: number;
  readonly firstSeen: string;
  readonly lastSeen: string;
  /** Its most-tried sinkholed names, most first. */
  readonly top: readonly { readonly name: string; readonly attempts: number }[];
}

export interface NtpRow {
  readonly client: string;
  readonly mac: string | undefined;
  readonly host: string | undefined;
  readonly group: string;
  readonly firstSeen: string;
}

export interface ReportResult {
  readonly window: { readonly since: string | undefined; readonly until: string | undefined; readonly first: string | undefined; readonly last: string | undefined };
  readonly totals: { readonly lines: number; readonly counted: number; readonly queries: number; readonly skipped: Readonly<Record<SkipReason, number>> };
  readonly sinkholed: readonly NameRow[];
  readonly unlisted: readonly NameRow[];
  readonly redirected: readonly NameRow[];
  readonly clients: readonly ClientRow[];
  readonly ntp: { readonly clients: readonly NtpRow[]; readonly clock: readonly { readonly time: string; readonly state: string }[] };
  readonly problems: readonly ReadProblem[];
}

export interface ResultOptions {
  /** Rows per table at most. */
  readonly top: number;
  /** Only names first seen inside the window. */
  readonly onlyNew: boolean;
  /** Where "new" starts, when not the filter's `since` (the dashboard's chosen time), ms. */
  readonly newSinceMs?: number;
}

/**
 * Caps for a summary that lives as long as the daemon (the dashboard's): past a cap the least
 * recently seen entry is dropped. Unset: bounded only by the input's distinct names and clients,
 * as `camshim report` reads a finite log.
 */
export interface SummaryLimits {
  /** Distinct (event, name) pairs. */
  readonly names: number;
  readonly clients: number;
  /** Clients remembered per name (its cadence and per-client counts). */
  readonly clientsPerName: number;
  /** (client, name) pairs in all: past it, the least recently seen names go, with their pairs. */
  readonly pairs: number;
  readonly ntpClients: number;
  /** NTP clock state changes. */
  readonly clockChanges: number;
}

const iso = (ms: number): string => new Date(ms).toISOString();

function byEvent<T>(): Record<QueryEventName, Map<string, T>> {
  return Object.fromEntries(QUERY_EVENT_NAMES.map((event) => [event, new Map<string, T>()])) as Record<QueryEventName, Map<string, T>>;
}

/** Moves an entry to the end of its map's order: maps under limits are kept least recently seen first. */
function touch<K, V>(map: Map<K, V>, key: K, value: V): void {
  map.delete(key);
  map.set(key, value);
}

/** Drops the least recently seen entries (the first in the map's order) past `max`. */
function dropOldest<K, V>(map: Map<K, V>, max: number): void {
  for (const key of map.keys()) {
    if (map.size <= max) return;
    map.delete(key);
  }
}

/**
 * Adds up log records into what `camshim report` (and the dashboard) show. Memory grows with
 * the distinct names, clients and their pairs, never with the number of lines: a week of a
 * storming camera costs what an hour of it does. With `limits` (the dashboard's summary, which
 * lives as long as the daemon) it is capped too, the least recently seen dropped first.
 */
export class ReportSummary {
  /**
   * By event, then by name: the name string as parsed is the key, so a line costs no key built
   * from its parts (millions of lines, a few thousand names).
   */
  private readonly names = byEvent<NameState>();
  private readonly clients = new Map<string, ClientState>();
  /** Every name's first time in the whole input (filters other than time applied), for --new. */
  private readonly firstEver = byEvent<number>();
  private readonly ntpClients = new Map<string, { group: string; firstMs: number; mac: string | undefined; host: string | undefined }>();
  private readonly clock: { timeMs: number; state: string }[] = [];
  private readonly skipped: Record<SkipReason, number> = { 'not-camshim': 0, 'other-event': 0, malformed: 0, 'newer-schema': 0 };
  private readonly problems: ReadProblem[] = [];
  /** (client, name) pairs held, counted under limits only. */
  private pairs = 0;
  private lines = 0;
  private counted = 0;
  private queries = 0;
  private firstMs = Number.POSITIVE_INFINITY;
  private lastMs = Number.NEGATIVE_INFINITY;

  constructor(private readonly filter: ReportFilter, private readonly limits?: SummaryLimits) {}

  skip(reason: SkipReason): void {
    this.lines++;
    this.skipped[reason]++;
  }

  problem(problem: ReadProblem): void {
    if (this.problems.length < 1000) this.problems.push(problem);
  }

  add(record: ReportRecord): void {
    this.lines++;
    if (record.kind === 'ntp-clock') {
      if (!inWindow(this.filter, record.timeMs)) return;
      if (this.limits !== undefined && this.clock.length >= this.limits.clockChanges) this.clock.shift();
      if (this.clock.length < 10_000) { this.clock.push({ timeMs: record.timeMs, state: record.state }); this.counted++; }
      return;
    }
    if (this.filter.client !== undefined && !this.filter.client(record.client)) return;
    if (record.kind === 'ntp-client') {
      if (!inWindow(this.filter, record.timeMs)) return;
      this.counted++;
      if (!this.ntpClients.has(record.client)) {
        this.ntpClients.set(record.client, { group: record.group, firstMs: record.timeMs, mac: record.mac, host: record.host });
        if (this.limits !== undefined) dropOldest(this.ntpClients, this.limits.ntpClients);
      }
      return;
    }
    if (this.filter.domain !== undefined && !this.filter.domain(record.name)) return;
    const firstEver = this.firstEver[record.event];
    const ever = firstEver.get(record.name);
    if (ever === undefined || record.timeMs < ever) {
      firstEver.set(record.name, record.timeMs);
      if (this.limits !== undefined) dropOldest(firstEver, this.limits.names);
    }
    if (!inWindow(this.filter, record.timeMs)) return;
    this.counted++;
    this.queries += record.count;
    this.firstMs = Math.min(this.firstMs, record.timeMs);
    this.lastMs = Math.max(this.lastMs, record.lastMs);
    this.addToName(record);
    this.addToClient(record);
  }

  private addToName(record: QueryRecord): void {
    const names = this.names[record.event];
    let state = names.get(record.name);
    if (state === undefined) {
      state = { name: record.name, event: record.event, list: record.list, rule: record.rule, attempts: 0, firstMs: record.timeMs, lastMs: record.lastMs, clients: new Map() };
      names.set(record.name, state);
    } else if (this.limits !== undefined) touch(names, record.name, state);
    state.attempts += record.count;
    // The latest line names the rule that answers today (a list edit may move a name between lists).
    if (record.lastMs >= state.lastMs) { state.list = record.list ?? state.list; state.rule = record.rule ?? state.rule; }
    state.firstMs = Math.min(state.firstMs, record.timeMs);
    state.lastMs = Math.max(state.lastMs, record.lastMs);
    let pair = state.clients.get(record.client);
    if (pair === undefined) {
      state.clients.set(record.client, { attempts: record.count, lastMs: record.lastMs, gaps: new GapHistogram() });
      if (record.count > 1) state.clients.get(record.client)!.gaps.add((record.lastMs - record.timeMs) / (record.count - 1), record.count - 1);
      if (this.limits !== undefined) {
        this.pairs++;
        if (state.clients.size > this.limits.clientsPerName) { dropOldest(state.clients, this.limits.clientsPerName); this.pairs--; }
        this.dropOldestNames();
      }
      return;
    }
    if (this.limits !== undefined) touch(state.clients, record.client, pair);
    pair.attempts += record.count;
    // Lines out of order (files given in another order, clocks stepped): counted, not measured.
    if (record.timeMs >= pair.lastMs) {
      pair.gaps.add(record.timeMs - pair.lastMs);
      if (record.count > 1) pair.gaps.add((record.lastMs - record.timeMs) / (record.count - 1), record.count - 1);
      pair.lastMs = record.lastMs;
    }
  }

  private addToClient(record: QueryRecord): void {
    let state = this.clients.get(record.client);
    if (state === undefined) {
      state = { client: record.client, mac: record.mac, host: record.host, counts: { sinkhole: 0, redirect: 0, unlisted: 0 }, firstMs: record.timeMs, lastMs: record.lastMs };
      this.clients.set(record.client, state);
      if (this.limits !== undefined) dropOldest(this.clients, this.limits.clients);
    } else if (this.limits !== undefined) touch(this.clients, record.client, state);
    state.counts[record.event] += record.count;
    state.mac = record.mac ?? state.mac;
    state.host = record.host ?? state.host;
    state.firstMs = Math.min(state.firstMs, record.timeMs);
    state.lastMs = Math.max(state.lastMs, record.lastMs);
  }

  /**
   * Under limits: drops the least recently seen names, with their per-client state, while there
   * are too many names or (client, name) pairs in all (each pair holds a gap histogram).
   */
  private dropOldestNames(): void {
    const limits = this.limits!;
    const maps = QUERY_EVENT_NAMES.map((event) => this.names[event]);
    let total = maps.reduce((sum, map) => sum + map.size, 0);
    while (total > limits.names || this.pairs > limits.pairs) {
      // Each map is least recently seen first: the oldest of their first entries goes.
      let oldest: { map: Map<string, NameState>; name: string; state: NameState } | undefined;
      for (const map of maps) {
        const first = map.entries().next();
        if (first.done === true) continue;
        const [name, state] = first.value;
        if (oldest === undefined || state.lastMs < oldest.state.lastMs) oldest = { map, name, state };
      }
      if (oldest === undefined) return;
      oldest.map.delete(oldest.name);
      this.pairs -= oldest.state.clients.size;
      total--;
    }
  }


  result(options: ResultOptions): ReportResult {
    const rows = (event: QueryEventName): NameRow[] => {
      const all: NameRow[] = [];
      for (const [name, state] of this.names[event]) {
        const since = options.newSinceMs ?? this.filter.sinceMs;
        const isNew = since === undefined || (this.firstEver[event].get(name) ?? state.firstMs) >= since;
        if (options.onlyNew && !isNew) continue;
        const pairMedians = [...state.clients.values()].map((pair) => pair.gaps.median()).filter((gap): gap is number => gap !== undefined);
        all.push({
          name: state.name, list: state.list, rule: state.rule, attempts: state.attempts, clients: state.clients.size,
          firstSeen: iso(state.firstMs), lastSeen: iso(state.lastMs), cadenceMs: median(pairMedians), isNew,
        });
      }
      return all.sort((a, b) => b.attempts - a.attempts || a.name.localeCompare(b.name)).slice(0, options.top);
    };
    // Each client's sinkholed names, in one pass over the (name, client) pairs.
    const triedBy = new Map<string, { name: string; attempts: number }[]>();
    for (const name of this.names.sinkhole.values()) {
      for (const [client, pair] of name.clients) {
        let tried = triedBy.get(client);
        if (tried === undefined) { tried = []; triedBy.set(client, tried); }
        tried.push({ name: name.name, attempts: pair.attempts });
      }
    }
    const clientRows = [...this.clients.values()].map((state): ClientRow => {
      const top = triedBy.get(state.client) ?? [];
      top.sort((a, b) => b.attempts - a.attempts || a.name.localeCompare(b.name));
      return {
        client: state.client, mac: state.mac, host: state.host,
        sinkholed: state.counts.sinkhole, redirected: state.counts.redirect, unlisted: state.counts.unlisted,
        firstSeen: iso(state.firstMs), lastSeen: iso(state.lastMs), top: top.slice(0, 3),
      };
    }).sort((a, b) => b.sinkholed - a.sinkholed || b.unlisted - a.unlisted || a.client.localeCompare(b.client)).slice(0, options.top);
    return {
      window: {
        since: this.filter.sinceMs === undefined ? undefined : iso(this.filter.sinceMs),
        until: this.filter.untilMs === undefined ? undefined : iso(this.filter.untilMs),
        first: Number.isFinite(this.firstMs) ? iso(this.firstMs) : undefined,
        last: Number.isFinite(this.lastMs) ? iso(this.lastMs) : undefined,
      },
      totals: { lines: this.lines, counted: this.counted, queries: this.queries, skipped: { ...this.skipped } },
      sinkholed: rows('sinkhole'),
      unlisted: rows('unlisted'),
      redirected: rows('redirect'),
      clients: clientRows,
      ntp: {
        clients: [...this.ntpClients].map(([client, seen]) => ({ client, mac: seen.mac, host: seen.host, group: seen.group, firstSeen: iso(seen.firstMs) }))
          .sort((a, b) => a.firstSeen.localeCompare(b.firstSeen)).slice(0, options.top),
        clock: [...this.clock].sort((a, b) => a.timeMs - b.timeMs).map((entry) => ({ time: iso(entry.timeMs), state: entry.state })),
      },
      problems: [...this.problems],
    };
  }
}
