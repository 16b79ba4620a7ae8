import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import path from 'node:path';
import { test } from 'node:test';
import { dig } from '../helpers/dig.js';
import { runCli, startDaemon, tempDir } from '../helpers/daemon.js';

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
  assert.match(config.stdout, /config\.yaml: dns\.port: expected a port number from 1 to 65535, got -1/);
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

test('bad flag values are explained: upstreams are IP[:port], the valid log levels, not a port number; exit code 2', async () => {
  const cases: [string[], RegExp][] = [
    [['serve', '--upstream', 'dns.google'], /^camshim: --upstream: expected an upstream as IP\[:port\] or \[IPv6\]:port \(host names are not accepted\), got "dns.google"$/],
    [['serve', '--log-level', 'loud'], /^camshim: --log-level: expected one of "fatal", "error", "warn", "info", "debug", "trace", "silent", got "loud"$/],
    [['serve', '--dns-port', 'abc'], /^camshim: --dns-port: expected a port number from 1 to 65535, got "abc"$/],
    // A random port is never what a user means: for DNS, 0 is an error (for NTP it means no NTP server).
    [['serve', '--dns-port', '0'], /^camshim: --dns-port: expected a port number from 1 to 65535, got 0$/],
    [['serve', '--ntp-port', '-1'], /^camshim: --ntp-port: expected a port number from 1 to 65535, or 0 for no NTP server, got -1$/],
  ];
  for (const [args, message] of cases) {
    const result = await runCli(args);
    assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
    assert.match(result.stderr.trim(), message);
    assert.equal(result.stdout, '');
  }
  const help = await runCli(['serve', '--help']);
  assert.match(help.stdout, /fatal, error, warn, info, debug, trace, silent/);
  assert.match(help.stdout, /0: no NTP server/);
});

test('a YAML syntax error names the file, line and column, with nothing dangling', async () => {
  const dir = await tempDir({ 'bad.yaml': 'dns:\n  port: 53\n  listen: [127.0.0.1\nlog:\n  level: info\n' });
  for (const command of [['check'], ['serve'], ['lists']]) {
    const result = await runCli([...command, '--config', path.join(dir, 'bad.yaml')]);
    assert.equal(result.code, 1, `${command[0]}: ${result.stderr}`);
    const line = `${result.stdout}${result.stderr}`.split('\n').find((text) => text.includes('[CONFIG_YAML]'));
    assert.ok(line !== undefined, `${command[0]}: ${result.stdout}${result.stderr}`);
    assert.match(line, /bad\.yaml:\d+:\d+: [^:\n]*[A-Za-z\]] \[CONFIG_YAML\]$/);
    assert.doesNotMatch(line, /at line \d+, column \d+/);
  }
});

test('--ntp-port 0: no NTP server, and DNS serves', async () => {
  // Without the test suite's ephemeral-port switch, 0 has the user's meaning, so DNS needs a real
  // port: one the kernel just handed out and took back (UDP only, so one number is enough).
  const port = await new Promise<number>((resolve) => {
    const socket = dgram.createSocket('udp4');
    socket.bind({ address: '127.0.0.1', port: 0 }, () => { const chosen = socket.address().port; socket.close(() => resolve(chosen)); });
  });
  const dir = await tempDir({ 'c.yaml': 'dns:\n  tcp: { enabled: false }\n' });
  const daemon = await startDaemon(['--config', path.join(dir, 'c.yaml'), '--listen', '127.0.0.1', '--dns-port', String(port), '--ntp-port', '0'], { env: { CAMSHIM_TEST_EPHEMERAL_PORTS: '' } });
  try {
    assert.equal(daemon.port('udp', 4), port);
    assert.equal((await dig('dig', '127.0.0.1', port, ['n-devs.tplinkcloud.com', '+notcp'])).status, 'NXDOMAIN');
    assert.ok(!daemon.logs.some((line) => String(line.msg).startsWith('NTP server started')), 'no NTP server');
  } finally {
    assert.equal(await daemon.stop(), 0);
  }
});

test('a configured list file that is missing: serve keeps DNS up and logs it at error level; check and lists show it and fail', async () => {
  const dir = await tempDir({ 'c.yaml': 'lists:\n  sources:\n    - path: absent.list\n' });
  const missing = path.join(dir, 'absent.list');
  const daemon = await startDaemon(['--config', path.join(dir, 'c.yaml'), '--listen', '127.0.0.1']);
  try {
    const logged = daemon.logs.find((line) => line.level === 50 && String(line.msg).includes(missing));
    assert.ok(logged !== undefined, JSON.stringify(daemon.logs.slice(0, 5)));
    assert.match(String(logged.msg), /cannot read list: no such file or folder \[LIST_READ\]/);
    // The bundled lists still sinkhole.
    assert.equal((await dig('dig', '127.0.0.1', daemon.port('udp', 4), ['n-devs.tplinkcloud.com'])).status, 'NXDOMAIN');
  } finally {
    assert.equal(await daemon.stop(), 0);
  }
  const check = await runCli(['check', '--config', path.join(dir, 'c.yaml')]);
  assert.equal(check.code, 1);
  assert.ok(check.stdout.includes(`${missing}: cannot read list: no such file or folder [LIST_READ]`), check.stdout);
  const lists = await runCli(['lists', '--config', path.join(dir, 'c.yaml')]);
  assert.equal(lists.code, 1);
  assert.match(lists.stdout, /\ntplink\s+block/);
  assert.ok(lists.stdout.includes(`${missing}: cannot read list`), lists.stdout);
  const json = JSON.parse((await runCli(['lists', '--json', '--config', path.join(dir, 'c.yaml')])).stdout) as { problems: { file: string; code: string }[] };
  assert.deepEqual(json.problems.map((problem) => [problem.file, problem.code]), [[missing, 'LIST_READ']]);
});
