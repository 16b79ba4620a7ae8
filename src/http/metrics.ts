import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { DnsStats } from '../servers/dns-stats.js';
import type { ListSet } from '../lists/list-set.js';
import { DROP_REASONS } from '../ntp/responder.js';
import type { NtpStats } from '../ntp/server.js';
import type { ClockStateName } from '../ntp/time-state.js';
import type { UpstreamStats } from '../upstream/upstream-stats.js';

/**
 * The daemon's figures as Prometheus metrics. Counters and gauges are read from the counters the
 * daemon keeps anyway, when a scrape asks (`collect`), so the query path pays nothing for them;
 * only upstream latency is observed as it happens, on the forwarding path, which waits on the
 * network anyway.
 *
 * Under `--workers N` every worker fills its own registry and the primary sums them (counters) or
 * takes the largest (gauges: every worker holds the same lists; only one serves NTP), so a
 * figure is never one worker's share. Each gauge says its aggregator for that reason.
 */

/** What the metrics read, each time a scrape asks. */
export interface MetricsSource {
  readonly dns: DnsStats;
  readonly upstream: UpstreamStats;
  /** Upstream label -> "up" | "down", and the cache's size. */
  upstreamState(): { readonly states: ReadonlyMap<string, string>; readonly cacheEntries: number };
  /** The NTP server's figures, in the process that serves NTP. */
  ntp(): NtpStats | undefined;
  /** The list set serving now. */
  lists(): ListSet;
  logDropped(): number;
  logCollapsed(): number;
}

/** Every metric name, for the README and its test. */
export const METRIC_NAMES = [
  'camshim_dns_answers_total', 'camshim_dns_group_answers_total', 'camshim_dns_sinkholed_total', 'camshim_dns_queries_total',
  'camshim_dns_dropped_total', 'camshim_rate_limited_total',
  'camshim_ntp_requests_total', 'camshim_ntp_clock_state', 'camshim_ntp_stratum',
  'camshim_upstream_queries_total', 'camshim_upstream_failures_total', 'camshim_upstream_up', 'camshim_upstream_latency_seconds',
  'camshim_upstream_cache_total', 'camshim_forward_servfail_total',
  'camshim_list_rules', 'camshim_list_last_load_timestamp_seconds', 'camshim_list_load_errors',
  'camshim_log_lines_dropped_total', 'camshim_log_lines_collapsed_total',
] as const;

/** The clock states NTP reports (src/ntp/time-state.ts), each a 0/1 series so a graph shows changes. */
const CLOCK_STATES: readonly ClockStateName[] = ['synchronised', 'local', 'unsynchronised'];

