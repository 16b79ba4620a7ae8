/**
 * Every header bit and RCODE of every kind of answer camshim gives, in one table (RFC 1035 4.1.1,
 * RFC 6895 2, RFC 6891 7, RFC 4035 3.2.2, RFC 6840 5.8): the QueryHandler in-process on packets
 * built byte by byte, then a few of the same checks with dig and kdig against the real daemon.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { prepareState } from '../../src/app.js';
import { loadConfig } from '../../src/config/load-config.js';
import { DnsStats } from '../../src/servers/dns-stats.js';
import { QueryHandler } from '../../src/servers/query-handler.js';
import { QType, RCode } from '../../src/wire/constants.js';
import { encodeNameText } from '../../src/wire/name-text.js';
import { skipName } from '../../src/wire/query.js';
import { canonicalQuestion, encodeUpstreamQuery } from '../../src/wire/question.js';
import { buildRelay, extractReply } from '../../src/wire/relay.js';
import { scanReply } from '../../src/wire/reply.js';
import { buildError } from '../../src/wire/response.js';
import type { InterfaceAddress } from '../../src/net/local-address.js';
import type { Forwarder } from '../../src/pipeline/forwarder.js';
import { startDaemon, tempDir, type RunningDaemon } from '../helpers/daemon.js';
import { dig } from '../helpers/dig.js';
import { aRecord, fakeUpstream, makeReply, type FakeUpstream } from '../upstream/helpers.js';

const QR = 0x8000; const AA = 0x0400; const TC = 0x0200; const RD = 0x0100; const RA = 0x0080;
const Z = 0x0040; const AD = 0x0020; const CD = 0x0010;
const OPCODE_NOTIFY = 4;
const OPCODE_UNASSIGNED = 3;

/** An OPT record: root owner, payload 1232, the given version and DO bit. */
function opt(version = 0, dnssecOk = true): Buffer {
  return Buffer.from([0, 0, 41, 0x04, 0xd0, 0, version, dnssecOk ? 0x80 : 0, 0, 0, 0]);
}

interface PacketSpec {
  readonly name?: string;
  readonly qtype?: number;
  readonly qclass?: number;
  readonly opcode?: number;
  /** Header flag bits the query sets (RD, CD, AD, Z...). */
  readonly flags?: number;
  readonly qdcount?: number;
  readonly answers?: readonly Buffer[];
  readonly additional?: readonly Buffer[];
}

/** A query built byte by byte, so any header bit and any record placement can be sent. */
function packet(spec: PacketSpec): Buffer {
  const question = spec.name === undefined ? Buffer.alloc(0)
    : Buffer.concat([encodeNameText(spec.name), Buffer.from([0, spec.qtype ?? QType.A, 0, spec.qclass ?? 1])]);
  const header = Buffer.alloc(12);
  header.writeUInt16BE(0xbeef, 0);
  header.writeUInt16BE(((spec.opcode ?? 0) << 11) | (spec.flags ?? RD), 2);
  header.writeUInt16BE(spec.qdcount ?? (spec.name === undefined ? 0 : 1), 4);
  header.writeUInt16BE(spec.answers?.length ?? 0, 6);
  header.writeUInt16BE(spec.additional?.length ?? 0, 10);
  return Buffer.concat([header, question, ...(spec.answers ?? []), ...(spec.additional ?? [])]);
}

interface Bits {
  qr: number; opcode: number; aa: number; tc: number; rd: number; ra: number; z: number; ad: number; cd: number;
  rcode: number; qd: number; an: number; ns: number; ar: number; opt: boolean;
}

/** Every header field of a response, the full RCODE (OPT extended bits included) and whether it has an OPT. */
function bits(response: Buffer): Bits {
  const flags = response.readUInt16BE(2);
  const qd = response.readUInt16BE(4); const an = response.readUInt16BE(6); const ns = response.readUInt16BE(8); const ar = response.readUInt16BE(10);
  let offset = 12;
  for (let i = 0; i < qd; i++) offset = skipName(response, offset) + 4;
  let extended = 0;
  let optSeen = false;
  for (let i = 0; i < an + ns + ar; i++) {
    offset = skipName(response, offset);
    assert.ok(offset > 0, 'records walk cleanly');
    if (response.readUInt16BE(offset) === QType.OPT) {
      assert.ok(i >= an + ns, 'OPT only in the additional section');
      assert.ok(!optSeen, 'one OPT at most');
      optSeen = true;
      extended = response[offset + 4]!;
    }
    offset += 10 + response.readUInt16BE(offset + 8);
  }
  assert.equal(offset, response.length, 'no bytes after the last record');
  const bit = (mask: number): number => ((flags & mask) === 0 ? 0 : 1);
  return {
    qr: bit(QR), opcode: (flags >> 11) & 0xf, aa: bit(AA), tc: bit(TC), rd: bit(RD), ra: bit(RA), z: bit(Z), ad: bit(AD), cd: bit(CD),
    rcode: (extended << 4) | (flags & 0xf), qd, an, ns, ar, opt: optSeen,
  };
}

