import { QType, RCode } from '../wire/constants.js';
import { buildMinimalAny } from '../wire/minimal-any.js';
import type { Forwarder } from './forwarder.js';
import type { Forwarded, QueryContext } from './context.js';

/** TTL of the synthesised HINFO (RFC 8482 4.2 suggests a long one; a day is plenty). */
const MINIMAL_ANY_TTL = 86_400;

/**
 * Wraps the forwarder so that QTYPE=ANY is never sent upstream: it gets the RFC 8482 minimal
 * answer (one HINFO) instead of the upstream's every record set, which would make camshim an
 * amplifier. Answers camshim makes itself (sinkhole NXDOMAIN, redirect NODATA, policy
 * NXDOMAIN/REFUSED) are already minimal and do not pass through here.
 */
export function minimalAnyForwarder(forwarder: Forwarder, serverPayload: number): Forwarder {
  return {
    forward(context: QueryContext): Promise<Forwarded> {
      if (context.query.qtype !== QType.ANY) return forwarder.forward(context);
      return Promise.resolve({ response: buildMinimalAny(context.packet, context.query, MINIMAL_ANY_TTL, context.limit, serverPayload), rcode: RCode.NoError, source: 'RFC 8482 minimal ANY' });
    },
    describe: () => forwarder.describe(),
    close: () => forwarder.close(),
  };
}
