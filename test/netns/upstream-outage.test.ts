/**
 * The WAN as a router sees it, in private network namespaces: camshim on 127.0.0.1 (ports 53 and
 * 123, which exist only inside the namespace), a real dnsmasq upstream behind a veth "wan" link,
 * and the route to it taken away and given back under the running daemon.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createNetns, digIn, netnsUnavailable, startNsDaemon, type Netns, type NsDaemon } from './upstream-ns.js';

const UPSTREAM = '198.51.100.53';
const WAN = '198.51.100.1';
const SINKHOLED = 'n-device-api.tplinkcloud.com';
const TIMEOUT_MS = 2000;
const serveArgs = ['--listen', '127.0.0.1', '--dns-port', '53', '--ntp-port', '123', '--resolv-conf', '/dev/null', '--upstream', UPSTREAM];

const unavailable = await netnsUnavailable();
const skip = unavailable === undefined ? false : `network namespaces unavailable: ${unavailable}`;

const events = (daemon: NsDaemon, prefix: string): string[] =>
  daemon.logs.map((line) => String(line.event)).filter((event) => event.startsWith(prefix));

async function expectServing(netns: Netns, label: string): Promise<void> {
  const sinkholed = await digIn(netns, '127.0.0.1', SINKHOLED);
  assert.equal(sinkholed.status, 'NXDOMAIN', `${label}: sinkholed name`);
  const ntpName = await digIn(netns, '127.0.0.1', 'pool.ntp.org');
  assert.equal(ntpName.status, 'NOERROR', `${label}: NTP name`);
  assert.deepEqual(ntpName.answers, ['127.0.0.1'], `${label}: NTP name points at camshim`);
}

async function expectNtp(netns: Netns): Promise<void> {
  const ran = await netns.run('ntpdig', ['-t', '3', '-p', '1', '127.0.0.1'], 15_000);
  assert.match(ran.stdout, /\d+\.\d+ \+\/- \d+\.\d+ \S+ s\d+/, `ntpdig got no time: ${ran.stdout} ${ran.stderr}`);
}

describe('upstream unreachable: the daemon keeps serving', { skip }, () => {
  it('boots with no route to its upstream: stays up, sinkholes, redirects NTP names, serves NTP, and forwarded names get SERVFAIL within the timeout', async () => {
    const netns = await createNetns();
    let daemon: NsDaemon | undefined;
    try {
      daemon = await startNsDaemon(netns, serveArgs);
      const down = await daemon.waitForLog((line) => line.event === 'upstream-down', 5000);
      assert.match(String(down.reason), /ENETUNREACH/);
      await expectServing(netns, 'no route');
      for (let i = 0; i < 5; i++) {
        const forwarded = await digIn(netns, '127.0.0.1', `f${i}.example.net`);
        assert.equal(forwarded.status, 'SERVFAIL');
        assert.ok(forwarded.ms < TIMEOUT_MS, `SERVFAIL after ${forwarded.ms.toFixed(0)} ms`);
      }
      await expectNtp(netns);
      assert.equal(daemon.exited(), false, `daemon still running; stderr: ${daemon.stderr()}`);
      assert.deepEqual(events(daemon, 'upstream-'), ['upstream-down'], 'one line for the outage, none per query');
    } finally {
      assert.equal(await daemon?.stop(), 0);
      await netns.close();
    }
  });
});

describe('the WAN goes away and comes back under a running daemon', { skip }, () => {
  // Two namespaces joined by a veth pair: the router (camshim, "wan" 198.51.100.1/24) and the
  // ISP side (dnsmasq on 198.51.100.53). Taking the router's WAN address away takes its route.
  let router: Netns;
  let isp: Netns;
  let dnsmasq: ReturnType<Netns['spawn']> | undefined;
  let daemon: NsDaemon | undefined;
  let setupProblem: string | undefined;
  before(async () => {
    router = await createNetns();
    isp = await createNetns();
    try {
      await router.must('ip', ['link', 'add', 'wan', 'type', 'veth', 'peer', 'name', 'isp', 'netns', String(isp.pid)]);
    } catch (error) {
      setupProblem = `cannot make a veth pair between two namespaces: ${(error as Error).message}`;
      return;
    }
    await router.must('ip', ['link', 'set', 'wan', 'up']);
    await router.must('ip', ['addr', 'add', `${WAN}/24`, 'dev', 'wan']);
    await isp.must('ip', ['link', 'set', 'isp', 'up']);
    await isp.must('ip', ['addr', 'add', `${UPSTREAM}/24`, 'dev', 'isp']);
    dnsmasq = isp.spawn('dnsmasq', ['--no-daemon', '--conf-file=/dev/null', '--no-resolv', '--no-hosts', '--port=53', `--listen-address=${UPSTREAM}`,
      '--bind-interfaces', '--pid-file=', '--user=root', '--address=/example.test/192.0.2.1']);
    for (let attempt = 0; attempt < 50; attempt++) {
      if ((await digIn(router, UPSTREAM, 'ready.example.test')).status === 'NOERROR') return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error('dnsmasq did not answer across the veth pair');
  });
  after(async () => {
    if (daemon !== undefined) assert.equal(await daemon.stop(), 0);
    dnsmasq?.kill('SIGTERM');
    await router.close();
    await isp.close();
  });

  it('keeps answering while the route is gone (SERVFAIL at once for forwarded names), forwards again by itself when it returns, and logs one down and one up line', async (t) => {
    if (setupProblem !== undefined) { t.skip(setupProblem); return; }
    const netns = router;
    daemon = await startNsDaemon(netns, serveArgs);
    const before = await digIn(netns, '127.0.0.1', 'cam.example.test');
    assert.equal(before.status, 'NOERROR', 'dnsmasq answers through camshim');
    assert.deepEqual(before.answers, ['192.0.2.1']);

    await netns.must('ip', ['addr', 'del', `${WAN}/24`, 'dev', 'wan']);
    const outageStarted = performance.now();
    let asked = 0;
    while (performance.now() - outageStarted < 3000 && asked < 40) {
      const forwarded = await digIn(netns, '127.0.0.1', `q${asked}.example.test`);
      assert.equal(forwarded.status, 'SERVFAIL', `query ${asked} during the outage`);
      assert.ok(forwarded.ms < TIMEOUT_MS, `SERVFAIL after ${forwarded.ms.toFixed(0)} ms`);
      asked++;
    }
    assert.ok(asked >= 5, `only ${asked} queries in 3 s`);
    await expectServing(netns, 'WAN down');
    await expectNtp(netns);
    assert.deepEqual(events(daemon, 'upstream-'), ['upstream-down']);

    // The route returns; no query is sent: the re-check alone must notice (backoff at most 8 s).
    await netns.must('ip', ['addr', 'add', `${WAN}/24`, 'dev', 'wan']);
    const restored = performance.now();
    const up = await daemon.waitForLog((line) => line.event === 'upstream-up', 12_000);
    const tookS = (performance.now() - restored) / 1000;
    assert.ok(tookS < 10, `forwarding resumed ${tookS.toFixed(1)} s after the route returned`);
    assert.equal(up.upstream, `${UPSTREAM}:53`);
    const after = await digIn(netns, '127.0.0.1', 'again.example.test');
    assert.equal(after.status, 'NOERROR');
    assert.deepEqual(after.answers, ['192.0.2.1']);
    assert.deepEqual(events(daemon, 'upstream-'), ['upstream-down', 'upstream-up'], 'one line per change, none per query');
    assert.equal(daemon.exited(), false);
  });

  it('a firewall that drops the upstream traffic (send fails with EPERM) is an outage too, and lifting it ends it', async (t) => {
    if (setupProblem !== undefined) { t.skip(setupProblem); return; }
    if (daemon === undefined) { t.skip('the daemon of the previous test did not start'); return; }
    const netns = router;
    const nft = await netns.run('nft', ['add', 'table', 'inet', 'camshim_test']);
    if (nft.code !== 0) { t.skip(`nft unavailable in the namespace: ${nft.stderr.trim()}`); return; }
    const mark = daemon.logs.length;
    await netns.must('nft', ['add', 'chain', 'inet', 'camshim_test', 'out', '{ type filter hook output priority 0; }']);
    await netns.must('nft', ['add', 'rule', 'inet', 'camshim_test', 'out', 'ip', 'daddr', UPSTREAM, 'udp', 'dport', '53', 'drop']);
    for (let i = 0; i < 10; i++) {
      const forwarded = await digIn(netns, '127.0.0.1', `fw${i}.example.test`);
      assert.equal(forwarded.status, 'SERVFAIL');
      assert.ok(forwarded.ms < TIMEOUT_MS, `SERVFAIL after ${forwarded.ms.toFixed(0)} ms`);
    }
    await expectServing(netns, 'firewalled');
    const down = await daemon.waitForLog((line) => line.event === 'upstream-down' && daemon!.logs.indexOf(line) >= mark, 2000);
    assert.match(String(down.reason), /EPERM/);
    await netns.must('nft', ['delete', 'table', 'inet', 'camshim_test']);
    await daemon.waitForLog((line) => line.event === 'upstream-up' && daemon!.logs.indexOf(line) >= mark, 12_000);
    assert.equal((await digIn(netns, '127.0.0.1', 'open.example.test')).status, 'NOERROR');
    const changes = daemon.logs.slice(mark).map((line) => String(line.event)).filter((event) => event.startsWith('upstream-'));
    assert.deepEqual(changes, ['upstream-down', 'upstream-up']);
  });
});
