import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeQuery } from '../../src/wire/encode-query.js';
import { scanReply } from '../../src/wire/reply.js';
import { AnswerCache } from '../../src/upstream/answer-cache.js';
import { cachePolicy } from '../../src/upstream/cache-policy.js';
import { FailureLog, type Timers } from '../../src/upstream/failure-log.js';
import { parseResolvConf } from '../../src/upstream/resolv-conf.js';
import { selfReason } from '../../src/upstream/self-filter.js';
import { parseUpstreamAddress, type UpstreamAddress } from '../../src/net/upstream-address.js';
import { planUpstreams, upstreamConfigProblems } from '../../src/upstream/upstream-plan.js';
import { aRecord, makeReply, memoryLogger, soaRecord } from './helpers.js';

describe('upstream addresses and resolv.conf', () => {
  it('parses HOST, HOST:PORT, [V6], [V6]:PORT and rejects names and bad ports', () => {
    assert.deepEqual(parseUpstreamAddress('192.0.2.1'), { address: '192.0.2.1', port: 53, family: 4, label: '192.0.2.1:53' });
    assert.equal((parseUpstreamAddress('192.0.2.1:5353') as UpstreamAddress).label, '192.0.2.1:5353');
    assert.equal((parseUpstreamAddress('2001:db8::0001') as UpstreamAddress).label, '[2001:db8::1]:53');
    assert.equal((parseUpstreamAddress('[::1]:5300') as UpstreamAddress).port, 5300);
    for (const bad of ['dns.google', '1.2.3', '1.2.3.4:0', '1.2.3.4:70000', '[1.2.3.4]:53', '']) {
      assert.equal(typeof parseUpstreamAddress(bad), 'string', bad);
    }
    assert.deepEqual(upstreamConfigProblems(['127.0.0.1', 'nope']).map((problem) => problem.path), ['upstream.servers[1]']);
  });

  it('reads nameserver lines in order, skipping comments and non-addresses', () => {
    const parsed = parseResolvConf('# generated\nsearch lan\nnameserver 192.0.2.53\nnameserver fe80::1%eth0 ; comment\n;nameserver 10.0.0.1\nnameserver resolver.lan\n');
    assert.deepEqual(parsed.nameservers, [{ address: '192.0.2.53', line: 3 }, { address: 'fe80::1%eth0', line: 4 }]);
    assert.deepEqual(parsed.skipped, [{ address: 'resolver.lan', line: 6 }]);
  });

  it('knows camshim itself: bound address and port, or loopback/host addresses under a wildcard socket', () => {
    const self = { listening: [{ address: '0.0.0.0', port: 53 }, { address: '::1', port: 5300 }], hostAddresses: ['192.168.1.1', 'fe80::2'] };
    const at = (text: string): UpstreamAddress => parseUpstreamAddress(text) as UpstreamAddress;
    assert.match(selfReason(at('127.0.0.53'), self)!, /loopback/);
    assert.match(selfReason(at('192.168.1.1'), self)!, /this host/);
    assert.match(selfReason(at('[::1]:5300'), self)!, /listens on/);
    assert.equal(selfReason(at('192.168.1.1:5353'), self), undefined);
    assert.equal(selfReason(at('::1'), self), undefined, 'no IPv6 wildcard, ::1:53 is someone else');
    assert.equal(selfReason(at('192.0.2.1'), self), undefined);
  });

  it('plans from config, else from the resolv.conf file it is given, dropping itself and saying why', async () => {
    const self = { listening: [{ address: '127.0.0.1', port: 53 }], hostAddresses: [] };
    const files: Record<string, string> = { '/x/resolv.conf': 'nameserver 127.0.0.1\nnameserver 192.0.2.9\n', '/x/self-only': 'nameserver 127.0.0.1\n' };
    const readFile = async (path: string): Promise<string> => {
      const text = files[path];
      if (text === undefined) throw Object.assign(new Error('missing'), { code: 'ENOENT' });
      return text;
    };
    const fromFile = await planUpstreams({ servers: [], resolvConf: '/x/resolv.conf', self, readFile });
    assert.deepEqual(fromFile.upstreams.map((upstream) => upstream.label), ['192.0.2.9:53']);
    assert.equal(fromFile.source, 'resolv.conf /x/resolv.conf');
    assert.match(fromFile.refused[0]!.reason, /camshim itself.*loop/);
    const fromConfig = await planUpstreams({ servers: ['127.0.0.1:5353', '127.0.0.1:53'], resolvConf: '/x/resolv.conf', self, readFile });
    assert.deepEqual(fromConfig.upstreams.map((upstream) => upstream.label), ['127.0.0.1:5353']);
    assert.match((await planUpstreams({ servers: [], resolvConf: '/x/self-only', self, readFile })).emptyReason!, /every upstream .* is camshim itself/);
    assert.match((await planUpstreams({ servers: [], resolvConf: '/x/none', self, readFile })).emptyReason!, /unreadable \(ENOENT\)/);
  });
});

