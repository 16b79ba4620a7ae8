/** The timers the directory uses, injectable so tests drive time by hand. */
export interface ClientTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

/** Node's timers, unref'd: refreshing client names never keeps the process alive. */
export const realClientTimers: ClientTimers = {
  setTimeout(fn, ms) { const h = setTimeout(fn, ms); h.unref(); return h; },
  clearTimeout(h) { clearTimeout(h as NodeJS.Timeout); },
  setInterval(fn, ms) { const h = setInterval(fn, ms); h.unref(); return h; },
  clearInterval(h) { clearInterval(h as NodeJS.Timeout); },
};
