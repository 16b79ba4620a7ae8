/**
 * Property and fuzz tests for every decoder camshim runs on input it does not control: DNS
 * queries, DNS upstream replies, NTP packets, list lines and config files. Property: no input
 * makes a decoder throw anything but its typed error (CamshimError with a stable code), and
 * what it accepts is self-consistent. Seeded (see fuzz.ts): the seed is printed, failures print
 * the input in hex.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { QType } from '../../src/wire/constants.js';
import { encodeQuery } from '../../src/wire/encode-query.js';
import { encodeNameText } from '../../src/wire/name-text.js';
import { decodeQuery, skipName } from '../../src/wire/query.js';
import { buildError } from '../../src/wire/response.js';
import { buildRelay, minimumTtl } from '../../src/wire/relay.js';
import { scanReply, soaMinimum } from '../../src/wire/reply.js';
import { encodeUpstreamQuery, canonicalQuestion } from '../../src/wire/question.js';
import { CamshimError } from '../../src/errors.js';
import { parseConfigText } from '../../src/config/parse-yaml.js';
import { parseList } from '../helpers/reference-parse-list.js';
import { scanList } from '../../src/lists/scan-list.js';
import { classifyTrailer, decodeHeader, encodeHeader, MODE, NTP_HEADER_LENGTH } from '../../src/ntp/packet.js';
import { respond } from '../../src/ntp/responder.js';
import type { TimeState } from '../../src/ntp/time-state.js';
import { checkReply } from '../../src/upstream/reply-check.js';
import { cachePolicy } from '../../src/upstream/cache-policy.js';
import { fuzzScale, fuzzSeed, hex, mutate, type Prng } from './fuzz.js';

const SCALE = fuzzScale();
const N = (base: number): number => Math.round(base * SCALE);

function label(rng: Prng, length: number): string {
  const chars = 'abcdefghijklmnopqrstuvwxyz0123456789-ABCDEFGHIJKLMNOPQRSTUVWXYZ';
  let out = '';
  for (let i = 0; i < length; i++) out += chars[rng.int(chars.length)];
  return out;
}

/** A valid query with a random name, type, EDNS or not. */
function validQuery(rng: Prng): Buffer {
  const labels: string[] = [];
  const count = 1 + rng.int(5);
  for (let i = 0; i < count; i++) labels.push(label(rng, 1 + rng.int(20)));
  const edns = rng.chance(0.5) ? { payloadSize: rng.pick([0, 512, 1232, 4096, 65535]), dnssecOk: rng.chance(0.5), version: rng.chance(0.9) ? 0 : 1 } : undefined;
  return encodeQuery(labels.join('.'), rng.pick([QType.A, QType.AAAA, QType.ANY, QType.TXT, QType.HTTPS, rng.int(0x10000)]), { id: rng.int(0x10000), ...(edns === undefined ? {} : { edns }) });
}

/** Wire name with labels of the given lengths (no checks: may be oversized on purpose). */
function rawName(lengths: readonly number[]): Buffer {
  return Buffer.concat([...lengths.map((n) => Buffer.concat([Buffer.from([n]), Buffer.alloc(n, 0x61)])), Buffer.from([0])]);
}

function queryWithName(name: Buffer, counts: [number, number, number, number] = [1, 0, 0, 0], tail: Buffer = Buffer.alloc(0)): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(0x1234, 0);
  header.writeUInt16BE(0x0100, 2);
  counts.forEach((count, index) => header.writeUInt16BE(count, 4 + 2 * index));
  return Buffer.concat([header, name, Buffer.from([0, 1, 0, 1]), tail]);
}

function assertQueryResult(packet: Buffer): void {
  let result;
  try {
    result = decodeQuery(packet);
  } catch (error) {
    assert.fail(`decodeQuery threw ${String(error)} for ${hex(packet)}`);
  }
  if (result.kind === 'query') {
    const q = result.query;
    assert.ok(q.questionEnd >= 17 && q.questionEnd <= packet.length, `questionEnd ${q.questionEnd} out of range for ${hex(packet)}`);
    assertNameText(packet, q.name, q.questionEnd);
    if (q.edns !== null) assert.ok(q.edns.payloadSize >= 512 && q.edns.payloadSize <= 65535);
  } else if (result.kind === 'drop') {
    assert.ok(packet.length < 12 || (packet[2]! & 0x80) !== 0, `drop only for short or QR=1 packets: ${hex(packet)}`);
  } else {
    assert.ok(result.kind === 'formerr' || result.kind === 'notimp');
    assert.equal(result.id, packet.readUInt16BE(0));
    if (result.query !== null) assertNameText(packet, result.query.name, result.query.questionEnd);
    // The error reply: never larger than the packet, an OPT exactly when the query had a valid one.
    const reply = buildError(packet, result.query, result.id, result.flags, 1, 1232, { edns: result.edns });
    assert.ok(reply.length <= packet.length, `error reply of ${reply.length} bytes for ${hex(packet)}`);
    assert.equal(reply.readUInt16BE(10), result.edns === null ? 0 : 1);
  }
}

