import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startDaemon, tempDir, type RunningDaemon } from '../helpers/daemon.js';
import { dig } from '../helpers/dig.js';
import { startDnsmasq, type Dnsmasq } from './dnsmasq.js';
import { fakeUpstream, freePort, makeReply, sleep, type FakeUpstream } from './helpers.js';

const startLine = (daemon: RunningDaemon): Record<string, unknown> => daemon.logs.find((line) => line.event === 'start')!;

describe('daemon forwarding to a real dnsmasq', () => {
  let upstream: Dnsmasq;
  let daemon: RunningDaemon;
  before(async () => {
    upstream = await startDnsmasq();
    daemon = await startDaemon(['--upstream', upstream.label, '--ntp-port', '0', '--log-level', 'debug']);
  });
  after(async () => {
    await daemon?.stop();
    await upstream?.stop();
  });

  it('names the upstream in the start-up log and relays answers with the client case', async () => {
    assert.match(String(startLine(daemon).upstream), new RegExp(`^${upstream.label.replace(/\./g, '\\.')} \\(from config`));
    const result = await dig('dig', '127.0.0.1', daemon.port('udp', 4), ['CaM.Example.TEST', 'A']);
    assert.equal(result.status, 'NOERROR');
    assert.equal(result.question, 'CaM.Example.TEST.');
    assert.match(result.answers[0]!, /\s300\s+IN\s+A\s+192\.0\.2\.1$/);
    const v6 = await dig('kdig', '::1', daemon.port('udp', 6), ['cam.example.test', 'A']);
    assert.equal(v6.status, 'NOERROR');
  });

  it('counts TTLs down in cached answers', async () => {
    await dig('dig', '127.0.0.1', daemon.port('udp', 4), ['ttl.example.test', 'A']);
    await sleep(2100);
    const cached = await dig('dig', '127.0.0.1', daemon.port('udp', 4), ['ttl.example.test', 'A']);
    const ttl = Number(/\s(\d+)\s+IN\s+A/.exec(cached.answers[0]!)![1]);
    assert.ok(ttl >= 297 && ttl <= 298, `TTL ${ttl}`);
  });

  it('gets a truncated answer over TCP from dnsmasq and truncates it for a small UDP client', async () => {
    const small = await dig('dig', '127.0.0.1', daemon.port('udp', 4), ['big.example.test', 'TXT', '+bufsize=1232', '+ignore']);
    assert.ok(small.flags.includes('tc'), `flags ${small.flags}`);
    const full = await dig('dig', '127.0.0.1', daemon.port('udp', 4), ['big.example.test', 'TXT']);
    assert.equal(full.answers.length, 30, 'dig retried over TCP and got every record');
    assert.ok(/\(TCP\)/.test(full.raw), 'dig fell back to TCP');
  });

  it('keeps the cache across SIGHUP and reports forwarding stats on stop', async () => {
    await dig('dig', '127.0.0.1', daemon.port('udp', 4), ['reload.example.test', 'A']);
    const mark = daemon.logs.length;
    daemon.process.kill('SIGHUP');
    await daemon.waitForLog((line) => line.event === 'upstream-reload', 5000, mark);
    const debugMark = daemon.logs.length;
    await dig('dig', '127.0.0.1', daemon.port('udp', 4), ['reload.example.test', 'A']);
    const forwarded = await daemon.waitForLog((line) => line.msg === 'forwarded' && line.name === 'reload.example.test', 2000, debugMark);
    assert.equal(forwarded.source, 'cache');
    await daemon.stop();
    const stop = daemon.logs.find((line) => line.event === 'stop')!;
    const stats = stop.upstream as { cacheHits: number; forwarded: number; upstreams: Record<string, { tcpRetries: number }> };
    assert.ok(stats.cacheHits >= 2 && stats.forwarded >= 6, JSON.stringify(stats));
    assert.equal(stats.upstreams[upstream.label]!.tcpRetries, 1, 'dnsmasq truncated big.example.test over UDP; camshim asked again over TCP, once');
  });
});

describe('daemon: loops, self and no upstream', () => {
  it('refuses at start-up an upstream that forwards camshim\'s probe back, and keeps the good one', async () => {
    const port = await freePort();
    const looping = await startDnsmasq([`--server=127.0.0.1#${port}`]);
    const good = await startDnsmasq();
    let daemon: RunningDaemon | undefined;
    try {
      daemon = await startDaemon(['--listen', '127.0.0.1', '--dns-port', String(port), '--ntp-port', '0', '--upstream', looping.label, '--upstream', good.label]);
      const refused = daemon.logs.find((line) => line.event === 'upstream-refused')!;
      assert.equal(refused.upstream, looping.label);
      assert.equal(refused.code, 'UPSTREAM_LOOP');
      assert.match(String(refused.msg), /forwarding loop/);
      assert.match(String(startLine(daemon).upstream), new RegExp(`^${good.label.replace(/\./g, '\\.')} \\(`));
      const result = await dig('dig', '127.0.0.1', port, ['after-loop.example.test', 'A']);
      assert.equal(result.status, 'NOERROR');
    } finally {
      await daemon?.stop();
      await looping.stop();
      await good.stop();
    }
  });

  it('refuses an upstream that is its own listen address, and says why SERVFAIL comes when none is left', async () => {
    const port = await freePort();
    const daemon = await startDaemon(['--listen', '127.0.0.1', '--dns-port', String(port), '--ntp-port', '0', '--upstream', `127.0.0.1:${port}`]);
    try {
      const refused = daemon.logs.find((line) => line.event === 'upstream-refused')!;
      assert.match(String(refused.reason), /camshim itself listens on 127\.0\.0\.1/);
      assert.match(String(startLine(daemon).upstream), /^no upstream \(every upstream from config is camshim itself\)/);
      const result = await dig('dig', '127.0.0.1', port, ['anything.example.test', 'A']);
      assert.equal(result.status, 'SERVFAIL');
    } finally {
      await daemon.stop();
    }
  });

  it('reads the resolv.conf it is pointed at (never the system one) and uses its nameservers', async () => {
    const server: FakeUpstream = await fakeUpstream((query, reply) => reply(makeReply(query, { answers: [{ type: 1, ttl: 60, data: Buffer.from([198, 51, 100, 7]) }] })));
    const dir = await tempDir();
    const resolvConf = path.join(dir, 'resolv.conf');
    // The fake upstream is on a random port, so resolv.conf (port 53 only) cannot name it: use a config pointing at
    // this file with no nameserver to check the reason, then a config with the server for the answer.
    await writeFile(resolvConf, '# test resolver list\nsearch lan\n');
    const empty = await startDaemon(['--ntp-port', '0', '--resolv-conf', resolvConf]);
    try {
      assert.equal(startLine(empty).upstream, `no upstream (no upstream.servers and ${resolvConf} lists no nameserver): forwarded names get SERVFAIL`);
      assert.equal((await dig('dig', '127.0.0.1', empty.port('udp', 4), ['x.example.test', 'A'])).status, 'SERVFAIL');
    } finally {
      await empty.stop();
    }
    const config = path.join(dir, 'camshim.yaml');
    await writeFile(config, `upstream:\n  servers: ["${server.label}"]\n  timeoutMs: 1000\n`);
    const configured = await startDaemon(['--ntp-port', '0', '--config', config]);
    try {
      const result = await dig('dig', '127.0.0.1', configured.port('udp', 4), ['x.example.test', 'A']);
      assert.match(result.answers[0]!, /198\.51\.100\.7$/);
    } finally {
      await configured.stop();
      await server.close();
    }
  });
});
