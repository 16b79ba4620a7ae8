import assert from 'node:assert/strict';
import { test } from 'node:test';
import dns2 from 'dns2';
import { QType, RCode } from '../../src/wire/constants.js';
import { encodeQuery } from '../../src/wire/encode-query.js';
import { decodeQuery, type ParsedQuery } from '../../src/wire/query.js';
import { buildAnswer, buildError, buildSoaTemplate, encodeName } from '../../src/wire/response.js';
import { tcpFrame } from '../../src/wire/tcp-frame.js';

const { Packet } = dns2;

function decoded(packet: Buffer): ParsedQuery {
  const result = decodeQuery(packet);
  assert.equal(result.kind, 'query', JSON.stringify(result));
  return (result as { query: ParsedQuery }).query;
}

test('a query built by dns2 decodes to the same fields (round trip through an independent codec)', () => {
  const packet = new Packet();
  packet.header.id = 0xbeef;
  packet.header.rd = 1;
  packet.questions.push({ name: 'N-Devs.TPLinkCloud.com', type: Packet.TYPE.AAAA, class: Packet.CLASS.IN } as unknown as dns2.Packet.Question);
  const query = decoded(packet.toBuffer());
  assert.equal(query.id, 0xbeef);
  assert.equal(query.name, 'n-devs.tplinkcloud.com');
  assert.equal(query.qtype, QType.AAAA);
  assert.equal(query.edns, null);
});

test('our encoder and decoder agree, including EDNS fields', () => {
  for (const [name, qtype] of [['a.b.example', 1], ['x', 16], ['', 2], ['UPPER.case.Example.COM', 65]] as const) {
    const packet = encodeQuery(name, qtype, { id: 7, edns: { payloadSize: 4096, dnssecOk: true } });
    const query = decoded(packet);
    assert.equal(query.name, name.toLowerCase());
    assert.equal(query.qtype, qtype);
    assert.deepEqual(query.edns, { payloadSize: 4096, version: 0, dnssecOk: true });
    const parsed = Packet.parse(packet);
    assert.equal(parsed.questions[0]?.name ?? '', name);
  }
});

test('responses we build parse cleanly with dns2: NXDOMAIN + SOA owned by the matched suffix, question case kept', () => {
  const packet = encodeQuery('Cam.Vendor.Example', QType.A, { id: 42, edns: { payloadSize: 1400 } });
  const query = decoded(packet);
  const soa = buildSoaTemplate(900, 5);
  const response = buildAnswer(packet, query, { rcode: RCode.NxDomain, authoritative: true, soa: { template: soa, ownerIndex: 4 } }, 1232, 1232);
  const parsed = Packet.parse(response);
  assert.deepEqual(parsed.errors, []);
  assert.equal(parsed.header.id, 42);
  assert.equal(parsed.header.qr, 1);
  assert.equal(parsed.header.rcode, RCode.NxDomain);
  assert.equal(parsed.questions[0]?.name, 'Cam.Vendor.Example');
  const authority = parsed.authorities[0] as unknown as { name: string; ttl: number; minimum: number; type: number };
  assert.equal(authority.type, QType.SOA);
  assert.equal(authority.name, 'Vendor.Example');
  assert.equal(authority.ttl, 900);
  assert.equal(authority.minimum, 900);
  const opt = parsed.additionals[0] as unknown as { type: number; class: number };
  assert.equal(opt.type, QType.OPT);
  assert.equal(opt.class, 1232);
});

test('address answers carry the question name by pointer and the TTL', () => {
  const packet = encodeQuery('pool.ntp.org', QType.A, { id: 9 });
  const response = buildAnswer(packet, decoded(packet), { rcode: 0, authoritative: true, addresses: [Uint8Array.from([192, 168, 20, 1])], addressTtl: 60 }, 512, 1232);
  const parsed = Packet.parse(response);
  const answer = parsed.answers[0] as unknown as { name: string; address: string; ttl: number };
  assert.equal(answer.name, 'pool.ntp.org');
  assert.equal(answer.address, '192.168.20.1');
  assert.equal(answer.ttl, 60);
  assert.equal(parsed.additionals.length, 0, 'no OPT when the query had none');
});

test('an answer that does not fit the limit is truncated: TC set, sections dropped, question kept', () => {
  const packet = encodeQuery('a.example', QType.AAAA, { id: 1 });
  const many = Array.from({ length: 40 }, () => new Uint8Array(16));
  const response = buildAnswer(packet, decoded(packet), { rcode: 0, authoritative: true, addresses: many }, 512, 1232);
  assert.ok(response.length <= 512);
  assert.equal(response[2]! & 0x02, 0x02, 'TC');
  assert.equal(response.readUInt16BE(6), 0);
  assert.equal(response.readUInt16BE(4), 1);
});

