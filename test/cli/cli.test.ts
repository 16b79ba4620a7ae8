import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { runCli, tempDir } from '../helpers/daemon.js';

test('--help and --version work for the program and every command', async () => {
  const version = await runCli(['--version']);
  assert.equal(version.code, 0);
  assert.match(version.stdout, /^\d+\.\d+\.\d+/);
  for (const args of [['--help'], ['serve', '--help'], ['check', '--help'], ['query', '--help'], ['lists', '--help']]) {
    const result = await runCli(args);
    assert.equal(result.code, 0, args.join(' '));
    assert.match(result.stdout, /camshim/);
  }
  const serveHelp = await runCli(['serve', '--help']);
  for (const flag of ['--config', '--listen', '--dns-port', '--blocklist', '--log-level']) assert.match(serveHelp.stdout, new RegExp(flag));
});

test('unknown flags, bad values and missing arguments: one line on stderr, exit code 2', async () => {
  for (const args of [['serve', '--bogus'], ['serve', '--dns-port', 'x'], ['serve', '--dns-port', '70000'], ['serve', '--listen', 'nowhere'], ['serve', '--log-level', 'loud'], ['query'], ['query', 'a.example', '--type', 'NOPE'], ['query', 'a.example', '--client', '1.2'], ['frobnicate'], []]) {
    const result = await runCli(args);
    assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
    assert.equal(result.stderr.trim().split('\n').length, 1, `${args.join(' ')}: ${result.stderr}`);
    assert.match(result.stderr, /^camshim: /);
  }
});

test('check: the embedded defaults and the bundled lists are clean', async () => {
  const result = await runCli(['check']);
  assert.equal(result.code, 0, result.stdout);
  assert.match(result.stdout, /embedded defaults: OK — \d+ lists, \d+ rules, 0 warning\(s\)/);
});

test('check: every problem is printed with file and line, exit code 1', async () => {
  const dir = await tempDir({
    'bad.list': 'ok.example\nnot a name\namazonaws.com\n',
    'config.yaml': 'dns:\n  port: -1\ngroups:\n  - name: x\n    clients: [nope]\n',
    'good.yaml': 'lists:\n  sources:\n    - path: bad.list\n',
  });
  const config = await runCli(['check', '--config', path.join(dir, 'config.yaml')]);
  assert.equal(config.code, 1);
  assert.match(config.stdout, /config\.yaml: dns\.port: expected an integer from 0 to 65535, got -1/);
  assert.match(config.stdout, /groups\[0\]\.clients\[0\]/);
  const lists = await runCli(['check', '--config', path.join(dir, 'good.yaml')]);
  assert.equal(lists.code, 1);
  assert.match(lists.stdout, /bad\.list:2: warning: "not a name"|bad\.list:2: warning: hosts line/);
  assert.match(lists.stdout, /bad\.list:3: "amazonaws\.com" is on the never-block list/);
  const missing = await runCli(['check', '--config', path.join(dir, 'absent.yaml')]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /cannot read config .*absent\.yaml: no such file/);
});

test('query: explains the answer with group, rule, list file and line; --json for scripts', async () => {
  const text = await runCli(['query', 'n-devs.tplinkcloud.com']);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /answer: NXDOMAIN \(with SOA\)/);
  assert.match(text.stdout, /rule:\s+tplinkcloud\.com \(tplink, .*tplink\.list:\d+\)/);
  const json = await runCli(['query', 'pool.ntp.org', '--type', 'AAAA', '--client', '::1', '--json']);
  const parsed = JSON.parse(json.stdout) as { kind: string; group: string; rule: { list: string; line: number } };
  assert.equal(parsed.kind, 'redirect');
  assert.equal(parsed.group, 'default');
  assert.equal(parsed.rule.list, 'ntp-hosts');
  const forwarded = JSON.parse((await runCli(['query', 'www.example.org', '--json'])).stdout) as { kind: string; answer: string; upstream: string };
  assert.equal(forwarded.kind, 'forward');
  assert.equal(forwarded.answer, 'from upstream');
  assert.ok(forwarded.upstream.length > 0);
  const outside = JSON.parse((await runCli(['query', 'pool.ntp.org', '--client', '203.0.113.9', '--json'])).stdout) as { kind: string; allowed: boolean };
  assert.deepEqual([outside.kind, outside.allowed], ['refused', false]);
});

test('lists: shows every loaded list; lists test shows which entry of which file matches', async () => {
  const table = await runCli(['lists']);
  assert.equal(table.code, 0);
  assert.match(table.stdout, /^LIST\s+KIND\s+VENDOR\s+ENTRIES\s+UPDATED\s+FILE/);
  assert.match(table.stdout, /\ntplink\s+block\s+TP-Link/);
  assert.match(table.stdout, /\nntp-hosts\s+ntp/);
  const match = await runCli(['lists', 'test', 'x.n-devs.tplinkcloud.com']);
  assert.match(match.stdout, /block\s+tplinkcloud\.com\s+\(tplink, .*tplink\.list:\d+\)/);
  const none = await runCli(['lists', 'test', 'nothing.invalid']);
  assert.match(none.stdout, /on no list/);
});
