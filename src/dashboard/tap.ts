import type { LoggedQuery } from '../log/query-events.js';
import type { QueryLog } from '../log/query-log.js';

/**
 * The sinkhole log with the dashboard fed from it: every decision reaches `record`, before the
 * log's level or storm collapsing apply, and the log still writes only what its level lets
 * through. `record` must be cheap: it runs on the query's path.
 */
export function tapQueryLog(log: QueryLog, record: (query: LoggedQuery) => void): QueryLog {
  return {
    enabled: true,
    now: () => log.now(),
    record: (query) => {
      record(query);
      if (log.enabled) log.record(query);
    },
    identifyClients: (lookup, ready) => log.identifyClients(lookup, ready),
    flush: () => log.flush(),
    close: () => log.close(),
    collapsed: () => log.collapsed(),
  };
}
