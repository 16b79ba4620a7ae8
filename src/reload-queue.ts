/**
 * Runs `task` so that calls never overlap and a burst of calls collapses: at most one run in
 * progress and one queued behind it. Every call made while a run is queued shares that queued
 * run, which starts after the current one and so sees the newest files: the last request wins,
 * and a SIGHUP storm costs two reloads, not one per signal.
 */
export function coalescing<T>(task: () => Promise<T>): () => Promise<T> {
  let running: Promise<T> | undefined;
  let queued: Promise<T> | undefined;
  const start = (): Promise<T> => {
    const run: Promise<T> = task().finally(() => { if (running === run) running = undefined; });
    running = run;
    return run;
  };
  return () => {
    if (queued !== undefined) return queued;
    if (running === undefined) return start();
    const next = running.then(start, start).finally(() => { if (queued === next) queued = undefined; });
    queued = next;
    return next;
  };
}