/** The decoded name is the question's wire name as presentation text: parsing it back gives the wire name, lower-cased. */
function assertNameText(packet: Buffer, name: string, questionEnd: number): void {
  const wire = Buffer.from(packet.subarray(12, questionEnd - 4).map((byte) => (byte >= 0x41 && byte <= 0x5a ? byte | 0x20 : byte)));
  assert.deepEqual(encodeNameText(name), wire, `name text ${JSON.stringify(name)} for ${hex(packet)}`);
  assert.match(name, /^[\x21-\x7e]*$/, 'printable ASCII only');
}

describe('DNS query decoder (decodeQuery) on hostile bytes', () => {
  test('random bytes: never throws; drop only for short packets or QR=1', () => {
    const rng = fuzzSeed('decodeQuery random');
    for (let i = 0; i < N(30_000); i++) assertQueryResult(rng.bytes(rng.int(600)));
  });

  test('mutations of valid queries: never throws, accepted queries are self-consistent', () => {
    const rng = fuzzSeed('decodeQuery mutations');
    for (let i = 0; i < N(60_000); i++) assertQueryResult(mutate(rng, validQuery(rng)));
  });

  test('a QR=1 packet is always dropped, whatever follows', () => {
    const rng = fuzzSeed('decodeQuery QR=1');
    for (let i = 0; i < N(5000); i++) {
      const packet = mutate(rng, validQuery(rng));
      if (packet.length < 12) continue;
      packet[2] = packet[2]! | 0x80;
      assert.deepEqual(decodeQuery(packet), { kind: 'drop', reason: 'response' });
    }
  });

  test('oversized labels and names, compression in the question, wrong counts: FORMERR, not a throw', () => {
    const cases: [string, Buffer, string][] = [
      ['label of 64', queryWithName(rawName([64])), 'bad label in question'],
      ['name of 256 wire bytes', queryWithName(rawName([63, 63, 63, 63])), 'name too long'],
      ['name of exactly 255 wire bytes is fine', queryWithName(rawName([63, 63, 63, 61])), ''],
      ['pointer to itself in the question', queryWithName(Buffer.from([0xc0, 12])), 'bad label in question'],
      ['QDCOUNT 0', queryWithName(rawName([3]), [0, 0, 0, 0]), 'QDCOUNT 0'],
      ['QDCOUNT 65535', queryWithName(rawName([3]), [65535, 0, 0, 0]), 'QDCOUNT 65535'],
      ['ARCOUNT 65535 with nothing after', queryWithName(rawName([3]), [1, 0, 0, 65535]), 'record truncated'],
      ['additional record whose name is a pointer loop', queryWithName(rawName([3]), [1, 0, 0, 1], Buffer.from([0xc0, 21, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0])), ''],
      ['additional record owner runs off the end', queryWithName(rawName([3]), [1, 0, 0, 1], Buffer.from([5, 0x61])), 'record truncated'],
      ['two OPT records', queryWithName(rawName([3]), [1, 0, 0, 2], Buffer.concat([Buffer.from([0, 0, 41, 4, 0, 0, 0, 0, 0, 0, 0]), Buffer.from([0, 0, 41, 4, 0, 0, 0, 0, 0, 0, 0])])), 'more than one OPT'],
      ['RDLENGTH past the end', queryWithName(rawName([3]), [1, 0, 0, 1], Buffer.from([0, 0, 41, 4, 0, 0, 0, 0, 0, 0xff, 0xff])), 'record truncated'],
    ];
    for (const [name, packet, reason] of cases) {
      const result = decodeQuery(packet);
      if (reason === '') assert.equal(result.kind, 'query', name);
      else assert.deepEqual(result.kind === 'formerr' ? result.reason : result, reason, name);
    }
  });

  test('skipName never follows a pointer, so loops cannot spin; any offset is safe', () => {
    const rng = fuzzSeed('skipName');
    for (let i = 0; i < N(20_000); i++) {
      const packet = rng.bytes(rng.int(300));
      const start = rng.int(packet.length + 3);
      const end = skipName(packet, start);
      assert.ok(end === -1 || (end > start && end <= packet.length), `skipName(${start}) = ${end} for ${hex(packet)}`);
    }
  });
});

