import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli } from '../helpers/daemon.js';

interface Explanation { name: string; kind: string; answer: string }

async function explain(name: string): Promise<Explanation> {
  const result = await runCli(['query', name, '--json']);
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as Explanation;
}

test('query: names are read and shown in presentation format; a dot inside a label is no label boundary', async () => {
  // One label "pool.ntp", then "org": not the NTP name pool.ntp.org.
  const escaped = await explain('Pool\\.NTP.org');
  assert.equal(escaped.name, 'pool\\.ntp.org');
  assert.notEqual(escaped.kind, 'redirect');
  assert.equal((await explain('pool.ntp.org')).kind, 'redirect');
  // "x.tplinkcloud", "com": not under tplinkcloud.com. "x.y", "n-devs", "tplinkcloud", "com": under it.
  assert.equal((await explain('x\\.tplinkcloud.com')).kind, 'forward');
  const below = await explain('x\\.y.n-devs.tplinkcloud.com');
  assert.deepEqual([below.name, below.kind, below.answer], ['x\\.y.n-devs.tplinkcloud.com', 'sinkhole', 'NXDOMAIN (with SOA)']);
  assert.equal((await explain('\\000\\255.tplinkcloud.com')).name, '\\000\\255.tplinkcloud.com');
  const text = await runCli(['query', 'a\\(b.example.org']);
  assert.match(text.stdout, /^a\\\(b\.example\.org A from /);
  const bad = await runCli(['query', 'a..example']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /not a valid domain name: empty label/);
});

test('lists test: suffixes end only at unescaped dots', async () => {
  assert.match((await runCli(['lists', 'test', 'x\\.tplinkcloud.com'])).stdout, /^x\\\.tplinkcloud\.com: on no list/);
  assert.match((await runCli(['lists', 'test', 'x\\\\.tplinkcloud.com'])).stdout, /block\s+tplinkcloud\.com\s+\(tplink, /);
});
