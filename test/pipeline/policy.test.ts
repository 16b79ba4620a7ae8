import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import dns2 from 'dns2';
import pino from 'pino';
import { prepareState } from '../../src/app.js';
import { loadConfig } from '../../src/config/load-config.js';
import { DnsStats } from '../../src/servers/dns-stats.js';
import { QueryHandler } from '../../src/servers/query-handler.js';
import { QType, RCode } from '../../src/wire/constants.js';
import { emptyMatch } from '../../src/lists/domain-table.js';
import { encodeQuery } from '../../src/wire/encode-query.js';
import type { InterfaceAddress } from '../../src/net/local-address.js';
import { tempDir } from '../helpers/daemon.js';

const { Packet } = dns2;

const interfaces = (): InterfaceAddress[] => [
  { address: '127.0.0.1', cidr: '127.0.0.1/8', family: 'IPv4', internal: true, interfaceName: 'lo' },
  { address: '::1', cidr: '::1/128', family: 'IPv6', internal: true, interfaceName: 'lo' },
  { address: '192.168.20.1', cidr: '192.168.20.1/24', family: 'IPv4', internal: false, interfaceName: 'cams' },
  { address: 'fe80::1', cidr: 'fe80::1/64', family: 'IPv6', internal: false, interfaceName: 'cams' },
  { address: 'fd20::1', cidr: 'fd20::1/64', family: 'IPv6', internal: false, interfaceName: 'cams' },
  { address: '192.168.1.1', cidr: '192.168.1.1/24', family: 'IPv4', internal: false, interfaceName: 'lan' },
];

async function setup(configText: string): Promise<{ handler: QueryHandler; logs: Record<string, unknown>[] }> {
  const bundled = await tempDir({
    'ntp-hosts': 'pool.ntp.org\ntime.windows.com\n',
    'never-block': 'amazonaws.com\n',
    'vendor.list': '# vendor: Vendor\ncloud.vendor.example\n*.p2p.vendor.example\n',
    'other.list': 'other.example\n',
  });
  const dir = await tempDir({ 'config.yaml': configText, 'allow.txt': '@@||ok.cloud.vendor.example^\n' });
  const { state, problems } = await prepareState(await loadConfig(path.join(dir, 'config.yaml')), 1, { bundledListsDir: bundled, interfaces });
  assert.deepEqual(problems, []);
  const logs: Record<string, unknown>[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => { logs.push(JSON.parse(line) as Record<string, unknown>); } });
  return { handler: new QueryHandler(state!, logger, new DnsStats()), logs };
}

async function ask(handler: QueryHandler, name: string, client: string, qtype = QType.A, localAddress?: string): Promise<dns2.Packet> {
  const response = await handler.handle(encodeQuery(name, qtype, { id: 77 }), { address: client, port: 5000, transport: 'udp', localAddress });
  assert.ok(response !== null);
  return Packet.parse(response);
}

const CONFIG = `
groups:
  - name: cameras
    clients: [192.168.20.0/24, fd20::/64]
    lists: ["vendor", "allow"]
    unlisted: nxdomain
  - name: locked
    clients: [192.168.30.0/24]
    lists: []
    unlisted: refuse
    ntpRedirect: false
lists:
  sources:
    - path: allow.txt
      kind: allow
`;

test('blocked names and their subdomains get NXDOMAIN with SOA for every type, logged as sinkhole', async () => {
  const { handler, logs } = await setup(CONFIG);
  for (const qtype of [QType.A, QType.AAAA, QType.TXT, QType.HTTPS, QType.ANY]) {
    const reply = await ask(handler, 'api.cloud.vendor.example', '192.168.20.9', qtype);
    assert.equal(reply.header.rcode, RCode.NxDomain);
    assert.equal((reply.authorities[0] as unknown as { name: string }).name, 'cloud.vendor.example');
  }
  const event = logs.find((line) => line.event === 'sinkhole')!;
  assert.deepEqual(
    { client: event.client, name: event.name, type: event.type, group: event.group, list: event.list, rule: event.rule, line: event.line, answer: event.answer },
    { client: '192.168.20.9', name: 'api.cloud.vendor.example', type: 'A', group: 'cameras', list: 'vendor', rule: 'cloud.vendor.example', line: 2, answer: 'NXDOMAIN' },
  );
});

test('allow entries win over block entries (the name goes to the forwarder)', async () => {
  const { handler } = await setup(CONFIG);
  const reply = await ask(handler, 'x.ok.cloud.vendor.example', '192.168.20.9');
  assert.equal(reply.header.rcode, RCode.ServFail, 'forwarded; no upstream in this build of the test');
  assert.equal(handler.stats.answers.allowed, 1);
});

test('unlisted names follow the group policy: nxdomain (logged unlisted), refuse, forward', async () => {
  const { handler, logs } = await setup(CONFIG);
  assert.equal((await ask(handler, 'www.example.org', '192.168.20.9')).header.rcode, RCode.NxDomain);
  assert.ok(logs.some((line) => line.event === 'unlisted' && line.name === 'www.example.org'));
  assert.equal((await ask(handler, 'www.example.org', '192.168.30.5')).header.rcode, RCode.Refused);
  assert.equal((await ask(handler, 'www.example.org', '192.168.1.50')).header.rcode, RCode.ServFail);
  assert.equal(handler.stats.answers.forward, 1);
});

