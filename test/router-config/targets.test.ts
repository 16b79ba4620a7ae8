import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, test } from 'node:test';
import { CamshimError } from '../../src/errors.js';
import { generateRouterConfig } from '../../src/router-config/generate.js';
import { planRouterConfig, type RouterConfigRequest } from '../../src/router-config/model.js';
import { nftString } from '../../src/router-config/nftables.js';
import { rosString } from '../../src/router-config/routeros.js';
import { uciString } from '../../src/router-config/openwrt.js';

const run = promisify(execFile);
const DUAL: Omit<RouterConfigRequest, 'target'> = { vlans: ['192.168.20.0/24', 'fd20::/64'], camshim: ['192.168.20.2', 'fd20::2'], nvrs: ['192.168.1.10', 'fd10::10'] };
const V4: Omit<RouterConfigRequest, 'target'> = { vlans: ['192.168.20.0/24'], camshim: ['192.168.20.2'], nvrs: ['192.168.1.10', '192.168.1.11'] };

const lines = (text: string): string[] => text.split('\n');

describe('nftables', () => {
  test('DNAT of DNS (udp and tcp) and NTP per family, excluding camshim itself', () => {
    const text = generateRouterConfig({ target: 'nftables', ...DUAL });
    assert.match(text, /^\t\ttype nat hook prerouting priority dstnat; policy accept;$/m);
    for (const [ip, vlan, camshim] of [['ip', '192.168.20.0/24', '192.168.20.2'], ['ip6', 'fd20::/64', 'fd20::2']] as const) {
      for (const [proto, port] of [['udp', 53], ['tcp', 53], ['udp', 123]] as const) {
        const line = `${ip} saddr ${vlan} ${ip} saddr != ${camshim} ${ip} daddr != ${camshim} ${proto} dport ${port} dnat ${ip} to ${camshim}`;
        assert.ok(lines(text).some((l) => l.trim().startsWith(`${line} comment "camshim: `)), line);
      }
      assert.ok(text.includes(`${ip} saddr ${vlan} ${ip} daddr ${camshim} ct status dnat masquerade comment`));
    }
  });

  test('egress: the VLAN reaches camshim and the NVRs and nothing else; only the NVR opens camera ports', () => {
    const text = generateRouterConfig({ target: 'nftables', ...V4 });
    const fromCameras = text.slice(text.indexOf('chain from_cameras'), text.indexOf('chain to_cameras'));
    assert.match(fromCameras, /ip daddr \{ 192\.168\.1\.10, 192\.168\.1\.11 \} accept comment/);
    assert.match(fromCameras, /counter drop comment "camshim: no internet for the cameras/);
    assert.ok(fromCameras.indexOf('ct state established,related accept') < fromCameras.indexOf('counter drop'));
    assert.match(fromCameras, /ip saddr 192\.168\.20\.2 accept comment "camshim: camshim on another host/);
    const toCameras = text.slice(text.indexOf('chain to_cameras'));
    assert.match(toCameras, /ip saddr \{ 192\.168\.1\.10, 192\.168\.1\.11 \} tcp dport \{ 80, 443, 554, 8000, 8899 \} accept comment/);
    assert.doesNotMatch(text, /ip6 /, 'no IPv6 rules for an IPv4-only VLAN');
  });

  test('every rule carries a comment of at most 128 bytes (the kernel limit)', () => {
    for (const request of [DUAL, V4]) {
      const text = generateRouterConfig({ target: 'nftables', ...request });
      const ruleLines = lines(text).filter((l) => l.startsWith('\t\t') && !l.trim().startsWith('#') && !l.trim().startsWith('type '));
      assert.ok(ruleLines.length > 20);
      for (const line of ruleLines) {
        const comment = /comment "([^"]*)"$/.exec(line);
        assert.ok(comment !== null, `rule without a comment: ${line}`);
        assert.ok(Buffer.byteLength(comment[1]!) <= 128, line);
      }
    }
  });

  test('a table without NVRs has no NVR rules', () => {
    const text = generateRouterConfig({ target: 'nftables', vlans: ['fd20::/64'], camshim: ['fd20::53'] });
    assert.doesNotMatch(text, /NVR opens HTTP|reach the NVR/);
    assert.match(text, /ip6 saddr fd20::\/64 ip6 saddr != fd20::53 ip6 daddr != fd20::53 udp dport 53 dnat ip6 to fd20::53/);
    assert.match(text, /udp dport 547 accept/);
  });
});

