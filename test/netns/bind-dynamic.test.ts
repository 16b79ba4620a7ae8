/**
 * Replies leave from the address that was queried (one socket per address, dnsmasq's
 * bind-dynamic), and the sockets follow the machine's addresses. Each test runs the daemon in a
 * network namespace it creates, with addresses on a dummy interface there, and queries from a
 * different source address, so a reply from the wrong address is seen (dig prints "reply from
 * unexpected source" and times out; the NTP probe names the source of the reply).
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startDaemon, tempDir, type RunningDaemon } from '../helpers/daemon.js';
import { parseDig, type DigResult } from '../helpers/dig.js';
import { NetNs, NTP_REQUEST_HEX, probeFrom } from './netns.js';

const BLOCKED = 'cloud.vendor.example';

async function blocklist(): Promise<string> {
  const dir = await tempDir({ 'vendor.list': `${BLOCKED}\n` });
  return path.join(dir, 'vendor.list');
}

/** dig inside `ns`, from `source` to `server`; fails on a reply from an address other than `server`. */
async function digFrom(ns: NetNs, source: string, server: string, args: readonly string[]): Promise<DigResult & { answered: boolean }> {
  const run = await ns.run('dig', ['-b', source, `@${server}`, '+time=1', '+tries=1', '+nocookie', ...args], 8000);
  assert.doesNotMatch(run.stdout, /unexpected source/, `a reply to a query for ${server} came from another address:\n${run.stdout}`);
  return { ...parseDig(run.stdout), answered: run.code === 0 && /status: /.test(run.stdout) };
}

function serve(ns: NetNs, args: readonly string[]): Promise<RunningDaemon> {
  return startDaemon(['--dns-port', '53', '--ntp-port', '123', ...args], { wrap: ns.enter });
}

describe('a wildcard listen answers from the queried address (secondary IPv4 and IPv6 addresses)', () => {
  let ns: NetNs | string;
  let daemon: RunningDaemon | undefined;
  before(async () => {
    ns = await NetNs.create();
    if (typeof ns === 'string') return;
    await ns.addLink('lan0');
    await ns.ip('addr', 'add', '192.168.20.10/24', 'dev', 'lan0');
    await ns.ip('addr', 'add', '10.30.0.1/24', 'dev', 'lan0');
    await ns.ip('addr', 'add', 'fd20::10/64', 'dev', 'lan0', 'nodad');
    await ns.ip('addr', 'add', 'fd20::11/64', 'dev', 'lan0', 'nodad');
    daemon = await serve(ns, ['--listen', '0.0.0.0', '--listen', '::', '--blocklist', await blocklist()]);
  });
  after(async () => {
    await daemon?.stop();
    if (typeof ns !== 'string') ns.destroy();
  });

  test('DNS over UDP, IPv4 and IPv6, each reply from the address queried', async (t) => {
    if (typeof ns === 'string') { t.skip(ns); return; }
    for (const [source, server] of [['127.0.0.1', '192.168.20.10'], ['127.0.0.1', '10.30.0.1'], ['192.168.20.10', '10.30.0.1'], ['::1', 'fd20::10'], ['::1', 'fd20::11'], ['fd20::10', 'fd20::11']] as const) {
      const result = await digFrom(ns, source, server, [BLOCKED, 'A']);
      assert.ok(result.answered, `no answer from ${server} to ${source}`);
      assert.equal(result.status, 'NXDOMAIN', `${source} -> ${server}`);
    }
  });

  test('DNS over TCP (the wildcard listener) answers from the address queried', async (t) => {
    if (typeof ns === 'string') { t.skip(ns); return; }
    const result = await digFrom(ns, '127.0.0.1', '10.30.0.1', ['+tcp', BLOCKED, 'A']);
    assert.equal(result.status, 'NXDOMAIN');
  });

  test('NTP, IPv4 and IPv6, each reply from the address queried', async (t) => {
    if (typeof ns === 'string') { t.skip(ns); return; }
    for (const [source, server] of [['127.0.0.1', '192.168.20.10'], ['127.0.0.1', '10.30.0.1'], ['::1', 'fd20::10'], ['::1', 'fd20::11']] as const) {
      const reply = await probeFrom(ns, source, server, 123, NTP_REQUEST_HEX);
      assert.ok(reply !== null, `no NTP reply from ${server} to ${source}`);
      assert.equal(reply.from, server, `NTP reply to a request for ${server} came from ${reply.from}`);
      assert.equal(reply.length, 48);
    }
  });

  test('an NTP name resolves to the address the query arrived on, in each family', async (t) => {
    if (typeof ns === 'string') { t.skip(ns); return; }
    for (const [source, server, qtype] of [['127.0.0.1', '192.168.20.10', 'A'], ['127.0.0.1', '10.30.0.1', 'A'], ['::1', 'fd20::11', 'AAAA'], ['::1', 'fd20::10', 'AAAA']] as const) {
      const result = await digFrom(ns, source, server, ['+short', 'pool.ntp.org', qtype]);
      assert.equal(result.raw.trim(), server, `pool.ntp.org ${qtype} asked at ${server}`);
    }
  });

  test('ntpdig syncs against a secondary address', async (t) => {
    if (typeof ns === 'string') { t.skip(ns); return; }
    const run = await ns.run('ntpdig', ['-t', '2', '10.30.0.1'], 10_000);
    assert.equal(run.code, 0, `ntpdig failed: ${run.stdout}${run.stderr}`);
    assert.match(run.stdout, /10\.30\.0\.1/);
  });

  test('an address added under the running daemon is served within seconds, and dropped when removed', async (t) => {
    if (typeof ns === 'string' || daemon === undefined) { t.skip(typeof ns === 'string' ? ns : 'no daemon'); return; }
    const since = daemon.logs.length;
    await ns.addLink('vlan30');
    await ns.ip('addr', 'add', '192.168.30.1/24', 'dev', 'vlan30');
    await ns.ip('addr', 'add', 'fd30::1/64', 'dev', 'vlan30', 'nodad');
    for (const address of ['192.168.30.1', 'fd30::1']) {
      for (const service of ['DNS', 'NTP']) {
        await daemon.waitForLog((line) => line.event === 'listen' && line.server === service && line.address === address, 5000, since);
      }
    }
    assert.equal((await digFrom(ns, '127.0.0.1', '192.168.30.1', [BLOCKED, 'A'])).status, 'NXDOMAIN');
    assert.equal((await digFrom(ns, '::1', 'fd30::1', [BLOCKED, 'AAAA'])).status, 'NXDOMAIN');
    assert.equal((await probeFrom(ns, '127.0.0.1', '192.168.30.1', 123, NTP_REQUEST_HEX))?.from, '192.168.30.1');
    const removed = daemon.logs.length;
    await ns.ip('link', 'del', 'vlan30');
    await daemon.waitForLog((line) => line.event === 'unlisten' && line.server === 'DNS' && line.address === '192.168.30.1', 5000, removed);
    await daemon.waitForLog((line) => line.event === 'unlisten' && line.server === 'NTP' && line.address === 'fd30::1', 5000, removed);
    // The remaining addresses still answer.
    assert.equal((await digFrom(ns, '127.0.0.1', '192.168.20.10', [BLOCKED, 'A'])).status, 'NXDOMAIN');
  });
});

