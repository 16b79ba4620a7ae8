import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeNameText, nameText } from '../../src/wire/name-text.js';
import { emptyMatch, type MatchFilter, type RuleInput } from '../../src/lists/domain-table.js';
import { buildDomainTable } from '../../src/lists/domain-table-builder.js';
import { mulberry32 } from '../helpers/prng.js';

const all: MatchFilter = { lists: Uint8Array.from([1, 1]), redirects: true };

function rule(name: string, action: RuleInput['action'] = 'block', scope: RuleInput['scope'] = 'subtree'): RuleInput {
  return { name, list: action === 'redirect' ? 1 : 0, action, scope, line: 1 };
}

test('a dot inside a label is no label boundary: x\\.blocked.example is not under blocked.example', () => {
  const table = buildDomainTable([rule('blocked.example'), rule('vendor.example'), rule('pool.ntp.org', 'redirect')]);
  const match = (name: string) => ({ ...table.match(name, all, emptyMatch()) });
  assert.equal(match('x\\.blocked.example').block, -1);
  assert.ok(match('x.blocked.example').block >= 0);
  assert.equal(match('pool\\.ntp.org').redirect, -1, 'not redirected as pool.ntp.org');
  assert.ok(match('pool.ntp.org').redirect >= 0);
  assert.ok(match('a.pool.ntp.org').redirect >= 0);
  // Two backslashes are one escaped backslash: the dot after them does separate labels.
  const twoBackslashes = match('a\\\\.blocked.example');
  assert.ok(twoBackslashes.block >= 0);
  assert.equal(twoBackslashes.blockSuffix, 4);
  // An escaped label below a listed name is still covered by it, with the SOA owner at the rule.
  const below = match('x\\.y.vendor.example');
  assert.equal(table.rule(below.block).name, 'vendor.example');
  assert.equal(below.blockSuffix, 5);
  // Odd bytes are \DDD: a label holding them matches no rule, the labels above it still do.
  assert.ok(match('\\000\\255.blocked.example').block >= 0);
  assert.equal(match('blocked\\000.example').block, -1);
  assert.equal(match('blocked\\.example').block, -1);
});

/** Reference: suffixes made from the wire labels themselves, compared as text. */
function referenceBlock(rules: ReadonlySet<string>, wire: Buffer): number {
  const labels: string[] = [];
  for (let at = 0; wire[at] !== 0; at += 1 + wire[at]!) labels.push(nameText(Buffer.concat([wire.subarray(at, at + 1 + wire[at]!), Buffer.from([0])]), 0)!);
  let found = -1;
  let position = 0;
  const starts = labels.map((label) => { const start = position; position += label.length + 1; return start; });
  for (let index = labels.length - 1; index >= 0; index--) {
    if (rules.has(labels.slice(index).join('.'))) found = starts[index]!;
  }
  return found;
}

test('random names with dots, backslashes and odd bytes inside labels match exactly as label-by-label comparison says', () => {
  const rules = new Set(['a.b', 'b.c', 'x.a.b', 'b.c.d']);
  const table = buildDomainTable([...rules].map((name) => rule(name)));
  const next = mulberry32(77);
  // Whole labels, plain and awkward: rule labels, labels that only look like two, odd bytes.
  const pieces = ['a', 'b', 'c', 'd', 'x', 'B', 'a.b', 'x.a', 'b.c', 'a\\', '\\', '.', '\u0000b', 'b\u00ff'];
  let blocked = 0;
  for (let round = 0; round < 5000; round++) {
    const labels = Array.from({ length: 1 + (next() % 5) }, () => pieces[next() % pieces.length]!);
    const wire = Buffer.concat([...labels.flatMap((label) => [Buffer.from([label.length]), Buffer.from(label, 'latin1')]), Buffer.from([0])]);
    const text = nameText(wire, 0)!;
    const match = table.match(text, all, emptyMatch());
    const expected = referenceBlock(rules, wire);
    assert.equal(match.block >= 0 ? match.blockSuffix : -1, expected, text);
    assert.deepEqual(encodeNameText(text).length, wire.length);
    if (expected >= 0) blocked++;
  }
  assert.ok(blocked > 50, `the random names hit rules often enough to mean something (${blocked})`);
});
