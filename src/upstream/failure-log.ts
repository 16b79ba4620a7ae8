import type { Logger } from 'pino';

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTimers: Timers = {
  setTimeout(fn, ms) { const handle = setTimeout(fn, ms); handle.unref(); return handle; },
  clearTimeout(handle) { clearTimeout(handle as NodeJS.Timeout); },
};

interface Window { count: number; reasons: Record<string, number>; recovered: boolean }

/**
 * Upstream failures at warn, collapsed: the first failure of an upstream is logged at once, the
 * rest within `intervalMs` become one line per upstream with a count and the reasons. An outage
 * costs at most two lines per upstream per interval.
 */
export class FailureLog {
  private readonly windows = new Map<string, Window>();
  private timer: unknown;

  constructor(private readonly logger: Logger, private readonly intervalMs: number, private readonly timers: Timers = realTimers) {}

  failure(upstream: string, reason: string, message: string): void {
    const window = this.windows.get(upstream);
    if (window !== undefined) {
      window.count++;
      window.reasons[reason] = (window.reasons[reason] ?? 0) + 1;
      window.recovered = false;
      return;
    }
    this.windows.set(upstream, { count: 0, reasons: {}, recovered: false });
    this.logger.warn({ event: 'upstream-failure', upstream, reason }, `upstream failed: ${message}`);
    this.schedule();
  }

  /** A reply came back: noted in the next summary line, not logged on its own. */
  success(upstream: string): void {
    const window = this.windows.get(upstream);
    if (window !== undefined) window.recovered = true;
  }

  /** Writes pending summaries now (timer tick, and on close). */
  flush(): void {
    for (const [upstream, window] of this.windows) {
      if (window.count > 0) {
        this.logger.warn({ event: 'upstream-failure', upstream, count: window.count, reasons: window.reasons, intervalS: Math.round(this.intervalMs / 1000), answering: window.recovered },
          `upstream ${upstream}: ${window.count} more failure(s) in the last ${Math.round(this.intervalMs / 1000)} s`);
        window.count = 0;
        window.reasons = {};
      } else {
        // A quiet interval closes the window: the next failure is news again.
        this.windows.delete(upstream);
      }
    }
  }

  close(): void {
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    this.flush();
  }

  private schedule(): void {
    if (this.timer !== undefined) return;
    this.timer = this.timers.setTimeout(() => {
      this.timer = undefined;
      this.flush();
      if (this.windows.size > 0) this.schedule();
    }, this.intervalMs);
  }
}