describe('routeros', () => {
  test('address lists, DHCP network, dst-nat and filter rules placed above the fasttrack rule', () => {
    const text = generateRouterConfig({ target: 'routeros', ...DUAL });
    assert.match(text, /^\/ip firewall address-list\nadd list=camshim-cameras address=192\.168\.20\.0\/24 comment="camshim: the camera VLAN"$/m);
    assert.match(text, /^set \[find where address=192\.168\.20\.0\/24\] dns-server=192\.168\.20\.2 ntp-server=192\.168\.20\.2 comment=/m);
    assert.match(text, /^add chain=dstnat action=dst-nat protocol=udp dst-port=53 src-address-list=camshim-cameras src-address=!192\.168\.20\.2 dst-address-list=!camshim-service to-addresses=192\.168\.20\.2 place-before=0 comment="camshim: DNS/m);
    assert.match(text, /^add chain=dstnat action=dst-nat protocol=udp dst-port=123 .* to-address=fd20::2\/128 place-before=0 comment=/m);
    assert.match(text, /^add chain=forward connection-state=new src-address-list=camshim-cameras src-address=!192\.168\.20\.2 dst-address-list=!camshim-cameras-may-reach action=drop place-before=0 comment="camshim: no internet/m);
    assert.match(text, /^add chain=input connection-state=new src-address-list=camshim-cameras protocol=udp dst-port=!67 action=drop/m);
    assert.match(text, /^set \[find where interface=cameras\] advertise-dns=yes dns=fd20::2$/m);
    assert.match(text, /fasttrack/, 'the placement is explained');
    for (const line of lines(text).filter((l) => l.startsWith('add '))) assert.match(line, / comment="camshim: [^"]+"$/, line);
    // Filter rules are order-independent only if each matches new connections alone.
    for (const line of lines(text).filter((l) => l.startsWith('add chain=forward') || l.startsWith('add chain=input'))) {
      assert.match(line, /connection-state=new .*action=drop place-before=0/, line);
    }
  });

  test('strings are escaped for RouterOS (quote, backslash, $)', () => {
    assert.equal(rosString('a "b" \\ $x'), '"a \\"b\\" \\\\ \\$x"');
  });
});

describe('openwrt', () => {
  test('uci batch: DHCP options 6 and 42, odhcpd DNS, named redirects and rules with a name each', () => {
    const text = generateRouterConfig({ target: 'openwrt', ...DUAL, interfaceName: 'cams' });
    assert.match(text, /^uci -q batch <<'CAMSHIM_UCI'$/m);
    const start = "<<'CAMSHIM_UCI'\n";
    const batch = text.slice(text.indexOf(start) + start.length, text.indexOf('\nCAMSHIM_UCI\n'));
    assert.ok(lines(batch).every((l) => /^(set|add_list) [a-z]+\.[A-Za-z0-9_]+(\.[a-z_]+)?=('[^']*'|redirect|rule)$/.test(l)), 'only set/add_list commands in the batch');
    assert.match(batch, /^add_list dhcp\.cams\.dhcp_option='6,192\.168\.20\.2'$/m);
    assert.match(batch, /^add_list dhcp\.cams\.dhcp_option='42,192\.168\.20\.2'$/m);
    assert.match(batch, /^add_list dhcp\.cams\.dns='fd20::2'$/m);
    assert.match(batch, /^set firewall\.camshim_dns4\.src_dip='!192\.168\.20\.2'$/m);
    assert.match(batch, /^set firewall\.camshim_dns4\.src_ip='!192\.168\.20\.2'$/m);
    assert.match(batch, /^set firewall\.camshim_dns6\.target='DNAT'$/m);
    assert.match(batch, /^set firewall\.camshim_no_internet4\.target='DROP'$/m);
    const sections = [...batch.matchAll(/^set firewall\.(camshim_\w+)=(?:rule|redirect)$/gm)].map((m) => m[1]!);
    assert.ok(sections.length >= 14);
    for (const id of sections) assert.match(batch, new RegExp(`^set firewall\\.${id}\\.name='camshim: `, 'm'), id);
    // The accepts come before the drops of the same zone: fw4 keeps the configuration order.
    assert.ok(batch.indexOf('camshim_to_nvr4=') < batch.indexOf('camshim_no_internet4='));
    assert.ok(batch.indexOf('camshim_host_out6=') < batch.indexOf('camshim_no_internet6='));
    assert.ok(batch.indexOf('camshim_nvr_in4=') < batch.indexOf('camshim_nobody_in4='));
    for (const accept of ['camshim_dns_in4=', 'camshim_ntp_in4=', 'camshim_dhcp_in6=', 'camshim_icmp_in6=']) {
      assert.ok(batch.indexOf(accept) < batch.indexOf(`camshim_router_closed${accept.slice(-2, -1)}=`), accept);
    }
    assert.match(batch, /^set firewall\.camshim_router_closed6\.target='DROP'$/m);
  });

  test('strings are quoted for uci and sh', () => {
    assert.equal(uciString("it's"), "'it'\\''s'");
  });
});

describe('dnsmasq', () => {
  test('dhcp-option lines for DNS and NTP per family, tagged, with a dhcp-range example; dnsmasq --test accepts them', async () => {
    const text = generateRouterConfig({ target: 'dnsmasq', ...DUAL });
    const options = lines(text).filter((l) => !l.startsWith('#') && l !== '');
    assert.deepEqual(options, [
      'dhcp-option=tag:cameras,option:dns-server,192.168.20.2',
      'dhcp-option=tag:cameras,option:ntp-server,192.168.20.2',
      'dhcp-option=tag:cameras,option6:dns-server,[fd20::2]',
      'dhcp-option=tag:cameras,option6:ntp-server,[fd20::2]',
    ]);
    assert.match(text, /^# dhcp-range=set:cameras,192\.168\.20\.128,192\.168\.20\.254,12h$/m);
    assert.match(text, /^# dhcp-range=set:cameras,fd20::1000,fd20::1fff,64,12h$/m);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'camshim-dnsmasq-'));
    const file = path.join(dir, 'cameras.conf');
    // The example ranges, uncommented, must be valid too.
    await writeFile(file, text.replace(/^# (dhcp-range=.*)$/gm, '$1'));
    const checked = await run('dnsmasq', ['--test', '-C', file], { timeout: 10_000 }).catch((error: { stderr: string }) => ({ stdout: '', stderr: error.stderr }));
    assert.match(checked.stderr, /syntax check OK/, checked.stderr);
  });
});

describe('arguments', () => {
  const rejects = (request: Partial<RouterConfigRequest>, code: string, message: RegExp): void => {
    assert.throws(() => planRouterConfig({ target: 'nftables', vlans: ['192.168.20.0/24'], camshim: ['192.168.20.2'], ...request }), (error: unknown) => {
      assert.ok(error instanceof CamshimError);
      assert.equal(error.code, code);
      assert.match(error.message, message);
      return true;
    });
  };

  test('bad CIDRs, addresses, families, names and targets are refused with a code and a reason', () => {
    rejects({ target: 'pfsense' }, 'ROUTER_CONFIG_TARGET', /unknown --target "pfsense": choose one of routeros, nftables, openwrt, dnsmasq/);
    rejects({ vlans: ['192.168.20.0'] }, 'ROUTER_CONFIG_CIDR', /is not a CIDR/);
    rejects({ vlans: ['192.168.20/24'] }, 'ROUTER_CONFIG_CIDR', /is not a CIDR/);
    rejects({ vlans: ['192.168.20.0/33'] }, 'ROUTER_CONFIG_CIDR', /prefix from \/8 to \/30/);
    rejects({ vlans: ['0.0.0.0/4'] }, 'ROUTER_CONFIG_CIDR', /prefix from \/8/);
    rejects({ vlans: ['224.0.0.0/24'] }, 'ROUTER_CONFIG_CIDR', /multicast/);
    rejects({ vlans: ['192.168.20.0/24', '10.0.0.0/24'] }, 'ROUTER_CONFIG_FAMILY', /given twice for IPv4/);
    rejects({ camshim: ['192.168.21.2'] }, 'ROUTER_CONFIG_ADDRESS', /outside the camera VLAN 192\.168\.20\.0\/24/);
    rejects({ camshim: ['192.168.20.0'] }, 'ROUTER_CONFIG_ADDRESS', /network address/);
    rejects({ camshim: ['192.168.20.255'] }, 'ROUTER_CONFIG_ADDRESS', /broadcast address/);
    rejects({ camshim: ['router.lan'] }, 'ROUTER_CONFIG_ADDRESS', /not an IP address/);
    rejects({ camshim: ['192.168.20.2', 'fd20::2'] }, 'ROUTER_CONFIG_FAMILY', /"fd20::2" is IPv6, but no IPv6 --vlan/);
    rejects({ vlans: ['192.168.20.0/24', 'fd20::/64'] }, 'ROUTER_CONFIG_FAMILY', /IPv6 camera VLAN fd20::\/64 needs a --camshim/);
    rejects({ camshim: [] }, 'ROUTER_CONFIG_FAMILY', /needs a --camshim/);
    rejects({ nvrs: ['nvr.lan'] }, 'ROUTER_CONFIG_ADDRESS', /--nvr "nvr\.lan" is not an IP address/);
    rejects({ nvrs: ['fd10::10'] }, 'ROUTER_CONFIG_FAMILY', /no IPv6 VLAN/);
    rejects({ nvrs: ['127.0.0.1'] }, 'ROUTER_CONFIG_ADDRESS', /loopback/);
    rejects({ nvrs: ['192.168.20.2'] }, 'ROUTER_CONFIG_ADDRESS', /camshim's own address/);
    rejects({ interfaceName: 'eth0; rm' }, 'ROUTER_CONFIG_NAME', /--interface/);
  });

  test('a VLAN written with its gateway address is taken as its network; the gateway itself may be camshim', () => {
    const plan = planRouterConfig({ target: 'routeros', vlans: ['192.168.20.1/24', 'FD20:0:0:0::1/64'], camshim: ['192.168.20.1', 'fd20::1'] });
    assert.deepEqual(plan.vlans.map((v) => [v.cidr, v.camshim]), [['192.168.20.0/24', '192.168.20.1'], ['fd20::/64', 'fd20::1']]);
    assert.equal(plan.command, 'camshim router-config --target routeros --vlan 192.168.20.0/24 --vlan fd20::/64 --camshim 192.168.20.1 --camshim fd20::1');
  });

  test('nft strings cannot break out of their quotes', () => {
    assert.equal(nftString('a "b" \\ c\nd'), '"a b  cd"');
  });
});
