import type { Problem } from '../errors.js';
import { EMPTY_CLIENT_NAMES, parseClientNames, type ClientNames, type ClientNamesInput } from './client-names.js';
import { buildClientTable, DEFAULT_MAX_CLIENTS, type ClientInfo } from './client-table.js';
import { ipKey } from './ip-key.js';
import { LeaseFiles, realLeaseFs, type LeaseFileState, type LeaseFs, type LeasesInput } from './lease-files.js';
import { systemNeighbourReader, type NeighbourEntry, type NeighbourReader } from './neighbours.js';
import { realClientTimers, type ClientTimers } from './timers.js';

/** Defaults, defined once: the config schema and the README take them from here. */
export const CLIENT_DIRECTORY_DEFAULTS = {
  leases: 'auto' as LeasesInput,
  neighbours: true,
  maxEntries: DEFAULT_MAX_CLIENTS,
  /** Neighbour table re-read on this interval. */
  neighbourRefreshMs: 30_000,
  /** A lookup miss may re-read the neighbour table early, but not more often than this overall. */
  missRefreshGapMs: 2_000,
  /** Per address, the first early re-read waits this long after the last; each fruitless one doubles it. */
  missBackoffMs: 10_000,
  /** ...up to this. An address that is never a neighbour (a routed client) costs a re-read per 10 min. */
  missBackoffMaxMs: 600_000,
  /** Lease files' identity polled on this interval (the watch usually notices first). */
  leasePollMs: 10_000,
  /** A burst of change events within this window is one re-read. */
  leaseDebounceMs: 250,
} as const;

/** Addresses whose early re-reads are tracked; the oldest is forgotten first. */
const MAX_MISS_TRACKED = 4096;

export interface ClientDirectoryOptions {
  readonly leases?: LeasesInput;
  readonly neighbours?: boolean;
  readonly names?: ClientNamesInput;
  readonly maxEntries?: number;
  readonly neighbourRefreshMs?: number;
  readonly missRefreshGapMs?: number;
  readonly missBackoffMs?: number;
  readonly missBackoffMaxMs?: number;
  readonly leasePollMs?: number;
  readonly leaseDebounceMs?: number;
}

export interface ClientDirectoryDeps {
  readonly timers?: ClientTimers;
  readonly nowMs?: () => number;
  readonly neighbourReader?: NeighbourReader;
  readonly fs?: LeaseFs;
  /**
   * Warnings: a lease file missing or unreadable (once per failure streak), lines skipped in a
   * lease file, the neighbour table unreadable (once per streak), the table bound reached (once
   * until it fits again), bad `clients:` entries. Never thrown: unknown clients stay addresses.
   */
  readonly onProblem?: (problem: Problem) => void;
  /** Called after each table swap. */
  readonly onRebuild?: (stats: ClientDirectoryStats) => void;
}

export interface ClientDirectoryStats {
  readonly clients: number;
  readonly dropped: number;
  readonly neighbours: number;
  readonly rebuilds: number;
  readonly neighbourReads: number;
  readonly missReads: number;
  readonly leaseFiles: readonly LeaseFileState[];
}

/**
 * Which camera is it: client address -> MAC and name, for log lines and reports.
 *
 * Sources, merged by `buildClientTable`: the `clients:` map, DHCP lease files, the kernel's
 * neighbour table. The table is rebuilt on the side and swapped whole whenever a source
 * changes, so `lookup` is one Map read and never sees a half-built table. Lease files are
 * re-read when they change; the neighbour table on an interval, and early (bounded) when a
 * lookup misses, since a new client appears in the neighbour table as soon as it talks to the
 * router. Nothing here fails a query: a failed source keeps its last data and is reported.
 */
export class ClientDirectory {
  private table: ReadonlyMap<string, ClientInfo> = new Map();
  private readonly names: ClientNames;
  private readonly leaseFiles: LeaseFiles;
  private readonly timers: ClientTimers;
  private readonly nowMs: () => number;
  private readonly readNeighbours: NeighbourReader | undefined;
  private readonly report: (problem: Problem) => void;
  private readonly settings: Required<Omit<ClientDirectoryOptions, 'names' | 'leases'>>;
  private neighbourEntries: readonly NeighbourEntry[] = [];
  private neighbourFailing = false;
  private neighbourRead: Promise<void> | undefined;
  private lastMissRead = Number.NEGATIVE_INFINITY;
  private readonly missTracked = new Map<string, { next: number; wait: number }>();
  private limitReported = false;
  private dropped = 0;
  private rebuilds = 0;
  private neighbourReads = 0;
  private missReads = 0;
  private running = false;
  private pollTimer: unknown;
  private neighbourTimer: unknown;
  private debounceTimer: unknown;