/** A plausible upstream reply to `query` with some records, compressed owners and an SOA. */
function validReply(rng: Prng, query: Buffer): Buffer {
  const decoded = decodeQuery(query);
  if (decoded.kind !== 'query') throw new Error('bad seed query');
  const question = query.subarray(12, decoded.query.questionEnd);
  const records: Buffer[] = [];
  const answers = rng.int(4);
  for (let i = 0; i < answers; i++) {
    records.push(Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 1, 0, 0, 4, 10, 0, 0, rng.int(256)]));
  }
  const soa = answers === 0;
  if (soa) {
    const tail = Buffer.alloc(20);
    tail.writeUInt32BE(300, 16);
    const rdata = Buffer.concat([Buffer.from([2, 0x6e, 0x73, 0xc0, 0x0c]), Buffer.from([0xc0, 0x0c]), tail]);
    const head = Buffer.from([0xc0, 0x0c, 0, 6, 0, 1, 0, 0, 0x0e, 0x10, 0, rdata.length]);
    records.push(Buffer.concat([head, rdata]));
  }
  const header = Buffer.alloc(12);
  header.writeUInt16BE(query.readUInt16BE(0), 0);
  header.writeUInt16BE(0x8180 | (soa ? 3 : 0), 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(answers, 6);
  header.writeUInt16BE(soa ? 1 : 0, 8);
  header.writeUInt16BE(1, 10);
  return Buffer.concat([header, question, ...records, Buffer.from([0, 0, 41, 4, 0xd0, 0, 0, 0, 0, 0, 0])]);
}

describe('DNS upstream reply decoder (scanReply, checkReply, relay) on hostile bytes', () => {
  const exercise = (reply: Buffer, query: Buffer): void => {
    let scan;
    try {
      scan = scanReply(reply);
    } catch (error) {
      assert.ok(error instanceof CamshimError && error.code === 'WIRE_FORMAT', `scanReply threw ${String(error)} for ${hex(reply)}`);
    }
    let checked;
    const questionEnd = (decodeQuery(query) as { query: { questionEnd: number } }).query.questionEnd;
    try {
      checked = checkReply(reply, query, questionEnd);
    } catch (error) {
      assert.fail(`checkReply threw ${String(error)} for ${hex(reply)}`);
    }
    for (const candidate of [scan, 'scan' in checked ? checked.scan : undefined]) {
      if (candidate === undefined) continue;
      try {
        for (const record of candidate.records) {
          assert.ok(record.end <= reply.length && record.rdataOffset <= record.end);
          soaMinimum(reply, record);
        }
        const policy = cachePolicy(reply, candidate, { minTtl: 0, maxTtl: 86400 });
        minimumTtl(policy.stored);
        const decoded = decodeQuery(query);
        if (decoded.kind === 'query' && policy.stored.questionLength === decoded.query.questionEnd - 12) {
          for (const limit of [512, 1232]) {
            const relayed = buildRelay(query, decoded.query, policy.stored, 5, limit, 1232);
            assert.ok(relayed.length <= Math.max(limit, 512) || (relayed[2]! & 0x02) !== 0, `relay of ${relayed.length} bytes over limit ${limit}`);
            assert.equal(relayed.readUInt16BE(0), decoded.query.id);
          }
        }
      } catch (error) {
        assert.fail(`walking an accepted reply threw ${String((error as Error).stack)} for ${hex(reply)}`);
      }
    }
  };

  test('random bytes: only WIRE_FORMAT errors; checkReply never throws', () => {
    const rng = fuzzSeed('scanReply random');
    for (let i = 0; i < N(20_000); i++) {
      const query = validQuery(rng);
      const reply = rng.bytes(rng.int(600));
      if (rng.chance(0.5) && reply.length >= 2) query.copy(reply, 0, 0, 2);
      exercise(reply, query);
    }
  });

  test('mutations of valid replies (bit flips, truncation, pointers, counts): accepted ones relay within limits', () => {
    const rng = fuzzSeed('scanReply mutations');
    for (let i = 0; i < N(40_000); i++) {
      const query = validQuery(rng);
      exercise(mutate(rng, validReply(rng, query)), query);
    }
  });

  test('compression pointer loops inside records and SOA RDATA are walked, never followed', () => {
    const query = encodeQuery('loop.example', QType.A, { id: 7 });
    const loopSoa = Buffer.concat([
      Buffer.from([0x00, 0x07, 0x81, 0x83, 0, 1, 0, 0, 0, 1, 0, 0]), query.subarray(12),
      // SOA whose MNAME points at itself and RNAME at MNAME
      Buffer.from([0xc0, 0x0c, 0, 6, 0, 1, 0, 0, 0, 60, 0, 24]), Buffer.from([0xc0, 0x00 + 12 + query.length - 12 + 12]), Buffer.from([0xc0, 0x0c]), Buffer.alloc(20),
    ]);
    exercise(loopSoa, query);
    const selfPointer = Buffer.concat([Buffer.from([0x00, 0x07, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0]), query.subarray(12), Buffer.from([0xc0, 30, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 1, 2, 3, 4])]);
    exercise(selfPointer, query);
    assert.throws(() => scanReply(Buffer.concat([Buffer.from([0, 7, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0]), Buffer.from([0xc0, 12, 0, 1, 0, 1])])),
      (error: unknown) => error instanceof CamshimError && error.code === 'WIRE_FORMAT');
  });

  test('encodeUpstreamQuery of any decodable question is itself decodable', () => {
    const rng = fuzzSeed('upstream query round trip');
    for (let i = 0; i < N(5000); i++) {
      const packet = mutate(rng, validQuery(rng));
      const decoded = decodeQuery(packet);
      if (decoded.kind !== 'query') continue;
      const upstream = encodeUpstreamQuery(canonicalQuestion(packet, decoded.query.questionEnd), { id: 1, payloadSize: 1232, dnssecOk: false, checkingDisabled: false });
      const again = decodeQuery(upstream);
      assert.equal(again.kind, 'query', hex(packet));
      if (again.kind === 'query') assert.equal(again.query.name, decoded.query.name);
    }
  });
});

