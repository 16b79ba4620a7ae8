import type { ClientTimers } from '../../src/clients/timers.js';

/** Timers driven by `advance(ms)`, with a clock the directory reads through `nowMs`. */
export class FakeTimers implements ClientTimers {
  now = 1_764_900_000_000;
  private nextId = 1;
  private readonly pending = new Map<number, { at: number; fn: () => void; every?: number }>();

  setTimeout(fn: () => void, ms: number): unknown { return this.add(fn, ms); }
  setInterval(fn: () => void, ms: number): unknown { return this.add(fn, ms, ms); }
  clearTimeout(handle: unknown): void { this.pending.delete(handle as number); }
  clearInterval(handle: unknown): void { this.pending.delete(handle as number); }

  get count(): number { return this.pending.size; }

  /** Moves the clock forward, running each timer as it comes due (intervals repeat). */
  advance(ms: number): void {
    const end = this.now + ms;
    for (let guard = 0; guard < 100_000; guard++) {
      let nextId: number | undefined;
      let nextAt = Number.POSITIVE_INFINITY;
      for (const [id, t] of this.pending) if (t.at <= end && t.at < nextAt) { nextAt = t.at; nextId = id; }
      if (nextId === undefined) break;
      const timer = this.pending.get(nextId);
      if (timer === undefined) break;
      this.now = timer.at;
      if (timer.every === undefined) this.pending.delete(nextId);
      else timer.at += timer.every;
      timer.fn();
    }
    this.now = end;
  }

  private add(fn: () => void, ms: number, every?: number): number {
    const id = this.nextId++;
    this.pending.set(id, every === undefined ? { at: this.now + ms, fn } : { at: this.now + ms, fn, every });
    return id;
  }
}

/** Resolves when `predicate` holds, polling every few ms; rejects after `timeoutMs`. */
export async function eventually(predicate: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