/**
 * The forwarding path with a fixed upstream: the real upstream query encoder, an upstream reply
 * that claims AA and AD, and the real relay. Names starting with `servfail.` get the SERVFAIL a
 * failed upstream gives.
 */
const relayForwarder: Forwarder = {
  forward(context) {
    if (context.query.name.startsWith('servfail.')) {
      return Promise.resolve({ response: buildError(context.packet, context.query, context.query.id, context.query.flags, RCode.ServFail, 1232), rcode: RCode.ServFail, source: 'test failure' });
    }
    const upstreamQuery = encodeUpstreamQuery(canonicalQuestion(context.packet, context.query.questionEnd), { id: 7, payloadSize: 1232, dnssecOk: true, checkingDisabled: false });
    const reply = makeReply(upstreamQuery, { answers: [aRecord('192.0.2.7', 300)] });
    reply.writeUInt16BE(reply.readUInt16BE(2) | AA | AD, 2);
    const stored = extractReply(reply, scanReply(reply));
    return Promise.resolve({ response: buildRelay(context.packet, context.query, stored, 0, context.limit, 1232), rcode: RCode.NoError, source: 'fixed test upstream' });
  },
  describe: () => 'fixed test upstream',
  close: () => Promise.resolve(),
};

const interfaces = (): InterfaceAddress[] => [
  { address: '127.0.0.1', cidr: '127.0.0.1/8', family: 'IPv4', internal: true, interfaceName: 'lo' },
  { address: '192.168.20.1', cidr: '192.168.20.1/24', family: 'IPv4', internal: false, interfaceName: 'cams' },
  { address: '192.168.1.1', cidr: '192.168.1.1/24', family: 'IPv4', internal: false, interfaceName: 'lan' },
];

const CONFIG = `
groups:
  - name: cameras
    clients: [192.168.20.0/24]
    lists: ["vendor"]
    unlisted: nxdomain
  - name: locked
    clients: [192.168.30.0/24]
    lists: []
    unlisted: refuse
`;

async function handler(): Promise<QueryHandler> {
  const bundled = await tempDir({ 'ntp-hosts': 'pool.ntp.org\n', 'never-block': '', 'vendor.list': 'cloud.vendor.example\n' });
  const dir = await tempDir({ 'config.yaml': CONFIG });
  const { state, problems } = await prepareState(await loadConfig(path.join(dir, 'config.yaml')), 1, { bundledListsDir: bundled, interfaces, forwarder: relayForwarder });
  assert.deepEqual(problems, []);
  return new QueryHandler(state!, pino({ level: 'silent' }), new DnsStats());
}

const CAMERA = '192.168.20.9';
const HOME = '192.168.1.50';
const LOCKED = '192.168.30.5';
const OUTSIDE = '8.8.4.4';
/** What every query below asks besides its own bits: recursion, checking disabled, and the Z bit (which replies must clear). */
const ASKED = RD | CD | Z;

/** One row: a query from a client, and every field of the reply. Unlisted fields are the defaults below. */
interface Row {
  readonly kind: string;
  readonly client: string;
  readonly query: PacketSpec;
  readonly expect: Partial<Bits>;
}

const DEFAULTS: Bits = { qr: 1, opcode: 0, aa: 0, tc: 0, rd: 1, ra: 1, z: 0, ad: 0, cd: 1, rcode: RCode.NoError, qd: 1, an: 0, ns: 0, ar: 1, opt: true };

