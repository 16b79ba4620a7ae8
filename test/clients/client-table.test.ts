import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EMPTY_CLIENT_NAMES, parseClientNames } from '../../src/clients/client-names.js';
import { buildClientTable } from '../../src/clients/client-table.js';
import type { LeaseEntry } from '../../src/clients/lease-entry.js';

const NOW = 1_764_900_000_000;
const lease = (ip: string, fields: Omit<LeaseEntry, 'ip'>): LeaseEntry => ({ ip, ...fields });
const names = (map: Record<string, string>) => parseClientNames(map).names;

describe('buildClientTable', () => {
  it('config by MAC beats config by IP beats the lease hostname', () => {
    const table = buildClientTable({
      leases: [[
        lease('10.0.0.1', { mac: 'aa:00:00:00:00:01', macFrom: 'hardware', name: 'lease-name-1', expires: NOW + 1000 }),
        lease('10.0.0.2', { mac: 'aa:00:00:00:00:02', macFrom: 'hardware', name: 'lease-name-2', expires: NOW + 1000 }),
        lease('10.0.0.3', { mac: 'aa:00:00:00:00:03', macFrom: 'hardware', name: 'lease-name-3', expires: NOW + 1000 }),
      ]],
      neighbours: [],
      names: names({ 'AA-00-00-00-00-01': 'by-mac', '10.0.0.1': 'by-ip-loses', '10.0.0.2': 'by-ip' }),
      nowMs: NOW,
    });
    assert.deepEqual(table.byIp.get('10.0.0.1'), { mac: 'aa:00:00:00:00:01', name: 'by-mac' });
    assert.deepEqual(table.byIp.get('10.0.0.2'), { mac: 'aa:00:00:00:00:02', name: 'by-ip' });
    assert.deepEqual(table.byIp.get('10.0.0.3'), { mac: 'aa:00:00:00:00:03', name: 'lease-name-3' });
  });

  it('names a static-address camera from the neighbour table and a config MAC; a config IP alone gives a name without MAC', () => {
    const table = buildClientTable({
      leases: [],
      neighbours: [{ ip: '10.0.0.9', mac: 'aa:00:00:00:00:09' }, { ip: 'fe80::9', mac: 'aa:00:00:00:00:09' }],
      names: names({ 'aa:00:00:00:00:09': 'static-cam', '10.0.0.50': 'nvr' }),
      nowMs: NOW,
    });
    assert.deepEqual(table.byIp.get('10.0.0.9'), { mac: 'aa:00:00:00:00:09', name: 'static-cam' });
    assert.deepEqual(table.byIp.get('fe80::9'), { mac: 'aa:00:00:00:00:09', name: 'static-cam' });
    assert.deepEqual(table.byIp.get('10.0.0.50'), { name: 'nvr' });
    assert.equal(table.byIp.has('10.0.0.99'), false);
  });

  it('a current lease beats an ended one across files; among current ones the one ending last', () => {
    const table = buildClientTable({
      leases: [
        [lease('10.0.0.1', { mac: 'aa:00:00:00:00:01', macFrom: 'hardware', name: 'ended', expires: NOW - 1 })],
        [lease('10.0.0.1', { mac: 'aa:00:00:00:00:11', macFrom: 'hardware', name: 'current-early', expires: NOW + 10 })],
        [lease('10.0.0.1', { mac: 'aa:00:00:00:00:12', macFrom: 'hardware', name: 'current-late', expires: NOW + 20 })],
      ],
      neighbours: [],
      names: EMPTY_CLIENT_NAMES,
      nowMs: NOW,
    });
    assert.deepEqual(table.byIp.get('10.0.0.1'), { mac: 'aa:00:00:00:00:12', name: 'current-late' });
  });

  it('an ended lease still names its camera, unless another device answers for the address now', () => {
    const table = buildClientTable({
      leases: [[
        lease('10.0.0.1', { mac: 'aa:00:00:00:00:01', macFrom: 'hardware', name: 'sleepy-cam', expires: NOW - 86_400_000 }),
        lease('10.0.0.2', { mac: 'aa:00:00:00:00:02', macFrom: 'hardware', name: 'old-owner', expires: NOW - 86_400_000 }),
        lease('10.0.0.3', { mac: 'aa:00:00:00:00:03', macFrom: 'hardware', name: 'same-owner', expires: 0 }),
      ]],
      neighbours: [{ ip: '10.0.0.2', mac: 'aa:00:00:00:00:99' }, { ip: '10.0.0.3', mac: 'aa:00:00:00:00:03' }],
      names: EMPTY_CLIENT_NAMES,
      nowMs: NOW,
    });
    assert.deepEqual(table.byIp.get('10.0.0.1'), { mac: 'aa:00:00:00:00:01', name: 'sleepy-cam' });
    assert.deepEqual(table.byIp.get('10.0.0.2'), { mac: 'aa:00:00:00:00:99' });
    assert.deepEqual(table.byIp.get('10.0.0.3'), { mac: 'aa:00:00:00:00:03', name: 'same-owner' });
  });

  it('MAC order: current lease hardware address, neighbour, DUID-derived', () => {
    const table = buildClientTable({
      leases: [[
        lease('2001:db8::1', { mac: 'aa:00:00:00:00:d1', macFrom: 'duid', name: 'v6-cam', expires: NOW + 1000 }),
        lease('2001:db8::2', { mac: 'aa:00:00:00:00:d2', macFrom: 'duid', expires: NOW + 1000 }),
        lease('10.0.0.1', { mac: 'aa:00:00:00:00:01', macFrom: 'hardware', expires: NOW + 1000 }),
      ]],
      neighbours: [{ ip: '2001:db8::1', mac: 'aa:00:00:00:00:01' }, { ip: '10.0.0.1', mac: 'aa:00:00:00:00:77' }],
      names: names({ 'aa:00:00:00:00:01': 'cam-by-mac' }),
      nowMs: NOW,
    });
    assert.deepEqual(table.byIp.get('2001:db8::1'), { mac: 'aa:00:00:00:00:01', name: 'cam-by-mac' });
    assert.deepEqual(table.byIp.get('2001:db8::2'), { mac: 'aa:00:00:00:00:d2' });
    assert.deepEqual(table.byIp.get('10.0.0.1'), { mac: 'aa:00:00:00:00:01', name: 'cam-by-mac' });
  });

  it('is bounded: config addresses, then current leases, then neighbours, then ended leases', () => {
    const table = buildClientTable({
      leases: [[
        lease('10.0.0.30', { name: 'ended', expires: NOW - 1 }),
        lease('10.0.0.10', { name: 'current', expires: NOW + 1 }),
      ]],
      neighbours: [{ ip: '10.0.0.20', mac: 'aa:00:00:00:00:20' }],
      names: names({ '10.0.0.1': 'configured' }),
      nowMs: NOW,
      maxEntries: 3,
    });
    assert.deepEqual([...table.byIp.keys()], ['10.0.0.1', '10.0.0.10', '10.0.0.20']);
    assert.equal(table.dropped, 1);
  });

  it('returns frozen entries', () => {
    const table = buildClientTable({ leases: [], neighbours: [{ ip: '10.0.0.1', mac: 'aa:00:00:00:00:01' }], names: EMPTY_CLIENT_NAMES, nowMs: NOW });
    assert.equal(Object.isFrozen(table.byIp.get('10.0.0.1')), true);
  });
});
