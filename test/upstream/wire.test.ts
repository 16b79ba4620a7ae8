import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeQuery } from '../../src/wire/encode-query.js';
import { decodeQuery } from '../../src/wire/query.js';
import { canonicalQuestion, encodeUpstreamQuery, sameQuestion } from '../../src/wire/question.js';
import { buildRelay, extractReply, minimumTtl } from '../../src/wire/relay.js';
import { scanReply, Section, soaMinimum } from '../../src/wire/reply.js';
import { CamshimError } from '../../src/errors.js';
import { aRecord, makeReply, soaRecord, txtRecord } from './helpers.js';

function parsed(packet: Buffer) {
  const decoded = decodeQuery(packet);
  assert.equal(decoded.kind, 'query');
  return (decoded as Extract<typeof decoded, { kind: 'query' }>).query;
}

describe('wire: scanReply', () => {
  it('walks header, question and every record, and takes the OPT apart (round trip through makeReply)', () => {
    const query = encodeQuery('www.example.test', 1, { id: 0x1234 });
    const reply = makeReply(query, { answers: [aRecord('192.0.2.1', 300), aRecord('192.0.2.2', 200)], authority: [soaRecord(900, 60)], additional: [txtRecord('x', 5)] });
    const scan = scanReply(reply);
    assert.equal(scan.id, 0x1234);
    assert.equal(scan.rcode, 0);
    assert.equal(scan.qtype, 1);
    assert.deepEqual(scan.counts, [2, 1, 2]);
    assert.deepEqual(scan.records.map((record) => [record.section, record.type, record.ttl]), [[Section.Answer, 1, 300], [Section.Answer, 1, 200], [Section.Authority, 6, 900], [Section.Additional, 16, 5]]);
    assert.notEqual(scan.opt, null);
    assert.equal(scan.opt!.payloadSize, 1232);
    assert.equal(soaMinimum(reply, scan.records[2]!), 60);
    assert.equal(soaMinimum(reply, scan.records[0]!), undefined);
  });

  it('reads the extended RCODE from the OPT', () => {
    const reply = makeReply(encodeQuery('a.test', 1), { opt: false });
    const withOpt = Buffer.concat([reply, Buffer.from([0, 0, 41, 4, 0xd0, 1, 0, 0, 0, 0, 0])]);
    withOpt.writeUInt16BE(1, 10);
    assert.equal(scanReply(withOpt).rcode, 16);
  });

  it('throws WIRE_FORMAT with a reason on every truncation and on hostile shapes, never anything else', () => {
    const reply = makeReply(encodeQuery('www.example.test', 1), { answers: [aRecord('192.0.2.1', 300)], authority: [soaRecord(900, 60)] });
    for (let length = 0; length < reply.length; length++) {
      assert.throws(() => scanReply(reply.subarray(0, length)), (error: unknown) => error instanceof CamshimError && error.code === 'WIRE_FORMAT', `length ${length}`);
    }
    const query = Buffer.from(reply); query[2] = 0x01; // QR clear
    assert.throws(() => scanReply(query), /QR bit/);
    const twoQuestions = Buffer.from(reply); twoQuestions.writeUInt16BE(2, 4);
    assert.throws(() => scanReply(twoQuestions), /QDCOUNT 2/);
    const pointerQuestion = Buffer.from(reply); pointerQuestion[12] = 0xc0;
    assert.throws(() => scanReply(pointerQuestion), /question/);
    const trailing = Buffer.concat([reply, Buffer.from([0])]);
    assert.throws(() => scanReply(trailing), /trailing/);
    const hugeCount = Buffer.from(reply); hugeCount.writeUInt16BE(0xffff, 6);
    assert.throws(() => scanReply(hugeCount), (error: unknown) => error instanceof CamshimError && error.code === 'WIRE_FORMAT');
  });

  it('survives random bytes: returns or throws WIRE_FORMAT (bounded fuzz)', () => {
    let seed = 7;
    const random = (): number => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed; };
    const base = makeReply(encodeQuery('www.example.test', 1), { answers: [aRecord('192.0.2.1', 300)], authority: [soaRecord(900, 60)] });
    for (let round = 0; round < 3000; round++) {
      const packet = Buffer.from(base);
      for (let flips = 1 + (random() % 4); flips > 0; flips--) packet[random() % packet.length] = random() & 0xff;
      try {
        const scan = scanReply(packet);
        for (const record of scan.records) { assert.ok(record.end <= packet.length); soaMinimum(packet, record); }
      } catch (error) {
        assert.ok(error instanceof CamshimError && error.code === 'WIRE_FORMAT', String(error));
      }
    }
  });
});