test('lists apply per group: other.example is blocked for the default group only', async () => {
  const { handler } = await setup(CONFIG);
  assert.equal((await ask(handler, 'other.example', '192.168.1.50')).header.rcode, RCode.NxDomain);
  assert.equal(handler.stats.answers.sinkhole, 1);
  assert.equal((await ask(handler, 'other.example', '192.168.20.9')).header.rcode, RCode.NxDomain);
  assert.equal(handler.stats.answers.unlisted, 1, 'for cameras it is merely unlisted');
});

test('NTP names resolve to the address on the interface facing the client', async () => {
  const { handler, logs } = await setup(CONFIG);
  const a = await ask(handler, '2.pool.ntp.org', '192.168.20.9');
  assert.equal((a.answers[0] as unknown as { address: string }).address, '192.168.20.1');
  const lan = await ask(handler, 'time.windows.com', '192.168.1.77');
  assert.equal((lan.answers[0] as unknown as { address: string }).address, '192.168.1.1');
  const aaaa = await ask(handler, 'pool.ntp.org', 'fd20::99', QType.AAAA);
  assert.equal((aaaa.answers[0] as unknown as { address: string }).address, 'fd20::1');
  const aaaaLan = await ask(handler, 'pool.ntp.org', '192.168.1.77', QType.AAAA);
  assert.equal(aaaaLan.header.rcode, RCode.NoError);
  assert.equal(aaaaLan.answers.length, 0, 'NODATA: no IPv6 on that interface');
  const mx = await ask(handler, 'pool.ntp.org', '192.168.20.9', QType.MX);
  assert.equal(mx.answers.length, 0);
  assert.equal(mx.authorities.length, 1, 'NODATA carries an SOA');
  assert.ok(logs.some((line) => line.event === 'redirect' && line.name === '2.pool.ntp.org'));
  // A group with redirection off treats the name like any other.
  assert.equal((await ask(handler, 'pool.ntp.org', '192.168.30.5')).header.rcode, RCode.Refused);
});

test('NTP names point only where camshim serves NTP: the arrival address, else the facing interface, else NODATA', async () => {
  const { handler } = await setup(CONFIG);
  // The query arrived on the LAN address: NTP is served there, so that is the answer (each VLAN gets its own gateway).
  const arrived = await ask(handler, 'pool.ntp.org', '192.168.20.9', QType.A, '192.168.1.1');
  assert.equal((arrived.answers[0] as unknown as { address: string }).address, '192.168.1.1');
  const arrived6 = await ask(handler, 'pool.ntp.org', 'fd20::99', QType.AAAA, 'fd20::1');
  assert.equal((arrived6.answers[0] as unknown as { address: string }).address, 'fd20::1');

  // NTP on 127.0.0.1 only: no IPv6 NTP listener, so AAAA is NODATA with the SOA (not ::1).
  const loopback = await setup(`${CONFIG}\ndns:\n  listen: [127.0.0.1]\n`);
  const aaaa = await ask(loopback.handler, 'pool.ntp.org', '127.0.0.1', QType.AAAA, '127.0.0.1');
  assert.equal(aaaa.header.rcode, RCode.NoError);
  assert.equal(aaaa.answers.length, 0);
  assert.equal(aaaa.authorities.length, 1, 'NODATA carries an SOA');
  const a = await ask(loopback.handler, 'pool.ntp.org', '127.0.0.1', QType.A, '127.0.0.1');
  assert.equal((a.answers[0] as unknown as { address: string }).address, '127.0.0.1');
  // A camera on the VLAN asks through a DNAT to loopback: NTP is not served on its interface, so NODATA.
  assert.equal((await ask(loopback.handler, 'pool.ntp.org', '192.168.20.9', QType.A, '127.0.0.1')).answers.length, 0);

  // NTP off: no address at all, unless the config names one.
  const off = await setup(`${CONFIG}\nntp:\n  enabled: false\n`);
  assert.equal((await ask(off.handler, 'pool.ntp.org', '192.168.20.9')).answers.length, 0);
  const named = await setup(`${CONFIG}\nntp:\n  enabled: false\nntpRedirect:\n  ipv4: 192.168.20.123\n`);
  assert.equal(((await ask(named.handler, 'pool.ntp.org', '192.168.20.9')).answers[0] as unknown as { address: string }).address, '192.168.20.123');
});

test('clients outside the access networks are refused and counted, not logged', async () => {
  const { handler, logs } = await setup(CONFIG);
  const before = logs.length;
  const reply = await ask(handler, 'cloud.vendor.example', '8.8.4.4');
  assert.equal(reply.header.rcode, RCode.Refused);
  assert.equal(handler.stats.answers.refused, 1);
  assert.equal(logs.length, before);
});

