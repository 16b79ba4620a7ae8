/** Per-upstream counters. */
export interface UpstreamCounters {
  queries: number;
  answers: number;
  failures: number;
  timeouts: number;
  tcpRetries: number;
  /** SERVFAIL/REFUSED answers, tried elsewhere. */
  errorRcodes: number;
  /** Times it was marked down (see upstream-health.ts). */
  downs: number;
  /** Client queries not sent to it because it was down. */
  skipped: number;
  /** Check queries (`. NS`) sent while down or after a run of timeouts, and how many failed. */
  checks: number;
  checkFailures: number;
}

/** Counters for forwarding. Names match the README's Metrics section. */
export class UpstreamStats {
  /** Client queries that reached the forwarder. */
  forwarded = 0;
  cacheHits = 0;
  cacheMisses = 0;
  /** Client queries that joined an identical question already in flight. */
  coalesced = 0;
  /** Client queries answered SERVFAIL because maxOutstanding was reached. */
  overloaded = 0;
  /** Client queries answered SERVFAIL because every upstream failed (or none is usable). */
  servfail = 0;
  /** Datagrams ignored: wrong source, ID or question, malformed. */
  ignoredReplies = 0;
  loopProbesSeen = 0;
  /** Client queries that arrived before the upstreams were chosen at start and waited for that. */
  waitedForStart = 0;
  readonly upstreams = new Map<string, UpstreamCounters>();
  /** Told each answered exchange's time (s) by upstream label; metrics set it, others leave it a no-op. */
  onLatency: (upstream: string, seconds: number) => void = () => undefined;

  counters(label: string): UpstreamCounters {
    let counters = this.upstreams.get(label);
    if (counters === undefined) {
      counters = { queries: 0, answers: 0, failures: 0, timeouts: 0, tcpRetries: 0, errorRcodes: 0, downs: 0, skipped: 0, checks: 0, checkFailures: 0 };
      this.upstreams.set(label, counters);
    }
    return counters;
  }

  /** `stateOf` adds each upstream's current state (`up`/`down`) beside its counters. */
  snapshot(extra: { outstanding: number; cacheEntries: number; cacheBytes: number }, stateOf: (label: string) => string): Record<string, unknown> {
    return {
      forwarded: this.forwarded, cacheHits: this.cacheHits, cacheMisses: this.cacheMisses, coalesced: this.coalesced,
      overloaded: this.overloaded, servfail: this.servfail, ignoredReplies: this.ignoredReplies, loopProbesSeen: this.loopProbesSeen,
      waitedForStart: this.waitedForStart,
      ...extra, upstreams: Object.fromEntries([...this.upstreams].map(([label, counters]) => [label, { state: stateOf(label), ...counters }])),
    };
  }
}
