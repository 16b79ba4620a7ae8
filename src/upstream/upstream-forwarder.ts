import { randomBytes, randomInt } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { Config } from '../config/config-schema.js';
import { DEFAULT_EDNS_PAYLOAD, FLAG_CD, FLAG_TC, QType, RCode } from '../wire/constants.js';
import { canonicalQuestion, encodeUpstreamQuery } from '../wire/question.js';
import { buildRelay, type StoredReply } from '../wire/relay.js';
import { buildError, encodeName } from '../wire/response.js';
import { CamshimError } from '../errors.js';
import type { Forwarded, QueryContext } from '../pipeline/context.js';
import { AnswerCache } from './answer-cache.js';
import { cachePolicy } from './cache-policy.js';
import { FailureLog, realTimers, type Timers } from './failure-log.js';
import type { Forwarder } from '../pipeline/forwarder.js';
import type { SelfView } from './self-filter.js';
import { tcpExchange } from './tcp-exchange.js';
import { udpExchange, type Exchanged } from './udp-exchange.js';
import type { UpstreamAddress } from '../net/upstream-address.js';
import { UpstreamHealth, type FailureKind, type HealthSettings } from './upstream-health.js';
import { planUpstreams, type UpstreamPlan } from './upstream-plan.js';
import { UpstreamStats } from './upstream-stats.js';

export interface UpstreamDeps {
  readonly logger: Logger;
  /** Milliseconds; only differences matter. */
  readonly now?: () => number;
  readonly randomId?: () => number;
  readonly timers?: Timers;
  readonly readFile?: (path: string) => Promise<string>;
  /** How often collapsed failure lines are written. */
  readonly failureLogIntervalMs?: number;
  /** Probe each upstream for a forwarding loop at start (default true; unit tests without a daemon turn it off). */
  readonly loopProbe?: boolean;
  /** Re-check backoff of down upstreams (defaults in upstream-health.ts). */
  readonly health?: Partial<HealthSettings>;
}

interface Settings {
  readonly timeoutMs: number;
  readonly maxOutstanding: number;
  readonly serverPayload: number;
  readonly clamp: { minTtl: number; maxTtl: number };
}

type Outcome = { readonly stored: StoredReply; readonly from: string } | { readonly failed: string };

/** Clients that may wait at once (including coalesced ones), per allowed outstanding query. */
const WAITERS_PER_OUTSTANDING = 8;
/** A loop shows within milliseconds; an upstream that is merely slow is not refused. */
const PROBE_TIMEOUT_MS = 1500;
/** The check query for a down upstream: `. NS`, which any resolver answers (from cache, or REFUSED). */
const CHECK_QUESTION = Buffer.from([0, 0, QType.NS, 0, 1]);

/**
 * Forwards queries to upstream resolvers: cache first, then one upstream query per distinct
 * question in flight, UDP with TCP on TC, failover within an overall deadline, SERVFAIL when
 * nothing answers. Made once per daemon so its cache survives reloads.
 */
export class UpstreamForwarder implements Forwarder {
  readonly stats = new UpstreamStats();
  private readonly now: () => number;
  private readonly randomId: () => number;
  private readonly readFile: (path: string) => Promise<string>;
  private readonly failures: FailureLog;
  private readonly health: UpstreamHealth;
  private readonly timers: Timers;
  /** Settles when the first start() has chosen and probed the upstreams. */
  private readonly started: Promise<void>;
  private markStarted: () => void = () => {};
  private isStarted = false;
  private readonly cache: AnswerCache;
  private readonly inflight = new Map<string, Promise<Outcome>>();
  private readonly probes = new Map<string, { looped: boolean; notify: () => void }>();
  private upstreams: readonly UpstreamAddress[] = [];
  private source = '';
  private emptyReason = 'not started';
  private serversKey = '';
  private preferred = 0;
  private outstanding = 0;
  private waiting = 0;
  private settings: Settings;

