import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseList } from '../helpers/reference-parse-list.js';
import { scanList } from '../../src/lists/scan-list.js';
import type { ListEntry } from '../../src/lists/rule.js';

/** The byte scanner must give exactly what parseList gives: entries, order, problems, meta. */
function scannedEntries(text: string, action: ListEntry['action'] = 'block'): { entries: [string, string, string, number][]; problems: unknown[]; bad: number; content: number } {
  const scanned = scanList(Buffer.from(text, 'utf8'), 'x.list', action);
  const entries: [string, string, string, number][] = [];
  for (let i = 0; i < scanned.count; i++) {
    const slow = scanned.slow[i]!;
    if (slow >= 0) {
      const e = scanned.slowEntries[slow]!;
      entries.push([e.name, e.action, e.scope, e.line]);
    } else {
      entries.push([Buffer.from(scanned.buffer).toString('latin1', scanned.start[i], scanned.end[i]), scanned.defaultAction, 'subtree', scanned.line[i]!]);
    }
  }
  return { entries, problems: scanned.problems, bad: scanned.badLines, content: scanned.contentLines };
}

const SAMPLES = [
  '# vendor: Example\n# updated: 2026-11-21\n# A description\n\ncloud.example.com   # API\n*.p2p.example.net\n=bucket.s3.amazonaws.com\n',
  '0.0.0.0 a.example.org b.example.org\n127.0.0.1 localhost\n0.0.0.0 localhost.localdomain\n0.0.0.0\tTabbed.Example.org\n127.0.0.1 x.example.org # c\n',
  '||ads.example.io^\n@@||ok.example.io^\n! adblock\nTrailing.Dot.Example.\r\nCRLF.example.com\r\n',
  'good.example.com\nbad name here\ncom\n||x.example^$third-party\nexa_mple..com\n1.2.3.4 real.example.com\n-lead.example.com\ntrail-.example.com\n_srv.example.com\n',
  `${'a'.repeat(64)}.example.com\n${'a'.repeat(63)}.example.com\nname#nospace.example.com\n0.0.0.0 0.0.0.0\nx.y\n  spaced.example.com  \nno-newline.example.com`,
  'ünïcode.example.com\nxn--nxasmq6b.example.com\n',
  // Where a line ends: blanks and comments after a name, CRs, empty and blank lines, no final newline.
  'sp.example.com \r\ntab.example.com\t# c\r\ncr.example.com\r# c\n0.0.0.0 \n0.0.0.0\n0.0.0.0 host.example.org\t \n\n   \n\t\r\n' +
    'UP.Example.COM#x\nvt.example.com\u000b\n127.0.0.1\tname.example.net # c # d\nname.example.net #\n\u000c lead.example.org\nlast.example.com  ',
  '0.0.0.0',
  '\n\n# only comments\n',
];

test('scanList gives the same entries, lines and problems as parseList', () => {
  for (const text of SAMPLES) {
    for (const action of ['block', 'allow', 'redirect'] as const) {
      const parsed = parseList(text, 'x.list', action);
      const scanned = scannedEntries(text, action);
      assert.deepEqual(scanned.entries, parsed.entries.map((e) => [e.name, e.action, e.scope, e.line]), text);
      assert.deepEqual(scanned.problems, parsed.problems, text);
      assert.equal(scanned.bad, parsed.badLines);
      assert.equal(scanned.content, parsed.contentLines);
    }
  }
});

test('scanList reads header metadata like parseList', () => {
  const text = '# vendor: Example\n# side-effects: app offline\n# Some words\na.example.com\n# not header\n';
  const scanned = scanList(Buffer.from(text), 'x.list', 'block');
  assert.deepEqual(scanned.meta, parseList(text, 'x.list', 'block').meta);
});