describe('wire: questions', () => {
  it('sameQuestion ignores name case only; canonicalQuestion lower-cases the name only', () => {
    const mixed = encodeQuery('wWw.ExAmple.TEST', 1);
    const lower = encodeQuery('www.example.test', 1);
    const aaaa = encodeQuery('www.example.test', 28);
    const other = encodeQuery('www.example.tesu', 1);
    const end = 12 + 18 + 4;
    assert.ok(sameQuestion(mixed, end, lower, end));
    assert.ok(!sameQuestion(lower, end, aaaa, end));
    assert.ok(!sameQuestion(lower, end, other, end));
    assert.ok(!sameQuestion(lower, end, lower, end - 1));
    assert.deepEqual(canonicalQuestion(mixed, end), lower.subarray(12, end));
  });

  it('encodeUpstreamQuery round-trips through decodeQuery with RD, CD, DO and our payload size', () => {
    const question = canonicalQuestion(encodeQuery('Cam.Example', 16), 12 + 13 + 4);
    const packet = encodeUpstreamQuery(question, { id: 0xbeef, payloadSize: 1232, dnssecOk: true, checkingDisabled: true });
    const query = parsed(packet);
    assert.equal(query.id, 0xbeef);
    assert.equal(query.name, 'cam.example');
    assert.equal(query.qtype, 16);
    assert.equal(query.flags & 0x0110, 0x0110);
    assert.deepEqual(query.edns, { payloadSize: 1232, version: 0, dnssecOk: true });
  });
});

describe('wire: relay', () => {
  const upstreamQuery = encodeQuery('www.example.test', 1, { id: 99 });
  const reply = makeReply(upstreamQuery, { answers: [aRecord('192.0.2.1', 300), aRecord('192.0.2.2', 100)], additional: [txtRecord('a'.repeat(200), 50), txtRecord('b'.repeat(200), 50), txtRecord('c'.repeat(200), 50)] });

  it('gives the client its ID and question case, counts TTLs down, and adds our OPT only when the client sent one', () => {
    const stored = extractReply(reply, scanReply(reply));
    assert.equal(minimumTtl(stored), 100);
    const client = encodeQuery('WWW.example.TEST', 1, { id: 7, edns: { payloadSize: 4096, dnssecOk: true } });
    const out = buildRelay(client, parsed(client), stored, 30, 1232, 1232);
    const scan = scanReply(out);
    assert.equal(scan.id, 7);
    assert.deepEqual(out.subarray(12, scan.questionEnd), client.subarray(12, scan.questionEnd));
    assert.deepEqual(scan.records.map((record) => record.ttl), [270, 70, 20, 20, 20]);
    assert.equal(scan.opt!.payloadSize, 1232);
    assert.equal(out.readUInt16BE(out.length - 4) & 0x8000, 0x8000, 'DO echoed');
    const plain = encodeQuery('www.example.test', 1, { id: 8 });
    const noOpt = scanReply(buildRelay(plain, parsed(plain), stored, 500, 65535, 1232));
    assert.equal(noOpt.opt, null);
    assert.ok(noOpt.records.every((record) => record.ttl === 0), 'never below zero');
  });

  it('drops the additional section first, then sets TC with empty sections when answers do not fit', () => {
    const stored = extractReply(reply, scanReply(reply));
    const client = encodeQuery('www.example.test', 1, { id: 1 });
    const full = buildRelay(client, parsed(client), stored, 0, 65535, 1232);
    assert.deepEqual(scanReply(full).counts, [2, 0, 3]);
    const noAdditional = buildRelay(client, parsed(client), stored, 0, 512, 1232);
    assert.equal(noAdditional.readUInt16BE(2) & 0x0200, 0, 'no TC for dropped additional data');
    assert.deepEqual(scanReply(noAdditional).counts, [2, 0, 0]);
    const big = makeReply(upstreamQuery, { answers: Array.from({ length: 60 }, (_, i) => aRecord(`192.0.2.${i}`, 60)) });
    const truncated = buildRelay(client, parsed(client), extractReply(big, scanReply(big)), 0, 512, 1232);
    assert.equal(truncated.readUInt16BE(2) & 0x0200, 0x0200);
    assert.deepEqual(scanReply(truncated).counts, [0, 0, 0]);
    assert.ok(truncated.length <= 512);
  });

  it('drops records after an OPT that is not last, and applies a TTL policy', () => {
    const withOptFirst = makeReply(upstreamQuery, { answers: [aRecord('192.0.2.1', 300)], opt: false });
    const opt = Buffer.from([0, 0, 41, 4, 0xd0, 0, 0, 0, 0, 0, 0]);
    const after = makeReply(upstreamQuery, { additional: [txtRecord('z', 9)], opt: false }).subarray(12 + 22);
    const packet = Buffer.concat([withOptFirst, opt, after]);
    packet.writeUInt16BE(2, 10);
    const stored = extractReply(packet, scanReply(packet), () => 42);
    assert.deepEqual(stored.counts, [1, 0, 0]);
    assert.deepEqual([...stored.ttls], [42]);
  });
});