  constructor(private readonly deps: UpstreamDeps) {
    this.now = deps.now ?? (() => performance.now());
    this.randomId = deps.randomId ?? (() => randomInt(0, 0x10000));
    this.readFile = deps.readFile ?? ((path) => readFile(path, 'utf8'));
    this.timers = deps.timers ?? realTimers;
    this.failures = new FailureLog(deps.logger, deps.failureLogIntervalMs ?? 60_000, this.timers);
    this.health = new UpstreamHealth({
      logger: deps.logger, now: this.now, timers: this.timers, counters: (label) => this.stats.counters(label),
      check: (label) => this.check(label), ...(deps.health === undefined ? {} : { settings: deps.health }),
    });
    this.started = new Promise((resolve) => { this.markStarted = resolve; });
    // Until start(): no upstream; queries that come first wait for it (see forward()).
    this.settings = { timeoutMs: 2000, maxOutstanding: 1, serverPayload: DEFAULT_EDNS_PAYLOAD, clamp: { minTtl: 0, maxTtl: 0 } };
    this.cache = new AnswerCache({ maxEntries: 0, maxBytes: 0 }, this.now);
  }

  /**
   * Chooses upstreams (config, else resolv.conf, never camshim itself), then probes each for a
   * forwarding loop through the running daemon and refuses those that send the probe back.
   * Call once the DNS sockets are bound. Logs every refused upstream at error.
   */
  async start(config: Config, self: SelfView): Promise<void> {
    try {
      await this.startOnce(config, self);
    } finally {
      this.isStarted = true;
      this.markStarted();
    }
  }

  private async startOnce(config: Config, self: SelfView): Promise<void> {
    this.settings = settingsOf(config);
    this.cache.resize(config.upstream.cache);
    // Compares config input, not the result, so a reload with the same input keeps the cache.
    this.serversKey = serversKeyOf(config);
    const plan = await planUpstreams({ servers: config.upstream.servers, resolvConf: config.upstream.resolvConf, self, readFile: this.readFile });
    this.apply(plan);
    for (const refused of plan.refused) {
      this.deps.logger.error({ event: 'upstream-refused', upstream: refused.label, reason: refused.reason }, `upstream ${refused.label} refused: ${refused.reason}`);
    }
    const looped = this.deps.loopProbe === false ? [] : await this.probeLoops(this.upstreams);
    if (looped.length > 0) {
      for (const upstream of looped) {
        const error = new CamshimError('UPSTREAM_LOOP',
          `upstream ${upstream.label} refused: it sent camshim's loop probe back to camshim (a forwarding loop). ` +
          `Point that server's own upstream elsewhere, or remove it from upstream.servers / --upstream`, { address: upstream.label });
        this.deps.logger.error({ event: 'upstream-refused', upstream: upstream.label, code: error.code }, error.message);
      }
      const labels = new Set(looped.map((upstream) => upstream.label));
      const rest = this.upstreams.filter((upstream) => !labels.has(upstream.label));
      this.apply({ ...plan, upstreams: rest, emptyReason: rest.length === 0 ? `every upstream from ${plan.source} loops back to camshim` : undefined });
    }
  }

  /**
   * Applies a reloaded config: new limits, a new upstream list when it changed (re-probed, and
   * the cache emptied, since another resolver may answer differently), and drops cached names
   * the new lists decide (`affected`).
   */
  async reconfigure(config: Config, self: SelfView, affected: (name: string) => boolean): Promise<void> {
    const key = serversKeyOf(config);
    const dropped = this.cache.deleteWhere(affected);
    if (key !== this.serversKey) {
      this.cache.clear();
      await this.start(config, self);
    } else {
      this.settings = settingsOf(config);
      this.cache.resize(config.upstream.cache);
    }
    this.deps.logger.info({ event: 'upstream-reload', upstream: this.describe(), cacheDropped: dropped, cacheEntries: this.cache.size }, 'upstream settings applied');
  }

  describe(): string {
    if (this.upstreams.length === 0) return `no upstream (${this.emptyReason}): forwarded names get SERVFAIL`;
    return `${this.upstreams.map((upstream) => upstream.label).join(', ')} (from ${this.source}; UDP, TCP on truncation; ` +
      `timeout ${this.settings.timeoutMs} ms; cache ${this.cache.size} entries)`;
  }

  statsSnapshot(): Record<string, unknown> {
    return this.stats.snapshot({ outstanding: this.outstanding, cacheEntries: this.cache.size, cacheBytes: this.cache.bytes }, (label) => this.health.stateOf(label));
  }

