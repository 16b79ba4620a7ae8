/**
 * The dashboard in a real browser (Debian's headless Chromium, driven by playwright-core)
 * against a real daemon on loopback that sinkholed a known set of queries from several loopback
 * clients (127.0.0.2-4 are loopback addresses on Linux): the page loads without console errors
 * and without any request leaving loopback, shows the names and counts, draws one timeline tick
 * per attempt and client, shows names carrying markup as text, refreshes by itself, and the
 * listener refuses a client outside `http.allow`. A screenshot is left in test-artifacts/.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { QType } from '../../src/wire/constants.js';
import { encodeQuery } from '../../src/wire/encode-query.js';
import { PROJECT_ROOT, startDaemon, tempDir, type RunningDaemon } from '../helpers/daemon.js';
import { udpExchange } from '../helpers/udp.js';
import { freePort } from '../upstream/helpers.js';

const CHROMIUM = [process.env.CAMSHIM_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find((file) => file !== undefined && existsSync(file));
const ARTIFACTS = process.env.CAMSHIM_TEST_ARTIFACTS ?? path.join(PROJECT_ROOT, 'test-artifacts');

/** Names a camera may look up: any bytes in a label. Shown by the daemon in presentation format (RFC 1035 escapes). */
const IMG_LABEL = '<img src=x onerror=alert(1)>';
const IMG_NAME = '<img\\032src=x\\032onerror=alert\\(1\\)>.cloud.vendor.example';
const BOLD_LABEL = '<b>camshim</b>';
const BOLD_NAME = '<b>camshim</b>.unknown.test';
const CADENCE_MS = 500;

/**
 * What each client asks, and how far apart (ms): 127.0.0.2 calls home on a timer. The strict
 * group's 127.0.0.4 gets NXDOMAIN for unlisted names.
 */
const QUERIES: readonly (readonly [client: string, name: string, times: number, gapMs: number])[] = [
  ['127.0.0.2', 'api.cloud.vendor.example', 5, CADENCE_MS],
  ['127.0.0.2', 'p2p.cloud.vendor.example', 2, 0],
  ['127.0.0.3', 'api.cloud.vendor.example', 3, 0],
  ['127.0.0.4', `${IMG_LABEL}.cloud.vendor.example`, 1, 0],
  ['127.0.0.4', `${BOLD_LABEL}.unknown.test`, 2, 0],
];


function get(url: string, localAddress: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { localAddress, timeout: 5000 }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => { body += chunk; });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.on('timeout', () => request.destroy(new Error(`GET ${url} timed out`)));
    request.on('error', reject);
  });
}

