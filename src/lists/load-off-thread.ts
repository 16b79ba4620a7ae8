import { Worker } from 'node:worker_threads';
import type { Config } from '../config/config-schema.js';
import { CamshimError } from '../errors.js';
import { DomainTable, type DomainTableParts } from './domain-table.js';
import type { ListSet } from './list-set.js';

/** What the builder thread is given. */
export interface ListSetJob {
  readonly config: Config;
  readonly options: { readonly bundledDir?: string; readonly baseDir?: string };
}

/** What it sends back: a ListSet without what the main thread makes itself. */
export type BuiltListSet = Pick<ListSet, 'lists' | 'errors' | 'warnings' | 'cache'> & { readonly parts: DomainTableParts };

const WORKER_URL = new URL('./list-set-worker.js', import.meta.url);

/**
 * `loadListSet` on a thread of its own, for reloads: scanning and laying out a million names
 * takes about half a second of CPU, which on the main thread would be half a second in which
 * no query is answered. The set is the same as the in-process one (the worker runs
 * `loadListSet`); `loadMs` here is the whole wait, thread start included. A thread that dies
 * (out of memory, a bug) is a LIST_BUILD error: the caller keeps its current lists.
 */
export async function loadListSetOffThread(config: Config, options: { bundledDir?: string; baseDir?: string; now?: () => Date } = {}): Promise<ListSet> {
  const started = performance.now();
  const job: ListSetJob = {
    config,
    options: { ...(options.bundledDir === undefined ? {} : { bundledDir: options.bundledDir }), ...(options.baseDir === undefined ? {} : { baseDir: options.baseDir }) },
  };
  const built = await new Promise<BuiltListSet>((resolve, reject) => {
    const worker = new Worker(WORKER_URL, { workerData: job });
    let settled = false;
    const fail = (reason: string): void => {
      if (settled) return;
      settled = true;
      reject(new CamshimError('LIST_BUILD', `building the lists failed: ${reason}`));
    };
    worker.once('message', (message: BuiltListSet) => { settled = true; resolve(message); });
    worker.once('error', (error) => fail(error.message));
    worker.once('exit', (code) => fail(`the builder thread exited (code ${code}) without a result`));
  });
  return {
    table: new DomainTable(built.parts),
    lists: built.lists,
    byName: new Map(built.lists.map((list) => [list.name, list])),
    errors: built.errors,
    warnings: built.warnings,
    loadedAt: options.now?.() ?? new Date(),
    loadMs: performance.now() - started,
    cache: built.cache,
  };
}