describe('NTP packet decoder and responder on hostile bytes', () => {
  const state: TimeState = {
    name: 'synchronised', reason: 'test', source: 'test', leap: 0, stratum: 3, refId: 0x7f000001, refTimeNs: BigInt(Date.now()) * 1_000_000n,
    rootDelay: 0.01, rootDispersion: 0.01, dispersionAtNs: BigInt(Date.now()) * 1_000_000n, precision: -20,
  };

  const exercise = (packet: Buffer): void => {
    try {
      decodeHeader(packet);
    } catch (error) {
      assert.ok(error instanceof CamshimError && error.code === 'NTP_PACKET_TOO_SHORT' && packet.length < NTP_HEADER_LENGTH, `decodeHeader threw ${String(error)} for ${hex(packet)}`);
    }
    const trailer = classifyTrailer(packet, (packet[0] ?? 0) >> 3 & 7);
    assert.ok(['none', 'extensions', 'mac', 'malformed'].includes(trailer.kind));
    let decision;
    try {
      decision = respond({ request: packet, receiveNs: BigInt(Date.now()) * 1_000_000n, state, rateLimit: () => 'pass' });
    } catch (error) {
      assert.fail(`respond threw ${String(error)} for ${hex(packet)}`);
    }
    const mode = (packet[0] ?? 0) & 7;
    if (mode === MODE.control || mode === MODE.private) assert.equal(decision.action, 'drop', `mode ${mode} answered: ${hex(packet)}`);
    if (decision.action !== 'drop') {
      assert.equal(mode, MODE.client);
      assert.equal(decision.packet.length, NTP_HEADER_LENGTH);
      // Never larger than the request: no amplification.
      assert.ok(decision.packet.length <= packet.length);
    }
  };

  test('random bytes and mutations of client requests: never throws; modes 6 and 7 never answered', () => {
    const rng = fuzzSeed('ntp');
    const request = encodeHeader({ leap: 0, version: 4, mode: MODE.client, stratum: 0, poll: 6, precision: -20, rootDelay: 0, rootDispersion: 0, refId: 0, referenceTs: 0n, originTs: 0n, receiveTs: 0n, transmitTs: 0x1234n } as never);
    for (let i = 0; i < N(30_000); i++) exercise(rng.bytes(rng.int(200)));
    for (let i = 0; i < N(30_000); i++) exercise(mutate(rng, request));
    for (const mode of [6, 7]) {
      for (let i = 0; i < N(2000); i++) {
        const packet = mutate(rng, request);
        if (packet.length === 0) continue;
        packet[0] = (packet[0]! & 0xf8) | mode;
        exercise(packet);
      }
    }
  });
});

