/**
 * The gaps between one client's attempts at one name, kept as counts in logarithmic buckets
 * (each 5% wider than the last), so the median gap of millions of attempts costs a few dozen
 * numbers: memory grows with the distinct cadences, never with the lines read.
 */
const RATIO = 1.05;
const LOG_RATIO = Math.log(RATIO);
/** Gaps under a second share bucket 0: a camera's call-home cadence is never finer. */
const FLOOR_MS = 1000;

export class GapHistogram {
  private readonly counts = new Map<number, number>();
  private total = 0;

  /** Adds `times` gaps of `gapMs` each. */
  add(gapMs: number, times = 1): void {
    if (!(gapMs >= 0) || times <= 0) return;
    const bucket = gapMs < FLOOR_MS ? 0 : 1 + Math.floor(Math.log(gapMs / FLOOR_MS) / LOG_RATIO);
    this.counts.set(bucket, (this.counts.get(bucket) ?? 0) + times);
    this.total += times;
  }

  get size(): number { return this.total; }

  /** The median gap (the middle of its bucket), or undefined with no gaps. */
  median(): number | undefined {
    if (this.total === 0) return undefined;
    const middle = (this.total - 1) / 2;
    let seen = 0;
    for (const bucket of [...this.counts.keys()].sort((a, b) => a - b)) {
      seen += this.counts.get(bucket)!;
      if (seen > middle) return bucket === 0 ? FLOOR_MS / 2 : FLOOR_MS * RATIO ** (bucket - 0.5);
    }
    return undefined;
  }
}

/** "~3 min": a gap in the largest unit that keeps it readable ("-" for none). */
export function describeCadence(gapMs: number | undefined): string {
  if (gapMs === undefined) return '-';
  const seconds = gapMs / 1000;
  if (seconds < 1) return '<1 s';
  if (seconds < 90) return `~${Math.round(seconds)} s`;
  const minutes = seconds / 60;
  if (minutes < 90) return `~${Math.round(minutes)} min`;
  const hours = minutes / 60;
  if (hours < 36) return `~${Math.round(hours)} h`;
  return `~${Math.round(hours / 24)} d`;
}

/** The median of some numbers (undefined for none). */
export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
