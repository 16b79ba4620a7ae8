import { STORM_DEFAULTS } from '../config/config-schema.js';
import type { LoggedQuery, StormSummary } from './query-events.js';

export type { StormSummary };

/** How repeats are collapsed: a window per (client, name, type, answer kind), and how many windows may be open. */
export interface StormOptions {
  /** A window's length (ms); 0 turns collapsing off (every query is a line). */
  readonly windowMs: number;
  /** Open windows at most; when full, the oldest is closed early (its repeats written). */
  readonly maxWindows: number;
}

export const DEFAULT_STORM_OPTIONS: StormOptions = { windowMs: STORM_DEFAULTS.windowSeconds * 1000, maxWindows: STORM_DEFAULTS.maxWindows };

export interface StormTimers {
  setTimeout(callback: () => void, ms: number): { unref?(): unknown };
  clearTimeout(handle: unknown): void;
}

/**
 * One open (or closed, not yet recycled) window. Windows are reused once they leave the queue:
 * under a flood of distinct names every query opens one, and a fresh object per query was most
 * of the collapser's cost in the young-generation collector.
 */
interface Window {
  query: LoggedQuery;
  openedMs: number;
  count: number;
  firstMs: number;
  lastMs: number;
  open: boolean;
  /** The next window of the same (client, name): another type or answer kind; usually none. */
  next: Window | undefined;
}

/** Closed windows kept for reuse at most (each is a few words; the table itself is bounded by maxWindows). */
const POOL_LIMIT = 4096;

/**
 * Collapses a storm of identical queries into two lines: the first query when it comes, and one
 * summary of its repeats when its window closes. A camera retrying every second costs two lines
 * a minute instead of sixty, and no occurrence is lost from the counts. Memory is bounded: the
 * table holds at most `maxWindows` windows (keys come from the socket's client address and the
 * decoded question, never more than one entry per distinct query), and the oldest is closed
 * early when it is full. Every window has the same length, so the order windows open in is the
 * order they run out in: one queue serves both the expiry sweep and the oldest-first bound.
 */
export class StormCollapser {
  /** client -> name -> the first window of that pair (the others, one per type and kind, chained by `next`). */
  private readonly table = new Map<string, Map<string, Window>>();
  /** Windows in the order they opened: the oldest closes first. */
  private queue: Window[] = [];
  private queueStart = 0;
  private openCount = 0;
  private readonly pool: Window[] = [];
  private timer: unknown;
  /**
   * The last client's entry: a storm comes from one client, and a camera VLAN's queries from a
   * few, so most records skip the outer lookup (and hashing the fresh address string).
   */
  private lastClient = '';
  private lastByName: Map<string, Window> | undefined;

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
    let byName = query.client === this.lastClient ? this.lastByName : this.table.get(query.client);
    if (byName !== undefined) {
      for (let window = byName.get(query.name); window !== undefined; window = window.next) {
        if (window.query.kind !== query.kind || window.query.qtype !== query.qtype) continue;
        if (query.timeMs - window.openedMs < this.options.windowMs) {
          if (window.count === 0) window.firstMs = query.timeMs;
          window.count++;
          window.lastMs = query.timeMs;
          return;
        }
        // Its window has run out: close it (writing its repeats), and this query opens the next.
        this.close(window);
        break;
      }
    }
    if (this.openCount >= this.options.maxWindows) this.closeOldest();
    // Closing may have removed this client's (then empty) entry: look it up again.
    byName = this.table.get(query.client);
    if (byName === undefined) { byName = new Map(); this.table.set(query.client, byName); }
    this.lastClient = query.client;
    this.lastByName = byName;
    const window = this.pool.pop() ?? { query, openedMs: 0, count: 0, firstMs: 0, lastMs: 0, open: true, next: undefined };
    window.query = query;
    window.openedMs = query.timeMs;
    window.count = 0;
    window.firstMs = 0;
    window.lastMs = 0;
    window.open = true;
    window.next = byName.get(query.name);
    byName.set(query.name, window);
    this.queue.push(window);
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
      this.recycle(window);
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
      const wasOpen = window.open;
      if (wasOpen) this.close(window);
      this.recycle(window);
      if (wasOpen) break;
    }
    this.compact();
  }

  private close(window: Window): void {
    window.open = false;
    this.openCount--;
    this.unlink(window);
    if (window.count > 0) {
      this.writeSummary({ query: window.query, count: window.count, firstMs: window.firstMs, lastMs: window.lastMs, closedMs: this.clock() });
    }
  }

  /** Takes a window out of its (client, name) chain, and the chain's entries out of the table when it was the last. */
  private unlink(window: Window): void {
    const { client, name } = window.query;
    const byName = this.table.get(client);
    if (byName === undefined) return;
    const first = byName.get(name);
    if (first === window) {
      if (window.next !== undefined) byName.set(name, window.next);
      else {
        byName.delete(name);
        if (byName.size === 0) {
          this.table.delete(client);
          if (this.lastByName === byName) { this.lastClient = ''; this.lastByName = undefined; }
        }
      }
    } else {
      for (let before = first; before !== undefined; before = before.next) {
        if (before.next === window) { before.next = window.next; break; }
      }
    }
    window.next = undefined;
  }

  /** A window that has left the queue (the only place that still held it) may serve again. */
  private recycle(window: Window): void {
    if (this.pool.length < POOL_LIMIT) this.pool.push(window);
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
