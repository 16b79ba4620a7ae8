import { CamshimError } from '../errors.js';
import { parseTimeBound } from '../report/filters.js';
import type { NameRow } from '../report/summary.js';
import type { DashboardAssets } from './assets.js';
import type { StatusReader } from './daemon-status.js';
import { DEFAULT_TOP, MAX_TOP } from './limits.js';
import type { LiveSummary } from './live-summary.js';

/** One HTTP answer, for the listener to write as is. */
export interface PageReply {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | Buffer;
}

/**
 * Everything the page may load comes from this listener, and nothing runs but its own script:
 * no inline script or style, no frames, no forms, no plugins. A name a camera looked up is data
 * the script puts in the page as text; even if it were not, it could not run.
 */
export const CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
  + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** Headers on every dashboard answer. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-resource-policy': 'same-origin',
};

const API_PREFIX = '/dashboard/api/';

/**
 * The dashboard's paths: the page, its versioned files, and the JSON it reads (docs/dashboard-api.md).
 * Returns undefined for any other path. Read-only: GET and HEAD only (the listener refuses the rest).
 */
export function dashboardRoutes(live: LiveSummary, status: StatusReader, assets: DashboardAssets, now: () => number = Date.now) {
  const json = (value: unknown, statusCode = 200): PageReply => ({
    status: statusCode, headers: { ...SECURITY_HEADERS, 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }, body: `${JSON.stringify(value)}\n`,
  });
  const api: Readonly<Record<string, (query: URLSearchParams) => PageReply | Promise<PageReply>>> = {
    summary: (query) => json(summary(live, status, query, now())),
    timeline: (query) => {
      const since = timeParameter(query, 'since', now());
      const snapshot = live.timelineSnapshot(since);
      return json({
        generatedAt: new Date(now()).toISOString(), since: since === undefined ? null : new Date(since).toISOString(), names: snapshot.names,
        clients: snapshot.clients.map((client) => ({ client: client.client, ...who(status, client.client), points: client.points })),
      });
    },
    ntp: async () => json(await status.ntp()),
    lists: async () => json(await status.lists()),
    upstream: async () => json(await status.upstream()),
  };
  return async (path: string, query: URLSearchParams): Promise<PageReply | undefined> => {
    if (path === '/' || path === '/dashboard') return { status: 302, headers: { ...SECURITY_HEADERS, location: '/dashboard/', 'cache-control': 'no-store' }, body: '' };
    if (path === '/dashboard/') {
      // Always asked again (it names the current assets); small, and read-only.
      return { status: 200, headers: { ...SECURITY_HEADERS, 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' }, body: assets.html };
    }
    if (path.startsWith(`${assets.base}/`)) {
      const file = assets.files.get(path.slice(assets.base.length + 1));
      if (file === undefined) return undefined;
      return { status: 200, headers: { ...SECURITY_HEADERS, 'content-type': file.contentType, 'cache-control': 'public, max-age=31536000, immutable' }, body: file.body };
    }
    if (path.startsWith(API_PREFIX)) {
      const handler = Object.hasOwn(api, path.slice(API_PREFIX.length)) ? api[path.slice(API_PREFIX.length)] : undefined;
      if (handler === undefined) return json({ error: `no such endpoint: ${path}` }, 404);
      try {
        return await handler(query);
      } catch (error) {
        // No worker answered in time (all restarting, or stopping): worth asking again.
        if (error instanceof CamshimError && error.code === 'DASHBOARD_WORKERS_SILENT') return json({ error: error.message, code: error.code }, 503);
        // A bad parameter is the caller's to fix; the message names it.
        if (error instanceof CamshimError) return json({ error: error.message, code: error.code }, 400);
        throw error;
      }
    }
    return undefined;
  };
}

/** `since` (and the like): `1h`, `7d`, `today`, an ISO date or time, as `camshim report --since` takes them. */
function timeParameter(query: URLSearchParams, name: string, nowMs: number): number | undefined {
  const text = query.get(name);
  if (text === null || text === '' || text === 'start') return undefined;
  try {
    return parseTimeBound(text, name, nowMs);
  } catch {
    throw new CamshimError('DASHBOARD_BAD_PARAMETER', `${name}: ${JSON.stringify(text)} is not a time: use start, a duration back from now (30m, 24h, 7d), today, yesterday, or a date and time (2026-12-01, 2026-12-01T08:00Z)`);
  }
}

/** A client's MAC and name from the client directory, as the log's `mac` and `host`. */
function who(status: StatusReader, client: string): { mac?: string; host?: string } {
  const known = status.identify(client);
  return { ...(known?.mac === undefined ? {} : { mac: known.mac }), ...(known?.name === undefined ? {} : { host: known.name }) };
}

function summary(live: LiveSummary, status: StatusReader, query: URLSearchParams, nowMs: number): Record<string, unknown> {
  const topText = query.get('top');
  const top = topText === null ? DEFAULT_TOP : Number(topText);
  if (!Number.isInteger(top) || top < 1 || top > MAX_TOP) throw new CamshimError('DASHBOARD_BAD_PARAMETER', `top: expected a whole number from 1 to ${MAX_TOP}, got ${JSON.stringify(topText)}`);
  const since = timeParameter(query, 'since', nowMs);
  const all = live.report({ top, onlyNew: false });
  const fresh = since === undefined ? undefined : live.report({ top, onlyNew: true, newSinceMs: since });
  const row = (name: NameRow): Record<string, unknown> => ({
    name: name.name, list: name.list, rule: name.rule, attempts: name.attempts, clients: name.clients,
    firstSeen: name.firstSeen, lastSeen: name.lastSeen, ...(name.cadenceMs === undefined ? {} : { cadenceMs: Math.round(name.cadenceMs) }),
  });
  return {
    generatedAt: new Date(nowMs).toISOString(),
    first: all.window.first ?? null,
    last: all.window.last ?? null,
    queries: all.totals.queries,
    sinkholed: all.sinkholed.map(row),
    unlisted: all.unlisted.map(row),
    redirected: all.redirected.map(row),
    clients: all.clients.map((client) => ({
      client: client.client, ...who(status, client.client), sinkholed: client.sinkholed, redirected: client.redirected, unlisted: client.unlisted,
      firstSeen: client.firstSeen, lastSeen: client.lastSeen, top: client.top,
    })),
    new: {
      since: since === undefined ? null : new Date(since).toISOString(),
      sinkholed: (fresh ?? all).sinkholed.map(row),
      unlisted: (fresh ?? all).unlisted.map(row),
    },
    ...(status.workers === undefined ? {} : { workers: status.workers() }),
  };
}
