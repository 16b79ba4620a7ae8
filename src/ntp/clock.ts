/**
 * A high-resolution wall clock: Unix time in nanoseconds, read as
 * `anchor wall time + (monotonic now - anchor monotonic time)`.
 *
 * Why: `Date.now()` has 1 ms resolution (it truncates, so it is up to 1 ms
 * behind) and `performance.now()` / `process.hrtime` follow CLOCK_MONOTONIC,
 * which ignores steps of the wall clock. Monotonic and wall clock run at the
 * same (NTP-disciplined) rate on Linux, so they only part ways when the wall
 * clock is stepped (settimeofday, leap second, resume from suspend).
 *
 * Anchoring: spin until `Date.now()` ticks over to the next millisecond; at
 * that instant the wall clock reads exactly that millisecond. The tick lies
 * between the previous and the current read, so the anchor is the middle of
 * that window (a few hundred ns wide); the best of a few such samples wins.
 *
 * Steps: `checkStep()` (run periodically by the server) compares `Date.now()`
 * with the anchored estimate and re-anchors when they disagree by more than
 * the threshold (default 2 ms).
 */

/** Anything that tells the current wall-clock time in Unix nanoseconds. */
export interface WallClock {
  nowNs(): bigint;
}

/** The two raw clocks the anchored clock is built from (injectable for tests). */
export interface ClockSources {
  /** Monotonic nanoseconds (process.hrtime.bigint). */
  hrtime(): bigint;
  /** Wall clock, integer milliseconds, truncated (Date.now). */
  dateNow(): number;
}

export const realClockSources: ClockSources = {
  hrtime: () => process.hrtime.bigint(),
  dateNow: () => Date.now(),
};

export interface AnchoredClockOptions {
  /** Re-anchor when Date.now() and the estimate disagree by more than this (ms). */
  stepThresholdMs: number;
  /** Tick samples taken per anchoring; the narrowest window wins. */
  samples: number;
  /** Longest time to spin waiting for one tick (ms) before falling back to a coarse anchor. */
  maxSpinMs: number;
}

export const ANCHORED_CLOCK_DEFAULTS: AnchoredClockOptions = { stepThresholdMs: 2, samples: 3, maxSpinMs: 5 };

export interface Anchor {
  /** Monotonic time of the anchor (ns). */
  hr: bigint;
  /** Wall time at that instant (Unix ns). */
  wallNs: bigint;
  /** Half-width of the window the tick was found in (ns); 500 µs for a coarse anchor. */
  uncertaintyNs: bigint;
  method: 'tick' | 'coarse';
}

export interface StepCheck {
  /** True when the wall clock was found stepped and the clock re-anchored. */
  stepped: boolean;
  /** Wall clock minus the old estimate (ns, midpoint of Date.now()'s 1 ms truncation window). */
  offsetNs: bigint;
  anchor: Anchor;
}

const NS_PER_MS = 1_000_000n;
/** Bound on loop iterations per tick wait, whatever the clocks do (fakes included). */
const MAX_SPIN_ITERATIONS = 5_000_000;

export class AnchoredClock implements WallClock {
  readonly #src: ClockSources;
  readonly #opts: AnchoredClockOptions;
  #anchor: Anchor;

  constructor(sources: ClockSources = realClockSources, options: Partial<AnchoredClockOptions> = {}) {
    this.#src = sources;
    this.#opts = { ...ANCHORED_CLOCK_DEFAULTS, ...options };
    this.#anchor = this.#takeAnchor();
  }

  nowNs(): bigint {
    return this.#anchor.wallNs + (this.#src.hrtime() - this.#anchor.hr);
  }

  get anchor(): Anchor {
    return this.#anchor;
  }

  /** Re-anchor now (blocks for up to `samples` ms while it waits for ticks). */
  reanchor(): Anchor {
    this.#anchor = this.#takeAnchor();
    return this.#anchor;
  }

  /**
   * Compare Date.now() with the estimate; re-anchor if the wall clock was
   * stepped. Cheap (two clock reads) unless a step is found.
   */
  checkStep(): StepCheck {
    const before = this.#src.hrtime();
    const wallMs = this.#src.dateNow();
    const after = this.#src.hrtime();
    const estimate = this.#anchor.wallNs + ((before + after) / 2n - this.#anchor.hr);
    // Date.now() truncates: the true wall time is in [wallMs, wallMs + 1 ms).
    const wallMid = BigInt(wallMs) * NS_PER_MS + NS_PER_MS / 2n;
    const offsetNs = wallMid - estimate;
    const limit = NS_PER_MS / 2n + BigInt(Math.round(this.#opts.stepThresholdMs * 1e6)) + this.#anchor.uncertaintyNs;
    const stepped = offsetNs > limit || offsetNs < -limit;
    if (stepped) this.#anchor = this.#takeAnchor();
    return { stepped, offsetNs, anchor: this.#anchor };
  }

  #takeAnchor(): Anchor {
    let best: Anchor | null = null;
    for (let i = 0; i < this.#opts.samples; i++) {
      const sample = this.#waitForTick();
      if (sample !== null && (best === null || sample.uncertaintyNs < best.uncertaintyNs)) best = sample;
    }
    if (best !== null) return best;
    // No tick seen in time (a frozen or fake Date.now): anchor at the middle of the current millisecond.
    const hr = this.#src.hrtime();
    return { hr, wallNs: BigInt(this.#src.dateNow()) * NS_PER_MS + NS_PER_MS / 2n, uncertaintyNs: NS_PER_MS / 2n, method: 'coarse' };
  }

  /** Spin until Date.now() moves on by exactly 1 ms; return the anchor at that tick, or null. */
  #waitForTick(): Anchor | null {
    const src = this.#src;
    const deadline = src.hrtime() + BigInt(Math.round(this.#opts.maxSpinMs * 1e6));
    let prevStart = src.hrtime();
    let prevMs = src.dateNow();
    for (let i = 0; i < MAX_SPIN_ITERATIONS; i++) {
      const start = src.hrtime();
      const ms = src.dateNow();
      const end = src.hrtime();
      if (ms !== prevMs) {
        // A jump of more than 1 ms means we were descheduled or the clock stepped: discard.
        if (ms !== prevMs + 1) return null;
        // The previous read (in [prevStart, start]) saw the old ms, this one (in [start, end]) the new:
        // the tick is in [prevStart, end].
        return {
          hr: (prevStart + end) / 2n,
          wallNs: BigInt(ms) * NS_PER_MS,
          uncertaintyNs: (end - prevStart + 1n) / 2n,
          method: 'tick',
        };
      }
      if (end > deadline) return null;
      prevStart = start;
      prevMs = ms;
    }
    return null;
  }
}

/**
 * The clock's reading precision as log2 seconds (RFC 5905 "precision"): the
 * smallest non-zero difference between consecutive reads, rounded up to a
 * power of two. Bounded: `reads` iterations.
 */
export function measurePrecision(read: () => bigint = () => process.hrtime.bigint(), reads = 200): number {
  let minDelta = -1n;
  let prev = read();
  for (let i = 0; i < reads; i++) {
    const now = read();
    const delta = now - prev;
    if (delta > 0n && (minDelta < 0n || delta < minDelta)) minDelta = delta;
    prev = now;
  }
  if (minDelta <= 0n) return -20; // clock did not move: claim a microsecond, the conservative floor
  const seconds = Number(minDelta) / 1e9;
  return Math.max(-32, Math.min(0, Math.ceil(Math.log2(seconds))));
}
