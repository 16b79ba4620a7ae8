import { RCode } from '../../dns/wire/constants.js';
import { RateLimiter } from '../../net/rate-limiter.js';
import type { AnswerBuilder } from '../answer-builder.js';
import type { Stage } from '../context.js';

export interface DnsRateLimitConfig {
  readonly enabled: boolean;
  readonly queriesPerSecond: number;
  readonly burst: number;
  readonly maxClients: number;
  readonly overLimit: 'refuse' | 'drop';
}

/** Sent in place of an answer that is dropped: never written to the wire. */
const DROPPED = Buffer.alloc(0);

/**
 * Per-client token buckets (the NTP side's bounded LRU table, keyed by the socket's source
 * address, never packet contents). Over the limit: REFUSED (header and question only, never
 * larger than the query) or nothing at all. A disabled limiter passes every query on.
 * `nowMs` is monotonic, so wall-clock steps cannot refill or drain a bucket.
 */
export function rateLimitStage(answers: AnswerBuilder, config: DnsRateLimitConfig, nowMs: () => number = () => performance.now()): Stage {
  if (!config.enabled) return { name: 'rate-limit', decide: () => undefined };
  const limiter = new RateLimiter(
    { ratePerSecond: config.queriesPerSecond, burst: config.burst, maxEntries: config.maxClients, leakProbability: 0 },
    { nowMs, random: () => 1 },
  );
  const drop = config.overLimit === 'drop';
  const reason = `over ${config.queriesPerSecond} queries/s (burst ${config.burst})`;
  return {
    name: 'rate-limit',
    decide(context) {
      if (limiter.check(context.client.address) === 'pass') return undefined;
      return drop
        ? { kind: 'rate-limited', response: DROPPED, drop: true, reason }
        : { kind: 'rate-limited', response: answers.error(context, RCode.Refused), reason };
    },
  };
}
