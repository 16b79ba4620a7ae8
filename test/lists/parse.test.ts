import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseList } from '../helpers/reference-parse-list.js';

test('every accepted syntax yields the right rule and line', () => {
  const text = [
    '# vendor: Example',
    '# updated: 2026-11-21',
    '# side-effects: app shows offline',
    '# A description line',
    '',
    'cloud.example.com   # API; source: somewhere',
    '*.p2p.example.net',
    '=bucket.s3.amazonaws.com',
    '0.0.0.0 a.example.org b.example.org',
    '127.0.0.1 localhost',
    '||ads.example.io^',
    '@@||ok.example.io^',
    '! adblock comment',
    'Trailing.Dot.Example.',
  ].join('\n');
  const parsed = parseList(text, 'x.list', 'block');
  assert.deepEqual(parsed.problems, []);
  assert.deepEqual(parsed.entries.map((e) => [e.name, e.action, e.scope, e.line]), [
    ['cloud.example.com', 'block', 'subtree', 6],
    ['p2p.example.net', 'block', 'below', 7],
    ['bucket.s3.amazonaws.com', 'block', 'exact', 8],
    ['a.example.org', 'block', 'subtree', 9],
    ['b.example.org', 'block', 'subtree', 9],
    ['ads.example.io', 'block', 'subtree', 11],
    ['ok.example.io', 'allow', 'subtree', 12],
    ['trailing.dot.example', 'block', 'subtree', 14],
  ]);
  assert.equal(parsed.meta.vendor, 'Example');
  assert.equal(parsed.meta.updated, '2026-11-21');
  assert.deepEqual(parsed.meta.sideEffects, ['app shows offline']);
  assert.deepEqual(parsed.meta.description, ['A description line']);
});

test('bad lines are reported with file and line and skipped', () => {
  const parsed = parseList('good.example.com\nbad name here\ncom\n||x.example^$third-party\nexa_mple..com\n1.2.3.4 real.example.com\n', 'f.list', 'block');
  assert.deepEqual(parsed.entries.map((e) => e.name), ['good.example.com']);
  assert.deepEqual(parsed.problems.map((p) => p.line), [2, 3, 4, 5, 6]);
  for (const problem of parsed.problems) {
    assert.equal(problem.file, 'f.list');
    assert.equal(problem.severity, 'warning');
  }
  assert.match(parsed.problems[1]!.message, /single label/);
});

test('a garbage file keeps a bounded number of problems', () => {
  const garbage = Array.from({ length: 5000 }, (_, i) => `<html> junk ${i}`).join('\n');
  const parsed = parseList(garbage, 'g', 'block');
  assert.equal(parsed.badLines, 5000);
  assert.ok(parsed.problems.length <= 51);
});

test('the default action applies to plain lines; @@ is always allow', () => {
  const parsed = parseList('a.example.com\n@@||b.example.com^\n', 'n', 'redirect');
  assert.deepEqual(parsed.entries.map((e) => e.action), ['redirect', 'allow']);
});
