import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';

/**
 * `camshim serve --workers N`: the primary process answers no queries. It forks N workers
 * (each a full daemon on the same sockets: the primary owns each socket and the kernel hands
 * every datagram to whichever worker reads first), forwards SIGHUP to them, replaces a worker
 * that dies, and stops them all on SIGTERM/SIGINT.
 *
 * Node answers one query at a time per process; on a multi-core router this is how camshim
 * uses every core. The price is memory: each worker holds its own copy of the list table
 * (load it from the list cache, which the primary warms before forking, to keep start-up fast).
 */

export interface PrimaryOptions {
  readonly workers: number;
  readonly logger: Logger;
  /** A worker that dies is replaced after this delay (ms); grows while workers keep dying. */
  readonly restartDelayMs?: number;
  /** More deaths than this within a minute: give up and exit 1 (a crash loop helps nobody). */
  readonly maxRestartsPerMinute?: number;
  /** Time given to workers to stop before they are killed. */
  readonly stopGraceMs?: number;
  /** Called once, when every slot's worker has said it serves (a WorkerReady message). */
  readonly onAllReady?: () => void;
  /**
   * Called whenever a worker starts serving, reloads or exits: how many serve, and the problems
   * of the list sets they serve (each problem once).
   */
  readonly onServing?: (serving: number, listProblems: readonly string[]) => void;
}

/**
 * The IPC message a worker sends once its DNS sockets answer, and again after each applied
 * reload: the problems of the list set it serves (a list left out at start-up).
 */
export interface WorkerReady { readonly type: 'camshim:ready'; readonly listProblems: readonly string[] }

function isWorkerReady(message: unknown): message is WorkerReady {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === 'camshim:ready'
    && Array.isArray((message as { listProblems?: unknown }).listProblems);
}

/** Tells a worker its slot (0..N-1); a replacement keeps the slot of the worker it replaces. */
export const WORKER_ENV = 'CAMSHIM_WORKER_SLOT';

/** This process's worker slot, or undefined when it is not a cluster worker. */
export function workerSlot(): number | undefined {
  if (!cluster.isWorker) return undefined;
  const slot = Number(process.env[WORKER_ENV]);
  return Number.isInteger(slot) && slot >= 0 ? slot : 0;
}

/** Runs the primary until SIGTERM/SIGINT (resolves 0) or a crash loop (resolves 1). */
export function runPrimary(options: PrimaryOptions): Promise<number> {
  const { logger } = options;
  const restartDelayMs = options.restartDelayMs ?? 1000;
  const maxRestarts = options.maxRestartsPerMinute ?? 10;
  const graceMs = options.stopGraceMs ?? 5000;
  const deaths: number[] = [];
  let stopping = false;
  let exitCode = 0;
  const live = new Set<Worker>();
  /** Serving slots -> the problems of the list set each serves. */
  const readySlots = new Map<number, readonly string[]>();
  const serving = (): void => { options.onServing?.(readySlots.size, [...new Set([...readySlots.values()].flat())]); };
  let allReady = false;

  return new Promise<number>((resolve) => {
    const fork = (slot: number): void => {
      const worker = cluster.fork({ [WORKER_ENV]: String(slot) });
      live.add(worker);
      worker.on('message', (message: unknown) => {
        if (!isWorkerReady(message)) return;
        readySlots.set(slot, message.listProblems.map(String));
        serving();
        if (!allReady && readySlots.size === options.workers) { allReady = true; options.onAllReady?.(); }
      });
      worker.on('exit', (code, signal) => {
        live.delete(worker);
        if (readySlots.delete(slot)) serving();
        if (stopping) {
          if (live.size === 0) resolve(exitCode);
          return;
        }
        const now = Date.now();
        deaths.push(now);
        while (deaths.length > 0 && deaths[0]! < now - 60_000) deaths.shift();
        if (deaths.length > maxRestarts) {
          logger.fatal({ event: 'workers-crash-loop', deaths: deaths.length }, `${deaths.length} workers died within a minute; stopping`);
          stop('crash-loop', 1);
          return;
        }
        const delay = restartDelayMs * deaths.length;
        logger.error({ event: 'worker-exit', worker: slot, code, signal, restartInMs: delay }, 'a worker died; starting a new one');
        setTimeout(() => { if (!stopping) fork(slot); }, delay).unref();
      });
    };

    const stop = (reason: string, code = 0): void => {
      if (stopping) return;
      stopping = true;
      exitCode = code;
      logger.info({ event: 'stop', signal: reason, workers: live.size }, 'camshim stopping workers');
      if (live.size === 0) { resolve(code); return; }
      for (const worker of live) worker.process.kill('SIGTERM');
      const timer = setTimeout(() => { for (const worker of live) worker.process.kill('SIGKILL'); }, graceMs);
      timer.unref();
    };

    process.on('SIGHUP', () => { for (const worker of live) worker.process.kill('SIGHUP'); });
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
    for (let slot = 0; slot < options.workers; slot++) fork(slot);
    logger.info({ event: 'workers', workers: options.workers, pid: process.pid }, `started ${options.workers} workers`);
  });
}
