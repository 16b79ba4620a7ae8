import type { DnsRateLimitConfig, NtpRateLimitConfig } from '../config/config-schema.js';
import { RateLimiter, type RateLimiterDeps, type RateLimiterOptions } from './rate-limiter.js';

/** `dns.rateLimit` and `ntp.rateLimit` have one shape; this is how either drives a RateLimiter. */
export type ClientRateLimitConfig = DnsRateLimitConfig | NtpRateLimitConfig;

export function limiterOptions(config: ClientRateLimitConfig): RateLimiterOptions {
  return { ratePerSecond: config.ratePerSecond, burst: config.burst, maxEntries: config.maxClients, leakProbability: config.leakProbability };
}

/** A limiter for one protocol; the daemon makes one per protocol and keeps it across reloads (see RateLimiter.reconfigure). */
export function clientRateLimiter(config: ClientRateLimitConfig, deps: Partial<RateLimiterDeps> = {}): RateLimiter {
  return new RateLimiter(limiterOptions(config), { nowMs: deps.nowMs ?? (() => performance.now()), random: deps.random ?? Math.random });
}