describe('an explicit listen address that comes and goes', () => {
  test('is warned about at start, served when added, unserved when removed, served again when re-added', async (t) => {
    const ns = await NetNs.create();
    if (typeof ns === 'string') { t.skip(ns); return; }
    let daemon: RunningDaemon | undefined;
    try {
      await ns.addLink('lan0');
      daemon = await serve(ns, ['--listen', '192.0.2.20', '--blocklist', await blocklist()]);
      assert.deepEqual(daemon.endpoints, []);
      await daemon.waitForLog((line) => line.event === 'listen-missing' && line.server === 'DNS' && JSON.stringify(line.addresses) === '["192.0.2.20"]', 3000, 0);
      const answered = async (): Promise<boolean> => (await digFrom(ns, '127.0.0.1', '192.0.2.20', [BLOCKED, 'A'])).answered;

      for (let round = 0; round < 2; round++) {
        let since = daemon.logs.length;
        await ns.ip('addr', 'add', '192.0.2.20/24', 'dev', 'lan0');
        await daemon.waitForLog((line) => line.event === 'listen' && line.server === 'DNS' && line.address === '192.0.2.20', 5000, since);
        await daemon.waitForLog((line) => line.event === 'listen' && line.server === 'NTP' && line.address === '192.0.2.20', 5000, since);
        assert.equal(await answered(), true, `round ${round}: not served after the address was added`);
        assert.equal((await digFrom(ns, '127.0.0.1', '192.0.2.20', ['+tcp', BLOCKED, 'A'])).status, 'NXDOMAIN', 'TCP on an explicit address');
        assert.equal((await probeFrom(ns, '127.0.0.1', '192.0.2.20', 123, NTP_REQUEST_HEX))?.from, '192.0.2.20');
        // NTP listens on this IPv4 address only: an NTP name has no IPv6 answer (NODATA with the SOA).
        const aaaa = await digFrom(ns, '127.0.0.1', '192.0.2.20', ['pool.ntp.org', 'AAAA']);
        assert.equal(aaaa.status, 'NOERROR');
        assert.deepEqual(aaaa.answers, []);
        assert.equal(aaaa.authority.length, 1, 'NODATA carries the SOA');
        assert.equal((await digFrom(ns, '127.0.0.1', '192.0.2.20', ['+short', 'pool.ntp.org', 'A'])).raw.trim(), '192.0.2.20');
        since = daemon.logs.length;
        await ns.ip('addr', 'del', '192.0.2.20/24', 'dev', 'lan0');
        await daemon.waitForLog((line) => line.event === 'unlisten' && line.server === 'DNS' && line.address === '192.0.2.20', 5000, since);
        // With the address gone nothing answers there (a route keeps the query on this host).
        await ns.ip('route', 'replace', 'local', '192.0.2.20/32', 'dev', 'lo');
        assert.equal(await answered(), false, `round ${round}: still answered after the address was removed`);
        await ns.ip('route', 'del', 'local', '192.0.2.20/32', 'dev', 'lo', 'table', 'local');
      }
      assert.equal(daemon.process.exitCode, null, 'the daemon kept running');
    } finally {
      await daemon?.stop();
      ns.destroy();
    }
  });
});

