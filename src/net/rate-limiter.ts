/**
 * Per-key token buckets in a table of bounded size. Generic (string keys,
 * injected clock and randomness) so the DNS side can share it.
 *
 * Each key gets a bucket of `burst` tokens refilled at `ratePerSecond`; a
 * request costs one token. With no token left the answer is `limited`, except
 * that with probability `leakProbability` it is `leaked` (let through anyway):
 * a flood spoofing a victim's address then cannot silence the victim
 * completely (chrony's `leak`).
 *
 * Memory is bounded by `maxEntries`: the table is kept in least-recently-used
 * order and the stalest key is evicted for a new one. An evicted key comes back
 * with a full bucket, so eviction fails open (a flood of fresh source addresses
 * can make the limiter forget a client, never block one).
 */

export type RateDecision = 'pass' | 'limited' | 'leaked';

export interface RateLimiterOptions {
  ratePerSecond: number;
  burst: number;
  maxEntries: number;
  leakProbability: number;
}

export interface RateLimiterDeps {
  /** Milliseconds from any monotonic origin. */
  nowMs(): number;
  /** Uniform in [0, 1). */
  random(): number;
}

export interface RateLimiterStats {
  entries: number;
  evictions: number;
  passed: number;
  limited: number;
  leaked: number;
}

interface Bucket {
  tokens: number;
  lastMs: number;
}

/** Check options; returns a list of problems, each naming the field (empty when valid). */
export function validateRateLimiterOptions(o: RateLimiterOptions, path = 'rateLimit'): string[] {
  const problems: string[] = [];
  if (!(Number.isFinite(o.ratePerSecond) && o.ratePerSecond > 0)) problems.push(`${path}.ratePerSecond must be a positive number (got ${o.ratePerSecond})`);
  if (!(Number.isFinite(o.burst) && o.burst >= 1)) problems.push(`${path}.burst must be >= 1 (got ${o.burst})`);
  if (!(Number.isInteger(o.maxEntries) && o.maxEntries >= 1)) problems.push(`${path}.maxEntries must be an integer >= 1 (got ${o.maxEntries})`);
  if (!(o.leakProbability >= 0 && o.leakProbability <= 1)) problems.push(`${path}.leakProbability must be in [0, 1] (got ${o.leakProbability})`);
  return problems;
}

export class RateLimiter {
  #opts: RateLimiterOptions;
  readonly #deps: RateLimiterDeps;
  readonly #table = new Map<string, Bucket>();
  #evictions = 0;
  #passed = 0;
  #limited = 0;
  #leaked = 0;

  constructor(options: RateLimiterOptions, deps: RateLimiterDeps) {
    const problems = validateRateLimiterOptions(options);
    if (problems.length > 0) throw new RangeError(`invalid rate limiter options: ${problems.join('; ')}`);
    this.#opts = { ...options };
    this.#deps = deps;
  }

  check(key: string): RateDecision {
    const now = this.#deps.nowMs();
    let bucket = this.#table.get(key);
    if (bucket === undefined) {
      if (this.#table.size >= this.#opts.maxEntries) this.#evictOldest();
      bucket = { tokens: this.#opts.burst, lastMs: now };
    } else {
      // Move to the most-recently-used end.
      this.#table.delete(key);
      const elapsed = now - bucket.lastMs;
      if (elapsed > 0) bucket.tokens = Math.min(this.#opts.burst, bucket.tokens + (elapsed / 1000) * this.#opts.ratePerSecond);
      // A clock going backwards just restarts the refill from now.
      bucket.lastMs = now;
    }
    this.#table.set(key, bucket);

    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      this.#passed++;
      return 'pass';
    }
    if (this.#opts.leakProbability > 0 && this.#deps.random() < this.#opts.leakProbability) {
      this.#leaked++;
      return 'leaked';
    }
    this.#limited++;
    return 'limited';
  }

  /**
   * New settings for the same table (a reload): every client keeps its bucket, never refilled
   * by the change, at most the new burst; the least recently seen go if the table is now smaller.
   */
  reconfigure(options: RateLimiterOptions): void {
    const problems = validateRateLimiterOptions(options);
    if (problems.length > 0) throw new RangeError(`invalid rate limiter options: ${problems.join('; ')}`);
    this.#opts = { ...options };
    for (const bucket of this.#table.values()) bucket.tokens = Math.min(bucket.tokens, options.burst);
    while (this.#table.size > options.maxEntries) this.#evictOldest();
  }

  get size(): number {
    return this.#table.size;
  }

  stats(): RateLimiterStats {
    return { entries: this.#table.size, evictions: this.#evictions, passed: this.#passed, limited: this.#limited, leaked: this.#leaked };
  }

  #evictOldest(): void {
    const oldest = this.#table.keys().next();
    if (!oldest.done) {
      this.#table.delete(oldest.value);
      this.#evictions++;
    }
  }
}