test('an override address for NTP names wins over interface choice', async () => {
  const { handler } = await setup(`${CONFIG}\nntpRedirect:\n  ipv4: 10.9.8.7\n`);
  const a = await ask(handler, 'pool.ntp.org', '192.168.20.9');
  assert.equal((a.answers[0] as unknown as { address: string }).address, '10.9.8.7');
});

test('a group naming an unknown list is a config problem with its path', async () => {
  const bundled = await tempDir({ 'ntp-hosts': 'pool.ntp.org\n', 'never-block': '', 'vendor.list': 'a.example\n' });
  const dir = await tempDir({ 'c.yaml': 'groups:\n  - name: g\n    clients: [10.0.0.0/8]\n    lists: [vendor, nosuch]\n' });
  const { state, problems } = await prepareState(await loadConfig(path.join(dir, 'c.yaml')), 1, { bundledListsDir: bundled });
  assert.equal(state, undefined);
  assert.equal(problems[0]?.path, 'groups[0].lists[1]');
  assert.match(problems[0]!.message, /no list named "nosuch"; loaded lists: vendor/);
});

test('never-block: a suffix rule covering shared infrastructure is an error naming the line; exact names are fine; override works', async () => {
  const bundled = await tempDir({ 'ntp-hosts': '', 'never-block': 's3.amazonaws.com\nonvif.org\n' });
  const dir = await tempDir({ 'bad.list': 'good.example\namazonaws.com\n=bucket.s3.amazonaws.com\nx.s3.amazonaws.com\n*.onvif.org\n', 'c.yaml': 'lists:\n  sources: [{path: bad.list}]\n' });
  const { problems, lists } = await prepareState(await loadConfig(path.join(dir, 'c.yaml')), 1, { bundledListsDir: bundled });
  assert.deepEqual(problems.map((p) => [p.code, p.line]), [['LIST_NEVER_BLOCK', 2], ['LIST_NEVER_BLOCK', 4], ['LIST_NEVER_BLOCK', 5]]);
  assert.match(problems[0]!.message, /would sinkhole never-block name "s3.amazonaws.com"/);
  assert.equal(lists.table.ruleCount, 2);
  await writeFile(path.join(dir, 'c.yaml'), 'lists:\n  sources: [{path: bad.list}]\n  neverBlockOverride: [amazonaws.com, x.s3.amazonaws.com, onvif.org]\n');
  const overridden = await prepareState(await loadConfig(path.join(dir, 'c.yaml')), 1, { bundledListsDir: bundled });
  assert.deepEqual(overridden.problems, []);
});

test('a list that is mostly garbage is rejected whole', async () => {
  const bundled = await tempDir({ 'ntp-hosts': '', 'never-block': '' });
  const dir = await tempDir({ 'junk.list': '<html>\n<body>404 not found</body>\n</html>\nok.example\n<p>x</p>\n', 'c.yaml': 'lists:\n  sources: [{path: junk.list}]\n' });
  const { problems, lists } = await prepareState(await loadConfig(path.join(dir, 'c.yaml')), 1, { bundledListsDir: bundled });
  assert.equal(problems[0]?.code, 'LIST_INVALID');
  assert.match(problems[0]!.message, /does not look like a domain list/);
  assert.equal(lists.table.ruleCount, 0);
});

test('a garbage list between good ones is taken out whole: its names, its never-block errors; the others stay', async () => {
  const bundled = await tempDir({ 'ntp-hosts': 'pool.ntp.org\n', 'never-block': 'amazonaws.com\n' });
  const dir = await tempDir({
    'a.list': 'first.example\nshared.example\n',
    // Its two names went into the table (and one tripped the guard) before its junk lines showed.
    'junk.list': 'junk-name.example\ns3.amazonaws.com\n<html>\n<body>\n<p>404</p>\n</body>\n</html>\n',
    'z.list': 'last.example\nshared.example\n',
    'c.yaml': 'lists:\n  sources: [{path: a.list}, {path: junk.list}, {path: z.list}]\n',
  });
  const { problems, lists } = await prepareState(await loadConfig(path.join(dir, 'c.yaml')), 1, { bundledListsDir: bundled });
  assert.deepEqual(problems.map((p) => p.code), ['LIST_INVALID']);
  assert.match(problems[0]!.message, /5 of 7 lines are not rules/);
  assert.deepEqual(lists.lists.map((list) => list.name), ['ntp-hosts', 'a', 'z']);
  const all = { lists: new Uint8Array(lists.lists.length).fill(1), redirects: true };
  const blockedBy = (name: string): string | undefined => {
    const match = lists.table.match(name, all, emptyMatch());
    return match.block < 0 ? undefined : lists.lists[lists.table.rule(match.block).list]!.name;
  };
  assert.equal(blockedBy('junk-name.example'), undefined);
  assert.equal(blockedBy('first.example'), 'a');
  assert.equal(blockedBy('x.last.example'), 'z');
  assert.deepEqual(lists.table.rulesFor('shared.example').map((index) => lists.lists[lists.table.rule(index).list]!.name), ['a', 'z']);
  assert.equal(lists.table.ruleCount, 5);
});