describe('list and config parsers on hostile text', () => {
  const SAMPLE_LIST = '# vendor: Test\n# updated: 2026-01-01\ncloud.vendor.example\n*.p2p.vendor.example\n=exact.vendor.example\n0.0.0.0 a.example b.example # trailing\n||ad.example^\n@@||ok.example^\n! comment\n';
  const SAMPLE_CONFIG = 'dns:\n  port: 5353\n  tcp:\n    maxConnections: 20\naccess:\n  allow: [127.0.0.0/8, "::1/128"]\ngroups:\n  - name: cams\n    clients: [192.168.20.0/24]\n    unlisted: nxdomain\nlists:\n  sources:\n    - path: a.list\n      kind: block\nupstream:\n  servers: ["127.0.0.1:5300"]\n';

  const textMutate = (rng: Prng, text: string): string => {
    const bytes = mutate(rng, Buffer.from(text, 'utf8'));
    return rng.chance(0.5) ? bytes.toString('utf8') : bytes.toString('latin1');
  };

  test('parseList and scanList: never throw; every problem is LIST_INVALID with a line; problems stay bounded', () => {
    const rng = fuzzSeed('parseList');
    for (let i = 0; i < N(20_000); i++) {
      const text = rng.chance(0.2) ? rng.bytes(rng.int(400)).toString('latin1') : textMutate(rng, SAMPLE_LIST);
      let parsed;
      try {
        parsed = parseList(text, 'fuzz.list', 'block');
      } catch (error) {
        assert.fail(`parseList threw ${String(error)} for ${JSON.stringify(text)}`);
      }
      for (const problem of parsed.problems) assert.equal(problem.code, 'LIST_INVALID');
      assert.ok(parsed.problems.length <= 51);
      for (const entry of parsed.entries) assert.ok(entry.name.length <= 253 && entry.name.includes('.'), JSON.stringify(entry));
    }
    // The loader's byte-level scanner (what the daemon runs) gets the same inputs.
    const rng2 = fuzzSeed('scanList');
    for (let i = 0; i < N(20_000); i++) {
      const bytes = rng2.chance(0.2) ? rng2.bytes(rng2.int(400)) : mutate(rng2, Buffer.from(SAMPLE_LIST));
      let scanned;
      try {
        scanned = scanList(bytes, 'fuzz.list', 'block');
      } catch (error) {
        assert.fail(`scanList threw ${String(error)} for ${hex(bytes)}`);
      }
      for (const problem of scanned.problems) assert.equal(problem.code, 'LIST_INVALID');
      assert.ok(scanned.problems.length <= 51);
      for (let e = 0; e < scanned.count; e++) {
        if (scanned.slow[e]! >= 0) continue;
        assert.ok(scanned.end[e]! <= bytes.length && scanned.start[e]! <= scanned.end[e]! && scanned.end[e]! - scanned.start[e]! <= 253, `entry ${e} out of range for ${hex(bytes)}`);
      }
    }
    // Oversized: a 5 MB line and 200 000 bad lines are skipped and counted, not kept.
    const huge = parseList(`${'a'.repeat(5_000_000)}.example\n${'bad line here\n'.repeat(200_000)}`, 'huge.list', 'block');
    assert.equal(huge.entries.length, 0);
    assert.ok(huge.problems.length <= 51);
    assert.equal(huge.badLines, 200_001);
  });

  test('parseConfigText: only CONFIG_YAML / CONFIG_INVALID errors, each problem with a code', () => {
    const rng = fuzzSeed('parseConfigText');
    let accepted = 0;
    for (let i = 0; i < N(3000); i++) {
      const text = rng.chance(0.1) ? rng.bytes(rng.int(300)).toString('latin1') : textMutate(rng, SAMPLE_CONFIG);
      try {
        parseConfigText(text, 'fuzz.yaml');
        accepted++;
      } catch (error) {
        assert.ok(error instanceof CamshimError && (error.code === 'CONFIG_YAML' || error.code === 'CONFIG_INVALID'), `parseConfigText threw ${String(error)} for ${JSON.stringify(text)}`);
      }
    }
    assert.ok(accepted > 0, 'some mutations stay valid');
    // YAML bombs: aliases that expand exponentially, deep nesting.
    const bomb = `a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n`;
    const deep = `${'['.repeat(5000)}${']'.repeat(5000)}`;
    for (const text of [bomb, deep]) {
      const started = performance.now();
      assert.throws(() => parseConfigText(text, 'bomb.yaml'), (error: unknown) => error instanceof CamshimError && (error.code === 'CONFIG_YAML' || error.code === 'CONFIG_INVALID'));
      assert.ok(performance.now() - started < 5000, 'rejected quickly');
    }
  });
});