  async close(): Promise<void> {
    this.health.close();
    this.failures.close();
  }

  forward(context: QueryContext): Promise<Forwarded> {
    this.stats.forwarded++;
    const probe = this.probes.get(context.query.name);
    if (probe !== undefined) {
      // Our own loop probe came back: the loop is proven; answering ends it.
      this.stats.loopProbesSeen++;
      probe.looped = true;
      probe.notify();
      return Promise.resolve(this.servfail(context, 'loop probe'));
    }
    if (!this.isStarted) return this.afterStart(context);
    return this.forwardStarted(context);
  }

  /**
   * DNS listens before the upstreams are chosen (the loop probe needs the daemon answering), so
   * a query can arrive first. It waits for that first attempt, at most the upstream timeout,
   * rather than getting a SERVFAIL a warm daemon would not give.
   */
  private async afterStart(context: QueryContext): Promise<Forwarded> {
    this.stats.waitedForStart++;
    let timer: unknown;
    const bound = new Promise<void>((resolve) => { timer = this.timers.setTimeout(resolve, this.settings.timeoutMs); });
    await Promise.race([this.started, bound]);
    this.timers.clearTimeout(timer);
    if (!this.isStarted) {
      this.stats.servfail++;
      return this.servfail(context, 'upstreams not chosen yet');
    }
    return this.forwardStarted(context);
  }

  private forwardStarted(context: QueryContext): Promise<Forwarded> {
    if (this.upstreams.length === 0) return Promise.resolve(this.servfail(context, 'no upstream'));
    const question = canonicalQuestion(context.packet, context.query.questionEnd);
    const dnssecOk = context.query.edns?.dnssecOk ?? false;
    const checkingDisabled = (context.query.flags & FLAG_CD) !== 0;
    const key = `${dnssecOk ? 'D' : '-'}${checkingDisabled ? 'C' : '-'}${question.toString('latin1')}`;
    const cached = this.cache.get(key);
    if (cached !== undefined) {
      this.stats.cacheHits++;
      this.debug(context, 'cache', cached.stored.rcode);
      return Promise.resolve({ response: this.relay(context, cached.stored, cached.ageSeconds), rcode: cached.stored.rcode, source: 'cache' });
    }
    this.stats.cacheMisses++;
    if (this.waiting >= this.settings.maxOutstanding * WAITERS_PER_OUTSTANDING) return Promise.resolve(this.overloaded(context));
    let pending = this.inflight.get(key);
    if (pending !== undefined) {
      this.stats.coalesced++;
    } else {
      if (this.outstanding >= this.settings.maxOutstanding) return Promise.resolve(this.overloaded(context));
      pending = this.resolve(key, context.query.name, question, dnssecOk, checkingDisabled);
      this.inflight.set(key, pending);
      const settled = pending;
      void settled.finally(() => { if (this.inflight.get(key) === settled) this.inflight.delete(key); });
    }
    this.waiting++;
    return pending.then((outcome) => {
      this.waiting--;
      if ('failed' in outcome) {
        this.stats.servfail++;
        this.debug(context, outcome.failed, RCode.ServFail);
        return this.servfail(context, outcome.failed);
      }
      this.debug(context, outcome.from, outcome.stored.rcode);
      return { response: this.relay(context, outcome.stored, 0), rcode: outcome.stored.rcode, source: outcome.from };
    }, () => {
      this.waiting--;
      this.stats.servfail++;
      return this.servfail(context, 'internal error');
    });
  }

  private apply(plan: UpstreamPlan): void {
    this.upstreams = plan.upstreams;
    this.source = plan.source;
    this.emptyReason = plan.emptyReason ?? '';
    this.preferred = 0;
    this.health.retain(plan.upstreams.map((upstream) => upstream.label));
  }

