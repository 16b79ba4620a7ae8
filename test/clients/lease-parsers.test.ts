import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { detectLeaseFormat } from '../../src/clients/lease-formats.js';
import { cleanHostname, type LeaseEntry } from '../../src/clients/lease-entry.js';
import { parseDnsmasqLeases } from '../../src/clients/parse-dnsmasq.js';
import { parseIscDhcpdLeases } from '../../src/clients/parse-isc-dhcpd.js';
import { parseKeaLeases } from '../../src/clients/parse-kea.js';
import { parseOdhcpdLeases } from '../../src/clients/parse-odhcpd.js';
import { fixture } from './fixtures.js';

function byIp(entries: readonly LeaseEntry[]): Map<string, LeaseEntry> {
  return new Map(entries.map((e) => [e.ip, e]));
}

describe('dnsmasq leases', () => {
  const result = parseDnsmasqLeases(fixture('dnsmasq.leases'));
  const leases = byIp(result.entries);

  it('reads IPv4 leases: MAC normalised, "*" is no name, expiry 0 never ends', () => {
    assert.deepEqual(leases.get('192.168.20.31'), { ip: '192.168.20.31', mac: '5c:e9:31:aa:bb:01', macFrom: 'hardware', name: 'garage-c200', expires: 1764900000_000 });
    assert.deepEqual(leases.get('192.168.20.32'), { ip: '192.168.20.32', mac: '5c:e9:31:aa:bb:02', macFrom: 'hardware', expires: 1764900500_000 });
    assert.deepEqual(leases.get('192.168.20.40'), { ip: '192.168.20.40', mac: '00:62:6e:11:22:33', macFrom: 'hardware', name: 'nvr-static' });
  });

  it('keeps the lease that ends last for a repeated address', () => {
    assert.equal(leases.get('192.168.20.33')?.name, 'porch-cam');
    assert.equal(leases.get('192.168.20.33')?.mac, '5c:e9:31:aa:bb:03');
  });

  it('keeps a non-Ethernet lease without a MAC', () => {
    assert.deepEqual(leases.get('192.168.20.36'), { ip: '192.168.20.36', name: 'ib-host', expires: 1764900000_000 });
  });

  it('reads the IPv6 section after "duid": MAC from a DUID-LLT or DUID-LL, T-prefixed IAIDs, address canonical', () => {
    assert.deepEqual(leases.get('2001:db8:20::31'), { ip: '2001:db8:20::31', mac: '5c:e9:31:aa:bb:01', macFrom: 'duid', name: 'garage-c200', expires: 1764900000_000 });
    assert.deepEqual(leases.get('2001:db8:20::77'), { ip: '2001:db8:20::77', mac: '5c:e9:31:aa:bb:07', macFrom: 'duid', expires: 1764900000_000 });
  });

  it('skips and counts garbage lines, naming the first ones', () => {
    assert.equal(result.skipped, 4);
    assert.deepEqual(result.firstSkipped.map((s) => s.line), [6, 7, 8, 14]);
    assert.equal(result.entries.length, 7);
  });
});