  constructor(options: ClientDirectoryOptions = {}, private readonly deps: ClientDirectoryDeps = {}) {
    const d = CLIENT_DIRECTORY_DEFAULTS;
    this.settings = {
      neighbours: options.neighbours ?? d.neighbours,
      maxEntries: options.maxEntries ?? d.maxEntries,
      neighbourRefreshMs: options.neighbourRefreshMs ?? d.neighbourRefreshMs,
      missRefreshGapMs: options.missRefreshGapMs ?? d.missRefreshGapMs,
      missBackoffMs: options.missBackoffMs ?? d.missBackoffMs,
      missBackoffMaxMs: options.missBackoffMaxMs ?? d.missBackoffMaxMs,
      leasePollMs: options.leasePollMs ?? d.leasePollMs,
      leaseDebounceMs: options.leaseDebounceMs ?? d.leaseDebounceMs,
    };
    this.report = deps.onProblem ?? (() => {});
    this.timers = deps.timers ?? realClientTimers;
    this.nowMs = deps.nowMs ?? Date.now;
    this.readNeighbours = this.settings.neighbours ? (deps.neighbourReader ?? systemNeighbourReader()) : undefined;
    const parsed = parseClientNames(options.names ?? {});
    for (const problem of parsed.problems) this.report({ ...problem, severity: 'warning' });
    this.names = options.names === undefined ? EMPTY_CLIENT_NAMES : parsed.names;
    this.leaseFiles = new LeaseFiles(options.leases ?? d.leases, deps.fs ?? realLeaseFs, this.report);
    this.rebuild();
  }

  /**
   * The client behind a socket address (`192.168.20.31`, `::ffff:192.168.20.31`,
   * `fe80::1%br-lan`), or undefined when unknown. O(1): Map reads and string slicing; a miss
   * may start a background re-read of the neighbour table and returns at once.
   */
  lookup(address: string): ClientInfo | undefined {
    const hit = this.table.get(address);
    if (hit !== undefined) return hit;
    let key = address;
    if (key.startsWith('::ffff:') && key.includes('.')) key = key.slice(7);
    const percent = key.indexOf('%');
    if (percent !== -1) key = key.slice(0, percent);
    if (key !== address) {
      const alias = this.table.get(key);
      if (alias !== undefined) return alias;
    }
    // An address already waiting out its backoff costs one more Map read, not a parse.
    const tracked = this.missTracked.get(key);
    if (tracked !== undefined && this.nowMs() < tracked.next) return undefined;
    if (!this.table.has(key)) {
      const canonical = ipKey(key);
      if (canonical === undefined) return undefined;
      if (canonical !== key) {
        const found = this.table.get(canonical);
        if (found !== undefined) return found;
      }
      this.onMiss(canonical);
    }
    return undefined;
  }

  /** Reads every source once, builds the table, then keeps it fresh until `close()`. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    await Promise.all([this.leaseFiles.check(), this.refreshNeighbours()]);
    this.rebuild();
    if (!this.running) return;
    this.leaseFiles.ensureWatches(() => this.leaseChanged());
    this.pollTimer = this.timers.setInterval(() => {
      this.leaseFiles.ensureWatches(() => this.leaseChanged());
      void this.reloadLeases();
    }, this.settings.leasePollMs);
    if (this.readNeighbours !== undefined) {
      this.neighbourTimer = this.timers.setInterval(() => void this.refreshNeighbours().then(() => this.rebuild()), this.settings.neighbourRefreshMs);
    }
  }

  /** Re-reads every source at once (SIGHUP, tests). */
  async refresh(): Promise<void> {
    await Promise.all([this.leaseFiles.check(), this.refreshNeighbours()]);
    this.rebuild();
  }

  /** One line for the start-up log: the effective sources and what they gave. */
  describe(): string {
    const files = this.leaseFiles.states().filter((f) => !f.optional || f.loads > 0 || f.failing);
    const leases = files.length === 0
      ? 'no lease file found'
      : files.map((f) => `${f.path} (${f.format ?? 'format unknown'}, ${f.leases} leases${f.failing ? ', unreadable' : ''})`).join(', ');
    const neighbours = this.readNeighbours === undefined ? 'off' : this.neighbourFailing ? 'unreadable' : `${this.neighbourEntries.length} entries`;
    return `clients: ${this.table.size} known; leases: ${leases}; neighbour table: ${neighbours}; names from config: ${this.names.byMac.size + this.names.byIp.size}`;
  }

