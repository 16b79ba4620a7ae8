import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultConfig, parseConfigText, validateConfig } from '../../src/config/load-config.js';
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
  assert.match(byPath.get('dns.port')!, /integer from 0 to 65535, got 70000/);
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
    assert.match(error.message, /dup\.yaml:3/);
    return true;
  });
  assert.throws(() => parseConfigText('dns: [\n', 'bad.yaml'), /bad\.yaml/);
});

test('group names must be unique and not "default"', () => {
  const { problems } = validateConfig({ groups: [{ name: 'a', clients: ['10.0.0.0/8'] }, { name: 'a', clients: ['10.1.0.0/16'] }, { name: 'default', clients: ['10.2.0.0/16'] }] });
  assert.deepEqual(problems.map((p) => p.path), ['groups[1].name', 'groups[2].name']);
});

test('CIDRs and addresses are normalised', () => {
  const config = parseConfigText('access:\n  allow: ["192.168.1.7", "FD00::/8"]\ndns:\n  listen: ["::FFFF:127.0.0.1"]\n', 'n.yaml');
  assert.deepEqual(config.access.allow, ['192.168.1.7/32', 'fd00::/8']);
});
