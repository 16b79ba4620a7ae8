/**
 * Each pipeline stage on its own: given a context, it answers with a complete decision record
 * (kind, stage, group, rcode, rule, address or forwarded outcome) or passes the query on.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseConfig } from '../upstream/config.js';
import { QType, RCode } from '../../src/wire/constants.js';
import { encodeQuery } from '../../src/wire/encode-query.js';
import { decodeQuery } from '../../src/wire/query.js';
import { buildDomainTable } from '../../src/lists/domain-table-builder.js';
import type { DomainTable } from '../../src/lists/domain-table.js';
import { LocalAddressPicker } from '../../src/net/local-address.js';
import { RateLimiter } from '../../src/net/rate-limiter.js';
import { AnswerBuilder } from '../../src/pipeline/answer-builder.js';
import { ANSWER_KIND_NAMES, ANSWER_KINDS, isLoggedKind, LOGGED_KINDS } from '../../src/pipeline/answer-kinds.js';
import { buildChain, runChain } from '../../src/pipeline/chain.js';
import type { ClientGroup } from '../../src/pipeline/client-groups.js';
import type { Answer, Forwarded, QueryContext, Stage } from '../../src/pipeline/context.js';
import type { Forwarder } from '../../src/pipeline/forwarder.js';
import { LazyQueryContext } from '../../src/pipeline/query-context.js';
import { accessStage } from '../../src/pipeline/stages/access.js';
import { allowStage } from '../../src/pipeline/stages/allow.js';
import { blockStage } from '../../src/pipeline/stages/block.js';
import { ednsVersionStage } from '../../src/pipeline/stages/edns-version.js';
import { ntpRedirectStage } from '../../src/pipeline/stages/ntp-redirect.js';
import { queryClassStage } from '../../src/pipeline/stages/query-class.js';
import { rateLimitStage } from '../../src/pipeline/stages/rate-limit.js';
import { unlistedPolicyStage } from '../../src/pipeline/stages/unlisted-policy.js';
import { DnsStats } from '../../src/servers/dns-stats.js';

const TABLE: DomainTable = buildDomainTable([
  { name: 'cloud.vendor.example', action: 'block', scope: 'subtree', list: 0, line: 3 },
  { name: 'ok.cloud.vendor.example', action: 'allow', scope: 'exact', list: 1, line: 1 },
  { name: 'pool.ntp.org', action: 'redirect', scope: 'subtree', list: 2, line: 7 },
]);
const FILTER = { lists: new Uint8Array([1, 1, 1]), redirects: true };
const answers = new AnswerBuilder(3600, 1232, 60, 1);

function group(unlisted: 'forward' | 'nxdomain' | 'refuse'): ClientGroup {
  return { name: 'cameras', unlisted, filter: FILTER } as unknown as ClientGroup;
}

function context(name: string, options: { qtype?: number; allowed?: boolean; unlisted?: 'forward' | 'nxdomain' | 'refuse'; edns?: { version?: number }; qclass?: number } = {}): QueryContext {
  const packet = encodeQuery(name, options.qtype ?? QType.A, { id: 5, ...(options.edns === undefined ? {} : { edns: { payloadSize: 1232, ...options.edns } }) });
  if (options.qclass !== undefined) packet.writeUInt16BE(options.qclass, packet.length - (options.edns === undefined ? 2 : 13));
  const decoded = decodeQuery(packet);
  if (decoded.kind !== 'query') throw new Error(`not a query: ${decoded.kind}`);
  return new LazyQueryContext(packet, decoded.query, { address: '192.168.20.31', port: 5000, transport: 'udp', localAddress: '192.168.20.1' },
    options.allowed ?? true, group(options.unlisted ?? 'forward'), TABLE, 1232);
}

const forwarder: Forwarder & { sent: string[] } = {
  sent: [],
  forward(ctx) {
    this.sent.push(ctx.query.name);
    return Promise.resolve<Forwarded>({ response: answers.error(ctx, RCode.NoError), rcode: RCode.NoError, source: '192.0.2.53:53' });
  },
  describe: () => 'test upstream',
  close: () => Promise.resolve(),
};

const picker = new LocalAddressPicker({}, () => ['192.168.20.1'], () => [
  { address: '192.168.20.1', cidr: '192.168.20.1/24', family: 'IPv4', internal: false, interfaceName: 'cams' },
], () => 0, 0);

function decided(stage: Stage, ctx: QueryContext): Answer {
  const answer = stage.decide(ctx);
  assert.ok(answer !== undefined, `${stage.name} passed the query on`);
  assert.equal(answer.stage, stage.name, 'the record names the stage that decided');
  assert.equal(answer.group, 'cameras');
  return answer;
}

describe('pipeline stages, one at a time', () => {
  test('access: REFUSED for a client outside the access networks, passes everyone else', () => {
    const stage = accessStage(answers);
    const answer = decided(stage, context('a.example', { allowed: false }));
    assert.deepEqual([answer.kind, answer.rcode], ['refused', RCode.Refused]);
    assert.equal(stage.decide(context('a.example')), undefined);
  });

  test('rate-limit: over the limit REFUSED (or dropped), under it passes; off passes everything', () => {
    const config = parseConfig({ dns: { rateLimit: { enabled: true, ratePerSecond: 1, burst: 1 } } }).dns.rateLimit;
    const limiter = new RateLimiter({ ratePerSecond: 1, burst: 1, maxEntries: 16, leakProbability: 0 }, { nowMs: () => 0, random: () => 1 });
    const stage = rateLimitStage(answers, config, limiter);
    assert.equal(stage.decide(context('a.example')), undefined);
    const answer = decided(stage, context('a.example'));
    assert.deepEqual([answer.kind, answer.rcode, answer.drop], ['rate-limited', RCode.Refused, undefined]);
    const dropping = rateLimitStage(answers, { ...config, overLimit: 'drop' }, limiter);
    const dropped = decided(dropping, context('a.example'));
    assert.deepEqual([dropped.kind, dropped.drop, dropped.rcode], ['rate-limited', true, undefined]);
    assert.equal(rateLimitStage(answers, { ...config, enabled: false }, limiter).decide(context('a.example')), undefined);
  });

  test('edns-version: BADVERS for a version above 0; query-class: REFUSED for a class other than IN', () => {
    const badvers = decided(ednsVersionStage(answers), context('a.example', { edns: { version: 1 } }));
    assert.deepEqual([badvers.kind, badvers.rcode], ['badvers', RCode.BadVers]);
    assert.equal(ednsVersionStage(answers).decide(context('a.example', { edns: {} })), undefined);
    const chaos = decided(queryClassStage(answers), context('version.bind', { qclass: 3 }));
    assert.deepEqual([chaos.kind, chaos.rcode], ['policy-refused', RCode.Refused]);
  });

  test('ntp-redirect: A with the address the query arrived on, NODATA for other types, the rule named', () => {
    const stage = ntpRedirectStage(answers, picker);
    const a = decided(stage, context('0.pool.ntp.org'));
    assert.equal(a.kind, 'redirect');
    assert.equal(a.rcode, RCode.NoError);
    assert.deepEqual([...a.address!], [192, 168, 20, 1]);
    assert.ok(a.rule !== undefined && TABLE.rule(a.rule).line === 7);
    const txt = decided(stage, context('pool.ntp.org', { qtype: QType.TXT }));
    assert.deepEqual([txt.kind, txt.rcode, txt.address], ['redirect', RCode.NoError, undefined]);
    assert.equal(stage.decide(context('a.example')), undefined);
  });

  test('allow: forwarded whatever block rules say, with the outcome\'s source in the record', async () => {
    const answer = decided(allowStage(forwarder), context('ok.cloud.vendor.example'));
    assert.equal(answer.kind, 'allowed');
    assert.equal(answer.rcode, undefined, 'a forwarded rcode is known from the outcome');
    assert.deepEqual(await answer.forwarded, { response: await answer.response, rcode: 0, source: '192.0.2.53:53' });
    assert.equal(allowStage(forwarder).decide(context('a.cloud.vendor.example')), undefined);
  });

  test('block: NXDOMAIN for the name and every name below the rule', () => {
    const answer = decided(blockStage(answers), context('deep.a.cloud.vendor.example'));
    assert.deepEqual([answer.kind, answer.rcode], ['sinkhole', RCode.NxDomain]);
    assert.equal(TABLE.rule(answer.rule!).line, 3);
    assert.equal(blockStage(answers).decide(context('vendor.example')), undefined);
  });

  test('unlisted-policy: the group decides, and always answers', async () => {
    const stage = unlistedPolicyStage(answers, forwarder);
    assert.deepEqual([decided(stage, context('a.example', { unlisted: 'nxdomain' })).kind, decided(stage, context('a.example', { unlisted: 'nxdomain' })).rcode], ['unlisted', RCode.NxDomain]);
    assert.deepEqual([decided(stage, context('a.example', { unlisted: 'refuse' })).kind], ['policy-refused']);
    const forwarded = decided(stage, context('a.example', { unlisted: 'forward' }));
    assert.equal(forwarded.kind, 'forward');
    assert.equal((await forwarded.forwarded)!.source, '192.0.2.53:53');
  });

  test('the chain: one decision per query, in the order written in chain.ts', () => {
    const chain = buildChain({
      answers, forwarder, localAddresses: picker,
      rateLimit: parseConfig({}).dns.rateLimit, rateLimiter: new RateLimiter({ ratePerSecond: 1, burst: 1, maxEntries: 16, leakProbability: 0 }, { nowMs: () => 0, random: () => 1 }),
    });
    assert.deepEqual(chain.map((stage) => stage.name), ['rate-limit', 'access', 'edns-version', 'query-class', 'ntp-redirect', 'allow', 'block', 'unlisted-policy']);
    assert.equal(runChain(chain, context('x.cloud.vendor.example')).stage, 'block');
    assert.equal(runChain(chain, context('pool.ntp.org')).stage, 'ntp-redirect');
  });
});

describe('the answer kinds table', () => {
  test('the logged kinds, the counters and isLoggedKind all follow the one table', () => {
    assert.deepEqual(LOGGED_KINDS, ['sinkhole', 'redirect', 'unlisted']);
    for (const kind of ANSWER_KIND_NAMES) assert.equal(isLoggedKind(kind), ANSWER_KINDS[kind].logged, kind);
    const stats = new DnsStats();
    assert.deepEqual(Object.keys(stats.answers).sort(), [...ANSWER_KIND_NAMES].sort());
    for (const kind of ANSWER_KIND_NAMES) stats.countAnswer(kind);
    for (const kind of ANSWER_KIND_NAMES) assert.equal(stats.answers[kind], 1, `countAnswer counts ${kind}`);
  });
});