describe('dashboard in headless Chromium', { skip: CHROMIUM === undefined ? 'Chromium is not installed (apt-get install chromium, or set CAMSHIM_CHROMIUM)' : false, timeout: 120_000 }, () => {
  let daemon: RunningDaemon;
  let browser: Browser;
  let page: Page;
  let url: string;
  let dnsPort: number;
  const consoleErrors: string[] = [];
  const offBox: string[] = [];
  const dialogs: string[] = [];

  before(async () => {
    const ntpPort = await freePort();
    const dir = await tempDir({
      'vendor.list': 'cloud.vendor.example\n',
      'config.yaml': `
lists:
  bundled: false
  sources: [{ path: vendor.list }]
groups: [{ name: strict, clients: [127.0.0.4/32], unlisted: nxdomain }]
dns: { tcp: { enabled: false }, rateLimit: { enabled: false } }
http: { allow: [127.0.0.1/32] }
`,
    });
    daemon = await startDaemon(['--config', path.join(dir, 'config.yaml'), '--listen', '127.0.0.1', '--ntp-port', String(ntpPort), '--http', '127.0.0.1:0'], { timeoutMs: 20_000 });
    url = String((await daemon.waitForLog((line) => line.event === 'http-listen', 20_000, 0)).url);
    dnsPort = daemon.port('udp', 4);
    let id = 1;
    for (const [client, name, times, gapMs] of QUERIES) {
      for (let i = 0; i < times; i++) {
        if (i > 0 && gapMs > 0) await new Promise((resolve) => setTimeout(resolve, gapMs));
        const reply = await udpExchange('127.0.0.1', dnsPort, encodeQuery(name, QType.A, { id: id++ }), 2000, client);
        assert.ok(reply !== null && (reply[3]! & 0x0f) === 3, `${client} ${name}: NXDOMAIN`);
      }
    }
    const ntp = Buffer.alloc(48);
    ntp[0] = 0x23; // version 4, client
    assert.ok(await udpExchange('127.0.0.1', ntpPort, ntp, 2000, '127.0.0.2') !== null, 'NTP answered');

    browser = await chromium.launch({ executablePath: CHROMIUM!, headless: true, args: ['--no-sandbox', '--no-proxy-server', '--disable-gpu'] });
    const context = await browser.newContext({ viewport: { width: 1280, height: 1400 }, serviceWorkers: 'block' });
    // Every request the page makes is looked at: anything not for the daemon's loopback listener is refused and noted.
    await context.route('**/*', async (route) => {
      const target = new URL(route.request().url());
      if (target.origin === new URL(url).origin) await route.continue();
      else { offBox.push(route.request().url()); await route.abort('blockedbyclient'); }
    });
    page = await context.newPage();
    page.on('console', (message) => { if (message.type() === 'error' || message.type() === 'warning') consoleErrors.push(`${message.type()}: ${message.text()}`); });
    page.on('pageerror', (error) => { consoleErrors.push(`pageerror: ${error.message}`); });
    page.on('dialog', (dialog) => { dialogs.push(dialog.message()); void dialog.dismiss(); });
    const response = await page.goto(`${url}/dashboard/`, { timeout: 20_000 });
    assert.equal(response?.status(), 200);
    assert.match(response.headers()['content-security-policy'] ?? '', /default-src 'none'; script-src 'self'/);
    await page.waitForSelector('body[data-loaded]', { timeout: 20_000 });
  });

  after(async () => {
    await browser?.close();
    if (daemon !== undefined) assert.equal(await daemon.stop(), 0);
  });

  it('shows the sinkholed names with their counts, the unlisted ones and the clients', async () => {
    const rows = await page.$$eval('#sinkholed tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    const byName = new Map(rows.map((cells) => [cells[0], cells]));
    assert.deepEqual(byName.get('api.cloud.vendor.example')?.slice(1, 4), ['vendor', '8', '2']);
    assert.deepEqual(byName.get('p2p.cloud.vendor.example')?.slice(1, 4), ['vendor', '2', '1']);
    assert.deepEqual(byName.get(IMG_NAME)?.slice(1, 4), ['vendor', '1', '1']);
    assert.equal(rows.length, 3);
    const unlisted = await page.$$eval('#unlisted tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].slice(0, 3).map((td) => td.textContent)));
    assert.deepEqual(unlisted, [[BOLD_NAME, '–', '2']]);
    // Everything here is new in the last 24 hours.
    const fresh = await page.$$eval('#new-names tbody tr td:first-child', (tds) => tds.map((td) => td.textContent).sort());
    assert.deepEqual(fresh, [BOLD_NAME, IMG_NAME, 'api.cloud.vendor.example', 'p2p.cloud.vendor.example'].sort());
    const clients = await page.$$eval('#clients tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].slice(0, 3).map((td) => td.textContent)));
    assert.deepEqual(clients, [['127.0.0.2', '7', '0'], ['127.0.0.3', '3', '0'], ['127.0.0.4', '1', '2']]);
  });

  it('draws one timeline tick per attempt for each client, with the name and list on hover', async () => {
    const ticks = await page.$$eval('svg.timeline g.timeline-row', (groups) => groups.map((group) => [group.getAttribute('data-client'), group.querySelectorAll('line.point').length] as const));
    assert.deepEqual(new Map(ticks), new Map([['127.0.0.2', 7], ['127.0.0.3', 3], ['127.0.0.4', 3]]));
    const titles = await page.$$eval('svg.timeline g.timeline-row[data-client="127.0.0.3"] line.point title', (nodes) => nodes.map((node) => node.textContent ?? ''));
    assert.equal(titles.length, 3);
    for (const title of titles) assert.match(title, /api\.cloud\.vendor\.example {2}\(sinkhole, list vendor: cloud\.vendor\.example\)$/);
    // A client on a timer draws a regular comb: its ticks for that name are evenly spaced.
    const comb = await page.$$eval('svg.timeline g.timeline-row[data-client="127.0.0.2"] line.point', (lines) => lines
      .filter((line) => (line.querySelector('title')?.textContent ?? '').includes(' api.cloud.vendor.example '))
      .map((line) => Number(line.getAttribute('x1'))));
    assert.equal(comb.length, 5);
    const gaps = comb.slice(1).map((x, i) => x - comb[i]!);
    const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
    assert.ok(mean > 0 && gaps.every((gap) => Math.abs(gap - mean) <= mean * 0.3), `evenly spaced ticks: ${gaps.join(', ')}`);
  });

  it('shows names carrying markup as text: no element made from them, nothing run', async () => {
    const cells = await page.$$eval('td.name', (tds) => tds.map((td) => td.textContent ?? ''));
    assert.ok(cells.includes(IMG_NAME), 'the <img> name is shown as written');
    assert.ok(cells.includes(BOLD_NAME), 'the <b> name is shown as written');
    assert.equal(await page.$$eval('main img, main b, main script', (found) => found.length), 0);
    const hover = await page.$$eval('svg.timeline title', (nodes) => nodes.map((node) => node.textContent ?? '').filter((text) => text.includes('<img')));
    assert.equal(hover.length, 1);
    assert.deepEqual(dialogs, []);
  });

  it('shows NTP, lists and upstreams', async () => {
    assert.match(await page.textContent('#ntp-clock') ?? '', /^Clock (synchronised|local|unsynchronised) since /);
    const ntpClients = await page.$$eval('#ntp-clients tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].slice(0, 3).map((td) => td.textContent)));
    assert.deepEqual(ntpClients, [['127.0.0.2', 'default', '1']]);
    const lists = await page.$$eval('#lists tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].slice(0, 3).map((td) => td.textContent)));
    assert.ok(lists.some((cells) => cells[0] === 'vendor' && cells[1] === 'block' && cells[2] === '1'), JSON.stringify(lists));
    assert.equal(await page.textContent('#upstreams tbody td'), 'no upstream (nothing is forwarded)');
  });

  it('refreshes by itself: a new attempt appears without a reload', async () => {
    const loads = Number(await page.getAttribute('body', 'data-loaded'));
    const reply = await udpExchange('127.0.0.1', dnsPort, encodeQuery('late.cloud.vendor.example', QType.A, { id: 999 }), 2000, '127.0.0.3');
    assert.ok(reply !== null);
    await page.waitForFunction((previous) => Number(document.body.dataset.loaded) > previous, loads, { timeout: 20_000 });
    assert.equal(await page.$$eval('svg.timeline g.timeline-row[data-client="127.0.0.3"] line.point', (found) => found.length), 4);
    assert.ok((await page.$$eval('#sinkholed td.name', (tds) => tds.map((td) => td.textContent))).includes('late.cloud.vendor.example'));
  });

  it('loaded nothing from outside the box and logged no console error; the assets are versioned and cached', async () => {
    assert.deepEqual(offBox, []);
    assert.deepEqual(consoleErrors, []);
    const script = await page.$eval('script[type=module]', (node) => node.getAttribute('src') ?? '');
    assert.match(script, /^\/dashboard\/assets\/\d+\.\d+\.\d+[^/]*-[0-9a-f]{12}\/dashboard\.js$/);
    const asset = await page.request.get(`${url}${script}`);
    assert.equal(asset.headers()['cache-control'], 'public, max-age=31536000, immutable');
    assert.equal(asset.headers()['content-type'], 'text/javascript; charset=utf-8');
    const api = await page.request.get(`${url}/dashboard/api/summary`);
    assert.equal(api.headers()['cache-control'], 'no-store');
    assert.equal((await page.request.get(`${url}/dashboard/api/summary?since=soon`)).status(), 400);
  });

  it('refuses a client outside http.allow with 403, for the page and its data', async () => {
    for (const target of ['/dashboard/', '/dashboard/api/summary', '/dashboard/api/timeline']) {
      const refused = await get(`${url}${target}`, '127.0.0.9');
      assert.equal(refused.status, 403, target);
      assert.ok(!refused.body.includes('vendor'), 'nothing leaks to a refused client');
    }
    assert.equal((await get(`${url}/dashboard/api/summary`, '127.0.0.1')).status, 200);
  });

  it('answers a request target no URL parser accepts with 404, and keeps serving', async () => {
    const { port } = new URL(url);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(Number(port), '127.0.0.1', () => socket.end('GET http://[ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
      let text = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => { text += chunk; });
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    assert.match(answer, /^HTTP\/1\.1 404 /);
    assert.equal((await get(`${url}/dashboard/api/summary`, '127.0.0.1')).status, 200);
  });

  it('saves a screenshot', async (t) => {
    await mkdir(ARTIFACTS, { recursive: true });
    const file = path.join(ARTIFACTS, 'dashboard.png');
    await page.screenshot({ path: file, fullPage: true });
    t.diagnostic(`screenshot: ${file}`);
    assert.ok(existsSync(file));
  });
});
