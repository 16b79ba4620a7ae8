import { nextRefreshAt, RETRY_AFTER_FAILURE_MS } from './next-refresh.js';
import type { RefreshResult } from './refresh-source.js';
import type { RemoteSource } from './remote-sources.js';
import type { SourceState } from './source-state.js';

/** The clock and timers the scheduler runs on: real ones in the daemon, fakes in tests. */
export interface SchedulerClock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const REAL_CLOCK: SchedulerClock = {
  now: () => Date.now(),
  // Unreferenced: a pending refresh never keeps a stopping daemon alive.
  setTimeout: (callback, ms) => setTimeout(callback, ms).unref(),
  clearTimeout: (handle) => { clearTimeout(handle as ReturnType<typeof setTimeout>); },
};

/** A source never downloaded is fetched within this long after start (spread, not all at once). */
export const FIRST_FETCH_SPREAD_MS = 10_000;
/** Jitter added to each due time: a tenth of the interval, at most this much. */
export const MAX_JITTER_MS = 15 * 60_000;
/** Node's timers take at most 2^31-1 ms; a longer wait is taken in steps. */
const MAX_TIMER_MS = 2_147_483_647;

export interface SchedulerOptions {
  /** Refreshes the given sources (one at a time) and says what happened. */
  readonly refresh: (sources: readonly RemoteSource[]) => Promise<RefreshResult[]>;
  /** A source's stored state: when it was last tried, and whether that failed. */
  readonly stateOf: (source: RemoteSource) => Promise<SourceState>;
  /** Told after every refresh; the daemon reloads when a list changed. */
  readonly onResults: (results: readonly RefreshResult[]) => void;
  /** Told when a refresh throws (a state folder it cannot write, say); the source is tried again later. */
  readonly onError: (error: unknown) => void;
  readonly clock?: SchedulerClock;
  readonly random?: () => number;
}

/**
 * Refreshes each URL source on its own interval, with jitter so that many routers on the same
 * list do not all ask at the same second. Refreshes never overlap (one chain of work), and
 * nothing here blocks start-up: the first downloads happen after the daemon already serves
 * its cached copies.
 */
export class RefreshScheduler {
  private readonly clock: SchedulerClock;
  private readonly random: () => number;
  private readonly timers = new Map<string, unknown>();
  private sources: readonly RemoteSource[] = [];
  private chain: Promise<unknown> = Promise.resolve();
  private stopped = false;

  constructor(private readonly options: SchedulerOptions) {
    this.clock = options.clock ?? REAL_CLOCK;
    this.random = options.random ?? Math.random;
  }

  /** Schedules these sources (replacing any scheduled before: a reload may add or drop some). */
  async set(sources: readonly RemoteSource[]): Promise<void> {
    this.clearTimers();
    this.sources = sources;
    await Promise.all(sources.map((source) => this.schedule(source)));
  }

  /** Refreshes every source now (in turn with any refresh already running); resolves with the results. */
  refreshNow(): Promise<RefreshResult[]> {
    return this.enqueue(this.sources);
  }

  stop(): void {
    this.stopped = true;
    this.clearTimers();
  }

  private clearTimers(): void {
    for (const handle of this.timers.values()) this.clock.clearTimeout(handle);
    this.timers.clear();
  }

  private enqueue(sources: readonly RemoteSource[]): Promise<RefreshResult[]> {
    const run = this.chain.then(async () => {
      if (this.stopped || sources.length === 0) return [];
      const results = await this.options.refresh(sources);
      this.options.onResults(results);
      return results;
    });
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** The wait until a source is due, plus jitter. */
  async delayFor(source: RemoteSource): Promise<number> {
    const state = await this.options.stateOf(source);
    const due = nextRefreshAt(state, source.refreshMs);
    if (due === 0) return Math.floor(this.random() * FIRST_FETCH_SPREAD_MS);
    const jitter = Math.floor(this.random() * Math.min(source.refreshMs / 10, MAX_JITTER_MS));
    return Math.max(0, due - this.clock.now()) + jitter;
  }

  private async schedule(source: RemoteSource): Promise<void> {
    const delay = await this.delayFor(source);
    if (this.stopped || !this.sources.includes(source)) return;
    this.arm(source, this.clock.now() + delay);
  }

  private arm(source: RemoteSource, at: number): void {
    const wait = Math.min(MAX_TIMER_MS, Math.max(0, at - this.clock.now()));
    this.timers.set(source.url + source.name, this.clock.setTimeout(() => {
      this.timers.delete(source.url + source.name);
      if (this.clock.now() < at) { this.arm(source, at); return; }
      this.enqueue([source]).then(
        () => { if (!this.stopped && this.sources.includes(source)) void this.schedule(source); },
        (error: unknown) => {
          this.options.onError(error);
          // The state may not say it failed (it could not be written): wait as after a failure.
          if (!this.stopped && this.sources.includes(source)) this.arm(source, this.clock.now() + Math.min(source.refreshMs, RETRY_AFTER_FAILURE_MS));
        },
      );
    }, wait));
  }
}
