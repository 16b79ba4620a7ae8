import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configFrom, defaultConfig, loadConfig, validateConfig } from '../../src/config/load-config.js';
import { parseConfigText } from '../../src/config/parse-yaml.js';
import { ntpOptionsFromConfig } from '../../src/ntp/options-from-config.js';
import { tempDir } from '../helpers/daemon.js';
import path from 'node:path';
import { PRIVATE_NETWORKS } from '../../src/config/config-schema.js';
import { CamshimError } from '../../src/errors.js';

test('the embedded defaults: wildcard listen on 53, private networks only, forward by default', () => {
  const config = defaultConfig();
  assert.deepEqual(config.dns.listen, ['0.0.0.0', '::']);
  assert.equal(config.dns.port, 53);
  assert.deepEqual(config.access.allow, PRIVATE_NETWORKS);
  assert.equal(config.defaultGroup.unlisted, 'forward');
  assert.equal(config.dns.negativeTtl, 3600);
  assert.equal(config.lists.bundled, true);
});

test('a partial file keeps every other default', () => {
  const config = parseConfigText('dns:\n  port: 5353\n', 'c.yaml');
  assert.equal(config.dns.port, 5353);
  assert.deepEqual(config.dns.listen, ['0.0.0.0', '::']);
  assert.equal(config.dns.tcp.idleTimeoutMs, 10_000);
});

test('every error is reported at once, each with its dotted path and what was expected', () => {
  const { config, problems } = validateConfig({
    dns: { port: 70000, listen: ['1.2.3.4', 'not-an-ip'], tcp: { idleTimeoutMs: 'soon' } },
    groups: [{ name: 'cams', clients: ['192.168.20.0/33'], unlisted: 'maybe' }, { clients: [] }],
    colour: 'blue',
    ntpRedirect: { ipv4: '::1' },
  });
  assert.equal(config, undefined);
  const byPath = new Map(problems.map((p) => [p.path, p.message]));
  assert.match(byPath.get('dns.port')!, /^expected a port number from 1 to 65535, got 70000$/);
  assert.match(byPath.get('dns.listen[1]')!, /IPv4 or IPv6 address/);
  assert.match(byPath.get('dns.tcp.idleTimeoutMs')!, /integer/);
  assert.match(byPath.get('groups[0].clients[0]')!, /network/);
  assert.match(byPath.get('groups[0].unlisted')!, /"forward", "nxdomain", "refuse"/);
  assert.match(byPath.get('groups[1].name')!, /missing/);
  assert.match(byPath.get('groups[1].clients')!, /at least 1/);
  assert.match(byPath.get('colour')!, /unknown key; expected one of: dns, access/);
  assert.match(byPath.get('ntpRedirect.ipv4')!, /IPv4 address/);
  assert.equal(problems.length, 9);
});

test('YAML syntax errors name the file and line; duplicate keys are errors', () => {
  assert.throws(() => parseConfigText('dns:\n  port: 53\n  port: 54\n', 'dup.yaml'), (error: unknown) => {
    assert.ok(error instanceof CamshimError);
    assert.equal(error.code, 'CONFIG_YAML');
    assert.match(error.message, /^dup\.yaml:3:3: Map keys must be unique \[CONFIG_YAML\]$/);
    return true;
  });
  assert.throws(() => parseConfigText('dns: [\n', 'bad.yaml'), (error: unknown) => {
    assert.ok(error instanceof CamshimError);
    // file:line:column, then the reason, with nothing dangling after it (no "at line 2, column 1:").
    assert.match(error.message, /^bad\.yaml:2:1: [A-Z][^\n]*[a-z\]] \[CONFIG_YAML\]$/);
    assert.doesNotMatch(error.message, /at line|:\s*\[CONFIG_YAML\]/);
    return true;
  });
});

test('group names must be unique and not "default"', () => {
  const { problems } = validateConfig({ groups: [{ name: 'a', clients: ['10.0.0.0/8'] }, { name: 'a', clients: ['10.1.0.0/16'] }, { name: 'default', clients: ['10.2.0.0/16'] }] });
  assert.deepEqual(problems.map((p) => p.path), ['groups[1].name', 'groups[2].name']);
});