describe('--workers with a wildcard listen', () => {
  test('every worker serves the per-address sockets, including an address added after start', async (t) => {
    const ns = await NetNs.create();
    if (typeof ns === 'string') { t.skip(ns); return; }
    let daemon: RunningDaemon | undefined;
    try {
      await ns.addLink('lan0');
      await ns.ip('addr', 'add', '192.168.20.10/24', 'dev', 'lan0');
      daemon = await startDaemon(['--dns-port', '53', '--ntp-port', '123', '--listen', '0.0.0.0', '--workers', '2', '--blocklist', await blocklist()],
        { wrap: ns.enter, timeoutMs: 20_000 });
      const started = daemon;
      await Promise.all([0, 1].map((worker) => started.waitForLog((line) => line.event === 'start' && line.worker === worker, 20_000, 0)));
      const since = daemon.logs.length;
      await ns.ip('addr', 'add', '10.30.0.1/24', 'dev', 'lan0');
      await Promise.all([0, 1].map((worker) => started.waitForLog((line) => line.event === 'listen' && line.server === 'DNS' && line.address === '10.30.0.1' && line.worker === worker, 5000, since)));
      // Enough queries that both workers answer some (the kernel hands each datagram to whichever reads first).
      for (const server of ['192.168.20.10', '10.30.0.1']) {
        for (let i = 0; i < 10; i++) {
          const result = await digFrom(ns, '127.0.0.1', server, [`h${i}.${BLOCKED}`, 'A']);
          assert.equal(result.status, 'NXDOMAIN', `query ${i} at ${server}`);
        }
      }
      assert.equal((await probeFrom(ns, '127.0.0.1', '10.30.0.1', 123, NTP_REQUEST_HEX))?.from, '10.30.0.1');
      assert.equal(daemon.logs.filter((line) => line.event === 'worker-exit').length, 0, 'no worker died');
    } finally {
      assert.equal(await daemon?.stop(), 0);
      ns.destroy();
    }
  });
});

describe('camshim knows its own addresses with per-address sockets', () => {
  test('an upstream that is one of its own addresses (or loopback) on its port is refused as a loop', async (t) => {
    const ns = await NetNs.create();
    if (typeof ns === 'string') { t.skip(ns); return; }
    let daemon: RunningDaemon | undefined;
    try {
      await ns.addLink('lan0');
      await ns.ip('addr', 'add', '10.30.0.1/24', 'dev', 'lan0');
      daemon = await serve(ns, ['--listen', '0.0.0.0', '--upstream', '10.30.0.1', '--upstream', '127.0.0.1:53', '--upstream', '10.30.0.1:5353']);
      const refused = daemon.logs.filter((line) => line.event === 'upstream-refused').map((line) => String(line.upstream));
      assert.ok(refused.some((label) => /^10\.30\.0\.1(:53)?$/.test(label)), `own secondary address refused: ${refused.join(', ')}`);
      assert.ok(refused.includes('127.0.0.1:53'), 'loopback on our port refused');
      assert.ok(!refused.some((label) => label.includes('5353')), 'another port is someone else');
    } finally {
      await daemon?.stop();
      ns.destroy();
    }
  });
});