describe('odhcpd state file', () => {
  const result = parseOdhcpdLeases(fixture('odhcpd-state'));
  const leases = byIp(result.entries);

  it('reads IPv4 lease lines with hex and unpadded ether_ntoa MACs', () => {
    assert.deepEqual(leases.get('192.168.1.140'), { ip: '192.168.1.140', mac: '5c:e9:31:aa:bb:11', macFrom: 'hardware', name: 'tapo-c200', expires: 1764900000_000 });
    assert.deepEqual(leases.get('192.168.1.141'), { ip: '192.168.1.141', mac: '00:0e:03:0a:0b:0c', macFrom: 'hardware', expires: 1764900100_000 });
  });

  it('reads a "broken" hostname with spaces, -1 as never, 0 as ended', () => {
    assert.equal(leases.get('192.168.1.142')?.name, 'Front Door Cam');
    assert.equal(leases.get('192.168.1.142')?.expires, 1764900200_000);
    assert.deepEqual(leases.get('192.168.1.143'), { ip: '192.168.1.143', mac: '5c:e9:31:aa:bb:13', macFrom: 'hardware', name: 'forever-cam' });
    assert.equal(leases.get('192.168.1.144')?.expires, 0);
  });

  it('reads IPv6 address leases (MAC from DUID-LLT/LL), not delegated prefixes', () => {
    assert.deepEqual(leases.get('fd12:3456:789a::2d8'), { ip: 'fd12:3456:789a::2d8', mac: '5c:e9:31:aa:bb:11', macFrom: 'duid', name: 'tapo-c200', expires: 1764900000_000 });
    assert.equal(leases.get('fd12:3456:789a::9')?.mac, '00:aa:bb:cc:dd:ee');
    assert.equal(leases.get('fd12:3456:789a::a')?.name, 'll-cam');
    assert.equal([...leases.keys()].some((ip) => ip.startsWith('fd12:3456:789a:10:')), false);
  });

  it('takes names from hosts lines, skips garbage and header comments', () => {
    assert.deepEqual(leases.get('192.168.1.150'), { ip: '192.168.1.150', name: 'hosts-only-cam' });
    assert.equal(result.skipped, 2);
    assert.deepEqual(result.firstSkipped.map((s) => s.line), [11, 12]);
  });
});

describe('ISC dhcpd leases', () => {
  const result = parseIscDhcpdLeases(fixture('dhcpd.leases'));
  const leases = byIp(result.entries);

  it('reads a lease block', () => {
    assert.deepEqual(leases.get('192.168.30.21'), {
      ip: '192.168.30.21', mac: '5c:e9:31:cc:dd:21', macFrom: 'hardware', name: 'Garage C200', expires: Date.UTC(2025, 11, 3, 22, 0, 0),
    });
  });

  it('decodes quoted hostnames: escaped quotes, raw UTF-8 and octal-escaped UTF-8 bytes', () => {
    assert.equal(leases.get('192.168.30.22')?.name, 'Caméra "Süd" 日');
    assert.equal(leases.get('192.168.30.22')?.expires, undefined);
  });

  it('takes the last block for an address; a freed lease has ended at its "ends"', () => {
    assert.equal(leases.get('192.168.30.23')?.expires, Date.UTC(2025, 11, 3, 11, 5, 0));
    assert.equal(leases.get('192.168.30.23')?.name, 'first-owner');
  });

  it('reads "epoch" times (db-time-format local)', () => {
    assert.deepEqual(leases.get('192.168.30.24'), { ip: '192.168.30.24', mac: '5c:e9:31:cc:dd:24', macFrom: 'hardware', expires: 1764799200_000 });
  });

  it('passes over host, failover and ia-na blocks; skips bad and unterminated leases', () => {
    assert.deepEqual([...leases.keys()].sort(), ['192.168.30.21', '192.168.30.22', '192.168.30.23', '192.168.30.24']);
    assert.equal(result.skipped, 3);
    assert.match(result.firstSkipped.map((s) => s.reason).join('\n'), /192\.168\.30\.999[\s\S]*someday[\s\S]*not closed/);
  });
});