test('CIDRs and addresses are normalised', () => {
  const config = parseConfigText('access:\n  allow: ["192.168.1.7", "FD00::/8"]\ndns:\n  listen: ["::FFFF:127.0.0.1"]\n', 'n.yaml');
  assert.deepEqual(config.access.allow, ['192.168.1.7/32', 'fd00::/8']);
});

test('the config every module receives is frozen all the way down', () => {
  const config = parseConfigText('groups:\n  - name: cams\n    clients: [192.168.20.0/24]\n', 'f.yaml');
  for (const part of [config, config.dns, config.dns.listen, config.dns.rateLimit, config.groups, config.groups[0]!, config.groups[0]!.clients, config.ntp.rateLimit]) {
    assert.ok(Object.isFrozen(part));
  }
  assert.throws(() => { (config.dns as { port: number }).port = 1; }, TypeError);
  assert.throws(() => { (config.dns.listen as string[]).push('127.0.0.1'); }, TypeError);
  // The embedded defaults are frozen as well, and each load is its own object.
  assert.ok(Object.isFrozen(defaultConfig().access.allow));
  assert.notEqual(defaultConfig(), defaultConfig());
});

test('NTP settings are checked by the schema, with dotted paths (the NTP server checks nothing again)', () => {
  const { problems } = validateConfig({
    ntp: { listen: ['not-an-ip'], port: 70000, stratum: 0, rateLimit: { ratePerSecond: -1, maxClients: 0, overLimit: 'maybe' } },
  });
  const byPath = new Map(problems.map((p) => [p.path, p.message]));
  assert.match(byPath.get('ntp.listen[0]')!, /^expected an IPv4 or IPv6 address, got "not-an-ip"$/);
  assert.match(byPath.get('ntp.port')!, /^expected a port number from 1 to 65535, or 0 for no NTP server, got 70000$/);
  assert.match(byPath.get('ntp.stratum')!, /^expected an integer from 1 to 15, got 0$/);
  assert.match(byPath.get('ntp.rateLimit.ratePerSecond')!, /^expected a number from 0.01 to 1000000, got -1$/);
  assert.match(byPath.get('ntp.rateLimit.maxClients')!, /integer from 16/);
  assert.match(byPath.get('ntp.rateLimit.overLimit')!, /^expected one of "kod", "drop", got "maybe"$/);
  assert.equal(problems.length, 6);
});

test('DNS and NTP rate limits have one shape; only the defaults and the over-limit answer differ', () => {
  const { dns, ntp } = defaultConfig();
  assert.deepEqual(Object.keys(dns.rateLimit).sort(), Object.keys(ntp.rateLimit).sort());
  assert.deepEqual(dns.rateLimit, { enabled: false, ratePerSecond: 50, burst: 100, maxClients: 4096, overLimit: 'refuse', leakProbability: 0 });
  assert.deepEqual(ntp.rateLimit, { enabled: true, ratePerSecond: 0.5, burst: 8, maxClients: 4096, overLimit: 'kod', leakProbability: 0.1 });
  assert.match(validateConfig({ dns: { rateLimit: { queriesPerSecond: 5 } } }).problems[0]!.message, /unknown key; expected one of: enabled, ratePerSecond, burst, maxClients, overLimit, leakProbability/);
  assert.match(validateConfig({ dns: { rateLimit: { overLimit: 'kod' } } }).problems[0]!.message, /"refuse", "drop"/);
});

