import { formatProblem } from '../errors.js';
import type { ListSet } from '../lists/list-set.js';

/** What `/healthz` says: healthy, or every reason it is not. */
export interface Health {
  readonly healthy: boolean;
  readonly reasons: readonly string[];
}

/** One daemon process: DNS answers (a socket is bound) and every configured list loaded. */
export function daemonHealth(dnsSockets: number, lists: ListSet): Health {
  const reasons: string[] = [];
  if (dnsSockets === 0) reasons.push('DNS is not answering: no listen address is on this machine yet');
  for (const problem of lists.errors) reasons.push(`list not loaded: ${formatProblem(problem)}`);
  return { healthy: reasons.length === 0, reasons };
}

/**
 * The `--workers` primary: healthy once every worker has reported that it serves (a worker does
 * that only after its lists loaded and its DNS sockets answer), and while none is being replaced.
 */
export function clusterHealth(serving: number, workers: number, listErrors: readonly string[]): Health {
  const reasons: string[] = [];
  if (serving < workers) reasons.push(`${serving} of ${workers} workers answering DNS`);
  for (const message of listErrors) reasons.push(`list not loaded: ${message}`);
  return { healthy: reasons.length === 0, reasons };
}