  /** One upstream resolution for a question: failover in order, starting at the last upstream that answered. */
  private async resolve(key: string, name: string, question: Buffer, dnssecOk: boolean, checkingDisabled: boolean): Promise<Outcome> {
    this.outstanding++;
    try {
      const upstreams = this.upstreams;
      const settings = this.settings;
      const deadline = this.now() + settings.timeoutMs;
      const start = this.preferred % upstreams.length;
      // Down upstreams are left out while another is up (the health timer re-checks them). When
      // every one is down they are all tried as usual: a lost route fails at once (SERVFAIL
      // without waiting), and the first answer brings forwarding back without waiting for a check.
      const all: { upstream: UpstreamAddress; index: number }[] = [];
      for (let offset = 0; offset < upstreams.length; offset++) {
        const index = (start + offset) % upstreams.length;
        all.push({ upstream: upstreams[index]!, index });
      }
      const up = all.filter((entry) => this.health.isUp(entry.upstream.label));
      const order = up.length === 0 ? all : up;
      if (up.length > 0) for (const entry of all) if (!up.includes(entry)) this.stats.counters(entry.upstream.label).skipped++;
      let fallback: { stored: StoredReply; from: string } | undefined;
      let lastFailure = 'no upstream answered';
      for (let tried = 0; tried < order.length; tried++) {
        const { upstream, index } = order[tried]!;
        const remaining = deadline - this.now();
        if (remaining <= 0) break;
        // Split what is left evenly over the upstreams not yet tried: a dead first upstream
        // cannot eat the whole budget, and one that fails fast leaves more for the rest.
        const slice = remaining / (order.length - tried);
        const counters = this.stats.counters(upstream.label);
        counters.queries++;
        const phase: { tcp: boolean } = { tcp: false };
        const sentAt = this.now();
        try {
          const exchanged = await this.attempt(upstream, question, dnssecOk, checkingDisabled, sentAt + slice, phase);
          this.stats.onLatency(upstream.label, (this.now() - sentAt) / 1000);
          this.health.success(upstream.label);
          const policy = cachePolicy(exchanged.reply, exchanged.scan, settings.clamp);
          const rcode = exchanged.scan.rcode;
          if ((rcode === RCode.ServFail || rcode === RCode.Refused) && tried < order.length - 1) {
            counters.errorRcodes++;
            fallback = { stored: policy.stored, from: upstream.label };
            continue;
          }
          counters.answers++;
          this.failures.success(upstream.label);
          this.preferred = index;
          if (policy.cacheTtl > 0) this.cache.set(key, name, policy.stored, policy.cacheTtl);
          return { stored: policy.stored, from: upstream.label };
        } catch (error) {
          counters.failures++;
          const code = error instanceof CamshimError ? error.code : 'UPSTREAM_NETWORK';
          if (code === 'UPSTREAM_TIMEOUT') counters.timeouts++;
          lastFailure = error instanceof Error ? error.message : String(error);
          this.noteFailure(upstream.label, failureKind(code, phase.tcp), code, lastFailure);
        }
      }
      return fallback ?? { failed: lastFailure };
    } finally {
      this.outstanding--;
    }
  }

  /** UDP first; on TC the same upstream again over TCP, within the same time slice. */
  private async attempt(upstream: UpstreamAddress, question: Buffer, dnssecOk: boolean, checkingDisabled: boolean, until: number, phase: { tcp: boolean }): Promise<Exchanged> {
    const options = { payloadSize: this.settings.serverPayload, dnssecOk, checkingDisabled };
    const questionEnd = 12 + question.length;
    const udpQuery = encodeUpstreamQuery(question, { ...options, id: this.randomId() });
    const udp = await udpExchange(upstream, udpQuery, questionEnd, until - this.now(), () => { this.stats.ignoredReplies++; });
    if ((udp.scan.flags & FLAG_TC) === 0) return udp;
    this.stats.counters(upstream.label).tcpRetries++;
    phase.tcp = true;
    const tcpQuery = encodeUpstreamQuery(question, { ...options, id: this.randomId() });
    return tcpExchange(upstream, tcpQuery, questionEnd, until - this.now());
  }

