import type { DnsRateLimitConfig } from '../config/config-schema.js';
import type { LocalAddressPicker } from '../net/local-address.js';
import type { RateLimiter } from '../net/rate-limiter.js';
import type { Forwarder } from './forwarder.js';
import type { AnswerBuilder } from './answer-builder.js';
import type { Answer, QueryContext, Stage } from './context.js';
import { minimalAnyForwarder } from './minimal-any.js';
import { accessStage } from './stages/access.js';
import { allowStage } from './stages/allow.js';
import { blockStage } from './stages/block.js';
import { ednsVersionStage } from './stages/edns-version.js';
import { ntpRedirectStage } from './stages/ntp-redirect.js';
import { queryClassStage } from './stages/query-class.js';
import { rateLimitStage } from './stages/rate-limit.js';
import { unlistedPolicyStage } from './stages/unlisted-policy.js';

export interface ChainDeps {
  readonly answers: AnswerBuilder;
  readonly forwarder: Forwarder;
  readonly localAddresses: LocalAddressPicker;
  readonly rateLimit: DnsRateLimitConfig;
  /** The daemon's one DNS limiter: its buckets outlive reloads. */
  readonly rateLimiter: RateLimiter;
}

/** The order of the query stages, written once. Each position says why it sits there. */
export function buildChain(deps: ChainDeps): readonly Stage[] {
  // Whatever would be forwarded, ANY gets the RFC 8482 minimal answer: never an amplifier.
  const forwarder = minimalAnyForwarder(deps.forwarder, deps.answers.serverPayload);
  return [
    // First: a flood is cut before any other work, whoever sends it (refused clients included).
    rateLimitStage(deps.answers, deps.rateLimit, deps.rateLimiter),
    // A client we do not serve learns nothing, not even whether its packet was odd.
    accessStage(deps.answers),
    // Protocol checks before any data decision: a BADVERS client must retry with version 0.
    ednsVersionStage(deps.answers),
    queryClassStage(deps.answers),
    // NTP names before lists: a camera's clock matters more than a stray list entry for pool.ntp.org.
    ntpRedirectStage(deps.answers, deps.localAddresses),
    // Allow before block: an allow entry overrides any block entry, at any depth.
    allowStage(forwarder),
    blockStage(deps.answers),
    // Last: everything on no list follows the group policy (and it always answers).
    unlistedPolicyStage(deps.answers, forwarder),
  ];
}

export function runChain(chain: readonly Stage[], context: QueryContext): Answer {
  for (const stage of chain) {
    const answer = stage.decide(context);
    if (answer !== undefined) return answer;
  }
  // Unreachable: the policy stage always answers. Kept total so types stay honest.
  throw new Error('query chain ended without an answer');
}
