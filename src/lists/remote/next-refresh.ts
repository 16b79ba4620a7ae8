import type { SourceState } from './source-state.js';

/** After a failed attempt the next one comes sooner than the interval, but not sooner than this. */
export const RETRY_AFTER_FAILURE_MS = 3_600_000;

/**
 * When a source is due (ms since the epoch), before jitter: one interval after the last attempt,
 * or at most an hour after a failed one; a source never tried is due at once. The daemon's
 * refresher schedules by it and `camshim lists` shows it.
 */
export function nextRefreshAt(state: SourceState, refreshMs: number): number {
  if (state.lastAttemptAt === undefined) return 0;
  const last = Date.parse(state.lastAttemptAt);
  if (Number.isNaN(last)) return 0;
  return last + (state.lastError === undefined ? refreshMs : Math.min(refreshMs, RETRY_AFTER_FAILURE_MS));
}
