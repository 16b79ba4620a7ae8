import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseClientNames } from '../../src/clients/client-names.js';
import { ipKey } from '../../src/clients/ip-key.js';
import { macFromDuid, normalizeMac } from '../../src/clients/mac.js';
import { parseIpNeigh, parseProcNetArp, systemNeighbourReader } from '../../src/clients/neighbours.js';
import { FIXTURES, fixture } from './fixtures.js';
import { join } from 'node:path';

describe('normalizeMac', () => {
  it('accepts the common notations and returns lower-case colon form', () => {
    for (const text of ['5c:e9:31:aa:bb:0c', '5C:E9:31:AA:BB:0C', '5c-e9-31-aa-bb-0c', '5ce9.31aa.bb0c', '5CE931AABB0C', ' 5c:e9:31:aa:bb:c ']) {
      assert.equal(normalizeMac(text), '5c:e9:31:aa:bb:0c', text);
    }
    assert.equal(normalizeMac('0:e:3:a:b:c'), '00:0e:03:0a:0b:0c');
  });

  it('refuses what is not a 6-byte MAC, and the all-zero "no address yet"', () => {
    for (const text of ['', '5c:e9:31:aa:bb', '5c:e9:31:aa:bb:0c:11', '5c:e9:31-aa-bb-0c', 'zz:e9:31:aa:bb:0c', '5ce9.31aa.bb0', '123:e9:31:aa:bb:0c', '00:00:00:00:00:00', '192.168.1.1']) {
      assert.equal(normalizeMac(text), undefined, text);
    }
  });

  it('takes the MAC out of DUID-LLT and DUID-LL (Ethernet) only', () => {
    assert.equal(macFromDuid('00:01:00:01:2a:bb:cc:dd:5c:e9:31:aa:bb:01'), '5c:e9:31:aa:bb:01');
    assert.equal(macFromDuid('000300015ce931aabb07'), '5c:e9:31:aa:bb:07');
    assert.equal(macFromDuid('00020000ab11deadbeef'), undefined); // DUID-EN
    assert.equal(macFromDuid('000300065ce931aabb07'), undefined); // hardware type 6 (IEEE 802)
    assert.equal(macFromDuid('0003000156'), undefined);
    assert.equal(macFromDuid('not-hex'), undefined);
  });
});

describe('ipKey', () => {
  it('gives one spelling per address', () => {
    assert.equal(ipKey('192.168.20.5'), '192.168.20.5');
    assert.equal(ipKey('::ffff:192.168.20.5'), '192.168.20.5');
    assert.equal(ipKey('::FFFF:c0a8:1405'), '192.168.20.5');
    assert.equal(ipKey('2001:DB8:0:0:0:0:0:5'), '2001:db8::5');
    assert.equal(ipKey('fe80::5%br-lan'), 'fe80::5');
    assert.equal(ipKey('fe80:0::5%3'), 'fe80::5');
  });

  it('refuses what is not an address', () => {
    for (const text of ['', 'cam.lan', '192.168.1', '192.168.1.256', '1.2.3.4.5', '2001:db8::g', '1::2::3', '::1.2.3', '1:2:3:4:5:6:7:8:9', ':']) assert.equal(ipKey(text), undefined, text);
  });
});

describe('clients: map', () => {
  it('normalises MAC and IP keys', () => {
    const { names, problems } = parseClientNames({
      '5C-E9-31-AA-BB-01': 'garage-c200',
      '5ce9.31aa.bb02': 'porch',
      '192.168.20.40': 'nvr',
      '2001:DB8::40': 'nvr-v6',
      '::ffff:192.168.20.41': 'mapped',
    });
    assert.deepEqual(problems, []);
    assert.deepEqual([...names.byMac], [['5c:e9:31:aa:bb:01', 'garage-c200'], ['5c:e9:31:aa:bb:02', 'porch']]);
    assert.deepEqual([...names.byIp], [['192.168.20.40', 'nvr'], ['2001:db8::40', 'nvr-v6'], ['192.168.20.41', 'mapped']]);
  });

  it('names every bad entry by its dotted path and keeps the good ones', () => {
    const { names, problems } = parseClientNames({
      'garage': 'x',
      '5c:e9:31:aa:bb:01': 'cam',
      '5C:E9:31:AA:BB:01': 'same-cam',
      '192.168.20.1': '',
      '192.168.20.2': 'bad\u001b[2Jname',
      'fe80::1%eth0': 'scoped',
    }, 'clients');
    assert.deepEqual(problems.map((p) => [p.path, p.code]), [
      ['clients.garage', 'CONFIG_INVALID'],
      ['clients.5C:E9:31:AA:BB:01', 'CONFIG_INVALID'],
      ['clients.192.168.20.1', 'CONFIG_INVALID'],
      ['clients.192.168.20.2', 'CONFIG_INVALID'],
      ['clients.fe80::1%eth0', 'CONFIG_INVALID'],
    ]);
    assert.match(problems[1]?.message ?? '', /clients\.5c:e9:31:aa:bb:01/);
    assert.deepEqual([...names.byMac], [['5c:e9:31:aa:bb:01', 'cam']]);
    assert.equal(names.byIp.size, 0);
  });
});

describe('neighbour table', () => {
  it('parses /proc/net/arp, leaving out incomplete and malformed entries', () => {
    assert.deepEqual(parseProcNetArp(fixture('proc-net-arp')), [
      { ip: '192.168.20.31', mac: '5c:e9:31:aa:bb:01', device: 'br-cams' },
      { ip: '192.168.20.50', mac: '5c:e9:31:aa:bb:50', device: 'br-cams' },
      { ip: '192.168.20.52', mac: '5c:e9:31:aa:bb:52', device: 'br-cams' },
    ]);
  });

  it('parses ip neigh show for both families, leaving out entries without lladdr', () => {
    assert.deepEqual(parseIpNeigh(fixture('ip-neigh')), [
      { ip: '192.168.20.31', mac: '5c:e9:31:aa:bb:01', device: 'br-cams' },
      { ip: 'fe80::5ee9:31ff:feaa:bb01', mac: '5c:e9:31:aa:bb:01', device: 'br-cams' },
      { ip: '2001:db8:20::50', mac: '5c:e9:31:aa:bb:50', device: 'br-cams' },
      { ip: '192.168.20.62', mac: '5c:e9:31:aa:bb:62', device: 'br-cams' },
    ]);
  });

  it('system reader: /proc/net/arp plus ip -6 neigh; one source failing is enough to go on, both failing throws', async () => {
    const v4Only = systemNeighbourReader({ procArpPath: join(FIXTURES, 'proc-net-arp'), ipCommand: '/nonexistent/ip' });
    assert.deepEqual((await v4Only()).map((n) => n.ip), ['192.168.20.31', '192.168.20.50', '192.168.20.52']);
    const none = systemNeighbourReader({ procArpPath: join(FIXTURES, 'missing'), ipCommand: '/nonexistent/ip' });
    await assert.rejects(none(), /cannot read/);
  });

  it('system reader runs the real ip -6 neigh (read-only, netlink)', async (t) => {
    const read = systemNeighbourReader({ procArpPath: join(FIXTURES, 'missing') });
    try {
      const entries = await read();
      for (const e of entries) assert.ok(e.ip.includes(':') && /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/.test(e.mac));
    } catch (error) {
      t.skip(`ip not runnable here: ${String(error)}`);
    }
  });
});
