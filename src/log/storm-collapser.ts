import { STORM_DEFAULTS } from '../config/config-schema.js';
import type { LoggedQuery } from './query-events.js';

/** How repeats are collapsed: a window per (client, name, type, answer kind), and how many windows may be open. */
export interface StormOptions {
  /** A window's length (ms); 0 turns collapsing off (every query is a line). */
  readonly windowMs: number;
  /** Open windows at most; when full, the oldest is closed early (its repeats written). */
  readonly maxWindows: number;
}

export const DEFAULT_STORM_OPTIONS: StormOptions = { windowMs: STORM_DEFAULTS.windowSeconds * 1000, maxWindows: STORM_DEFAULTS.maxWindows };

/** The repeats of one query within one window, after the line of its first query. */
export interface StormSummary {
  /** The window's first query (its line was written when it came). */
  readonly query: LoggedQuery;
  readonly count: number;
  readonly firstMs: number;
  readonly lastMs: number;
}

export interface StormTimers {
  setTimeout(callback: () => void, ms: number): { unref?(): unknown };
  clearTimeout(handle: unknown): void;
}

interface Window {
  readonly query: LoggedQuery;
  readonly openedMs: number;
  count: number;
  firstMs: number;
  lastMs: number;
  open: boolean;
}

/**
 * Collapses a storm of identical queries into two lines: the first query when it comes, and one
 * summary of its repeats when its window closes. A camera retrying every second costs two lines
 * a minute instead of sixty, and no occurrence is lost from the counts. Memory is bounded: the
 * table holds at most `maxWindows` windows (keys come from the socket's client address and the
 * decoded question, never more than one entry per distinct query), and the oldest is closed
 * early when it is full.
 */
export class StormCollapser {
  /** client -> name -> the windows of that pair (one per type and kind; usually one or two). */
  private readonly table = new Map<string, Map<string, Window[]>>();
  /** Windows in the order they opened: the oldest closes first. */
  private queue: Window[] = [];
  private queueStart = 0;
  private openCount = 0;
  private timer: unknown;

  constructor(
    private readonly options: StormOptions,
    private readonly writeLine: (query: LoggedQuery) => void,
    private readonly writeSummary: (summary: StormSummary) => void,
    /** The clock the records' times come from, for closing windows when no query comes. */
    private readonly clock: () => number,
    private readonly timers: StormTimers = globalThis,
  ) {}

  get openWindows(): number { return this.openCount; }

  /** One answered query: a line now when it opens a window, else counted in its window. */
  record(query: LoggedQuery): void {
    if (this.options.windowMs <= 0) { this.writeLine(query); return; }
    let byName = this.table.get(query.client);
    if (byName === undefined) { byName = new Map(); this.table.set(query.client, byName); }
    let windows = byName.get(query.name);
    if (windows === undefined) { windows = []; byName.set(query.name, windows); }
    for (const window of windows) {
      if (window.query.kind !== query.kind || window.query.qtype !== query.qtype) continue;
      if (query.timeMs - window.openedMs < this.options.windowMs) {
        if (window.count === 0) window.firstMs = query.timeMs;
        window.count++;
        window.lastMs = query.timeMs;
        return;
      }
      // Its window has run out: close it (writing its repeats), and this query opens the next.
      this.close(window, windows);
      break;
    }
    if (this.openCount >= this.options.maxWindows) this.closeOldest();
    const opened: Window = { query, openedMs: query.timeMs, count: 0, firstMs: 0, lastMs: 0, open: true };
    windows.push(opened);
    // closeOldest may have removed this pair's (then empty) entries: put them back.
    if (this.table.get(query.client) !== byName) this.table.set(query.client, byName);
    if (byName.get(query.name) !== windows) byName.set(query.name, windows);
    this.queue.push(opened);
    this.openCount++;
    this.writeLine(query);
    this.arm();
  }

  /** Closes every window whose time is up at `nowMs` (the timer calls this with the clock's time). */
  sweep(nowMs: number): void {
    while (this.queueStart < this.queue.length) {
      const window = this.queue[this.queueStart]!;
      if (window.open && nowMs - window.openedMs < this.options.windowMs) break;
      this.queueStart++;
      if (window.open) this.close(window);
    }
    this.compact();
  }

  /** Writes every open window's repeats and empties the table (shutdown, reload). */
  flush(): void {
    for (let index = this.queueStart; index < this.queue.length; index++) {
      const window = this.queue[index]!;
      if (window.open) this.close(window);
    }
    this.queue = [];
    this.queueStart = 0;
    if (this.timer !== undefined) { this.timers.clearTimeout(this.timer); this.timer = undefined; }
  }

  private closeOldest(): void {
    while (this.queueStart < this.queue.length) {
      const window = this.queue[this.queueStart++]!;
      if (window.open) { this.close(window); break; }
    }
    this.compact();
  }

  private close(window: Window, windows = this.table.get(window.query.client)?.get(window.query.name)): void {
    window.open = false;
    this.openCount--;
    if (windows !== undefined) {
      const index = windows.indexOf(window);
      if (index >= 0) windows.splice(index, 1);
      if (windows.length === 0) {
        const byName = this.table.get(window.query.client);
        byName?.delete(window.query.name);
        if (byName?.size === 0) this.table.delete(window.query.client);
      }
    }
    if (window.count > 0) this.writeSummary({ query: window.query, count: window.count, firstMs: window.firstMs, lastMs: window.lastMs });
  }

  /** Drops closed windows from the front of the queue once they are most of it. */
  private compact(): void {
    if (this.queueStart > 1024 && this.queueStart * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.queueStart);
      this.queueStart = 0;
    }
  }

  /**
   * One timer while any window is open, a quarter window apart: a window's repeats are written at
   * most a quarter window after it ends, even when no query comes to close it.
   */
  private arm(): void {
    if (this.timer !== undefined || this.openCount === 0) return;
    const handle = this.timers.setTimeout(() => {
      this.timer = undefined;
      this.sweep(this.clock());
      this.arm();
    }, Math.max(1, Math.floor(this.options.windowMs / 4)));
    handle.unref?.();
    this.timer = handle;
  }
}
