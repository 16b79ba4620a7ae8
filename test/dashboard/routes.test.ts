/**
 * The dashboard's paths without a browser: headers (CSP, caching), parameters and their errors,
 * and what the status endpoints read from the daemon (a URL list's refresh state from its file).
 */
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config/load-config.js';
import { loadDashboardAssets } from '../../src/dashboard/assets.js';
import { daemonStatusReader, type DaemonStatusSource } from '../../src/dashboard/daemon-status.js';
import { LiveSummary } from '../../src/dashboard/live-summary.js';
import { CONTENT_SECURITY_POLICY, dashboardRoutes } from '../../src/dashboard/routes.js';
import type { ListSet } from '../../src/lists/list-set.js';
import { writeSourceState } from '../../src/lists/remote/source-state.js';
import { tempDir } from '../helpers/daemon.js';

const NOW = Date.parse('2026-12-04T12:00:00Z');

async function setUp(): Promise<{ page: ReturnType<typeof dashboardRoutes>; live: LiveSummary }> {
  const dir = await tempDir({ 'config.yaml': 'lists:\n  bundled: false\n  sources: [{ url: "https://lists.example/cams.list" }]\n  remote: { stateDir: state }\n' });
  const loaded = await loadConfig(path.join(dir, 'config.yaml'));
  await mkdir(path.join(dir, 'state/lists'), { recursive: true });
  await writeSourceState(path.join(dir, 'state'), 'cams', { url: 'https://lists.example/cams.list', lastSuccessAt: '2026-12-03T04:00:00.000Z', lastAttemptAt: '2026-12-04T04:00:00.000Z', lastError: 'HTTP 503' });
  const lists = {
    lists: [{ index: 0, name: 'cams', file: path.join(dir, 'state/cams.list'), kind: 'block', bundled: false, entryCount: 12, meta: {}, modifiedAt: undefined, url: 'https://lists.example/cams.list' }],
    errors: [{ code: 'LIST_READ', message: 'no such file', file: '/etc/camshim/gone.list' }],
    loadedAt: new Date(NOW - 1000),
  } as unknown as ListSet;
  const status: DaemonStatusSource = {
    ntp: () => undefined,
    lists: () => lists,
    config: () => ({ config: loaded.config, baseDir: loaded.baseDir }),
    upstream: () => ({ forwarded: 3, servfail: 1, cacheHits: 0, cacheEntries: 2, upstreams: { '127.0.0.1:5353': { state: 'down', queries: 3, answers: 2, failures: 1, timeouts: 0, downs: 1 } } }),
    identify: (address) => (address === '10.0.0.7' ? { mac: 'aa:bb:cc:dd:ee:ff', name: '<cam>' } : undefined),
  };
  const live = new LiveSummary();
  return { page: dashboardRoutes(live, daemonStatusReader(status), loadDashboardAssets(), () => NOW), live };
}

const body = (reply: { body: string | Buffer } | undefined): Record<string, unknown> => JSON.parse(String(reply!.body)) as Record<string, unknown>;

describe('dashboard routes', () => {
  it('serves the page uncached and its versioned files for a year, all under the CSP', async () => {
    const { page } = await setUp();
    const html = (await page('/dashboard/', new URLSearchParams()))!;
    assert.equal(html.status, 200);
    assert.equal(html.headers['cache-control'], 'no-cache');
    assert.equal(html.headers['content-security-policy'], CONTENT_SECURITY_POLICY);
    const script = /src="([^"]+dashboard\.js)"/.exec(String(html.body))![1]!;
    const asset = (await page(script, new URLSearchParams()))!;
    assert.equal(asset.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.equal(asset.headers['content-security-policy'], CONTENT_SECURITY_POLICY);
    assert.equal(await page(script.replace('dashboard.js', 'other.js'), new URLSearchParams()), undefined);
    assert.equal(await page('/dashboard/assets/0.0.0-000000000000/dashboard.js', new URLSearchParams()), undefined, 'another version is not served');
    assert.equal((await page('/', new URLSearchParams()))!.headers.location, '/dashboard/');
    assert.equal(await page('/elsewhere', new URLSearchParams()), undefined);
  });

  it('answers a bad parameter with 400 naming it, and an unknown endpoint with 404', async () => {
    const { page } = await setUp();
    const badTop = (await page('/dashboard/api/summary', new URLSearchParams('top=0')))!;
    assert.equal(badTop.status, 400);
    assert.match(String(body(badTop).error), /^top: expected a whole number from 1 to 1000/);
    const badSince = (await page('/dashboard/api/timeline', new URLSearchParams('since=later')))!;
    assert.equal(badSince.status, 400);
    assert.match(String(body(badSince).error), /^since: "later" is not a time/);
    assert.equal((await page('/dashboard/api/toString', new URLSearchParams()))!.status, 404);
    assert.equal((await page('/dashboard/api/', new URLSearchParams()))!.status, 404);
  });

  it('gives new names since the chosen time, with the client directory\'s names', async () => {
    const { page, live } = await setUp();
    const query = (name: string, timeMs: number) => ({ kind: 'unlisted' as const, timeMs, client: '10.0.0.7', name, qtype: 1, group: 'g', lists: {} as ListSet, rule: undefined, rcode: 3, address: undefined });
    live.record(query('old.example', NOW - 2 * 86_400_000));
    live.record(query('fresh.example', NOW - 3_600_000));
    const summary = body(await page('/dashboard/api/summary', new URLSearchParams('since=24h')));
    assert.deepEqual((summary.new as { unlisted: { name: string }[] }).unlisted.map((row) => row.name), ['fresh.example']);
    assert.deepEqual((summary.unlisted as { name: string }[]).map((row) => row.name).sort(), ['fresh.example', 'old.example']);
    assert.deepEqual((summary.clients as Record<string, unknown>[]).map((row) => [row.client, row.mac, row.host]), [['10.0.0.7', 'aa:bb:cc:dd:ee:ff', '<cam>']]);
    const timeline = body(await page('/dashboard/api/timeline', new URLSearchParams('since=24h')));
    assert.deepEqual(timeline.clients, [{ client: '10.0.0.7', mac: 'aa:bb:cc:dd:ee:ff', host: '<cam>', points: [[NOW - 3_600_000, 0]] }]);
  });

  it('reads lists (with a URL source\'s last refresh and error), upstreams and a missing NTP server', async () => {
    const { page } = await setUp();
    const lists = body(await page('/dashboard/api/lists', new URLSearchParams()));
    assert.deepEqual(lists.lists, [{
      name: 'cams', kind: 'block', entries: 12, source: 'https://lists.example/cams.list', bundled: false,
      lastRefresh: '2026-12-03T04:00:00.000Z', lastAttempt: '2026-12-04T04:00:00.000Z', lastError: 'HTTP 503',
    }]);
    assert.deepEqual(lists.errors, ['/etc/camshim/gone.list: no such file [LIST_READ]']);
    const upstream = body(await page('/dashboard/api/upstream', new URLSearchParams()));
    assert.deepEqual(upstream.upstreams, [{ upstream: '127.0.0.1:5353', state: 'down', queries: 3, answers: 2, failures: 1, timeouts: 0, downs: 1 }]);
    assert.deepEqual(body(await page('/dashboard/api/ntp', new URLSearchParams())), { enabled: false });
  });
});