test('ports: DNS port 0 is an error, NTP port 0 means no NTP server; port 0 as "any free port" only for test runs', () => {
  assert.match(validateConfig({ dns: { port: 0 } }).problems[0]!.message, /^expected a port number from 1 to 65535, got 0$/);
  const noNtp = configFrom({ ntp: { port: 0 } });
  assert.equal(noNtp.ntp.enabled, false);
  assert.equal(ntpOptionsFromConfig(noNtp), undefined);
  assert.notEqual(ntpOptionsFromConfig(defaultConfig()), undefined);
  const ephemeral = validateConfig({ dns: { port: 0 }, ntp: { port: 0 } }, undefined, { ephemeralPorts: true }).config!;
  assert.deepEqual([ephemeral.dns.port, ephemeral.ntp.port, ephemeral.ntp.enabled], [0, 0, true]);
  assert.equal(ntpOptionsFromConfig(ephemeral)!.port, 0);
});

test('upstreams are IP[:port]: a host name is an error, never a server that fails every query', () => {
  const { problems } = validateConfig({ upstream: { servers: ['192.0.2.1', '[2001:db8::1]:5353', 'dns.google', '192.0.2.1:99999'] } });
  assert.deepEqual(problems.map((p) => p.path), ['upstream.servers[2]', 'upstream.servers[3]']);
  assert.match(problems[0]!.message, /^expected an upstream as IP\[:port\] or \[IPv6\]:port \(host names are not accepted\), got "dns.google"$/);
});

test('log.level lists the valid levels', () => {
  assert.equal(validateConfig({ log: { level: 'loud' } }).problems[0]!.message, 'expected one of "fatal", "error", "warn", "info", "debug", "trace", "silent", got "loud"');
});

test('a key with no value means its defaults; a scalar where a section belongs is an error', () => {
  const config = parseConfigText('dns:\nntp:\nlists:\n  sources:\n', 'empty.yaml');
  assert.equal(config.dns.port, 53);
  assert.deepEqual(config.lists.sources, []);
  assert.throws(() => parseConfigText('dns: 5\n', 'scalar.yaml'), /scalar\.yaml: dns: expected a mapping, got 5 \[CONFIG_INVALID\]/);
  assert.throws(() => parseConfigText('just text\n', 'text.yaml'), /\(top level\): expected a mapping, got "just text"/);
});

test('flags are checked by the same schema as the file, and a problem names the flag (CLI_USAGE: exit code 2)', async () => {
  const dir = await tempDir({ 'c.yaml': 'dns:\n  port: 5353\n  listen: [127.0.0.1]\nlists:\n  sources: [{ path: a.list }]\n' });
  const file = path.join(dir, 'c.yaml');
  const loaded = await loadConfig(file, { dnsPort: '5454', listen: ['::1'], blocklists: ['/abs/b.list'], logLevel: 'debug', workers: '2' });
  assert.deepEqual([loaded.config.dns.port, loaded.config.dns.listen, loaded.config.log.level, loaded.config.dns.workers], [5454, ['::1'], 'debug', 2]);
  assert.deepEqual(loaded.config.lists.sources.map((s) => s.path), ['a.list', '/abs/b.list']);
  assert.equal(loaded.baseDir, dir);
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ dnsPort: 'abc' }, /^--dns-port: expected a port number from 1 to 65535, got "abc"$/],
    [{ dnsPort: '0' }, /^--dns-port: expected a port number from 1 to 65535, got 0$/],
    [{ upstreams: ['dns.google'] }, /^--upstream: expected an upstream as IP\[:port\]/],
    [{ logLevel: 'loud' }, /^--log-level: expected one of "fatal", "error", "warn", "info", "debug", "trace", "silent", got "loud"$/],
    [{ listen: ['127.0.0.1', 'nowhere'] }, /^--listen: expected an IPv4 or IPv6 address, got "nowhere"$/],
    [{ workers: '0' }, /^--workers: expected an integer from 1 to 64, got 0$/],
    [{ blocklists: [''] }, /^--blocklist: /],
  ];
  for (const [overrides, message] of cases) {
    await assert.rejects(loadConfig(file, overrides), (error: unknown) => {
      assert.ok(error instanceof CamshimError);
      assert.equal(error.code, 'CLI_USAGE', JSON.stringify(overrides));
      assert.match(error.message, message);
      return true;
    });
  }
  // A bad file value is the file's problem (exit code 1), even with good flags beside it.
  await assert.rejects(loadConfig(file, { ntpPort: 'x' }).then(() => undefined), /--ntp-port: expected a port number from 1 to 65535, or 0 for no NTP server, got "x"/);
  const badFile = path.join(dir, 'bad.yaml');
  await import('node:fs/promises').then(({ writeFile }) => writeFile(badFile, 'dns:\n  port: 0\n'));
  await assert.rejects(loadConfig(badFile, { logLevel: 'warn' }), (error: unknown) => error instanceof CamshimError && error.code === 'CONFIG_INVALID' && /bad\.yaml: dns\.port: expected a port number/.test(error.message));
});