describe('answer cache', () => {
  const query = encodeQuery('a.test', 1);
  const reply = makeReply(query, { answers: [aRecord('192.0.2.1', 60)] });
  const stored = cachePolicy(reply, scanReply(reply), { minTtl: 0, maxTtl: 86400 }).stored;

  it('expires entries by the injected clock and reports their age in seconds', () => {
    let now = 1_000;
    const cache = new AnswerCache({ maxEntries: 10, maxBytes: 1 << 20 }, () => now);
    cache.set('k', 'a.test', stored, 60);
    now += 59_500;
    assert.equal(cache.get('k')!.ageSeconds, 59);
    now += 500;
    assert.equal(cache.get('k'), undefined);
    assert.equal(cache.size, 0);
    assert.equal(cache.bytes, 0);
  });

  it('stays within maxEntries and maxBytes, evicting the least recently used', () => {
    const cache = new AnswerCache({ maxEntries: 3, maxBytes: 1 << 20 }, () => 0);
    for (const key of ['a', 'b', 'c']) cache.set(key, key, stored, 60);
    cache.get('a');
    cache.set('d', 'd', stored, 60);
    assert.equal(cache.size, 3);
    assert.equal(cache.get('b'), undefined, 'b was least recently used');
    assert.notEqual(cache.get('a'), undefined);
    const small = new AnswerCache({ maxEntries: 1000, maxBytes: 1000 }, () => 0);
    for (let i = 0; i < 100; i++) small.set(`key${i}`, `n${i}`, stored, 60);
    assert.ok(small.bytes <= 1000 && small.size > 0 && small.size < 100, `${small.size} entries, ${small.bytes} bytes`);
    assert.equal(small.deleteWhere((name) => name === 'n99'), 1);
    const off = new AnswerCache({ maxEntries: 0, maxBytes: 1000 }, () => 0);
    off.set('a', 'a', stored, 60);
    assert.equal(off.size, 0);
  });

  it('caches negatives per RFC 2308 from the SOA (min of TTL and MINIMUM), clamps, and never caches TC or SERVFAIL', () => {
    const limits = { minTtl: 0, maxTtl: 86400 };
    const nx = makeReply(query, { rcode: 3, authority: [soaRecord(900, 120, 'test')] });
    const negative = cachePolicy(nx, scanReply(nx), limits);
    assert.equal(negative.kind, 'negative');
    assert.equal(negative.cacheTtl, 120);
    assert.deepEqual([...negative.stored.ttls], [120], 'the SOA is served with the negative TTL');
    const bare = makeReply(query, { rcode: 3 });
    assert.equal(cachePolicy(bare, scanReply(bare), limits).cacheTtl, 0, 'no SOA, no caching');
    const nodata = makeReply(query, { authority: [soaRecord(30, 300, 'test')] });
    assert.equal(cachePolicy(nodata, scanReply(nodata), limits).cacheTtl, 30);
    const clamped = cachePolicy(reply, scanReply(reply), { minTtl: 120, maxTtl: 3600 });
    assert.equal(clamped.cacheTtl, 120);
    const capped = cachePolicy(reply, scanReply(reply), { minTtl: 0, maxTtl: 10 });
    assert.equal(capped.cacheTtl, 10);
    const tc = makeReply(query, { tc: true, answers: [aRecord('192.0.2.1', 60)] });
    assert.equal(cachePolicy(tc, scanReply(tc), limits).cacheTtl, 0);
    const servfail = makeReply(query, { rcode: 2 });
    assert.equal(cachePolicy(servfail, scanReply(servfail), limits).cacheTtl, 0);
  });
});

describe('failure log', () => {
  it('logs the first failure at once and the rest as one counted line per upstream per interval', () => {
    const jobs: (() => void)[] = [];
    const timers: Timers = { setTimeout: (fn) => { jobs.push(fn); return jobs.length; }, clearTimeout: () => {} };
    const { logger, lines } = memoryLogger('warn');
    const log = new FailureLog(logger, 60_000, timers);
    for (let i = 0; i < 500; i++) log.failure('192.0.2.1:53', 'UPSTREAM_TIMEOUT', '192.0.2.1:53: no reply');
    log.failure('192.0.2.2:53', 'UPSTREAM_NETWORK', '192.0.2.2:53: ECONNREFUSED');
    assert.equal(lines.length, 2);
    jobs.shift()!();
    assert.equal(lines.length, 3);
    assert.equal(lines[2]!.count, 499);
    assert.deepEqual(lines[2]!.reasons, { UPSTREAM_TIMEOUT: 499 });
    // A quiet interval closes the window; the next failure is logged at once again.
    jobs.shift()!();
    assert.equal(lines.length, 3);
    log.failure('192.0.2.1:53', 'UPSTREAM_TIMEOUT', 'again');
    assert.equal(lines.length, 4);
    log.close();
  });
});