/** Latency buckets (s): a LAN resolver answers in a millisecond, a far one in hundreds. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

export function registerDaemonMetrics(registry: Registry, source: MetricsSource): void {
  const registers = [registry];
  /** A counter whose value is read at scrape time: reset, then set from the daemon's own count. */
  const readCounter = <L extends string>(name: string, help: string, labelNames: readonly L[], read: (set: (labels: Partial<Record<L, string>>, value: number) => void) => void): void => {
    new Counter({
      name, help, labelNames, registers,
      collect() {
        this.reset();
        read((labels, value) => { this.inc(labels, value); });
      },
    });
  };
  const readGauge = <L extends string>(name: string, help: string, labelNames: readonly L[], read: (set: (labels: Partial<Record<L, string>>, value: number) => void) => void): void => {
    new Gauge({
      name, help, labelNames, registers, aggregator: 'max',
      collect() {
        this.reset();
        read((labels, value) => { this.set(labels, value); });
      },
    });
  };

  readCounter('camshim_dns_answers_total', 'DNS answers by kind (the words of the logs and `camshim query`), every client.', ['kind'], (set) => {
    for (const [kind, count] of Object.entries(source.dns.answers)) set({ kind }, count);
  });
  readCounter('camshim_dns_group_answers_total', 'DNS answers of the stage chain by client group and kind.', ['group', 'kind'], (set) => {
    for (const [group, answers] of source.dns.answersByGroup) for (const [kind, count] of Object.entries(answers)) set({ group, kind }, count);
  });
  readCounter('camshim_dns_sinkholed_total', 'Sinkholed DNS queries by the list whose rule matched.', ['list'], (set) => {
    for (const [list, count] of source.dns.sinkholedByList) set({ list }, count);
  });
  readCounter('camshim_dns_queries_total', 'DNS queries received, by transport.', ['transport'], (set) => {
    set({ transport: 'udp' }, source.dns.queriesUdp);
    set({ transport: 'tcp' }, source.dns.queriesTcp);
  });
  readCounter('camshim_dns_dropped_total', 'DNS packets dropped unanswered: not a DNS query, or over a full per-socket queue (a flood).', ['reason'], (set) => {
    set({ reason: 'malformed' }, source.dns.dropped);
    set({ reason: 'queue-full' }, source.dns.udpScheduling.dropped);
  });
  readCounter('camshim_rate_limited_total', 'Requests over their client\'s rate limit, by protocol (DNS: refused or dropped per dns.rateLimit.overLimit; NTP: KoD, dropped or leaked).', ['protocol'], (set) => {
    set({ protocol: 'dns' }, source.dns.answers['rate-limited']);
    const ntp = source.ntp();
    if (ntp !== undefined) set({ protocol: 'ntp' }, ntp.rateLimited);
  });

  readCounter('camshim_ntp_requests_total', 'NTP requests by outcome: served, kod, send-error, or dropped-REASON.', ['outcome'], (set) => {
    const ntp = source.ntp();
    if (ntp === undefined) return;
    set({ outcome: 'served' }, ntp.served);
    set({ outcome: 'kod' }, ntp.kod);
    set({ outcome: 'send-error' }, ntp.sendErrors);
    for (const reason of DROP_REASONS) set({ outcome: `dropped-${reason}` }, ntp.dropped[reason]);
  });
  readGauge('camshim_ntp_clock_state', 'The clock state NTP answers with: 1 for the current state, 0 for the others.', ['state'], (set) => {
    const ntp = source.ntp();
    if (ntp === undefined) return;
    for (const state of CLOCK_STATES) set({ state }, ntp.state === state ? 1 : 0);
  });
  readGauge('camshim_ntp_stratum', 'The stratum NTP answers with (16: unsynchronised).', [], (set) => {
    const ntp = source.ntp();
    if (ntp !== undefined) set({}, ntp.stratum);
  });

  readCounter('camshim_upstream_queries_total', 'Queries sent to each upstream, and how many it answered.', ['upstream', 'result'], (set) => {
    for (const [upstream, counters] of source.upstream.upstreams) {
      set({ upstream, result: 'sent' }, counters.queries);
      set({ upstream, result: 'answered' }, counters.answers);
    }
  });
  readCounter('camshim_upstream_failures_total', 'Failed exchanges with each upstream, by kind: timeout, other (network or bad reply), error-rcode (SERVFAIL/REFUSED, tried elsewhere).', ['upstream', 'kind'], (set) => {
    for (const [upstream, counters] of source.upstream.upstreams) {
      set({ upstream, kind: 'timeout' }, counters.timeouts);
      set({ upstream, kind: 'other' }, counters.failures - counters.timeouts);
      set({ upstream, kind: 'error-rcode' }, counters.errorRcodes);
    }
  });
  readGauge('camshim_upstream_up', 'Whether each upstream is in use (1) or marked down (0).', ['upstream'], (set) => {
    for (const [upstream, state] of source.upstreamState().states) set({ upstream }, state === 'down' ? 0 : 1);
  });
  const latency = new Histogram({
    name: 'camshim_upstream_latency_seconds', help: 'Time from sending a query to an upstream to its answer.', labelNames: ['upstream'], buckets: LATENCY_BUCKETS, registers,
  });
  source.upstream.onLatency = (upstream, seconds) => { latency.observe({ upstream }, seconds); };
  readCounter('camshim_upstream_cache_total', 'Forwarded queries answered from the cache (hit) or not (miss).', ['result'], (set) => {
    set({ result: 'hit' }, source.upstream.cacheHits);
    set({ result: 'miss' }, source.upstream.cacheMisses);
  });
  readCounter('camshim_forward_servfail_total', 'Forwarded queries answered SERVFAIL: every upstream failed, or too many were outstanding.', ['reason'], (set) => {
    set({ reason: 'upstreams-failed' }, source.upstream.servfail);
    set({ reason: 'overloaded' }, source.upstream.overloaded);
  });

  readGauge('camshim_list_rules', 'Rules loaded from each list.', ['list', 'kind'], (set) => {
    for (const list of source.lists().lists) set({ list: list.name, kind: list.kind }, list.entryCount);
  });
  readGauge('camshim_list_last_load_timestamp_seconds', 'When the list set serving now was loaded (start-up or the last applied reload).', [], (set) => {
    set({}, source.lists().loadedAt.getTime() / 1000);
  });
  readGauge('camshim_list_load_errors', 'Problems in the list set serving now (a list that could not be read is left out).', [], (set) => {
    set({}, source.lists().errors.length);
  });

  readCounter('camshim_log_lines_dropped_total', 'Log lines dropped because the log destination was too slow or failed.', [], (set) => {
    set({}, source.logDropped());
  });
  readCounter('camshim_log_lines_collapsed_total', 'Sinkhole-log lines not written because they repeated within a storm window (counted in `storm` lines).', [], (set) => {
    set({}, source.logCollapsed());
  });
}
