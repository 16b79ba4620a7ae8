/**
 * The HTTP listener of a real daemon (`serve --http`), scraped while it serves DNS and NTP, with
 * one worker and with two: every counter must move by exactly what the test sent, summed over
 * the workers. Upstream is a real dnsmasq on loopback.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { test } from 'node:test';
import { QType } from '../../src/wire/constants.js';
import { encodeQuery } from '../../src/wire/encode-query.js';
import { METRIC_NAMES } from '../../src/http/metrics.js';
import { MAIN, startDaemon, tempDir, type RunningDaemon } from '../helpers/daemon.js';
import { udpExchange } from '../helpers/udp.js';
import { startDnsmasq } from '../upstream/dnsmasq.js';
import { freePort } from '../upstream/helpers.js';

interface Reply { status: number; body: string; contentType: string }

function get(url: string, localAddress = '127.0.0.1'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { localAddress, timeout: 5000 }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => { body += chunk; });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body, contentType: String(response.headers['content-type']) }));
    });
    request.on('timeout', () => request.destroy(new Error(`GET ${url} timed out`)));
    request.on('error', reject);
  });
}

/** Prometheus text -> "name{labels}" -> value (labels as written by prom-client, in its order). */
function parse(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    values.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return values;
}

function delta(before: Map<string, number>, after: Map<string, number>, series: string): number {
  return (after.get(series) ?? 0) - (before.get(series) ?? 0);
}

function httpUrl(daemon: RunningDaemon): Promise<string> {
  return daemon.waitForLog((line) => line.event === 'http-listen', 20_000, 0).then((line) => String(line.url));
}

async function ntpRequest(port: number): Promise<Buffer | null> {
  const request = Buffer.alloc(48);
  request[0] = 0x23; // version 4, client
  return udpExchange('127.0.0.1', port, request, 2000);
}