test('BADVERS is extended rcode 16: low bits 0 in the header, 1 in the OPT, version 0', () => {
  const packet = encodeQuery('a.example', QType.A, { id: 3, edns: { payloadSize: 1232, version: 1 } });
  const query = decoded(packet);
  assert.equal(query.edns?.version, 1);
  const response = buildError(packet, query, query.id, query.flags, RCode.BadVers, 1232);
  assert.equal(response[3]! & 0x0f, 0);
  const optStart = response.length - 11;
  assert.equal(response.readUInt16BE(optStart + 1), QType.OPT);
  assert.equal(response[optStart + 5], 1);
  assert.equal(response[optStart + 6], 0);
});

test('hostile and malformed queries are classified, never thrown', () => {
  const base = encodeQuery('a.example', QType.A, { id: 0x1234 });
  const cases: [string, Buffer, string][] = [
    ['empty', Buffer.alloc(0), 'drop'],
    ['short header', base.subarray(0, 11), 'drop'],
    ['response bit', Buffer.from(base).fill(0x80, 2, 3), 'drop'],
    ['opcode 4 (NOTIFY)', (() => { const b = Buffer.from(base); b[2] = 0x20; return b; })(), 'notimp'],
    ['QDCOUNT 0', (() => { const b = Buffer.from(base); b.writeUInt16BE(0, 4); return b; })(), 'formerr'],
    ['QDCOUNT 2', (() => { const b = Buffer.from(base); b.writeUInt16BE(2, 4); return b; })(), 'formerr'],
    ['truncated question', base.subarray(0, base.length - 2), 'formerr'],
    ['compression pointer in question', Buffer.concat([base.subarray(0, 12), Buffer.from([0xc0, 0x0c, 0, 1, 0, 1])]), 'formerr'],
    ['label of 64', Buffer.concat([base.subarray(0, 12), Buffer.from([64]), Buffer.alloc(64, 0x61), Buffer.from([0, 0, 1, 0, 1])]), 'formerr'],
    ['ARCOUNT beyond data', (() => { const b = Buffer.from(base); b.writeUInt16BE(3, 10); return b; })(), 'formerr'],
  ];
  for (const [label, packet, kind] of cases) assert.equal(decodeQuery(packet).kind, kind, label);
  // A name over 255 bytes on the wire.
  const long = Buffer.concat([base.subarray(0, 12), ...Array.from({ length: 5 }, () => Buffer.concat([Buffer.from([60]), Buffer.alloc(60, 0x62)])), Buffer.from([0, 0, 1, 0, 1])]);
  assert.equal(decodeQuery(long).kind, 'formerr');
});

test('random bytes and mutations never make the decoder throw', () => {
  let seed = 12345;
  const random = (): number => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return seed; };
  const valid = encodeQuery('n-devs.tplinkcloud.com', QType.A, { id: 1, edns: { payloadSize: 1232 } });
  for (let i = 0; i < 20_000; i++) {
    let packet: Buffer;
    if (i % 2 === 0) {
      packet = Buffer.alloc(random() % 600);
      for (let j = 0; j < packet.length; j++) packet[j] = random() & 0xff;
    } else {
      packet = Buffer.from(valid);
      for (let flips = random() % 4; flips >= 0; flips--) packet[random() % packet.length] = random() & 0xff;
      if (random() % 3 === 0) packet = packet.subarray(0, random() % packet.length);
    }
    const result = decodeQuery(packet);
    assert.ok(['query', 'drop', 'formerr', 'notimp'].includes(result.kind));
  }
});

test('encodeName rejects labels over 63 bytes', () => {
  assert.throws(() => encodeName(`${'a'.repeat(64)}.com`), RangeError);
  assert.deepEqual([...encodeName('a.b.')], [1, 0x61, 1, 0x62, 0]);
});

test('a TCP frame is the two-byte length then the message, for every size a frame can carry', () => {
  for (const size of [0, 1, 12, 512, 65_535]) {
    const message = Buffer.alloc(size, size & 0xff);
    const frame = tcpFrame(message);
    assert.equal(frame.readUInt16BE(0), size);
    assert.deepEqual(frame.subarray(2), message);
  }
  const query = encodeQuery('cloud.vendor.example', QType.A, { id: 7 });
  const decoded = decodeQuery(tcpFrame(query).subarray(2));
  assert.equal(decoded.kind === 'query' && decoded.query.name, 'cloud.vendor.example');
});
