/** pino's timestamp function, plus what the held sinkhole log needs to stamp a line later. */
export interface IsoTimeFunction {
  /** The fragment for now: `,"time":"2026-11-21T06:40:12.118Z"` (what pino calls per line). */
  (): string;
  /** The clock the fragments are made from (ms since the epoch). */
  readonly now: () => number;
  /** The fragment for a given millisecond. */
  readonly at: (ms: number) => string;
}

/**
 * pino's timestamp fragment, made at most once per millisecond: at tens of thousands of log
 * lines a second, Date#toISOString per line is a cost that buys nothing (the text repeats).
 */
export function cachedIsoTime(now: () => number = Date.now): IsoTimeFunction {
  let lastMs = Number.NaN;
  let fragment = '';
  const at = (ms: number): string => {
    if (ms !== lastMs) {
      lastMs = ms;
      fragment = `,"time":"${new Date(ms).toISOString()}"`;
    }
    return fragment;
  };
  return Object.assign(() => at(now()), { now, at });
}