for (const workers of [1, 2]) {
  test(`--http with --workers ${workers}: /metrics counts what was served, /healthz says ok`, { timeout: 90_000 }, async () => {
    const upstream = await startDnsmasq();
    const ntpPort = await freePort();
    const dir = await tempDir({
      'vendor.list': 'cloud.vendor.example\n',
      'config.yaml': `
lists:
  bundled: false
  sources: [{ path: vendor.list }]
groups: [{ name: cams, clients: [127.0.0.1/32] }]
defaultGroup: { lists: ["*"], unlisted: forward }
dns:
  tcp: { enabled: false }
  # Rate limiting is per process: only one worker gives an exact count of drops.
  rateLimit: { enabled: ${workers === 1 ? 'true' : 'false'}, ratePerSecond: 0.01, burst: 40, overLimit: drop }
upstream: { servers: ["${upstream.label}"] }
http: { allow: [127.0.0.1/32] }
`,
    });
    const daemon = await startDaemon(['--config', path.join(dir, 'config.yaml'), '--listen', '127.0.0.1', '--ntp-port', String(ntpPort),
      '--workers', String(workers), '--http', '127.0.0.1:0'], { timeoutMs: 20_000 });
    try {
      const url = await httpUrl(daemon);
      // Every worker up before counting (with two, the first start line is only the first worker's).
      for (let slot = 0; slot < workers && workers > 1; slot++) await daemon.waitForLog((line) => line.event === 'start' && line.worker === slot, 20_000, 0);
      const health = await get(`${url}/healthz`);
      assert.deepEqual([health.status, health.body], [200, 'ok\n']);
      const dashboard = await get(`${url}/dashboard/api/summary`);
      assert.equal(dashboard.status, 200, 'the dashboard is served with any number of workers');

      const before = parse((await get(`${url}/metrics`)).body);
      const dnsPort = daemon.port('udp', 4);
      const sinkholed = 12;
      const forwarded = 8;
      const ntpServed = 5;
      let id = 1;
      for (let i = 0; i < sinkholed; i++) {
        const reply = await udpExchange('127.0.0.1', dnsPort, encodeQuery(`s${i}.cloud.vendor.example`, QType.A, { id: id++ }), 2000);
        assert.ok(reply !== null, 'sinkholed');
      }
      for (let i = 0; i < forwarded; i++) {
        const reply = await udpExchange('127.0.0.1', dnsPort, encodeQuery(`f${i}.example.test`, QType.A, { id: id++ }), 3000);
        assert.ok(reply !== null && reply.readUInt16BE(6) === 1, 'forwarded and answered by dnsmasq');
      }
      for (let i = 0; i < ntpServed; i++) assert.ok(await ntpRequest(ntpPort) !== null, 'NTP answered');
      // From 127.0.0.2 (default group), in a burst: 40 pass, the rest is over the limit (one worker only).
      const burst = workers === 1 ? 46 : 0;
      let answered = 0;
      for (let i = 0; i < burst; i++) if (await udpExchange('127.0.0.1', dnsPort, encodeQuery(`b${i}.cloud.vendor.example`, QType.A, { id: id++ }), 500, '127.0.0.2') !== null) answered++;
      if (workers === 1) assert.equal(answered, 40);

      const scrape = await get(`${url}/metrics`);
      assert.equal(scrape.status, 200);
      assert.match(scrape.contentType, /^text\/plain; version=0\.0\.4/);
      const after = parse(scrape.body);
      for (const name of METRIC_NAMES) assert.ok(scrape.body.includes(`# TYPE ${name} `), `${name} is exposed`);
      assert.equal(delta(before, after, 'camshim_dns_answers_total{kind="sinkhole"}'), sinkholed + (workers === 1 ? 40 : 0));
      assert.equal(delta(before, after, 'camshim_dns_answers_total{kind="forward"}'), forwarded);
      assert.equal(delta(before, after, 'camshim_dns_group_answers_total{group="cams",kind="sinkhole"}'), sinkholed);
      assert.equal(delta(before, after, 'camshim_dns_group_answers_total{group="cams",kind="forward"}'), forwarded);
      assert.equal(delta(before, after, 'camshim_dns_sinkholed_total{list="vendor"}'), sinkholed + (workers === 1 ? 40 : 0));
      assert.equal(delta(before, after, 'camshim_dns_queries_total{transport="udp"}'), sinkholed + forwarded + burst);
      assert.equal(delta(before, after, `camshim_upstream_queries_total{upstream="${upstream.label}",result="sent"}`), forwarded);
      assert.equal(delta(before, after, `camshim_upstream_queries_total{upstream="${upstream.label}",result="answered"}`), forwarded);
      assert.equal(delta(before, after, `camshim_upstream_latency_seconds_count{upstream="${upstream.label}"}`), forwarded);
      assert.equal(after.get(`camshim_upstream_up{upstream="${upstream.label}"}`), 1);
      assert.equal(delta(before, after, 'camshim_ntp_requests_total{outcome="served"}'), ntpServed);
      assert.equal(after.get('camshim_list_rules{list="vendor",kind="block"}'), 1, 'a gauge is the lists\' size, not a sum over workers');
      assert.ok(Math.abs(after.get('camshim_list_last_load_timestamp_seconds')! - Date.now() / 1000) < 120);
      assert.equal([...after.keys()].filter((key) => key.startsWith('camshim_ntp_clock_state{')).reduce((sum, key) => sum + after.get(key)!, 0), 1, 'one clock state at a time');
      if (workers === 1) {
        assert.equal(delta(before, after, 'camshim_rate_limited_total{protocol="dns"}'), burst - 40);
        assert.equal(delta(before, after, 'camshim_dns_group_answers_total{group="default",kind="rate-limited"}'), burst - 40);
      } else {
        // The figures are the cluster's: the sinkhole-log lines say which worker answered each query.
        // Log lines are written asynchronously: wait (bounded) for all of them.
        const perWorker = new Map<unknown, number>();
        for (let wait = 0; wait < 50; wait++) {
          perWorker.clear();
          for (const line of daemon.logs) if (line.event === 'sinkhole' && String(line.name).startsWith('s')) perWorker.set(line.worker, (perWorker.get(line.worker) ?? 0) + 1);
          if ([...perWorker.values()].reduce((a, b) => a + b, 0) >= sinkholed) break;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        assert.equal([...perWorker.values()].reduce((a, b) => a + b, 0), sinkholed, `per worker: ${JSON.stringify([...perWorker])}`);
      }
    } finally {
      assert.equal(await daemon.stop(), 0);
      await upstream.stop();
    }
  });
}

test('--http: 403 outside http.allow, 503 with the reason when a list is not loaded, 404 elsewhere', { timeout: 60_000 }, async () => {
  const dir = await tempDir({
    'vendor.list': 'cloud.vendor.example\n',
    'config.yaml': `
lists:
  bundled: false
  sources: [{ path: vendor.list }, { path: missing.list }]
defaultGroup: { lists: ["*"], unlisted: nxdomain }
dns: { tcp: { enabled: false } }
http: { allow: [127.0.0.1/32] }
`,
  });
  const daemon = await startDaemon(['--config', path.join(dir, 'config.yaml'), '--listen', '127.0.0.1', '--http', '127.0.0.1:0']);
  try {
    const url = await httpUrl(daemon);
    const forbidden = await get(`${url}/metrics`, '127.0.0.2');
    assert.equal(forbidden.status, 403);
    assert.ok(!forbidden.body.includes('camshim_'), 'nothing leaks to a forbidden client');
    assert.equal((await get(`${url}/healthz`, '127.0.0.2')).status, 403);
    const health = await get(`${url}/healthz`);
    assert.equal(health.status, 503);
    assert.match(health.body, /^list not loaded: .*missing\.list/m);
    assert.equal((await get(`${url}/nothing`)).status, 404);
    // DNS still answers from the lists that loaded.
    const reply = await udpExchange('127.0.0.1', daemon.port('udp', 4), encodeQuery('a.cloud.vendor.example', QType.A, { id: 3 }), 2000);
    assert.ok(reply !== null && (reply[3]! & 0x0f) === 3);
  } finally {
    assert.equal(await daemon.stop(), 0);
  }
});

test('--http rejects a bad address and a port in use, naming them', async () => {
  const { runCli } = await import('../helpers/daemon.js');
  const bad = await runCli(['serve', '--http', 'localhost:9153']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--http: expected an address and port such as 127\.0\.0\.1:9153/);
  const dir = await tempDir({ 'config.yaml': 'lists: { bundled: false }\n' });
  const first = await startDaemon(['--config', path.join(dir, 'config.yaml'), '--listen', '127.0.0.1', '--http', '127.0.0.1:0']);
  try {
    const taken = new URL(await httpUrl(first)).port;
    const second = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      execFile(process.execPath, [MAIN, 'serve', '--config', path.join(dir, 'config.yaml'), '--listen', '127.0.0.1', '--dns-port', '0', '--ntp-port', '0', '--resolv-conf', '/dev/null', '--http', `127.0.0.1:${taken}`],
        { env: { ...process.env, CAMSHIM_TEST_EPHEMERAL_PORTS: '1' }, timeout: 15_000 }, (error, _stdout, stderr) => resolve({ code: error === null ? 0 : (error as { code?: number }).code ?? null, stderr }));
    });
    assert.equal(second.code, 1, second.stderr);
    assert.match(second.stderr, new RegExp(`cannot serve HTTP on 127\\.0\\.0\\.1:${taken}: EADDRINUSE`));
  } finally {
    assert.equal(await first.stop(), 0);
  }
});

