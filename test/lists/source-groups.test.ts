import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { configFrom } from '../../src/config/load-config.js';
import { loadListSet } from '../../src/lists/list-set.js';
import { ClientGroups } from '../../src/pipeline/client-groups.js';
import { tempDir } from '../helpers/daemon.js';

test('a source with groups applies to those groups only, not to every group listing "*"', async () => {
  const dir = await tempDir({ 'shared.list': 'shared.example\n', 'cams.list': 'cloud.vendor.example\n' });
  const config = configFrom({
    groups: [{ name: 'cameras', clients: ['192.168.20.0/24'] }, { name: 'nvr', clients: ['192.168.30.0/24'], lists: [] }],
    lists: { bundled: false, cache: { enabled: false }, sources: [{ path: path.join(dir, 'shared.list') }, { path: path.join(dir, 'cams.list'), groups: ['cameras', 'nvr'] }] },
  });
  const lists = await loadListSet(config);
  const { groups, problems } = ClientGroups.build(config, lists);
  assert.deepEqual(problems, []);
  const uses = (address: string, list: string): boolean => groups.classify(address).group.filter.lists[lists.byName.get(list)!.index] === 1;
  assert.ok(uses('192.168.20.5', 'shared') && uses('192.168.20.5', 'cams'), 'cameras: "*" plus its own');
  assert.ok(!uses('192.168.30.5', 'shared') && uses('192.168.30.5', 'cams'), 'nvr: no lists of its own, but cams names it');
  assert.ok(uses('10.0.0.5', 'shared') && !uses('10.0.0.5', 'cams'), 'default: "*" leaves out a list assigned to other groups');
});

test('a source naming a group that does not exist is a config problem', async () => {
  const dir = await tempDir({ 'cams.list': 'cloud.vendor.example\n' });
  const config = configFrom({ lists: { bundled: false, cache: { enabled: false }, sources: [{ path: path.join(dir, 'cams.list'), groups: ['camreas'] }] } });
  const { problems } = ClientGroups.build(config, await loadListSet(config));
  assert.equal(problems.length, 1);
  assert.match(problems[0]!.message, /list "cams" names group "camreas", which is not defined; groups: default/);
});
