import type { DnsRateLimitConfig } from '../../config/config-schema.js';
import { RCode } from '../../wire/constants.js';
import type { RateLimiter } from '../../net/rate-limiter.js';
import type { AnswerBuilder } from '../answer-builder.js';
import type { Stage } from '../context.js';

/** Sent in place of an answer that is dropped: never written to the wire. */
const DROPPED = Buffer.alloc(0);

/**
 * Per-client token buckets (the NTP side's bounded LRU table, keyed by the socket's source
 * address, never packet contents). Over the limit: REFUSED (header and question only, never
 * larger than the query) or nothing at all. A disabled limiter passes every query on. The
 * limiter is the daemon's, made once: a reload builds a new stage but keeps every bucket.
 */
export function rateLimitStage(answers: AnswerBuilder, config: DnsRateLimitConfig, limiter: RateLimiter): Stage {
  if (!config.enabled) return { name: 'rate-limit', decide: () => undefined };
  const drop = config.overLimit === 'drop';
  const reason = `over ${config.ratePerSecond} queries/s (burst ${config.burst})`;
  return {
    name: 'rate-limit',
    decide(context) {
      // A leaked query (leakProbability) is answered as if under the limit.
      if (limiter.check(context.client.address) !== 'limited') return undefined;
      return drop
        ? { kind: 'rate-limited', stage: 'rate-limit', group: context.group.name, rcode: undefined, response: DROPPED, drop: true, reason }
        : { kind: 'rate-limited', stage: 'rate-limit', group: context.group.name, rcode: RCode.Refused, response: answers.error(context, RCode.Refused), reason };
    },
  };
}
