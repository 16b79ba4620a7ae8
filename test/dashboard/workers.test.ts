/**
 * The dashboard of a `--workers 2` daemon: the primary serves it from the decisions both workers
 * send over the cluster IPC channel. Known sinkholed queries from three loopback clients, each
 * from a fresh source port so the kernel hands them to either worker; the summary and the
 * timeline must count exactly what was sent, and NTP, lists and upstream must be the cluster's.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import path from 'node:path';
import { test } from 'node:test';
import { QType } from '../../src/wire/constants.js';
import { encodeQuery } from '../../src/wire/encode-query.js';
import { startDaemon, tempDir } from '../helpers/daemon.js';
import { udpExchange } from '../helpers/udp.js';
import { startDnsmasq } from '../upstream/dnsmasq.js';
import { freePort } from '../upstream/helpers.js';

function getJson(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { localAddress: '127.0.0.1', timeout: 5000 }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => { body += chunk; });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(body) as Record<string, unknown> }));
    });
    request.on('timeout', () => request.destroy(new Error(`GET ${url} timed out`)));
    request.on('error', reject);
  });
}


const CLIENTS = ['127.0.0.2', '127.0.0.3', '127.0.0.4'] as const;
/** Attempts per client: enough that both workers get some, whichever reads first. */
const PER_CLIENT = [12, 9, 6] as const;

