import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_REMOTE_REFRESH_MS, DEFAULT_STATE_DIR } from '../../src/config/config-schema.js';
import { configFrom, defaultConfig, validateConfig } from '../../src/config/load-config.js';
import { parseConfigText } from '../../src/config/parse-yaml.js';
import { applyOverrides } from '../../src/config/overrides.js';
import { remoteListName } from '../../src/lists/remote/cache-paths.js';
import { remoteSourcesOf } from '../../src/lists/remote/remote-sources.js';

test('a URL source gets a 24h refresh by default and its name from the URL', () => {
  const config = parseConfigText([
    'lists:',
    '  sources:',
    '    - url: https://lists.example.org/cams/hikvision.txt',
    '      groups: [cams]',
    '    - url: https://lists.example.org/x',
    '      refresh: 6h',
    '      name: extra',
    'groups:',
    '  - name: cams',
    '    clients: [192.168.20.0/24]',
  ].join('\n'), 'c.yaml');
  const [first, second] = config.lists.sources;
  assert.equal(first!.refresh, DEFAULT_REMOTE_REFRESH_MS);
  assert.deepEqual(first!.groups, ['cams']);
  assert.equal(second!.refresh, 6 * 3_600_000);
  const { sources, stateDir } = remoteSourcesOf(config, '/etc/camshim');
  assert.equal(stateDir, DEFAULT_STATE_DIR);
  assert.deepEqual(sources.map((s) => s.name), ['hikvision', 'extra']);
  assert.equal(config.lists.remote.maxShrink, 0.5);
});

test('a source needs exactly one of path and url; bad URLs and durations name their path', () => {
  const { problems } = validateConfig({
    lists: { sources: [{ path: 'a.list', url: 'https://x.example/a' }, { kind: 'block' }, { url: 'ftp://x.example/a' }, { url: 'https://x.example/a', refresh: '5s' }] },
  });
  const at = problems.map((p) => p.path);
  assert.ok(at.includes('lists.sources[0]'), at.join());
  assert.ok(at.includes('lists.sources[1]'), at.join());
  assert.ok(at.includes('lists.sources[2].url'), at.join());
  assert.ok(at.includes('lists.sources[3].refresh'), at.join());
  assert.match(problems.find((p) => p.path === 'lists.sources[2].url')!.message, /http:\/\/ or https:\/\//);
});

test('--blocklist takes a URL and --state-dir sets lists.remote.stateDir', () => {
  const config = configFrom(applyOverrides({}, { blocklists: ['https://x.example/list.txt', '/tmp/local.list'], stateDir: '/srv/camshim' }).document);
  assert.deepEqual(config.lists.sources.map((s) => s.url ?? s.path), ['https://x.example/list.txt', '/tmp/local.list']);
  assert.equal(config.lists.remote.stateDir, '/srv/camshim');
  assert.equal(defaultConfig().lists.remote.stateDir, DEFAULT_STATE_DIR);
});

test('a URL without a usable last path part is named after its host', () => {
  assert.equal(remoteListName({ url: 'https://lists.example.org/' }), 'lists.example.org');
  assert.equal(remoteListName({ url: 'https://x.example/a%20b/hosts' }), 'hosts');
  assert.equal(remoteListName({ url: 'https://x.example/dl/my list.hosts' }), 'my-list');
});
