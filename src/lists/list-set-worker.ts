import { parentPort, workerData } from 'node:worker_threads';
import { loadListSet } from './list-set.js';
import type { BuiltListSet, ListSetJob } from './load-off-thread.js';

/**
 * The body of the thread `loadListSetOffThread` starts: builds one list set and hands it back.
 * The table's arrays are transferred, not copied, so the main thread only wraps them; the
 * parse buffers die with this thread.
 */
const job = workerData as ListSetJob;
const set = await loadListSet(job.config, job.options);
const parts = set.table.parts;
const built: BuiltListSet = { parts, lists: set.lists, errors: set.errors, warnings: set.warnings, cache: set.cache };
// A cache hit gives three views of one file buffer: each buffer goes in the transfer list once.
const buffers = [...new Set([parts.records.buffer, parts.tags.buffer, parts.offsets.buffer])] as ArrayBuffer[];
parentPort!.postMessage(built, buffers);
