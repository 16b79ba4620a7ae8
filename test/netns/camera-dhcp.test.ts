/**
 * The camera's view: a camera namespace behind a veth pair takes a DHCP lease from a router
 * namespace (busybox udhcpd handing out DNS and NTP = a service address beside the gateway),
 * with busybox udhcpc as cameras run it, and then resolves and syncs its clock through camshim
 * at the leased addresses. camshim listens on the wildcard; every reply must come from the
 * service address, not the gateway address the kernel would pick for a wildcard socket, and the
 * router's IPv6 link-local address answers from itself on the camera's link.
 */
import assert from 'node:assert/strict';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { startDaemon, tempDir, type RunningDaemon } from '../helpers/daemon.js';
import { parseDig } from '../helpers/dig.js';
import { NetNs } from './netns.js';

const GATEWAY = '192.168.20.1';
const SERVICE = '192.168.20.53';

/** udhcpc calls this with the lease in its environment; it configures the address and writes the options down. */
function leaseScript(out: string): string {
  return `#!/bin/sh
case "$1" in
  bound|renew)
    ip addr add "$ip/$mask" dev "$interface"
    printf 'ip=%s\\ndns=%s\\nntpsrv=%s\\nrouter=%s\\n' "$ip" "$dns" "$ntpsrv" "$router" > ${out}.tmp
    mv ${out}.tmp ${out}
    ;;
esac
exit 0
`;
}

/** The interface's link-local IPv6 address once it is usable (duplicate address detection done), within 10 s. */
async function linkLocal(ns: NetNs, device: string): Promise<string> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const out = await ns.ip('-6', 'addr', 'show', 'dev', device, 'scope', 'link');
    const match = /inet6 (fe80::[0-9a-f:]+)\/64/.exec(out);
    if (match !== null && !out.includes('tentative')) return match[1]!;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${device} has no usable link-local address`);
}

test('a camera takes a DHCP lease, then resolves and syncs its clock at the leased service address', async (t) => {
  const router = await NetNs.create();
  if (typeof router === 'string') { t.skip(router); return; }
  const camera = await NetNs.create();
  if (typeof camera === 'string') { router.destroy(); t.skip(camera); return; }
  let daemon: RunningDaemon | undefined;
  const dhcpd = { process: undefined as ReturnType<NetNs['spawn']> | undefined };
  try {
    const dir = await tempDir({ 'vendor.list': 'cloud.vendor.example\n' });
    await chmod(dir, 0o755);
    await router.ip('link', 'add', 'cam0', 'type', 'veth', 'peer', 'name', 'cam0-c');
    await router.ip('link', 'set', 'cam0-c', 'netns', String(camera.pid));
    await router.ip('addr', 'add', `${GATEWAY}/24`, 'dev', 'cam0');
    await router.ip('addr', 'add', `${SERVICE}/24`, 'dev', 'cam0');
    await router.ip('link', 'set', 'cam0', 'up');
    await camera.ip('link', 'set', 'cam0-c', 'up');

    daemon = await startDaemon(['--listen', '0.0.0.0', '--listen', '::', '--dns-port', '53', '--ntp-port', '123', '--blocklist', path.join(dir, 'vendor.list')], { wrap: router.enter });

    const conf = path.join(dir, 'udhcpd.conf');
    await writeFile(conf, [
      'start 192.168.20.100', 'end 192.168.20.110', 'interface cam0',
      `lease_file ${path.join(dir, 'leases')}`, `pidfile ${path.join(dir, 'udhcpd.pid')}`,
      'option subnet 255.255.255.0', `option router ${GATEWAY}`, `option dns ${SERVICE}`, `option ntpsrv ${SERVICE}`, 'option lease 600', '',
    ].join('\n'));
    await writeFile(path.join(dir, 'leases'), '');
    dhcpd.process = router.spawn('busybox', ['udhcpd', '-f', conf]);
    let dhcpdOutput = '';
    dhcpd.process.stderr?.on('data', (chunk: Buffer) => { dhcpdOutput += chunk.toString(); });
    dhcpd.process.stdout?.on('data', (chunk: Buffer) => { dhcpdOutput += chunk.toString(); });

    const script = path.join(dir, 'lease.sh');
    const leaseFile = path.join(dir, 'lease.env');
    await writeFile(script, leaseScript(leaseFile));
    await chmod(script, 0o755);
    // -q: quit once leased; -n: give up (exit 1) instead of backgrounding; 5 tries, 1 s apart.
    const client = await camera.run('busybox', ['udhcpc', '-i', 'cam0-c', '-f', '-q', '-n', '-t', '5', '-T', '1', '-s', script], 20_000);
    assert.equal(client.code, 0, `udhcpc got no lease: ${client.stdout}${client.stderr}\nudhcpd: ${dhcpdOutput}`);
    const lease = Object.fromEntries((await readFile(leaseFile, 'utf8')).trim().split('\n').map((line) => line.split('=', 2) as [string, string]));
    assert.equal(lease.dns, SERVICE);
    assert.equal(lease.ntpsrv, SERVICE);
    assert.equal(lease.router, GATEWAY);
    assert.match(lease.ip ?? '', /^192\.168\.20\.1\d\d$/);

    // DNS at the leased resolver: a sinkholed vendor name, and an NTP name that points back at the service address.
    const blocked = await camera.run('dig', [`@${lease.dns}`, '+time=2', '+tries=1', '+nocookie', 'cloud.vendor.example', 'A'], 8000);
    assert.doesNotMatch(blocked.stdout, /unexpected source/, blocked.stdout);
    assert.equal(parseDig(blocked.stdout).status, 'NXDOMAIN', blocked.stdout);
    const ntpName = await camera.run('dig', [`@${lease.dns}`, '+time=2', '+tries=1', '+nocookie', '+short', 'pool.ntp.org', 'A'], 8000);
    assert.equal(ntpName.stdout.trim(), SERVICE, 'an NTP name resolves to the address the camera asked, where NTP is served');

    // Time from the leased NTP server (ntpdig checks the reply's source and origin).
    const sync = await camera.run('ntpdig', ['-t', '2', lease.ntpsrv!], 10_000);
    assert.equal(sync.code, 0, `ntpdig failed: ${sync.stdout}${sync.stderr}`);
    assert.match(sync.stdout, new RegExp(SERVICE.replaceAll('.', '\\.')));
    await daemon.waitForLog((line) => line.msg === 'new NTP client' && line.client === lease.ip, 3000, 0);

    // IPv6 link-local, as a camera without a global address has it: the router's fe80:: address on
    // the camera's link, once both ends have finished duplicate address detection.
    const routerLinkLocal = await linkLocal(router, 'cam0');
    await linkLocal(camera, 'cam0-c');
    await daemon.waitForLog((line) => line.event === 'listen' && line.server === 'DNS' && line.address === `${routerLinkLocal}%cam0`, 5000, 0);
    const v6 = await camera.run('dig', [`@${routerLinkLocal}%cam0-c`, '+time=2', '+tries=1', '+nocookie', 'cloud.vendor.example', 'AAAA'], 8000);
    assert.doesNotMatch(v6.stdout, /unexpected source/, v6.stdout);
    assert.equal(parseDig(v6.stdout).status, 'NXDOMAIN', v6.stdout);
  } finally {
    dhcpd.process?.kill('SIGTERM');
    await daemon?.stop();
    camera.destroy();
    router.destroy();
  }
});
