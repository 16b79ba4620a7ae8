import type { Logger } from 'pino';
import type { StepCheck, WallClock } from './clock.js';
import type { HostSync, SyncStatusSource } from './sync-status.js';
import { selectTimeState, type TimeState } from './time-state.js';
import { refIdToAscii } from './timestamp.js';

/** A wall clock, optionally able to detect and absorb steps (AnchoredClock is). */
export interface NtpClock extends WallClock {
  checkStep?(): StepCheck;
}

export interface NtpTimers {
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

export const defaultTimers: NtpTimers = {
  setInterval(fn, ms) {
    const h = setInterval(fn, ms);
    h.unref();
    return h;
  },
  clearInterval(handle) {
    clearInterval(handle as ReturnType<typeof setInterval>);
  },
};

export interface ClockTrackerOptions {
  readonly notBefore: Date;
  readonly stratum: number;
  readonly localStratum: number;
  readonly precision: number;
  /** Sync status re-check period (ms). */
  readonly statusIntervalMs: number;
  /** Wall-clock step check period (ms). */
  readonly stepCheckIntervalMs: number;
}

export function describeState(s: TimeState): Record<string, unknown> {
  return { state: s.name, stratum: s.stratum, leap: s.leap, refId: refIdToAscii(s.refId) || s.refId.toString(16), source: s.source, reason: s.reason };
}

/**
 * What the served clock is worth right now (synchronised, local, unsynchronised) and since
 * when: the host's sync status re-probed on a timer, wall-clock steps absorbed by the anchored
 * clock, and a change of state logged (`event: "ntp-clock"`; at warn when leaving
 * `synchronised` or becoming `unsynchronised`).
 */
export class ClockTracker {
  private lastSync: HostSync;
  private state: TimeState;
  private stateSince: Date;
  private readonly notBeforeNs: bigint;
  private statusTimer: unknown;
  private stepTimer: unknown;
  private probing = false;
  private closed = false;
  stateChanges = 0;
  clockSteps = 0;

  private constructor(
    private readonly options: ClockTrackerOptions, private readonly clock: NtpClock, private readonly syncStatus: SyncStatusSource,
    private readonly timers: NtpTimers, private readonly log: Logger, firstSync: HostSync,
  ) {
    this.lastSync = firstSync;
    this.state = this.compute();
    this.stateSince = new Date(Number(clock.nowNs() / 1_000_000n));
    this.notBeforeNs = BigInt(options.notBefore.getTime()) * 1_000_000n;
  }

  /** Probes the host's sync status once (the NTP server answers nothing before it knows). */
  static async start(options: ClockTrackerOptions, clock: NtpClock, syncStatus: SyncStatusSource, timers: NtpTimers, log: Logger): Promise<ClockTracker> {
    const tracker = new ClockTracker(options, clock, syncStatus, timers, log, await safeProbe(syncStatus));
    tracker.startTimers();
    return tracker;
  }

  get current(): TimeState { return this.state; }
  get since(): Date { return this.stateSince; }

  /** The state for a request received at `receiveNs`: a clock stepped into the past between checks is never served. */
  forRequest(receiveNs: bigint): TimeState {
    if (this.state.name !== 'unsynchronised' && receiveNs < this.notBeforeNs) this.refresh('request');
    return this.state;
  }

  close(): void {
    this.closed = true;
    this.timers.clearInterval(this.statusTimer);
    if (this.stepTimer !== undefined) this.timers.clearInterval(this.stepTimer);
  }

  private compute(): TimeState {
    return selectTimeState({
      sync: this.lastSync, nowNs: this.clock.nowNs(), notBefore: this.options.notBefore,
      stratum: this.options.stratum, localStratum: this.options.localStratum, precision: this.options.precision,
    });
  }

  private refresh(trigger: string): void {
    const next = this.compute();
    const previous = this.state;
    if (next.name !== previous.name) {
      this.stateChanges++;
      const fields = { event: 'ntp-clock', ...describeState(next), previous: previous.name, trigger };
      const message = `NTP clock state ${previous.name} -> ${next.name}`;
      if (previous.name === 'synchronised' || next.name === 'unsynchronised') this.log.warn(fields, message);
      else this.log.info(fields, message);
      this.stateSince = new Date(Number(this.clock.nowNs() / 1_000_000n));
    }
    this.state = next;
  }

  private startTimers(): void {
    this.statusTimer = this.timers.setInterval(() => {
      if (this.probing || this.closed) return;
      this.probing = true;
      void safeProbe(this.syncStatus).then((sync) => {
        this.probing = false;
        if (this.closed) return;
        this.lastSync = sync;
        this.refresh('status check');
      });
    }, this.options.statusIntervalMs);
    if (this.clock.checkStep === undefined) return;
    this.stepTimer = this.timers.setInterval(() => {
      if (this.closed || this.clock.checkStep === undefined) return;
      const check = this.clock.checkStep();
      if (!check.stepped) return;
      this.clockSteps++;
      this.log.warn(
        { offsetMs: Number(check.offsetNs) / 1e6, anchor: check.anchor.method, anchorUncertaintyNs: Number(check.anchor.uncertaintyNs) },
        'wall clock stepped; NTP clock re-anchored',
      );
      this.refresh('clock step');
    }, this.options.stepCheckIntervalMs);
  }
}

async function safeProbe(syncStatus: SyncStatusSource): Promise<HostSync> {
  try {
    return await syncStatus();
  } catch (err) {
    return { status: 'unknown', source: 'none', detail: `sync status probe failed: ${err instanceof Error ? err.message : String(err)}` };
  }
}