test('log: format, file with rotation and storm window settings, with defaults and dotted-path errors', async () => {
  const defaults = defaultConfig().log;
  assert.deepEqual([defaults.format, defaults.file, defaults.stormWindowSeconds, defaults.stormMaxWindows], ['auto', undefined, 60, 10_000]);
  const config = configFrom({ log: { format: 'pretty', stormWindowSeconds: 0, file: { path: 'camshim.log', size: '10m', frequency: 3_600_000 } } });
  assert.deepEqual(config.log.file, { path: 'camshim.log', size: '10m', frequency: 3_600_000, keep: 10 });
  assert.equal(config.log.stormWindowSeconds, 0);
  const problems = validateConfig({ log: { format: 'yaml', stormWindowSeconds: -1, stormMaxWindows: 0, file: { size: '10MB', frequency: 'weekly', keep: 0 } } }).problems;
  assert.deepEqual(problems.map((p) => p.path).sort(), ['log.file.frequency', 'log.file.keep', 'log.file.path', 'log.file.size', 'log.format', 'log.stormMaxWindows', 'log.stormWindowSeconds']);
  assert.match(validateConfig({ dns: { workers: 2 }, log: { file: { path: 'x.log' } } }).problems[0]!.message, /cannot be combined with dns\.workers above 1/);
  const dir = await tempDir({ 'c.yaml': 'log:\n  format: json\n' });
  assert.equal((await loadConfig(path.join(dir, 'c.yaml'), { logFormat: 'pretty' })).config.log.format, 'pretty');
  await assert.rejects(loadConfig(path.join(dir, 'c.yaml'), { logFormat: 'fancy' }), /--log-format: expected one of "auto", "json", "pretty", got "fancy"/);
});

test('clients: names by MAC or IP; clientDirectory defaults; group members may be MACs', () => {
  const defaults = defaultConfig();
  assert.deepEqual([defaults.clients, defaults.clientDirectory], [{}, { leases: 'auto', neighbours: true }]);
  const config = configFrom({
    clients: { '5C-E9-31-AA-BB-CC': 'garage-c200', '192.168.20.40': 'nvr' },
    clientDirectory: { leases: ['/tmp/dhcp.leases', { path: '/srv/leases', format: 'isc-dhcpd' }], neighbours: false },
    groups: [{ name: 'cams', clients: ['5ce9.31aa.bbcc', '192.168.20.0/24'] }],
  });
  assert.deepEqual(config.groups[0]!.clients, ['5c:e9:31:aa:bb:cc', '192.168.20.0/24']);
  assert.deepEqual(config.clientDirectory.leases, ['/tmp/dhcp.leases', { path: '/srv/leases', format: 'isc-dhcpd' }]);
  const problems = validateConfig({
    clients: { 'not-an-address': 'x', '192.168.20.41': '', 'aa:bb:cc:dd:ee:ff': 'a', 'AA-BB-CC-DD-EE-FF': 'b' },
    clientDirectory: { leases: 'none', neighbour: true },
    groups: [{ name: 'cams', clients: ['garage'] }],
  }).problems;
  assert.deepEqual(problems.map((p) => p.path).sort(), [
    'clientDirectory.leases', 'clientDirectory.neighbour', 'clients.192.168.20.41', 'clients.AA-BB-CC-DD-EE-FF', 'clients.not-an-address', 'groups[0].clients[0]',
  ]);
});
