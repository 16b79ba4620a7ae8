import type { SummaryLimits } from '../report/summary.js';

/**
 * How much the dashboard remembers, whatever the daemon's uptime or the cameras' query rate: past
 * each cap the least recently seen entry goes. At the caps the summary takes a few tens of
 * megabytes (mostly the pairs' gap histograms) and the timeline a few (a typed-array slot and a
 * reference per point); the timeline's answer, every point of every client, stays near a megabyte
 * of JSON, which the page asks for on each refresh.
 */
export interface DashboardLimits {
  readonly summary: SummaryLimits;
  readonly timeline: TimelineLimits;
}

export interface TimelineLimits {
  /** Clients with a timeline row. */
  readonly clients: number;
  /** Attempts kept per client (its latest). */
  readonly pointsPerClient: number;
}

export const DASHBOARD_LIMITS: DashboardLimits = {
  summary: { names: 5000, clients: 1000, clientsPerName: 256, pairs: 50_000, ntpClients: 1000, clockChanges: 1000 },
  timeline: { clients: 128, pointsPerClient: 500 },
};

/** Rows per table the API gives unless asked (`top`), and at most. */
export const DEFAULT_TOP = 50;
export const MAX_TOP = 1000;
