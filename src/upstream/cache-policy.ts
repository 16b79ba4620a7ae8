import { FLAG_TC, RCode } from '../wire/constants.js';
import { extractReply, minimumTtl, type StoredReply } from '../wire/relay.js';
import { Section, soaMinimum, type RecordView, type ReplyScan } from '../wire/reply.js';

export interface TtlClamp {
  readonly minTtl: number;
  readonly maxTtl: number;
}

export interface Cacheable {
  readonly stored: StoredReply;
  /** Seconds the reply may be served from cache; 0: do not cache. */
  readonly cacheTtl: number;
  readonly kind: 'positive' | 'negative' | 'uncached';
}

function clamp(ttl: number, limits: TtlClamp): number {
  return Math.min(Math.max(ttl, limits.minTtl), Math.max(limits.maxTtl, limits.minTtl));
}

/**
 * Decides how long an upstream reply may be cached and with which TTLs it is served. Positive
 * answers: each record's TTL clamped to [minTtl, maxTtl], kept for the smallest. Negative
 * answers (NXDOMAIN, NODATA) per RFC 2308 5: only with an SOA in the authority section, kept for
 * min(SOA TTL, SOA MINIMUM) clamped, and the SOA is served with that TTL. Truncated replies and
 * other RCODEs are relayed but never cached. Pure.
 */
export function cachePolicy(packet: Uint8Array, scan: ReplyScan, limits: TtlClamp): Cacheable {
  const truncated = (scan.flags & FLAG_TC) !== 0;
  const answers = scan.records.some((record) => record.section === Section.Answer);
  const negative = scan.rcode === RCode.NxDomain || (scan.rcode === RCode.NoError && !answers);
  if (!truncated && negative) {
    let soa: RecordView | undefined;
    let minimum: number | undefined;
    for (const record of scan.records) {
      if (record.section !== Section.Authority) continue;
      minimum = soaMinimum(packet, record);
      if (minimum !== undefined) { soa = record; break; }
    }
    if (soa !== undefined && minimum !== undefined) {
      const negativeTtl = clamp(Math.min(soa.ttl, minimum), limits);
      const stored = extractReply(packet, scan, (record) => record === soa ? negativeTtl : clamp(record.ttl, limits));
      return { stored, cacheTtl: negativeTtl, kind: 'negative' };
    }
    return { stored: extractReply(packet, scan), cacheTtl: 0, kind: 'uncached' };
  }
  if (truncated || scan.rcode !== RCode.NoError) return { stored: extractReply(packet, scan), cacheTtl: 0, kind: 'uncached' };
  const stored = extractReply(packet, scan, (record) => clamp(record.ttl, limits));
  return { stored, cacheTtl: minimumTtl(stored) ?? 0, kind: 'positive' };
}
