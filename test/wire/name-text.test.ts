import assert from 'node:assert/strict';
import { test } from 'node:test';
import { QType } from '../../src/wire/constants.js';
import { encodeQuery } from '../../src/wire/encode-query.js';
import {
  canonicalNameText, encodeNameText, isLabelStart, labelsBefore, nameText,
} from '../../src/wire/name-text.js';
import { decodeQuery } from '../../src/wire/query.js';
import { buildAnswer, buildSoaTemplate } from '../../src/wire/response.js';
import { mulberry32 } from '../helpers/prng.js';

/** Wire form of a name given as its labels' bytes. */
function wire(...labels: (string | number[])[]): Buffer {
  const parts = labels.map((label) => (typeof label === 'string' ? Buffer.from(label, 'latin1') : Buffer.from(label)));
  return Buffer.concat([...parts.flatMap((bytes) => [Buffer.from([bytes.length]), bytes]), Buffer.from([0])]);
}

/** A query packet whose question name is the given wire name. */
function queryWith(name: Buffer): Buffer {
  const header = Buffer.from([0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
  return Buffer.concat([header, name, Buffer.from([0, QType.A, 0, 1])]);
}

test('names print as dig prints them: escaped dots, backslashes and specials, \\DDD for non-printables, ASCII lower-cased', () => {
  const cases: [Buffer, string][] = [
    [wire('x.blocked', 'example'), 'x\\.blocked.example'],
    [wire('a\\', 'b'), 'a\\\\.b'],
    [wire('WWW', 'Example', 'COM'), 'www.example.com'],
    [wire([0x00, 0x20, 0x7f, 0x80, 0xc9, 0xff], 'example'), '\\000\\032\\127\\128\\201\\255.example'],
    [wire('"();@$', 'example'), '\\"\\(\\)\\;\\@\\$.example'],
    [wire('_dns-sd', '_udp', 'local'), '_dns-sd._udp.local'],
    [wire(), ''],
  ];
  for (const [name, text] of cases) {
    assert.equal(nameText(name, 0), text);
    const decoded = decodeQuery(queryWith(name));
    assert.equal(decoded.kind, 'query');
    assert.equal(decoded.kind === 'query' ? decoded.query.name : undefined, text, 'the decoder writes the same text');
  }
});

test('presentation text parses back to the same wire labels, case kept; bad text is a RangeError', () => {
  assert.deepEqual(encodeNameText('x\\.blocked.example'), wire('x.blocked', 'example'));
  assert.deepEqual(encodeNameText('x\\.blocked.example.'), wire('x.blocked', 'example'));
  assert.deepEqual(encodeNameText('a\\\\.b'), wire('a\\', 'b'));
  assert.deepEqual(encodeNameText('\\000\\065b.Example'), wire([0, 0x41, 0x62], 'Example'));
  assert.deepEqual(encodeNameText('\\q.x'), wire('q', 'x'));
  assert.deepEqual(encodeNameText('.'), wire());
  assert.deepEqual(encodeNameText(''), wire());
  for (const bad of ['a..b', '.a', 'a\\', 'a\\25', 'a\\25x', 'a\\256', `${'a'.repeat(64)}.b`, `${'a'.repeat(63)}.`.repeat(4) + 'ab', 'caf\u{1F600}.example', '\u0100.x']) {
    assert.throws(() => encodeNameText(bad), RangeError, bad);
  }
  assert.equal(canonicalNameText('X\\.Blocked.EXAMPLE.'), 'x\\.blocked.example');
  assert.equal(canonicalNameText('\\120\\046y.example'), 'x\\.y.example', '\\046 is a dot inside the label, printed as \\.');
});

test('round trip: random wire names (every byte value) -> text -> wire is the lower-cased original; label positions agree', () => {
  const next = mulberry32(0x5eed);
  const alphabet = [0x2e, 0x5c, 0x61, 0x41, 0x30, 0x2d, 0x00, 0x20, 0xff, 0x22];
  for (let round = 0; round < 3000; round++) {
    const labels: number[][] = [];
    let wireLength = 1;
    for (let count = 1 + (next() % 6); count > 0; count--) {
      const length = 1 + (next() % (round % 3 === 0 ? 63 : 6));
      if (wireLength + 1 + length > 255) break;
      wireLength += 1 + length;
      // Half the rounds draw from the awkward bytes, half from all 256.
      labels.push(Array.from({ length }, () => (round % 2 === 0 ? alphabet[next() % alphabet.length]! : next() & 0xff)));
    }
    const name = wire(...labels);
    const text = nameText(name, 0)!;
    // Length bytes are at most 63, so only label bytes fall in 'A'..'Z'.
    const lowered = Buffer.from(name.map((byte) => (byte >= 0x41 && byte <= 0x5a ? byte | 0x20 : byte)));
    assert.deepEqual(encodeNameText(text), lowered, text);
    const decoded = decodeQuery(queryWith(name));
    assert.equal(decoded.kind === 'query' ? decoded.query.name : undefined, text);
    // Label starts found in the text are exactly one per wire label, in order.
    const starts = [...text].flatMap((_, index) => (isLabelStart(text, index) ? [index] : []));
    assert.equal(starts.length, labels.length, text);
    starts.forEach((start, label) => assert.equal(labelsBefore(text, start), label, text));
  }
});

test('camshim queries built from presentation text carry the escaped label as one label', () => {
  const packet = encodeQuery('pool\\.ntp.org', QType.A, { id: 9 });
  assert.deepEqual(packet.subarray(12, packet.length - 4), wire('pool.ntp', 'org'));
});

test('the SOA owner pointer lands on the wire label the matched suffix starts with, for names with escapes', () => {
  const next = mulberry32(4242);
  const soa = buildSoaTemplate(900, 1);
  const pieces = ['a', 'x.y', 'b\\', '.', 'cam', '\u0000\u00ff', 'Q"'];
  for (let round = 0; round < 500; round++) {
    const labels = Array.from({ length: 1 + (next() % 5) }, () => pieces[next() % pieces.length]!);
    const name = Buffer.concat([...labels.flatMap((label) => [Buffer.from([label.length]), Buffer.from(label, 'latin1')]), Buffer.from([0])]);
    const packet = Buffer.concat([Buffer.from([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]), name, Buffer.from([0, 1, 0, 1])]);
    const decoded = decodeQuery(packet);
    assert.equal(decoded.kind, 'query');
    if (decoded.kind !== 'query') continue;
    const text = decoded.query.name;
    let wireAt = 12;
    for (let index = 0; index < text.length; index++) {
      if (!isLabelStart(text, index)) continue;
      const response = buildAnswer(packet, decoded.query, { rcode: 3, authoritative: true, soa: { template: soa, ownerIndex: index } }, 512, 1232);
      const pointer = response.readUInt16BE(packet.length) & 0x3fff;
      assert.equal(pointer, wireAt, `${text} at ${index}`);
      assert.equal(nameText(response, pointer), text.slice(index));
      wireAt += 1 + packet[wireAt]!;
    }
  }
});
