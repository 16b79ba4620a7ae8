import { STORM_DEFAULTS } from '../config/config-schema.js';
import { finishHash, FNV_PRIME, runningHashText } from '../lists/name-hash.js';
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

const INITIAL_WINDOWS = 256;
const KIND_CODES: Readonly<Record<LoggedQuery['kind'], number>> = { sinkhole: 1, redirect: 2, unlisted: 3 };
/** The second hash's constants (a multiplicative string hash; any odd multiplier unrelated to FNV's). */
const CHECK_OFFSET = 0x2545f491;
const CHECK_PRIME = 0x9e3779b1 | 0;

/**
 * Collapses a storm of identical queries: the first query gets its line when it comes, and its
 * repeats one summary per window, written when the window closes; while the storm goes on, each
 * next window counts on with no first line of its own. A camera retrying every second costs one
 * line a minute instead of sixty, and no occurrence is lost from the counts. Memory is bounded: at
 * most `maxWindows` windows are open (keys come from the socket's client address and the decoded
 * question, never more than one window per distinct query), and the oldest is closed early when
 * the table is full.
 *
 * Every query of a flood of distinct names opens a window and closes the oldest, so the table is
 * laid out for that: windows live in typed arrays indexed by number, found through an
 * open-addressing hash table of (hash, window) pairs, and reused from a free list. A Map of
 * window objects would make garbage and cache misses on every query.
 * Every window has the same length, so the order windows open in is the order they run out in:
 * one queue serves both the expiry sweep and the oldest-first bound.
 */
export class StormCollapser {
  /** Windows allocated (grows by doubling up to maxWindows). */
  private capacity = 0;
  /**
   * A window's first repeat, the query its storm line describes (same client, name, type and
   * answer as the first). Kept only once a window has a repeat: under a flood of names each
   * asked once, holding every first query for a window's length would carry thousands of them
   * through the young generation, copied by every scavenge (a longer pause on each).
   */
  private repeat: (LoggedQuery | undefined)[] = [];
  private keyHash = new Int32Array(0);
  /** A second, independent hash of the key: with the first, 64 bits tell keys apart without holding their strings. */
  private keyCheck = new Int32Array(0);
  private openedMs = new Float64Array(0);
  private count = new Float64Array(0);
  private firstMs = new Float64Array(0);
  private lastMs = new Float64Array(0);
  /** The hash-table slot each open window sits in, -1 when closed. */
  private slotOf = new Int32Array(0);
  /** Which opening of the window number this is: tells a queue entry of an earlier use apart. */
  private generation = new Float64Array(0);
  private free: number[] = [];

  /** Open addressing, linear probing: per slot the key hash (0: empty) and the window number. */
  private slotHash = new Int32Array(0);
  private slotWindow = new Int32Array(0);
  private slotMask = 0;

  /** Window numbers and generations in the order they opened (a ring that grows). */
  private queueWindow = new Int32Array(0);
  private queueGeneration = new Float64Array(0);
  private queueHead = 0;
  private queueLength = 0;