const ROWS: readonly Row[] = [
  { kind: 'sinkhole NXDOMAIN', client: CAMERA, query: { name: 'api.cloud.vendor.example', additional: [opt()] }, expect: { aa: 1, rcode: RCode.NxDomain, ns: 1 } },
  { kind: 'sinkhole NXDOMAIN, no EDNS', client: CAMERA, query: { name: 'api.cloud.vendor.example' }, expect: { aa: 1, rcode: RCode.NxDomain, ns: 1, ar: 0, opt: false } },
  { kind: 'sinkhole NXDOMAIN, RD and CD clear', client: CAMERA, query: { name: 'cloud.vendor.example', flags: 0, additional: [opt()] }, expect: { aa: 1, rd: 0, cd: 0, rcode: RCode.NxDomain, ns: 1 } },
  { kind: 'redirect A', client: CAMERA, query: { name: 'pool.ntp.org', additional: [opt()] }, expect: { aa: 1, an: 1 } },
  { kind: 'redirect NODATA', client: CAMERA, query: { name: 'pool.ntp.org', qtype: QType.MX, additional: [opt()] }, expect: { aa: 1, ns: 1 } },
  { kind: 'unlisted-deny NXDOMAIN', client: CAMERA, query: { name: 'www.example.org', additional: [opt()] }, expect: { aa: 1, rcode: RCode.NxDomain, ns: 1 } },
  { kind: 'forwarded: no AA, AD to a DO client', client: HOME, query: { name: 'www.example.org', additional: [opt()] }, expect: { an: 1, ad: 1 } },
  { kind: 'forwarded: no AD without DO or AD', client: HOME, query: { name: 'www.example.org', additional: [opt(0, false)] }, expect: { an: 1 } },
  { kind: 'forwarded: AD when the query set AD', client: HOME, query: { name: 'www.example.org', flags: ASKED | AD }, expect: { an: 1, ad: 1, ar: 0, opt: false } },
  { kind: 'forwarded SERVFAIL', client: HOME, query: { name: 'servfail.example.org', additional: [opt()] }, expect: { rcode: RCode.ServFail } },
  { kind: 'REFUSED: outside the access networks', client: OUTSIDE, query: { name: 'www.example.org', additional: [opt()] }, expect: { ra: 0, rcode: RCode.Refused } },
  { kind: 'REFUSED: group refuses unlisted names', client: LOCKED, query: { name: 'www.example.org', additional: [opt()] }, expect: { rcode: RCode.Refused } },
  { kind: 'REFUSED: class CH', client: HOME, query: { name: 'version.bind', qtype: QType.TXT, qclass: 3, additional: [opt()] }, expect: { rcode: RCode.Refused } },
  { kind: 'BADVERS', client: HOME, query: { name: 'www.example.org', additional: [opt(1)] }, expect: { rcode: RCode.BadVers } },
  { kind: 'FORMERR: two OPTs', client: HOME, query: { name: 'www.example.org', additional: [opt(), opt()] }, expect: { rcode: RCode.FormErr } },
  { kind: 'FORMERR: OPT in the answer section', client: HOME, query: { name: 'www.example.org', answers: [opt()] }, expect: { rcode: RCode.FormErr, ar: 0, opt: false } },
  { kind: 'FORMERR: OPT in the answer section and one in additional', client: HOME, query: { name: 'www.example.org', answers: [opt()], additional: [opt()] }, expect: { rcode: RCode.FormErr } },
  { kind: 'FORMERR: no question', client: HOME, query: { additional: [opt()] }, expect: { rcode: RCode.FormErr, qd: 0 } },
  { kind: 'FORMERR: two questions', client: HOME, query: { name: 'www.example.org', qdcount: 2 }, expect: { rcode: RCode.FormErr, qd: 0, ar: 0, opt: false } },
  { kind: 'NOTIMP: NOTIFY', client: HOME, query: { name: 'example.org', qtype: QType.SOA, opcode: OPCODE_NOTIFY, additional: [opt()] }, expect: { opcode: OPCODE_NOTIFY, ra: 0, rcode: RCode.NotImp } },
  { kind: 'NOTIMP: unassigned opcode, no question', client: HOME, query: { opcode: OPCODE_UNASSIGNED, flags: CD | Z }, expect: { opcode: OPCODE_UNASSIGNED, rd: 0, ra: 0, rcode: RCode.NotImp, qd: 0, ar: 0, opt: false } },
  { kind: 'NOTIMP from outside the access networks is REFUSED', client: OUTSIDE, query: { name: 'example.org', opcode: OPCODE_NOTIFY, additional: [opt()] }, expect: { opcode: OPCODE_NOTIFY, ra: 0, rcode: RCode.Refused } },
];

