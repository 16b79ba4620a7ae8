import { RateLimiter, type RateLimiterDeps, type RateLimiterOptions } from './rate-limiter.js';

/**
 * The shape `dns.rateLimit` and `ntp.rateLimit` share (the config schema defines both; this
 * layer sits below the config and names only the fields it reads).
 */
export interface ClientRateLimitConfig {
  readonly ratePerSecond: number;
  readonly burst: number;
  readonly maxClients: number;
  readonly leakProbability: number;
}

export function limiterOptions(config: ClientRateLimitConfig): RateLimiterOptions {
  return { ratePerSecond: config.ratePerSecond, burst: config.burst, maxEntries: config.maxClients, leakProbability: config.leakProbability };
}

/** A limiter for one protocol; the daemon makes one per protocol and keeps it across reloads (see RateLimiter.reconfigure). */
export function clientRateLimiter(config: ClientRateLimitConfig, deps: Partial<RateLimiterDeps> = {}): RateLimiter {
  return new RateLimiter(limiterOptions(config), { nowMs: deps.nowMs ?? (() => performance.now()), random: deps.random ?? Math.random });
}
