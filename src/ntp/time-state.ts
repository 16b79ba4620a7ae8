/**
 * Which time the server hands out, decided from the host's sync status and
 * the plausibility of its clock. Pure.
 *
 * | state          | when                                     | LI        | stratum          | ref ID        |
 * |----------------|------------------------------------------|-----------|------------------|---------------|
 * | synchronised   | host clock synchronised, clock plausible | host's    | `stratum` (3)    | host's or 0   |
 * | local          | not (known to be) synchronised, plausible| 0         | `localStratum`(10)| `LOCL`       |
 * | unsynchronised | clock before `notBefore` (implausible)   | 3 (alarm) | 16               | 0             |
 *
 * "local" is chrony's `local stratum 10`: cameras still get the router's time,
 * but any client with a better source prefers that one. "unsynchronised"
 * replies are valid NTP that every client refuses to set its clock from.
 */
import type { LeapIndicator } from './packet.js';
import type { HostSync } from './sync-status.js';
import { asciiRefId } from './timestamp.js';

export type ClockStateName = 'synchronised' | 'local' | 'unsynchronised';

export interface TimeState {
  name: ClockStateName;
  /** Why this state, for logs and stats. */
  reason: string;
  /** The sync-status probe the decision rests on. */
  source: string;
  leap: LeapIndicator;
  stratum: number;
  refId: number;
  /** Reference time (Unix ns): when the served clock was last set/confirmed; null encodes as zero. */
  refTimeNs: bigint | null;
  /** Root delay (s). */
  rootDelay: number;
  /** Root dispersion (s) as of `dispersionAtNs`; the responder adds PHI × age. */
  rootDispersion: number;
  dispersionAtNs: bigint;
  /** log2 s. */
  precision: number;
}

/** Stratum sent when unsynchronised (RFC 5905 §7.3: 16 = unsynchronised). */
export const UNSYNCHRONISED_STRATUM = 16;
/** Root dispersion sent when unsynchronised: 16 s, the NTP ceiling (MAXDISP). */
export const UNSYNCHRONISED_ROOT_DISPERSION = 16;
/**
 * Root dispersion assumed when the host says it is synchronised but not how
 * well (timesyncd, timedatectl): 50 ms, a generous bound for an internet-synced
 * host, below every client's rejection threshold (busybox: 1 s).
 */
export const UNKNOWN_UPSTREAM_ROOT_DISPERSION = 0.05;
export const LOCAL_REF_ID = asciiRefId('LOCL');

export interface TimeStateInputs {
  sync: HostSync;
  /** Current time (Unix ns), from the served clock. */
  nowNs: bigint;
  notBefore: Date;
  stratum: number;
  localStratum: number;
  precision: number;
}

export function isPlausible(nowNs: bigint, notBefore: Date): boolean {
  return nowNs >= BigInt(notBefore.getTime()) * 1_000_000n;
}

export function selectTimeState(i: TimeStateInputs): TimeState {
  const { sync, nowNs, precision } = i;
  if (!isPlausible(nowNs, i.notBefore)) {
    return {
      name: 'unsynchronised',
      reason: `clock reads ${new Date(Number(nowNs / 1_000_000n)).toISOString()}, before ${i.notBefore.toISOString()} (implausible); replies carry LI=3 so no client sets its clock`,
      source: sync.source,
      leap: 3,
      stratum: UNSYNCHRONISED_STRATUM,
      refId: 0,
      refTimeNs: null,
      rootDelay: 0,
      rootDispersion: UNSYNCHRONISED_ROOT_DISPERSION,
      dispersionAtNs: nowNs,
      precision,
    };
  }
  if (sync.status === 'synchronised') {
    // Reference time: the host's last update if known and not in the future, else now (just confirmed).
    const refTimeNs = sync.refTimeNs !== undefined && sync.refTimeNs > 0n && sync.refTimeNs <= nowNs ? sync.refTimeNs : nowNs;
    const knownDispersion = sync.rootDispersion !== undefined;
    return {
      name: 'synchronised',
      reason: sync.detail,
      source: sync.source,
      leap: sync.leap === undefined || sync.leap === 3 ? 0 : sync.leap,
      stratum: i.stratum,
      refId: sync.refId ?? 0,
      refTimeNs,
      rootDelay: sync.rootDelay ?? 0,
      rootDispersion: knownDispersion ? (sync.rootDispersion ?? 0) : UNKNOWN_UPSTREAM_ROOT_DISPERSION,
      // chronyc/adjtimex report dispersion as of the probe; otherwise it grows from the reference time.
      dispersionAtNs: knownDispersion ? nowNs : refTimeNs,
      precision,
    };
  }
  return {
    name: 'local',
    reason: `${sync.detail}; serving the local clock at stratum ${i.localStratum}`,
    source: sync.source,
    leap: 0,
    stratum: i.localStratum,
    refId: LOCAL_REF_ID,
    refTimeNs: nowNs,
    rootDelay: 0,
    rootDispersion: 0,
    dispersionAtNs: nowNs,
    precision,
  };
}
