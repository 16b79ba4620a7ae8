import assert from 'node:assert/strict';
import { test } from 'node:test';
import { emptyMatch, type MatchFilter, type RuleInput } from '../../src/lists/domain-table.js';
import { buildDomainTable } from '../../src/lists/domain-table-builder.js';

const all: MatchFilter = { lists: Uint8Array.from([1, 1, 1]), redirects: true };

function rule(name: string, list = 0, action: RuleInput['action'] = 'block', scope: RuleInput['scope'] = 'subtree', line = 1): RuleInput {
  return { name, list, action, scope, line };
}

test('a subtree rule covers the name and everything below it, not siblings or parents', () => {
  const table = buildDomainTable([rule('tplinkcloud.com')]);
  const hit = (name: string): boolean => table.match(name, all, emptyMatch()).block >= 0;
  assert.ok(hit('tplinkcloud.com'));
  assert.ok(hit('n-devs.tplinkcloud.com'));
  assert.ok(hit('a.b.c.tplinkcloud.com'));
  assert.ok(!hit('com'));
  assert.ok(!hit('xtplinkcloud.com'));
  assert.ok(!hit('tplinkcloud.com.cn'));
});

test('scopes: *.name covers only below, =name only the name', () => {
  const table = buildDomainTable([rule('p2p.example', 0, 'block', 'below'), rule('exact.example', 0, 'block', 'exact')]);
  const hit = (name: string): boolean => table.match(name, all, emptyMatch()).block >= 0;
  assert.ok(!hit('p2p.example'));
  assert.ok(hit('x.p2p.example'));
  assert.ok(hit('exact.example'));
  assert.ok(!hit('a.exact.example'));
});

test('the most specific block rule is reported, with its suffix position for the SOA owner', () => {
  const table = buildDomainTable([rule('example.com', 0, 'block', 'subtree', 3), rule('cam.example.com', 1, 'block', 'subtree', 9)]);
  const match = table.match('a.cam.example.com', all, emptyMatch());
  assert.equal(table.rule(match.block).name, 'cam.example.com');
  assert.equal(table.rule(match.block).line, 9);
  assert.equal(match.blockSuffix, 2);
});

test('group filters: a rule from a list the group does not use does not match', () => {
  const table = buildDomainTable([rule('a.example', 0), rule('b.example', 1), rule('pool.ntp.org', 2, 'redirect')]);
  const onlyFirst: MatchFilter = { lists: Uint8Array.from([1, 0, 0]), redirects: false };
  assert.ok(table.match('a.example', onlyFirst, emptyMatch()).block >= 0);
  assert.equal(table.match('b.example', onlyFirst, emptyMatch()).block, -1);
  assert.equal(table.match('0.pool.ntp.org', onlyFirst, emptyMatch()).redirect, -1);
  assert.ok(table.match('0.pool.ntp.org', all, emptyMatch()).redirect >= 0);
});

test('the same name in two lists chains both rules', () => {
  const table = buildDomainTable([rule('dup.example', 0, 'block', 'subtree', 1), rule('dup.example', 1, 'allow', 'subtree', 7)]);
  assert.deepEqual(table.rulesFor('dup.example').map((r) => table.rule(r).list), [0, 1]);
  const match = table.match('x.dup.example', all, emptyMatch());
  assert.ok(match.allow >= 0 && match.block >= 0);
});

test('many names: every inserted name is found, absent ones are not (hash collisions resolved)', () => {
  const rules = Array.from({ length: 50_000 }, (_, i) => rule(`host${i}.vendor${i % 97}.example`));
  const table = buildDomainTable(rules);
  assert.equal(table.nameCount, 50_000);
  for (let i = 0; i < 50_000; i += 7) assert.ok(table.match(`host${i}.vendor${i % 97}.example`, all, emptyMatch()).block >= 0);
  for (let i = 0; i < 5_000; i++) assert.equal(table.match(`host${i}.vendor${(i + 1) % 97}.example`, all, emptyMatch()).block, -1);
  assert.ok(table.byteSize / 50_000 < 80, `bytes per name ${table.byteSize / 50_000}`);
});

test('common suffixes are stored as one byte and still match exactly', () => {
  const names = ['a.com', 'b.co.uk', 'co.uk.example', 'x.uk', 'plain.example', 'deep.sub.com.br', 'com.com', 'a.comx'];
  const table = buildDomainTable(names.map((name, i) => rule(name, 0, 'block', 'subtree', i + 1)));
  for (const [i, name] of names.entries()) {
    const match = table.match(`www.${name}`, all, emptyMatch());
    assert.ok(match.block >= 0, name);
    assert.equal(table.rule(match.block).name, name);
    assert.equal(table.rule(match.block).line, i + 1);
    assert.deepEqual(table.rulesFor(name).map((r) => table.rule(r).name), [name]);
  }
  for (const miss of ['b.uk', 'a.co', 'com', 'uk', 'a.co.uk', 'b.com.uk', 'a.comx.com', 'x.co.uk', 'br', 'sub.com.br', 'a.c\u00f6m']) {
    assert.equal(table.match(miss, all, emptyMatch()).block, -1, miss);
  }
  const plain = buildDomainTable([rule('host.vendor.example')]);
  assert.ok(table.byteSize < plain.byteSize * names.length, 'suffixes shrink the records');
});

test('repeated names anywhere in the input: rules chain in input order, an exact repeat keeps its first line, other names are untouched', () => {
  // A fixed pseudo-random mix: long runs of names seen once, names repeated from earlier lists
  // (another list or kind: chained) and exact repeats (same list and kind: dropped).
  let seed = 7;
  const next = (n: number): number => { seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff; return seed % n; };
  const suffixes = ['com', 'co.uk', 'example', 'amazonaws.com', 'cn', 'io'];
  const pool = Array.from({ length: 3_000 }, (_, i) => `h${i}.v${i % 13}.${suffixes[i % suffixes.length]!}`);
  const kinds: [RuleInput['action'], RuleInput['scope']][] = [['block', 'subtree'], ['allow', 'exact'], ['redirect', 'below'], ['block', 'exact']];
  const rules: RuleInput[] = [];
  for (let i = 0; i < 12_000; i++) {
    const name = i < 3_000 ? pool[i]! : pool[next(next(4) === 0 ? 3_000 : 300)]!;
    const [action, scope] = kinds[next(kinds.length)]!;
    rules.push(rule(name, next(3), action, scope, i + 1));
  }
  const expected = new Map<string, { list: number; action: string; scope: string; line: number }[]>();
  for (const r of rules) {
    const kept = expected.get(r.name) ?? [];
    if (!kept.some((k) => k.list === r.list && k.action === r.action && k.scope === r.scope)) kept.push({ list: r.list, action: r.action, scope: r.scope, line: r.line });
    expected.set(r.name, kept);
  }
  const table = buildDomainTable(rules);
  assert.equal(table.nameCount, expected.size);
  assert.equal(table.ruleCount, [...expected.values()].reduce((sum, kept) => sum + kept.length, 0));
  for (const [name, kept] of expected) {
    const found = table.rulesFor(name).map((index) => table.rule(index));
    assert.deepEqual(found.map(({ list, action, scope, line }) => ({ list, action, scope, line })), kept, name);
    assert.ok(found.every((r) => r.name === name));
  }
  // Without repeats the same names give the same answers.
  const once = buildDomainTable(pool.map((name, i) => rule(name, 1, 'block', 'subtree', i + 1)));
  assert.equal(once.ruleCount, pool.length);
  for (const [i, name] of pool.entries()) assert.equal(once.rule(once.match(`x.${name}`, all, emptyMatch()).block).line, i + 1);
});