  private openCount = 0;
  private opened = 0;
  private timer: unknown;
  /** The last client's running hash: most records come from the client before them. */
  private lastClient = '';
  private lastClientHash = 0;
  private lastClientCheck = 0;
  /** The second hash `hashOf` computed last. */
  private checkHash = 0;

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
    const hash = this.hashOf(query);
    const check = this.checkHash;
    if (this.capacity > 0) {
      const window = this.find(hash, check);
      if (window >= 0) {
        if (query.timeMs - this.openedMs[window]! < this.options.windowMs) {
          if (this.count[window] === 0) { this.firstMs[window] = query.timeMs; this.repeat[window] = query; }
          this.count[window]!++;
          this.lastMs[window] = query.timeMs;
          return;
        }
        // Its window has run out: close it, writing its repeats. A storm that goes on continues
        // in the next window without a line of its own: this query is that window's first repeat.
        const stormed = this.repeat[window] !== undefined;
        this.close(window);
        if (stormed) {
          const next = this.open(query.timeMs, hash, check);
          this.count[next] = 1;
          this.firstMs[next] = query.timeMs;
          this.lastMs[next] = query.timeMs;
          this.repeat[next] = query;
          this.arm();
          return;
        }
      }
    }
    if (this.openCount >= this.options.maxWindows) this.closeOldest();
    this.open(query.timeMs, hash, check);
    this.writeLine(query);
    this.arm();
  }

  /**
   * Closes every window whose time is up at `nowMs` (the timer calls this with the clock's time).
   * One that had repeats is followed by a quiet window for the same query, opened now: if the
   * storm goes on, its next queries are counted there with no first line again. Nobody asked in
   * between (a query would have closed the window itself), so nothing falls between the two.
   */
  sweep(nowMs: number): void {
    while (this.queueLength > 0) {
      const window = this.queueWindow[this.queueHead]!;
      const current = this.isCurrent(window, this.queueGeneration[this.queueHead]!);
      if (current && nowMs - this.openedMs[window]! < this.options.windowMs) break;
      this.dequeue();
      if (!current) continue;
      const stormed = this.repeat[window] !== undefined;
      const hash = this.keyHash[window]!;
      const check = this.keyCheck[window]!;
      this.close(window);
      if (stormed) this.open(nowMs, hash, check);
    }
  }

  /** Writes every open window's repeats and empties the table (shutdown, reload). */
  flush(): void {
    while (this.queueLength > 0) {
      const window = this.queueWindow[this.queueHead]!;
      const current = this.isCurrent(window, this.queueGeneration[this.queueHead]!);
      this.dequeue();
      if (current) this.close(window);
    }
    if (this.timer !== undefined) { this.timers.clearTimeout(this.timer); this.timer = undefined; }
  }

  /**
   * Two hashes of (client, name, type, kind) in one pass: FNV-1a (returned; never 0, an empty
   * slot) and a multiplicative hash with other constants (left in `checkHash`). A window is found
   * when both match: two different keys agreeing on 64 bits is too rare to count.
   */
  private hashOf(query: LoggedQuery): number {
    if (query.client !== this.lastClient) {
      this.lastClient = query.client;
      this.lastClientHash = runningHashText(query.client, 0, query.client.length);
      let check = CHECK_OFFSET;
      for (let index = 0; index < query.client.length; index++) check = Math.imul(check + query.client.charCodeAt(index), CHECK_PRIME);
      this.lastClientCheck = check;
    }
    let hash = Math.imul(this.lastClientHash ^ 0x2f, FNV_PRIME);
    let check = Math.imul(this.lastClientCheck + 0x2f, CHECK_PRIME);
    const name = query.name;
    for (let index = name.length - 1; index >= 0; index--) {
      const code = name.charCodeAt(index);
      hash = Math.imul(hash ^ code, FNV_PRIME);
      check = Math.imul(check + code, CHECK_PRIME);
    }
    const tail = query.qtype * 4 + KIND_CODES[query.kind];
    hash = Math.imul(hash ^ tail, FNV_PRIME);
    this.checkHash = finishHash(Math.imul(check + tail, CHECK_PRIME)) | 0;
    return finishHash(hash) | 1;
  }

  /** The open window of this key, or -1. */
  private find(hash: number, check: number): number {
    const mask = this.slotMask;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const stored = this.slotHash[slot]!;
      if (stored === 0) return -1;
      if (stored === hash && this.keyCheck[this.slotWindow[slot]!] === check) return this.slotWindow[slot]!;
    }
  }

  /** Opens a window with no repeats yet; returns its number. */
  private open(timeMs: number, hash: number, check: number): number {
    if (this.free.length === 0) this.grow();
    const window = this.free.pop()!;
    this.repeat[window] = undefined;
    this.keyHash[window] = hash;
    this.keyCheck[window] = check;
    this.openedMs[window] = timeMs;
    this.count[window] = 0;
    this.firstMs[window] = 0;
    this.lastMs[window] = 0;
    this.generation[window] = ++this.opened;
    const mask = this.slotMask;
    let slot = hash & mask;
    while (this.slotHash[slot] !== 0) slot = (slot + 1) & mask;
    this.slotHash[slot] = hash;
    this.slotWindow[slot] = window;
    this.slotOf[window] = slot;
    this.enqueue(window, this.opened);
    this.openCount++;
    return window;
  }

  private close(window: number): void {
    this.removeSlot(this.slotOf[window]!);
    this.slotOf[window] = -1;
    this.openCount--;
    const query = this.repeat[window];
    const count = this.count[window]!;
    this.repeat[window] = undefined;
    this.free.push(window);
    if (query !== undefined) this.writeSummary({ query, count, firstMs: this.firstMs[window]!, lastMs: this.lastMs[window]!, closedMs: this.clock() });
  }

  private closeOldest(): void {
    while (this.queueLength > 0) {
      const window = this.queueWindow[this.queueHead]!;
      const current = this.isCurrent(window, this.queueGeneration[this.queueHead]!);
      this.dequeue();
      if (current) { this.close(window); return; }
    }
  }

  /** Whether a queue entry still stands for an open window (not one closed early and reused). */
  private isCurrent(window: number, generation: number): boolean {
    return this.slotOf[window]! >= 0 && this.generation[window] === generation;
  }

  /** Empties a slot, moving later entries of its probe run back so lookups never stop early. */
  private removeSlot(slot: number): void {
    const mask = this.slotMask;
    let hole = slot;
    this.slotHash[hole] = 0;
    for (let next = (hole + 1) & mask; this.slotHash[next] !== 0; next = (next + 1) & mask) {
      const home = this.slotHash[next]! & mask;
      // The entry may move into the hole when its home is not in the cyclic range (hole, next].
      const movable = hole <= next ? home <= hole || home > next : home <= hole && home > next;
      if (!movable) continue;
      this.slotHash[hole] = this.slotHash[next]!;
      this.slotWindow[hole] = this.slotWindow[next]!;
      this.slotOf[this.slotWindow[hole]!] = hole;
      this.slotHash[next] = 0;
      hole = next;
    }
  }

  /** Doubles the windows (up to maxWindows) and the hash table, which stays at most half full. */
  private grow(): void {
    const old = this.capacity;
    const capacity = Math.min(this.options.maxWindows, Math.max(INITIAL_WINDOWS, old * 2));
    const widen = <T extends Int32Array | Float64Array>(array: T, make: (length: number) => T): T => {
      const grown = make(capacity);
      grown.set(array);
      return grown;
    };
    this.keyHash = widen(this.keyHash, (length) => new Int32Array(length));
    this.keyCheck = widen(this.keyCheck, (length) => new Int32Array(length));
    this.openedMs = widen(this.openedMs, (length) => new Float64Array(length));
    this.count = widen(this.count, (length) => new Float64Array(length));
    this.firstMs = widen(this.firstMs, (length) => new Float64Array(length));
    this.lastMs = widen(this.lastMs, (length) => new Float64Array(length));
    this.generation = widen(this.generation, (length) => new Float64Array(length));
    const slotOf = new Int32Array(capacity).fill(-1);
    this.repeat.length = capacity;
    this.capacity = capacity;
    for (let window = capacity - 1; window >= old; window--) this.free.push(window);
    let slots = 1;
    while (slots < capacity * 2) slots *= 2;
    this.slotHash = new Int32Array(slots);
    this.slotWindow = new Int32Array(slots);
    this.slotMask = slots - 1;
    for (let window = 0; window < old; window++) {
      if (this.slotOf[window]! < 0) continue;
      let slot = this.keyHash[window]! & this.slotMask;
      while (this.slotHash[slot] !== 0) slot = (slot + 1) & this.slotMask;
      this.slotHash[slot] = this.keyHash[window]!;
      this.slotWindow[slot] = window;
      slotOf[window] = slot;
    }
    this.slotOf = slotOf;
  }

  private enqueue(window: number, generation: number): void {
    if (this.queueLength === this.queueWindow.length) {
      const size = Math.max(INITIAL_WINDOWS, this.queueWindow.length * 2);
      const windows = new Int32Array(size);
      const generations = new Float64Array(size);
      for (let index = 0; index < this.queueLength; index++) {
        const at = (this.queueHead + index) % this.queueWindow.length;
        windows[index] = this.queueWindow[at]!;
        generations[index] = this.queueGeneration[at]!;
      }
      this.queueWindow = windows;
      this.queueGeneration = generations;
      this.queueHead = 0;
    }
    const tail = (this.queueHead + this.queueLength) % this.queueWindow.length;
    this.queueWindow[tail] = window;
    this.queueGeneration[tail] = generation;
    this.queueLength++;
  }

  private dequeue(): void {
    this.queueHead = (this.queueHead + 1) % this.queueWindow.length;
    this.queueLength--;
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
