import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configFrom } from '../../src/config/load-config.js';
import type { ListSet } from '../../src/lists/list-set.js';
import { ClientGroups } from '../../src/pipeline/client-groups.js';

const NO_LISTS = { lists: [], byName: new Map() } as unknown as ListSet;

test('a group member may be a MAC: matched through the lookup, per query, so a new lease moves the address', () => {
  const config = configFrom({
    groups: [
      { name: 'cams', clients: ['5C-E9-31-AA-BB-CC'] },
      { name: 'lan', clients: ['192.168.1.0/24'] },
    ],
  });
  const macs = new Map<string, string>([['192.168.1.31', '5c:e9:31:aa:bb:cc']]);
  const { groups, problems } = ClientGroups.build(config, NO_LISTS, (address) => macs.get(address));
  assert.deepEqual(problems, []);
  // The first group that holds the client wins: its MAC puts it in cams before lan's network.
  assert.equal(groups.classify('192.168.1.31').group.name, 'cams');
  assert.equal(groups.classify('192.168.1.32').group.name, 'lan');
  assert.equal(groups.classify('10.0.0.5').group.name, 'default');
  // The camera gets another address, and another device the old one: the cached classes follow.
  macs.delete('192.168.1.31');
  macs.set('192.168.1.32', '5c:e9:31:aa:bb:cc');
  assert.equal(groups.classify('192.168.1.31').group.name, 'lan');
  assert.equal(groups.classify('192.168.1.32').group.name, 'cams');
});

test('without a lookup (check, query) or without MAC members, groups match by address only', () => {
  const withMac = configFrom({ groups: [{ name: 'cams', clients: ['5c:e9:31:aa:bb:cc'] }] });
  assert.equal(ClientGroups.build(withMac, NO_LISTS).groups.classify('192.168.1.31').group.name, 'default');
  let asked = 0;
  const byNetwork = configFrom({ groups: [{ name: 'lan', clients: ['192.168.1.0/24'] }] });
  const { groups } = ClientGroups.build(byNetwork, NO_LISTS, () => { asked++; return '5c:e9:31:aa:bb:cc'; });
  assert.equal(groups.classify('192.168.1.31').group.name, 'lan');
  assert.equal(asked, 0, 'no lookup on the query path when no group lists a MAC');
});
