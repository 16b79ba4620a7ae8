import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli } from '../helpers/daemon.js';

interface VendorJson {
  lists: { name: string; vendor: string; covers: string; sideEffects: string[]; entries: { entry: string; line: number; note: string }[] }[];
}

test('lists --vendor: a family header and every entry with its source', async () => {
  const text = await runCli(['lists', '--vendor', 'lorex']);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^lorex \(block\): Lorex/m);
  assert.match(text.stdout, /side-effects: .*ntp\.lorexddns\.net/);
  assert.match(text.stdout, /^ {4}lorexddns\.net {2}# .*source: github\.com\/jonathanrobichaud4\/raysharp-dvr-api-docs-and-sdk/m);

  const json = JSON.parse((await runCli(['lists', '--vendor', 'Amcrest', '--json'])).stdout) as VendorJson;
  // The list named amcrest first, then lists whose vendor header names Amcrest (dahua, whose cloud Amcrest uses).
  assert.deepEqual(json.lists.map((list) => list.name), ['amcrest', 'dahua']);
  const amcrest = json.lists[0]!;
  assert.ok(amcrest.entries.length >= 1);
  for (const entry of amcrest.entries) assert.match(entry.note, /source:/, entry.entry);
  assert.ok(amcrest.entries.some((entry) => entry.entry === 'amcrestview.com'));

  // A family named by its brand, not its file: CP Plus has its own list and shares Dahua's P2P cloud.
  const cpplus = JSON.parse((await runCli(['lists', '--vendor', 'CP Plus', '--json'])).stdout) as VendorJson;
  assert.deepEqual(cpplus.lists.map((list) => list.name), ['cpplus', 'dahua']);
  const instaon = cpplus.lists[0]!;
  assert.ok(instaon.sideEffects.length > 0);
  assert.deepEqual(instaon.entries.map((entry) => entry.entry), ['instaonserver.com', 'instaonserverctc.com', '=www.instaon.com']);
  for (const entry of instaon.entries) assert.match(entry.note, /source: github\.com\/iamvivekkaushik\/instaon-camera-rtsp /, entry.entry);
});

test('lists --vendor with no matching list: one line on stderr, exit code 2', async () => {
  const result = await runCli(['lists', '--vendor', 'no-such-vendor']);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /^camshim: .*no-such-vendor/);
});

test('query names the family and the source of the deciding entry', async () => {
  const text = await runCli(['query', 'kittybrew.lorexddns.net']);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^rule: {3}lorexddns\.net \(lorex, .*lorex\.list:\d+\)$/m);
  assert.match(text.stdout, /^family: Lorex/m);
  assert.match(text.stdout, /^source: Lorex DDNS .*source: github\.com\/jonathanrobichaud4/m);

  // The vendor's NTP host below the same suffix is redirected, and says so with its own source.
  const ntp = JSON.parse((await runCli(['query', 'ntp.lorexddns.net', '--json'])).stdout) as { kind: string; rule: { list: string; family: string; source: string } };
  assert.equal(ntp.kind, 'redirect');
  assert.equal(ntp.rule.list, 'ntp-hosts');
  assert.match(ntp.rule.source, /RaySharp/);
});