describe('Kea memfile CSV', () => {
  const v4 = parseKeaLeases(fixture('kea-leases4.csv'));
  const leases4 = byIp(v4.entries);

  it('reads rows by header name, unescapes &#xHH in hostnames', () => {
    assert.deepEqual(leases4.get('192.168.40.11'), { ip: '192.168.40.11', mac: '5c:e9:31:ee:ff:11', macFrom: 'hardware', name: 'driveway-cam', expires: 1764900000_000 });
    assert.equal(leases4.get('192.168.40.12')?.name, 'Back, Yard é');
  });

  it('leaves out declined addresses; the last row wins; a deleted lease has ended; 0xffffffff never ends', () => {
    assert.equal(leases4.has('192.168.40.13'), false);
    assert.equal(leases4.get('192.168.40.14')?.name, 'renewed-cam-2');
    assert.equal(leases4.get('192.168.40.15')?.expires, 1764890000_000);
    assert.equal(leases4.get('192.168.40.16')?.expires, undefined);
  });

  it('counts bad rows', () => {
    assert.equal(v4.skipped, 2);
    assert.deepEqual(v4.firstSkipped.map((s) => s.line), [9, 10]);
  });

  it('reads kea-leases6.csv: hwaddr column, else the DUID; skips delegated prefixes', () => {
    const leases6 = byIp(parseKeaLeases(fixture('kea-leases6.csv')).entries);
    assert.deepEqual(leases6.get('2001:db8:40::11'), { ip: '2001:db8:40::11', mac: '5c:e9:31:ee:ff:11', macFrom: 'hardware', name: 'driveway-cam', expires: 1764900000_000 });
    assert.deepEqual(leases6.get('2001:db8:40::12'), { ip: '2001:db8:40::12', mac: '5c:e9:31:ee:ff:22', macFrom: 'duid', expires: 1764900000_000 });
    assert.deepEqual(leases6.get('2001:db8:40::13'), { ip: '2001:db8:40::13', name: 'vendor-duid', expires: 1764900000_000 });
    assert.equal(leases6.size, 3);
  });

  it('rows before any header are garbage; a repeated header (cleanup files read in sequence) switches columns', () => {
    const text = '192.168.40.1,aa:bb:cc:dd:ee:01,,4000,1764900000,1,0,0,x,0\n'
      + 'address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname\n'
      + '192.168.40.2,aa:bb:cc:dd:ee:02,,4000,1764900000,1,0,0,old\n'
      + 'address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state\n'
      + '192.168.40.2,aa:bb:cc:dd:ee:02,,4000,1764903000,1,0,0,new,0\n';
    const r = parseKeaLeases(text);
    assert.equal(r.skipped, 1);
    assert.deepEqual(r.entries.map((e) => [e.ip, e.name]), [['192.168.40.2', 'new']]);
  });
});

describe('hostname cleaning', () => {
  it('removes terminal escapes and bidi controls, collapses space, caps the length', () => {
    assert.equal(cleanHostname('cam\u001b[31mred\u0007'), 'cam [31mred');
    assert.equal(cleanHostname('evil\u202egnp.exe'), 'evil gnp.exe');
    assert.equal(cleanHostname('  a \t b  '), 'a b');
    assert.equal(cleanHostname('*'), undefined);
    assert.equal(cleanHostname('-'), undefined);
    assert.equal(cleanHostname('x'.repeat(400))?.length, 253);
    assert.equal(cleanHostname('日本'.repeat(200))?.length, 253);
  });
});

describe('format detection', () => {
  it('knows the usual paths, then file names, then content', () => {
    assert.equal(detectLeaseFormat('/var/lib/misc/dnsmasq.leases', ''), 'dnsmasq');
    assert.equal(detectLeaseFormat('/tmp/hosts/odhcpd', ''), 'odhcpd');
    assert.equal(detectLeaseFormat('/srv/kea/leases4.csv', ''), 'kea');
    assert.equal(detectLeaseFormat('/srv/x', fixture('dhcpd.leases')), 'isc-dhcpd');
    assert.equal(detectLeaseFormat('/srv/x', fixture('dnsmasq.leases')), 'dnsmasq');
    assert.equal(detectLeaseFormat('/srv/x', fixture('kea-leases4.csv')), 'kea');
    assert.equal(detectLeaseFormat('/srv/x', '# br-lan 5ce931aabb11 ipv4 cam 1764900000 8c 32 192.168.1.140/32\n'), 'odhcpd');
    assert.equal(detectLeaseFormat('/srv/x', 'hello world\n'), undefined);
  });
});