test('docs/metrics.md (linked from the README) lists every metric', async () => {
  const { readFile } = await import('node:fs/promises');
  const { PROJECT_ROOT } = await import('../helpers/daemon.js');
  const doc = await readFile(path.join(PROJECT_ROOT, 'docs', 'metrics.md'), 'utf8');
  for (const name of METRIC_NAMES) assert.ok(doc.includes(`| \`${name}\` |`), `docs/metrics.md row for ${name}`);
  assert.match(await readFile(path.join(PROJECT_ROOT, 'README.md'), 'utf8'), /docs\/metrics\.md/);
});

for (const workers of [1, 2]) {
  test(`--workers ${workers}: /healthz is 503 while a list is missing, 200 once a reload loads it`, { timeout: 60_000 }, async () => {
    const dir = await tempDir({
      'vendor.list': 'cloud.vendor.example\n',
      'config.yaml': `
lists:
  bundled: false
  sources: [{ path: vendor.list }, { path: later.list }]
defaultGroup: { lists: ["*"], unlisted: nxdomain }
dns: { tcp: { enabled: false } }
`,
    });
    const daemon = await startDaemon(['--config', path.join(dir, 'config.yaml'), '--listen', '127.0.0.1', '--workers', String(workers), '--http', '127.0.0.1:0'], { timeoutMs: 20_000 });
    try {
      const url = await httpUrl(daemon);
      // With workers, the primary hears from each as it starts: wait (bounded) until both have.
      let health = await get(`${url}/healthz`);
      for (let wait = 0; wait < 100 && (!/list not loaded/.test(health.body) || /workers answering/.test(health.body)); wait++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        health = await get(`${url}/healthz`);
      }
      assert.equal(health.status, 503);
      assert.match(health.body, /^list not loaded: .*later\.list/m);
      assert.doesNotMatch(health.body, /workers answering/);
      const { writeFile } = await import('node:fs/promises');
      await writeFile(path.join(dir, 'later.list'), 'other.vendor.example\n');
      daemon.process.kill('SIGHUP');
      for (let wait = 0; wait < 100 && health.status !== 200; wait++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        health = await get(`${url}/healthz`);
      }
      assert.deepEqual([health.status, health.body], [200, 'ok\n']);
    } finally {
      assert.equal(await daemon.stop(), 0);
    }
  });
}