describe('header bits and RCODEs of every kind of answer (in-process)', () => {
  let queries: QueryHandler;
  before(async () => { queries = await handler(); });

  for (const row of ROWS) {
    test(row.kind, async () => {
      const flags = row.query.flags ?? ASKED;
      const sent = packet({ ...row.query, flags });
      const response = await queries.handle(sent, { address: row.client, port: 5300, transport: 'udp', localAddress: undefined });
      assert.ok(response !== null);
      assert.equal(response.readUInt16BE(0), 0xbeef, 'ID copied');
      assert.deepEqual(bits(response), { ...DEFAULTS, ...row.expect });
      if (bits(response).qd === 1) {
        const questionEnd = skipName(sent, 12) + 4;
        assert.deepEqual(response.subarray(12, questionEnd), sent.subarray(12, questionEnd), 'question echoed byte for byte');
      }
      assert.ok(response.length <= sent.length || bits(response).an + bits(response).ns > 0, 'an error reply is never larger than its query');
    });
  }
});

describe('header bits seen by dig and kdig from the daemon', () => {
  let daemon: RunningDaemon;
  let upstream: FakeUpstream;
  before(async () => {
    // An upstream that claims authority for everything it answers: the relay must not pass AA on.
    upstream = await fakeUpstream((query, reply) => {
      const out = makeReply(query, { answers: [aRecord('192.0.2.9', 60)] });
      out.writeUInt16BE(out.readUInt16BE(2) | AA, 2);
      reply(out);
    });
    const dir = await tempDir({
      'vendor.list': 'cloud.vendor.example\n',
      'config.yaml': `access:\n  allow: [127.0.0.0/8, "::1/128"]\nlists:\n  bundled: false\n  sources:\n    - path: vendor.list\n`,
    });
    daemon = await startDaemon(['--config', path.join(dir, 'config.yaml'), '--upstream', upstream.label]);
  });
  after(async () => {
    // The upstream is closed even when the daemon never started: its socket would keep this file running.
    await daemon?.stop();
    await upstream?.close();
  });

  for (const tool of ['dig', 'kdig'] as const) {
    test(`${tool}: sinkhole is aa with OPT; forwarded is not aa`, async () => {
      const port = daemon.port('udp', 4);
      // kdig sends no OPT unless asked.
      const edns = tool === 'kdig' ? ['+edns=0'] : [];
      const sinkhole = await dig(tool, '127.0.0.1', port, [...edns, 'api.cloud.vendor.example', 'A']);
      assert.equal(sinkhole.status, 'NXDOMAIN');
      assert.deepEqual(new Set(sinkhole.flags), new Set(['qr', 'aa', 'rd', 'ra']));
      assert.equal(sinkhole.ednsVersion, 0);
      const forwarded = await dig(tool, '127.0.0.1', port, [...edns, 'www.example.org', 'A']);
      assert.equal(forwarded.status, 'NOERROR');
      assert.deepEqual(new Set(forwarded.flags), new Set(['qr', 'rd', 'ra']));
      assert.match(forwarded.answers[0] ?? '', /192\.0\.2\.9/);
    });
  }

  test('dig: NOTIFY gets NOTIMP with the question, RD copied, no RA, and OPT', async () => {
    const result = await dig('dig', '127.0.0.1', daemon.port('udp', 4), ['+opcode=notify', 'example.org', 'SOA']);
    assert.equal(result.status, 'NOTIMP');
    assert.match(result.raw, /opcode: NOTIFY/);
    assert.deepEqual(new Set(result.flags), new Set(['qr', 'rd']));
    assert.equal(result.question, 'example.org.');
    assert.equal(result.ednsVersion, 0);
  });

  test('dig: a dot inside a label is one label, its reply is well formed, and the log shows it escaped', async () => {
    const port = daemon.port('udp', 4);
    const since = daemon.logs.length;
    // Labels "x.y", "cloud", "vendor", "example": under the listed name, the SOA owned by it.
    const below = await dig('dig', '127.0.0.1', port, ['x\\.y.cloud.vendor.example', 'A']);
    assert.equal(below.status, 'NXDOMAIN');
    assert.equal(below.question, 'x\\.y.cloud.vendor.example.');
    assert.match(below.authority[0] ?? '', /^cloud\.vendor\.example\.\s/);
    assert.doesNotMatch(below.raw, /malformed|Warning/i);
    const line = await daemon.waitForLog((entry) => entry.event === 'sinkhole', 5000, since);
    assert.equal(line.name, 'x\\.y.cloud.vendor.example');
    // Labels "x.cloud", "vendor", "example": not under cloud.vendor.example, so forwarded.
    const beside = await dig('dig', '127.0.0.1', port, ['x\\.cloud.vendor.example', 'A']);
    assert.equal(beside.status, 'NOERROR');
    assert.doesNotMatch(beside.raw, /malformed|Warning/i);
  });
});