test('--workers 2: the primary serves the dashboard with every worker\'s decisions, NTP, lists and upstreams', { timeout: 90_000 }, async (t) => {
  const upstream = await startDnsmasq();
  const ntpPort = await freePort();
  const dir = await tempDir({
    'vendor.list': 'cloud.vendor.example\n',
    'config.yaml': `
lists:
  bundled: false
  sources: [{ path: vendor.list }]
defaultGroup: { lists: ["*"], unlisted: forward }
dns:
  tcp: { enabled: false }
  rateLimit: { enabled: false }
upstream: { servers: ["${upstream.label}"] }
http: { allow: [127.0.0.1/32] }
`,
  });
  const daemon = await startDaemon(['--config', path.join(dir, 'config.yaml'), '--listen', '127.0.0.1', '--ntp-port', String(ntpPort),
    '--workers', '2', '--http', '127.0.0.1:0'], { timeoutMs: 20_000 });
  try {
    const url = String((await daemon.waitForLog((line) => line.event === 'http-listen', 20_000, 0)).url);
    for (const slot of [0, 1]) await daemon.waitForLog((line) => line.event === 'start' && line.worker === slot, 20_000, 0);
    const dnsPort = daemon.port('udp', 4);
    const startedAt = Date.now();

    let id = 1;
    const sent = new Map<string, string[]>();
    for (let round = 0; round < PER_CLIENT[0]; round++) {
      for (const [index, client] of CLIENTS.entries()) {
        if (round >= PER_CLIENT[index]!) continue;
        const name = `c${index}-${round}.cloud.vendor.example`;
        const reply = await udpExchange('127.0.0.1', dnsPort, encodeQuery(name, QType.A, { id: id++ }), 2000, client);
        assert.ok(reply !== null && (reply[3]! & 0x0f) === 3, `${name} from ${client} is sinkholed (NXDOMAIN)`);
        sent.set(client, [...(sent.get(client) ?? []), name]);
      }
    }
    const total = PER_CLIENT.reduce((a, b) => a + b, 0);
    const forwarded = 4;
    for (let i = 0; i < forwarded; i++) {
      const reply = await udpExchange('127.0.0.1', dnsPort, encodeQuery(`f${i}.example.test`, QType.A, { id: id++ }), 3000);
      assert.ok(reply !== null && reply.readUInt16BE(6) === 1, 'forwarded and answered by dnsmasq');
    }
    for (let i = 0; i < 2; i++) assert.ok(await udpExchange('127.0.0.1', ntpPort, Buffer.from([0x23, ...new Array<number>(47).fill(0)]), 2000) !== null, 'NTP answered');

    // Batches leave each worker within ~100 ms: poll, bounded.
    let summary: Record<string, unknown> = {};
    for (let attempt = 0; attempt < 100; attempt++) {
      const reply = await getJson(`${url}/dashboard/api/summary?top=1000`);
      assert.equal(reply.status, 200);
      summary = reply.body;
      if (summary.queries === total) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(summary.queries, total, 'every sinkholed query is counted once');
    assert.deepEqual(summary.workers, { count: 2, droppedDecisions: 0, malformedMessages: 0 });
    const rows = summary.sinkholed as { name: string; attempts: number; list: string; clients: number }[];
    assert.deepEqual(rows.map((row) => row.name).sort(), [...sent.values()].flat().sort());
    for (const row of rows) assert.deepEqual([row.attempts, row.list, row.clients], [1, 'vendor', 1], row.name);
    const clients = new Map((summary.clients as { client: string; sinkholed: number }[]).map((row) => [row.client, row.sinkholed]));
    assert.deepEqual(clients, new Map(CLIENTS.map((client, index) => [client, PER_CLIENT[index]!])));
    assert.ok(Date.parse(String(summary.first)) >= startedAt - 1000 && Date.parse(String(summary.last)) <= Date.now());

    const timeline = (await getJson(`${url}/dashboard/api/timeline`)).body;
    const points = new Map((timeline.clients as { client: string; points: unknown[] }[]).map((row) => [row.client, row.points.length]));
    assert.deepEqual(points, new Map(CLIENTS.map((client, index) => [client, PER_CLIENT[index]!])), 'one point per attempt, per client');

    // Which worker answered each query, from the sinkhole log: the totals above are both workers'.
    const perWorker = new Map<unknown, number>();
    for (let wait = 0; wait < 50; wait++) {
      perWorker.clear();
      for (const line of daemon.logs) if (line.event === 'sinkhole') perWorker.set(line.worker, (perWorker.get(line.worker) ?? 0) + 1);
      if ([...perWorker.values()].reduce((a, b) => a + b, 0) >= total) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal([...perWorker.values()].reduce((a, b) => a + b, 0), total, `per worker: ${JSON.stringify([...perWorker])}`);
    t.diagnostic(`sinkholed per worker: ${JSON.stringify([...perWorker])}`);

    const ntp = (await getJson(`${url}/dashboard/api/ntp`)).body as { enabled: boolean; worker: number; served: number; clients: { client: string; requests: number }[] };
    assert.equal(ntp.enabled, true);
    assert.equal(ntp.worker, 0, 'worker 0 serves NTP');
    assert.equal(ntp.served, 2);
    assert.deepEqual(ntp.clients.map((row) => [row.client, row.requests]), [['127.0.0.1', 2]]);

    const lists = (await getJson(`${url}/dashboard/api/lists`)).body as { lists: { name: string; entries: number }[]; errors: string[]; workers: { worker: number }[] };
    const names = lists.lists.map((row) => row.name);
    assert.deepEqual(names, [...new Set(names)], 'each list once, not once per worker');
    assert.deepEqual(lists.lists.filter((row) => row.name === 'vendor').map((row) => row.entries), [1]);
    assert.deepEqual(lists.errors, []);
    assert.deepEqual(lists.workers.map((row) => row.worker), [0, 1]);

    const health = (await getJson(`${url}/dashboard/api/upstream`)).body as { forwarded: number; upstreams: { upstream: string; state: string; queries: number; answers: number; workers: { worker: number; state: string }[] }[] };
    assert.equal(health.forwarded, forwarded, 'summed over the workers');
    const row = health.upstreams.find((entry) => entry.upstream === upstream.label)!;
    assert.deepEqual([row.state, row.queries, row.answers], ['up', forwarded, forwarded]);

    const page = await new Promise<number>((resolve, reject) => {
      http.get(`${url}/dashboard/`, { localAddress: '127.0.0.1' }, (response) => { response.resume(); resolve(response.statusCode ?? 0); }).on('error', reject);
    });
    assert.equal(page, 200);
  } finally {
    assert.equal(await daemon.stop(), 0);
    await upstream.stop();
  }
});
