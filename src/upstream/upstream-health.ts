import type { Logger } from 'pino';
import type { Timers } from './failure-log.js';
import type { UpstreamCounters } from './upstream-stats.js';

export interface HealthSettings {
  /** First re-check after an upstream is marked down; doubles after each failed check. */
  readonly firstRetryMs: number;
  /** Longest wait between re-checks: how long forwarding may lag behind a returning route. */
  readonly maxRetryMs: number;
  /** Timeouts in a row (no answer between them) after which the upstream is checked at once. */
  readonly checkAfterTimeouts: number;
}

export const HEALTH_DEFAULTS: HealthSettings = { firstRetryMs: 1000, maxRetryMs: 8000, checkAfterTimeouts: 3 };

/**
 * `network`: the socket itself failed (no route, firewall, ICMP unreachable): the path is down.
 * `timeout`: no reply in time; one name can be slow upstream, so only a run of them counts.
 * `other`: a bad reply or a failed TCP retry; the upstream still answers over UDP.
 */
export type FailureKind = 'network' | 'timeout' | 'other';

export interface HealthDeps {
  readonly logger: Logger;
  /** Milliseconds; only differences matter. */
  readonly now: () => number;
  readonly timers: Timers;
  /** One check query to the upstream; resolves on any valid reply, rejects on any failure. */
  readonly check: (label: string) => Promise<void>;
  readonly counters: (label: string) => UpstreamCounters;
  readonly settings?: Partial<HealthSettings>;
}

interface State {
  down: boolean;
  downSince: number;
  reason: string;
  timeoutsInARow: number;
  retryMs: number;
  checksWhileDown: number;
  timer: unknown;
  checking: boolean;
}

/**
 * Up/down state per upstream. The forwarder skips a down upstream while another is up, and
 * re-checks it on a timer with doubling backoff, so it comes back by itself when the route
 * does, with or without traffic; any answer from it (a check or a client query) brings it back.
 * Logs exactly one line per change: `upstream-down` at warn, `upstream-up` at info.
 */
export class UpstreamHealth {
  private readonly states = new Map<string, State>();
  private readonly settings: HealthSettings;
  private closed = false;

  constructor(private readonly deps: HealthDeps) {
    this.settings = { ...HEALTH_DEFAULTS, ...deps.settings };
  }

  isUp(label: string): boolean {
    return this.states.get(label)?.down !== true;
  }

  stateOf(label: string): 'up' | 'down' {
    return this.isUp(label) ? 'up' : 'down';
  }

  /** A valid reply came from the upstream. */
  success(label: string): void {
    const state = this.states.get(label);
    if (state === undefined) return;
    state.timeoutsInARow = 0;
    if (state.down) this.markUp(label, state);
  }

  /**
   * Returns true when the up/down state accounts for this failure (it marked the upstream down,
   * logged here, or the upstream was down already), so no other log line is due.
   */
  failure(label: string, kind: FailureKind, message: string): boolean {
    if (this.closed) return true;
    const state = this.stateFor(label);
    // Queries already in flight when the upstream went down fail too: that is not news.
    if (state.down) return true;
    if (kind === 'network') {
      this.markDown(label, state, message);
      return true;
    }
    if (kind === 'timeout' && ++state.timeoutsInARow >= this.settings.checkAfterTimeouts && !state.checking) {
      const runLength = state.timeoutsInARow;
      state.checking = true;
      this.deps.counters(label).checks++;
      this.deps.check(label).then(() => {
        state.checking = false;
        state.timeoutsInARow = 0;
      }, (error: unknown) => {
        state.checking = false;
        this.deps.counters(label).checkFailures++;
        if (!this.closed && !state.down && this.states.get(label) === state) {
          this.markDown(label, state, `${runLength} timeouts in a row, and a check query failed too: ${messageOf(error)}`);
        }
      });
    }
    return false;
  }

  /** Keeps the state of these upstreams only (after a reload changed the list). */
  retain(labels: readonly string[]): void {
    const keep = new Set(labels);
    for (const [label, state] of this.states) {
      if (keep.has(label)) continue;
      if (state.timer !== undefined) this.deps.timers.clearTimeout(state.timer);
      this.states.delete(label);
    }
  }

  close(): void {
    this.closed = true;
    for (const state of this.states.values()) {
      if (state.timer !== undefined) this.deps.timers.clearTimeout(state.timer);
      state.timer = undefined;
    }
  }

  private stateFor(label: string): State {
    let state = this.states.get(label);
    if (state === undefined) {
      state = { down: false, downSince: 0, reason: '', timeoutsInARow: 0, retryMs: this.settings.firstRetryMs, checksWhileDown: 0, timer: undefined, checking: false };
      this.states.set(label, state);
    }
    return state;
  }

  private markDown(label: string, state: State, reason: string): void {
    state.down = true;
    state.downSince = this.deps.now();
    state.reason = reason;
    state.retryMs = this.settings.firstRetryMs;
    state.checksWhileDown = 0;
    this.deps.counters(label).downs++;
    this.deps.logger.warn({ event: 'upstream-down', upstream: label, reason, retryMs: state.retryMs },
      `upstream ${label} down: ${reason}; other upstreams are asked first, and a check query is retried with backoff (up to every ${this.settings.maxRetryMs / 1000} s) until it answers`);
    this.schedule(label, state);
  }

  private markUp(label: string, state: State): void {
    if (state.timer !== undefined) this.deps.timers.clearTimeout(state.timer);
    state.timer = undefined;
    state.down = false;
    state.timeoutsInARow = 0;
    const downMs = Math.round(this.deps.now() - state.downSince);
    this.deps.logger.info({ event: 'upstream-up', upstream: label, downMs, checks: state.checksWhileDown },
      `upstream ${label} answering again after ${(downMs / 1000).toFixed(1)} s down: forwarding to it resumed`);
  }

  private schedule(label: string, state: State): void {
    if (this.closed) return;
    state.timer = this.deps.timers.setTimeout(() => {
      state.timer = undefined;
      if (this.closed || !state.down || this.states.get(label) !== state) return;
      state.checksWhileDown++;
      state.checking = true;
      this.deps.counters(label).checks++;
      this.deps.check(label).then(() => {
        state.checking = false;
        if (!this.closed && state.down && this.states.get(label) === state) this.markUp(label, state);
      }, () => {
        state.checking = false;
        this.deps.counters(label).checkFailures++;
        if (!state.down || this.states.get(label) !== state) return;
        state.retryMs = Math.min(state.retryMs * 2, this.settings.maxRetryMs);
        this.schedule(label, state);
      });
    }, state.retryMs);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