  /** Sends a TXT query for a random name to each upstream; those that hand it back to camshim loop. */
  private async probeLoops(upstreams: readonly UpstreamAddress[]): Promise<UpstreamAddress[]> {
    const timeoutMs = Math.min(PROBE_TIMEOUT_MS, this.settings.timeoutMs);
    const results = await Promise.all(upstreams.map(async (upstream) => {
      const name = `camshim-loop-probe-${randomBytes(8).toString('hex')}.test`;
      const question = Buffer.concat([encodeName(name), Buffer.from([0, QType.TXT, 0, 1])]);
      let notify = (): void => {};
      const looped = new Promise<void>((resolve) => { notify = resolve; });
      const state = { looped: false, notify: () => notify() };
      this.probes.set(name, state);
      try {
        const query = encodeUpstreamQuery(question, { id: this.randomId(), payloadSize: this.settings.serverPayload, dnssecOk: false, checkingDisabled: false });
        // The probe is also the first contact: its outcome seeds the upstream's up/down state.
        const exchange = udpExchange(upstream, query, 12 + question.length, timeoutMs, () => {}).then(
          () => this.health.success(upstream.label),
          (error: unknown) => {
            const code = error instanceof CamshimError ? error.code : 'UPSTREAM_NETWORK';
            if (code !== 'UPSTREAM_TIMEOUT') this.noteFailure(upstream.label, failureKind(code, false), code, error instanceof Error ? error.message : String(error));
          });
        await Promise.race([exchange, looped]);
      } finally {
        // Keep the name a moment longer: a looping upstream may retry the probe.
        setTimeout(() => this.probes.delete(name), 2000).unref();
      }
      return state.looped ? upstream : undefined;
    }));
    return results.filter((upstream): upstream is UpstreamAddress => upstream !== undefined);
  }

  /** The health state logs a change of state; anything else goes to the collapsed failure log. */
  private noteFailure(label: string, kind: FailureKind, code: string, message: string): void {
    if (!this.health.failure(label, kind, message)) this.failures.failure(label, code, message);
  }

  /** One `. NS` query to a known upstream; any valid reply, whatever its rcode, shows the path works. */
  private async check(label: string): Promise<void> {
    const upstream = this.upstreams.find((candidate) => candidate.label === label);
    if (upstream === undefined) throw new Error(`${label} is no longer an upstream`);
    const query = encodeUpstreamQuery(CHECK_QUESTION, { id: this.randomId(), payloadSize: this.settings.serverPayload, dnssecOk: false, checkingDisabled: false });
    await udpExchange(upstream, query, 12 + CHECK_QUESTION.length, this.settings.timeoutMs, () => { this.stats.ignoredReplies++; });
  }

  private relay(context: QueryContext, stored: StoredReply, ageSeconds: number): Buffer {
    return buildRelay(context.packet, context.query, stored, ageSeconds, context.limit, this.settings.serverPayload);
  }

  /** SERVFAIL, and why no upstream answer came (the decision record's source). */
  private servfail(context: QueryContext, why: string): Forwarded {
    const response = buildError(context.packet, context.query, context.query.id, context.query.flags, RCode.ServFail, this.settings.serverPayload);
    return { response, rcode: RCode.ServFail, source: why };
  }

  private overloaded(context: QueryContext): Forwarded {
    this.stats.overloaded++;
    return this.servfail(context, 'overloaded');
  }

  private debug(context: QueryContext, source: string, rcode: number): void {
    if (!this.deps.logger.isLevelEnabled('debug')) return;
    this.deps.logger.debug({ event: 'forward', client: context.client.address, name: context.query.name, qtype: context.query.qtype, source, rcode: rcode & 0xfff }, 'forwarded');
  }
}

/** Only the UDP path proves the route is gone; a failed TCP retry or a bad reply means the upstream still answers. */
function failureKind(code: string, tcp: boolean): FailureKind {
  if (code === 'UPSTREAM_TIMEOUT') return 'timeout';
  return code === 'UPSTREAM_NETWORK' && !tcp ? 'network' : 'other';
}

function settingsOf(config: Config): Settings {
  return {
    timeoutMs: config.upstream.timeoutMs,
    maxOutstanding: config.upstream.maxOutstanding,
    serverPayload: config.dns.ednsPayload,
    clamp: { minTtl: config.upstream.cache.minTtl, maxTtl: config.upstream.cache.maxTtl },
  };
}

function serversKeyOf(config: Config): string {
  return JSON.stringify([config.upstream.servers, config.upstream.resolvConf]);
}