  close(): void {
    this.running = false;
    this.leaseFiles.closeWatches();
    if (this.pollTimer !== undefined) this.timers.clearInterval(this.pollTimer);
    if (this.neighbourTimer !== undefined) this.timers.clearInterval(this.neighbourTimer);
    if (this.debounceTimer !== undefined) this.timers.clearTimeout(this.debounceTimer);
    this.pollTimer = this.neighbourTimer = this.debounceTimer = undefined;
  }

  stats(): ClientDirectoryStats {
    return {
      clients: this.table.size,
      dropped: this.dropped,
      neighbours: this.neighbourEntries.length,
      rebuilds: this.rebuilds,
      neighbourReads: this.neighbourReads,
      missReads: this.missReads,
      leaseFiles: this.leaseFiles.states(),
    };
  }

  private leaseChanged(): void {
    if (!this.running) return;
    if (this.debounceTimer !== undefined) this.timers.clearTimeout(this.debounceTimer);
    this.debounceTimer = this.timers.setTimeout(() => {
      this.debounceTimer = undefined;
      void this.reloadLeases();
    }, this.settings.leaseDebounceMs);
  }

  private async reloadLeases(): Promise<void> {
    try {
      if (await this.leaseFiles.check()) this.rebuild();
    } catch (error) {
      // Parsers and reads report their own problems; this is the net under a bug, so that a
      // timer callback can never become an unhandled rejection that stops the daemon.
      this.report({ code: 'CLIENTS_LEASE_READ', severity: 'warning', message: `lease files not re-read: ${error instanceof Error ? error.message : String(error)}` });
    }
  }

  /**
   * Early neighbour re-read for an unknown address: bounded overall (one per gap, one at a
   * time), and per address with backoff. An address that has to wait is remembered too, so a
   * storm from it costs a Map read per query, not an address parse.
   */
  private onMiss(key: string): void {
    if (this.readNeighbours === undefined || !this.running) return;
    const now = this.nowMs();
    const tracked = this.missTracked.get(key);
    if (tracked !== undefined && now < tracked.next) return;
    const blocked = now - this.lastMissRead < this.settings.missRefreshGapMs || this.neighbourRead !== undefined;
    // wait 0: not yet tried; it gets its first read once the gap has passed.
    const wait = blocked ? (tracked?.wait ?? 0)
      : tracked === undefined || tracked.wait === 0 ? this.settings.missBackoffMs
        : Math.min(tracked.wait * 2, this.settings.missBackoffMaxMs);
    this.missTracked.delete(key);
    if (this.missTracked.size >= MAX_MISS_TRACKED) {
      const oldest = this.missTracked.keys().next();
      if (oldest.done !== true) this.missTracked.delete(oldest.value);
    }
    this.missTracked.set(key, { next: now + (blocked ? this.settings.missRefreshGapMs : wait), wait });
    if (blocked) return;
    this.lastMissRead = now;
    this.missReads++;
    void this.refreshNeighbours().then(() => this.rebuild());
  }

  private refreshNeighbours(): Promise<void> {
    const read = this.readNeighbours;
    if (read === undefined) return Promise.resolve();
    this.neighbourRead ??= (async () => {
      try {
        this.neighbourEntries = await read();
        this.neighbourReads++;
        this.neighbourFailing = false;
      } catch (error) {
        if (!this.neighbourFailing) {
          this.report({
            code: 'CLIENTS_NEIGHBOUR_READ', severity: 'warning',
            message: `neighbour table cannot be read (${error instanceof Error ? error.message : String(error)}); MACs come from leases only until it can`,
          });
        }
        this.neighbourFailing = true;
      }
    })().finally(() => { this.neighbourRead = undefined; });
    return this.neighbourRead;
  }

  private rebuild(): void {
    const built = buildClientTable({
      leases: this.leaseFiles.entries(),
      neighbours: this.neighbourEntries,
      names: this.names,
      nowMs: this.nowMs(),
      maxEntries: this.settings.maxEntries,
    });
    this.table = built.byIp;
    this.dropped = built.dropped;
    this.rebuilds++;
    if (built.dropped > 0 && !this.limitReported) {
      this.report({
        code: 'CLIENTS_LIMIT', severity: 'warning',
        message: `client table holds at most ${this.settings.maxEntries} addresses; ${built.dropped} left out (their queries are logged by address only)`,
      });
    }
    this.limitReported = built.dropped > 0;
    this.deps.onRebuild?.(this.stats());
  }
}
