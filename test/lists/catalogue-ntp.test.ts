import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { defaultConfig } from '../../src/config/load-config.js';
import { emptyMatch, type MatchFilter } from '../../src/lists/domain-table.js';
import { loadListSet, type ListSet } from '../../src/lists/list-set.js';
import { buildChain } from '../../src/pipeline/chain.js';
import { parseList } from '../helpers/reference-parse-list.js';
import { PROJECT_ROOT, startDaemon, tempDir, type RunningDaemon } from '../helpers/daemon.js';
import { dig } from '../helpers/dig.js';

/**
 * A loopback source address not used before in this file: the sinkhole log collapses a client's
 * repeats of a name into one storm line per window, and these tests read each query's own line.
 */
let clients = 0;
function freshClient(): string {
  clients++;
  return `127.0.${1 + (clients >> 8)}.${clients & 255}`;
}

const LISTS_DIR = path.join(PROJECT_ROOT, 'lists');

/** Every loaded list enabled, redirects on: the widest a group can be. */
function everything(lists: ListSet): MatchFilter {
  return { lists: new Uint8Array(lists.lists.length).fill(1), redirects: true };
}

async function fileNames(file: string): Promise<string[]> {
  const parsed = parseList(await readFile(path.join(LISTS_DIR, file), 'utf8'), file, 'block');
  return parsed.entries.map((entry) => entry.name);
}

// Chinese public NTP services firmware hard-codes, vendor NTP hosts (under blocked vendor domains, and
// D-Link's), and the NTP address of the Dahua/Amcrest HTTP API example.
const NEW_NTP_NAMES = [
  'ntp.org.cn', 'cn.ntp.org.cn', 'edu.ntp.org.cn', 'de.ntp.org.cn', 'hk.ntp.org.cn', 'sgp.ntp.org.cn',
  'ntp.lorexddns.net', 'time5.apple.com', 'ntp7.aliyun.com', 'time5.cloud.tencent.com', 'ntp.tuna.tsinghua.edu.cn', 'clock.isc.org',
  'ntp1.dlink.com',
];

describe('NTP names through the running daemon', () => {
  let daemon: RunningDaemon;
  before(async () => { daemon = await startDaemon([]); });
  after(async () => { await daemon.stop(); });

  test('the Chinese public and vendor NTP names are redirected to camshim in A and AAAA', async () => {
    for (const name of NEW_NTP_NAMES) {
      const a = await dig('dig', '127.0.0.1', daemon.port('udp', 4), [name, 'A']);
      assert.equal(a.status, 'NOERROR', `${name} A`);
      assert.match(a.answers[0] ?? '', /\sA\s+127\.0\.0\.1$/, `${name} A`);
      const aaaa = await dig('dig', '::1', daemon.port('udp', 6), [name, 'AAAA']);
      assert.equal(aaaa.status, 'NOERROR', `${name} AAAA`);
      assert.match(aaaa.answers[0] ?? '', /\sAAAA\s+::1$/, `${name} AAAA`);
    }
  });

  test('an ntp-hosts entry wins over a sinkholed vendor suffix above it', async () => {
    // Which ntp-hosts entries lie under a bundled block rule is read from the lists, so the test
    // follows the lists; it must find some (ys7.com and lorexddns.net are blocked) or it proves nothing.
    const lists = await loadListSet(defaultConfig(), { bundledDir: LISTS_DIR });
    const shadowed: string[] = [];
    for (const name of await fileNames('ntp-hosts')) {
      const match = lists.table.match(name, everything(lists), emptyMatch());
      if (match.block >= 0) shadowed.push(name);
    }
    for (const name of ['time.ys7.com', 'ntp.lorexddns.net']) assert.ok(shadowed.includes(name), `${name} is not under a block rule: ${shadowed.join(', ')}`);
    for (const name of shadowed) {
      const mark = daemon.logs.length;
      const result = await dig('dig', '127.0.0.1', daemon.port('udp', 4), ['-b', freshClient(), name, 'A']);
      assert.equal(result.status, 'NOERROR', name);
      assert.match(result.answers[0] ?? '', /\sA\s+127\.0\.0\.1$/, name);
      const event = await daemon.waitForLog((line) => line.name === name && line.event !== undefined, 2000, mark);
      assert.notEqual(event.event, 'sinkhole', `${name}: ${JSON.stringify(event)}`);
    }
  });

  test('zero never-block names (or names below them) are sinkholed', async () => {
    const names = (await fileNames('never-block')).flatMap((name) => [name, `camshim-probe.${name}`]);
    assert.ok(names.length > 100, `${names.length} names`);
    const mark = daemon.logs.length;
    // Forwarded names wait for the (absent) upstream, so they go 8 at a time.
    for (let at = 0; at < names.length; at += 8) {
      await Promise.all(names.slice(at, at + 8).map(async (name) => {
        const result = await dig('dig', '127.0.0.1', daemon.port('udp', 4), ['-b', freshClient(), name, 'A']);
        assert.notEqual(result.status, 'NXDOMAIN', name);
      }));
    }
    // Forwarded names log no per-query line; a sinkholed marker after them flushes the log in order.
    const marker = 'p2p.amcrestview.com';
    await dig('dig', '127.0.0.1', daemon.port('udp', 4), [marker, 'A']);
    await daemon.waitForLog((line) => line.event === 'sinkhole' && line.name === marker, 2000, mark);
    const wanted = new Set(names);
    const sinkholed = daemon.logs.slice(mark).filter((line) => line.event === 'sinkhole' && wanted.has(String(line.name)));
    assert.deepEqual(sinkholed, []);
  });
});

test('redirect wins over block by chain order, for any list set', async () => {
  // A vendor list that blocks a whole domain, and an NTP host below it in ntp-hosts.
  const dir = await tempDir({
    'vendor.list': '# vendor: Example\nvendor.example   # whole vendor cloud\n',
    'ntp-hosts': 'time.vendor.example   # the vendor time server\n',
    'never-block': 'example.net   # unrelated\n',
  });
  const lists = await loadListSet(defaultConfig(), { bundledDir: dir });
  assert.deepEqual(lists.errors, []);
  const match = lists.table.match('time.vendor.example', everything(lists), emptyMatch());
  assert.ok(match.block >= 0 && match.redirect >= 0, 'the table reports both the block and the redirect rule');
  const order = buildChain({
    answers: {} as never, forwarder: {} as never, localAddresses: {} as never,
    rateLimit: defaultConfig().dns.rateLimit, rateLimiter: {} as never,
  }).map((stage) => stage.name);
  assert.ok(order.indexOf('ntp-redirect') >= 0 && order.indexOf('ntp-redirect') < order.indexOf('block'), order.join(' > '));
});
