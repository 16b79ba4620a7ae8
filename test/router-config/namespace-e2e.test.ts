/**
 * End to end, the way `camshim router-config` is used: four network namespaces made by this test
 * (router, camera, NVR and "the internet"), joined by veth pairs created inside the router's
 * namespace, so nothing touches the host's network. The router runs camshim on a service address
 * beside the gateway, a DHCP-only dnsmasq with the generated dhcp-option lines, and the generated
 * nftables table. The camera takes its lease with busybox udhcpc and asks for time with busybox
 * ntpd, as many cameras do. "The internet" holds the hard-coded resolver (8.8.8.8 and Google's
 * IPv6 resolver address, on its loopback), a vendor cloud address with a TCP listener, and
 * camshim's upstream (dnsmasq). Each forcing check runs first without the table, so a check that
 * passes only because of the namespace layout fails here. Needs root (CI and these machines are).
 */
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync, readlinkSync } from 'node:fs';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';
import { MAIN, PROJECT_ROOT, runCli, tempDir } from '../helpers/daemon.js';
import { parseDig } from '../helpers/dig.js';

const BUSYBOX_NTPD = path.join(PROJECT_ROOT, '.cache', 'busybox-ntpd', 'busybox');

const VLAN4 = '10.20.0.0/24';
const GATEWAY4 = '10.20.0.1';
const CAMSHIM4 = '10.20.0.2';
const VLAN6 = 'fd20::/64';
const CAMSHIM6 = 'fd20::2';
const CAMERA6 = 'fd20::100';
const NVR = '192.168.1.10';
const UPSTREAM = '203.0.113.2';
const CLOUD = '198.51.100.7';
const HARD_CODED_DNS = '8.8.8.8';
const HARD_CODED_DNS6 = '2001:4860:4860::8888';
const HARD_CODED_NTP = '192.0.2.123';

/** Prints "open" or "closed" for a TCP connection attempt with a 2 s limit. */
const TCP_PROBE = `
const s = require('node:net').connect({ host: process.argv[1], port: Number(process.argv[2]) });
const t = setTimeout(() => { console.log('closed'); process.exit(0); }, 2000);
s.on('connect', () => { clearTimeout(t); console.log('open'); s.destroy(); });
s.on('error', () => { clearTimeout(t); console.log('closed'); });
`;
/** Accepts TCP connections on the given address and ports until killed. */
const TCP_LISTEN = `
const net = require('node:net');
for (const port of process.argv.slice(2).map(Number)) net.createServer((c) => c.end()).listen(port, process.argv[1]);
`;

interface Namespace { readonly name: string; readonly pid: number; readonly holder: ChildProcess }

function exec(file: string, args: readonly string[], timeoutMs = 10_000): Promise<{ stdout: string; stderr: string; code: number }> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: timeoutMs }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof (error as { code?: unknown }).code === 'number' ? (error as { code: number }).code : -1;
      resolve({ stdout, stderr, code });
    });
  });
}

function nsArgs(ns: Namespace, file: string, args: readonly string[]): string[] {
  return [`--net=/proc/${ns.pid}/ns/net`, file, ...args];
}

/** Runs a command in the namespace; throws with its output when it fails. */
async function inNs(ns: Namespace, file: string, args: readonly string[], timeoutMs = 10_000): Promise<string> {
  const result = await exec('nsenter', nsArgs(ns, file, args), timeoutMs);
  if (result.code !== 0) throw new Error(`${ns.name}: ${file} ${args.join(' ')} failed (${result.code}): ${result.stderr}${result.stdout}`);
  return result.stdout;
}

function spawnInNs(ns: Namespace, file: string, args: readonly string[]): ChildProcess {
  return spawn('nsenter', nsArgs(ns, file, args), { stdio: ['ignore', 'pipe', 'pipe'] });
}

/** A network namespace held open by a sleeping process; it disappears with that process. */
async function makeNamespace(name: string): Promise<Namespace> {
  const holder = spawn('unshare', ['-n', 'sleep', '600'], { stdio: 'ignore' });
  const pid = holder.pid!;
  const ours = readlinkSync('/proc/self/ns/net');
  for (let i = 0; i < 100; i += 1) {
    let theirs: string | undefined;
    try { theirs = readlinkSync(`/proc/${pid}/ns/net`); } catch { theirs = undefined; }
    // unshare execs sleep after unsharing; until then the pid still shares our namespace.
    if (theirs !== undefined && theirs !== ours) return { name, pid, holder };
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  holder.kill('SIGKILL');
  throw new Error(`${name}: unshare -n did not make a namespace within 2 s`);
}

async function dig(ns: Namespace, server: string, name: string, extra: readonly string[] = []): Promise<ReturnType<typeof parseDig>> {
  const result = await exec('nsenter', nsArgs(ns, 'dig', [`@${server}`, '+time=2', '+tries=1', ...extra, name, 'A']), 8000);
  return parseDig(result.stdout);
}

async function tcpProbe(ns: Namespace, host: string, port: number): Promise<string> {
  return (await inNs(ns, process.execPath, ['-e', TCP_PROBE, host, String(port)], 8000)).trim();
}

/** busybox ntpd in query-only mode (-w: never sets the clock, which is shared with the host). */
async function ntpQuery(ns: Namespace, server: string): Promise<{ replies: number; output: string }> {
  const result = await exec('nsenter', nsArgs(ns, BUSYBOX_NTPD, ['ntpd', '-d', '-n', '-q', '-w', '-p', server]), 8000);
  const output = `${result.stdout}${result.stderr}`;
  return { replies: [...output.matchAll(/reply from [^:]+: offset:/g)].length, output };
}

function waitForLine(child: ChildProcess, predicate: (line: string) => boolean, what: string, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const reader = createInterface({ input: child.stdout! });
    child.stderr!.on('data', (chunk: Buffer) => { seen += chunk.toString(); });
    const timer = setTimeout(() => { reader.close(); reject(new Error(`${what}: not ready within ${timeoutMs} ms; output: ${seen}`)); }, timeoutMs);
    reader.on('line', (line) => {
      seen += `${line}\n`;
      if (predicate(line)) { clearTimeout(timer); reader.close(); resolve(line); }
    });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`${what} exited with ${code}; output: ${seen}`)); });
  });
}

/** Why this machine cannot run the namespace tests, or undefined when it can. */
async function missingPrerequisite(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'needs root to create network namespaces and bind ports 53, 67 and 123 inside them';
  try { accessSync(BUSYBOX_NTPD, constants.X_OK); } catch { return `${BUSYBOX_NTPD} missing: build it with .ci/build-busybox-ntpd.sh`; }
  const probe = await exec('unshare', ['-n', 'true']);
  return probe.code === 0 ? undefined : `unshare -n is not permitted here: ${probe.stderr.trim()}`;
}

/** Stops every process the test started; the namespaces go with their holders. */
async function stopAll(children: readonly ChildProcess[], namespaces: readonly Namespace[]): Promise<void> {
  for (const child of children) child.kill('SIGTERM');
  for (const ns of namespaces) ns.holder.kill('SIGKILL');
  await Promise.all(children.map((child) => (child.exitCode !== null || child.signalCode !== null ? undefined : new Promise((resolve) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); resolve(undefined); }, 3000);
    child.once('exit', () => { clearTimeout(timer); resolve(undefined); });
  }))));
}

describe('router-config end to end: router, camera, NVR and internet namespaces', () => {
  const namespaces: Namespace[] = [];
  const children: ChildProcess[] = [];
  let router: Namespace;
  let camera: Namespace;
  let nvr: Namespace;
  let internet: Namespace;
  let dir: string;
  let unavailable: string | undefined;

  before(async () => {
    unavailable = await missingPrerequisite();
    if (unavailable !== undefined) return;

    dir = await tempDir({ 'vendor.list': 'vendor-cloud.example\n' });
    await chmod(dir, 0o755);
    for (const name of ['router', 'camera', 'nvr', 'internet']) namespaces.push(await makeNamespace(name));
    [router, camera, nvr, internet] = namespaces as [Namespace, Namespace, Namespace, Namespace];
    const ip = (ns: Namespace, ...args: string[]): Promise<string> => inNs(ns, 'ip', args);

    for (const ns of namespaces) await ip(ns, 'link', 'set', 'lo', 'up');
    // The veth pairs are made inside the router's namespace and one end moved out: the host never sees them.
    for (const [local, peer, ns] of [['r-cam', 'cam0', camera], ['r-nvr', 'nvr0', nvr], ['r-inet', 'inet0', internet]] as const) {
      await ip(router, 'link', 'add', local, 'type', 'veth', 'peer', 'name', peer);
      await ip(router, 'link', 'set', peer, 'netns', String(ns.pid));
      await ip(router, 'link', 'set', local, 'up');
      await ip(ns, 'link', 'set', peer, 'up');
    }
    // Router: gateway and camshim's service address beside it on the camera VLAN, for both families.
    await ip(router, 'addr', 'add', `${GATEWAY4}/24`, 'dev', 'r-cam');
    await ip(router, 'addr', 'add', `${CAMSHIM4}/24`, 'dev', 'r-cam');
    await ip(router, '-6', 'addr', 'add', 'fd20::1/64', 'dev', 'r-cam', 'nodad');
    await ip(router, '-6', 'addr', 'add', `${CAMSHIM6}/64`, 'dev', 'r-cam', 'nodad');
    await ip(router, 'addr', 'add', '192.168.1.1/24', 'dev', 'r-nvr');
    await ip(router, 'addr', 'add', '203.0.113.1/24', 'dev', 'r-inet');
    await ip(router, '-6', 'addr', 'add', 'fd99::1/64', 'dev', 'r-inet', 'nodad');
    await ip(router, 'route', 'add', 'default', 'via', UPSTREAM);
    await ip(router, '-6', 'route', 'add', 'default', 'via', 'fd99::2');
    await inNs(router, 'sysctl', ['-q', '-w', 'net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1']);
    // The internet: the far end, plus the hard-coded resolver, NTP server and cloud on its loopback.
    await ip(internet, 'addr', 'add', `${UPSTREAM}/24`, 'dev', 'inet0');
    await ip(internet, '-6', 'addr', 'add', 'fd99::2/64', 'dev', 'inet0', 'nodad');
    for (const address of [HARD_CODED_DNS, HARD_CODED_NTP, CLOUD]) await ip(internet, 'addr', 'add', `${address}/32`, 'dev', 'lo');
    await ip(internet, '-6', 'addr', 'add', `${HARD_CODED_DNS6}/128`, 'dev', 'lo');
    for (const network of [VLAN4, '192.168.1.0/24']) await ip(internet, 'route', 'add', network, 'via', '203.0.113.1');
    await ip(internet, '-6', 'route', 'add', VLAN6, 'via', 'fd99::1');
    // The NVR on its own LAN; the camera's IPv6 address is static (its IPv4 one comes from DHCP).
    await ip(nvr, 'addr', 'add', `${NVR}/24`, 'dev', 'nvr0');
    await ip(nvr, 'route', 'add', 'default', 'via', '192.168.1.1');
    await ip(camera, '-6', 'addr', 'add', `${CAMERA6}/64`, 'dev', 'cam0', 'nodad');
    await ip(camera, '-6', 'route', 'add', 'default', 'via', 'fd20::1');

    // camshim's upstream, which is also the "hard-coded" public resolver: it resolves the vendor
    // cloud, so a sinkholed answer proves camshim answered.
    await writeFile(path.join(dir, 'internet-dns.conf'), [
      'port=53', 'bind-interfaces', `listen-address=${UPSTREAM},${HARD_CODED_DNS},${HARD_CODED_DNS6}`, 'no-resolv', 'no-hosts',
      `address=/vendor-cloud.example/${CLOUD}`, 'address=/forwarded.example/203.0.113.80', '',
    ].join('\n'));
    const upstream = spawnInNs(internet, 'dnsmasq', ['-k', '-C', path.join(dir, 'internet-dns.conf'), '--pid-file=', '--log-facility=-', '--log-queries']);
    children.push(upstream);
    const cloud = spawnInNs(internet, process.execPath, ['-e', TCP_LISTEN, CLOUD, '443', '8000']);
    children.push(cloud);
    const cameraServices = spawnInNs(camera, process.execPath, ['-e', TCP_LISTEN, '0.0.0.0', '554', '23']);
    children.push(cameraServices);
    // An admin service on the router (as SSH or a web UI would be), which the cameras must not reach.
    const routerAdmin = spawnInNs(router, process.execPath, ['-e', TCP_LISTEN, GATEWAY4, '22']);
    children.push(routerAdmin);

    // DHCP on the router: dnsmasq without DNS (port=0), with the generated dhcp-option lines.
    const dnsmasqLines = await runCli(['router-config', '--target', 'dnsmasq', '--vlan', VLAN4, '--camshim', CAMSHIM4]);
    assert.equal(dnsmasqLines.code, 0, dnsmasqLines.stderr);
    await writeFile(path.join(dir, 'router-dhcp.conf'), [
      'port=0', 'interface=r-cam', 'bind-interfaces', `dhcp-range=set:cameras,10.20.0.100,10.20.0.150,1h`,
      `dhcp-leasefile=${path.join(dir, 'leases')}`, dnsmasqLines.stdout,
    ].join('\n'));
    const dhcp = spawnInNs(router, 'dnsmasq', ['-k', '-C', path.join(dir, 'router-dhcp.conf'), '--pid-file=', '--log-facility=-']);
    children.push(dhcp);

    // camshim on the service address (both families), forwarding to the internet's resolver.
    const camshim = spawnInNs(router, process.execPath, [MAIN, 'serve', '--listen', CAMSHIM4, '--listen', CAMSHIM6, '--dns-port', '53', '--ntp-port', '123',
      '--upstream', UPSTREAM, '--resolv-conf', '/dev/null', '--blocklist', path.join(dir, 'vendor.list')]);
    children.push(camshim);
    await waitForLine(camshim, (line) => line.includes('"event":"start"'), 'camshim');
    // Each listener is up once its port answers; bounded by dig's own timeouts.
    for (let i = 0; i < 20 && (await dig(router, UPSTREAM, 'forwarded.example')).status !== 'NOERROR'; i += 1) await new Promise((r) => setTimeout(r, 100));
    for (let i = 0; i < 20 && (await tcpProbe(internet, CLOUD, 443)) !== 'open'; i += 1) await new Promise((r) => setTimeout(r, 100));
  });

  after(() => stopAll(children, namespaces));

  test('the camera leases with udhcpc, gets camshim as DNS and NTP, and the generated table forces and closes the VLAN', async (t) => {
    if (unavailable !== undefined) { t.skip(unavailable); return; }

    // 1. The lease, as a busybox camera takes it: options 6 and 42 name camshim.
    const script = path.join(dir, 'udhcpc.script');
    const leaseFile = path.join(dir, 'lease.env');
    await writeFile(script, [
      '#!/bin/sh',
      'case "$1" in',
      `  bound|renew) ip addr add "$ip/$mask" dev "$interface"; ip route add default via "$router"; printf 'ip=%s\\ndns=%s\\nntpsrv=%s\\nrouter=%s\\n' "$ip" "$dns" "$ntpsrv" "$router" > ${leaseFile} ;;`,
      'esac',
      '',
    ].join('\n'));
    await chmod(script, 0o755);
    await inNs(camera, 'busybox', ['udhcpc', '-i', 'cam0', '-f', '-q', '-n', '-t', '5', '-T', '1', '-O', 'ntpsrv', '-s', script], 15_000);
    const lease = Object.fromEntries((await readFile(leaseFile, 'utf8')).trim().split('\n').map((line) => line.split('=') as [string, string]));
    console.log(`# camera lease: ${JSON.stringify(lease)}`);
    assert.match(lease.ip!, /^10\.20\.0\.(1[0-4]\d|150)$/);
    assert.equal(lease.dns, CAMSHIM4, 'DHCP option 6 names camshim');
    assert.equal(lease.ntpsrv, CAMSHIM4, 'DHCP option 42 names camshim');
    assert.equal(lease.router, GATEWAY4);
    const cameraIp = lease.ip!;

    // 2. Through the DHCP-given server, names are sinkholed, redirected and forwarded.
    assert.equal((await dig(camera, lease.dns!, 'vendor-cloud.example')).status, 'NXDOMAIN', 'vendor cloud sinkholed');
    assert.match((await dig(camera, lease.dns!, 'pool.ntp.org')).answers[0] ?? '', new RegExp(`${CAMSHIM4.replace(/\./g, '\\.')}$`), 'NTP name redirected to camshim');
    assert.match((await dig(camera, lease.dns!, 'forwarded.example')).answers[0] ?? '', /203\.0\.113\.80$/, 'other names forwarded upstream');
    const ntpFromLease = await ntpQuery(camera, lease.ntpsrv!);
    assert.ok(ntpFromLease.replies > 0, `busybox ntpd got no reply from the DHCP-given server:\n${ntpFromLease.output}`);

    // 3. Without the table, the camera escapes: the check below must be able to fail.
    const open = {
      cloud: await tcpProbe(camera, CLOUD, 443),
      dns: (await dig(camera, HARD_CODED_DNS, 'vendor-cloud.example')).answers[0] ?? 'no answer',
      dns6: (await dig(camera, HARD_CODED_DNS6, 'vendor-cloud.example', ['-6'])).answers[0] ?? 'no answer',
      ntp: (await ntpQuery(camera, HARD_CODED_NTP)).replies,
      nvrTelnet: await tcpProbe(nvr, cameraIp, 23),
      routerSsh: await tcpProbe(camera, GATEWAY4, 22),
    };
    console.log(`# without the table: ${JSON.stringify(open)}`);
    assert.equal(open.cloud, 'open');
    assert.match(open.dns, new RegExp(`${CLOUD.replace(/\./g, '\\.')}$`), 'the hard-coded resolver answers directly');
    assert.match(open.dns6, new RegExp(`${CLOUD.replace(/\./g, '\\.')}$`));
    assert.equal(open.ntp, 0, 'nothing answers NTP at the hard-coded address');
    assert.equal(open.nvrTelnet, 'open');
    assert.equal(open.routerSsh, 'open');

    // 4. The generated table, checked and loaded in the router's namespace.
    const table = await runCli(['router-config', '--target', 'nftables', '--vlan', VLAN4, '--vlan', VLAN6, '--camshim', CAMSHIM4, '--camshim', CAMSHIM6, '--nvr', NVR]);
    assert.equal(table.code, 0, table.stderr);
    const tableFile = path.join(dir, 'camshim.nft');
    await writeFile(tableFile, table.stdout);
    await inNs(router, 'nft', ['-c', '-f', tableFile]);
    await inNs(router, 'nft', ['-f', tableFile]);
    // Loading twice replaces the table rather than failing or doubling it.
    await inNs(router, 'nft', ['-f', tableFile]);
    assert.equal((await inNs(router, 'nft', ['list', 'tables'])).trim(), 'table inet camshim');

    const closed = {
      cloud: await tcpProbe(camera, CLOUD, 443),
      cloud8000: await tcpProbe(camera, CLOUD, 8000),
      dns: await dig(camera, HARD_CODED_DNS, 'vendor-cloud.example'),
      dnsTcp: await dig(camera, HARD_CODED_DNS, 'vendor-cloud.example', ['+tcp']),
      dns6: await dig(camera, HARD_CODED_DNS6, 'vendor-cloud.example', ['-6']),
      forwarded: await dig(camera, HARD_CODED_DNS, 'forwarded.example'),
      ntpName: await dig(camera, '114.114.114.114', 'time.windows.com'),
      ntp: await ntpQuery(camera, HARD_CODED_NTP),
      nvrRtsp: await tcpProbe(nvr, cameraIp, 554),
      nvrTelnet: await tcpProbe(nvr, cameraIp, 23),
      routerSsh: await tcpProbe(camera, GATEWAY4, 22),
    };
    const brief = (result: { status: string; answers: string[] }): string => `${result.status} ${result.answers.join(' ')}`.trim();
    console.log(`# with the table: ${JSON.stringify({ ...closed, dns: brief(closed.dns), dnsTcp: brief(closed.dnsTcp), dns6: brief(closed.dns6), forwarded: brief(closed.forwarded), ntpName: brief(closed.ntpName), ntp: closed.ntp.replies })}`);
    assert.equal(closed.cloud, 'closed', 'literal-IP call-home is dropped');
    assert.equal(closed.cloud8000, 'closed');
    assert.equal(closed.dns.status, 'NXDOMAIN', 'DNS to hard-coded 8.8.8.8 is answered by camshim (sinkholed)');
    assert.equal(closed.dnsTcp.status, 'NXDOMAIN', 'DNS over TCP too');
    assert.equal(closed.dns6.status, 'NXDOMAIN', 'DNS to the hard-coded IPv6 resolver too');
    assert.match(closed.forwarded.answers[0] ?? '', /203\.0\.113\.80$/, 'names camshim does not block are forwarded');
    assert.match(closed.ntpName.answers[0] ?? '', new RegExp(`${CAMSHIM4.replace(/\./g, '\\.')}$`), 'NTP names point at camshim');
    assert.ok(closed.ntp.replies > 0, `NTP to a hard-coded address is answered by camshim:\n${closed.ntp.output}`);
    assert.equal(closed.nvrRtsp, 'open', 'the NVR still pulls RTSP from the camera');
    assert.equal(closed.nvrTelnet, 'closed', 'the NVR opens only the camera ports');
    assert.equal(closed.routerSsh, 'closed', 'the router itself is closed to the camera');
    // The DHCP server still serves (a renewal and a fresh lease go to the router's input chain).
    await inNs(camera, 'ip', ['addr', 'flush', 'dev', 'cam0', 'scope', 'global']);
    await inNs(camera, 'ip', ['-6', 'addr', 'add', `${CAMERA6}/64`, 'dev', 'cam0', 'nodad']);
    await inNs(camera, 'busybox', ['udhcpc', '-i', 'cam0', '-f', '-q', '-n', '-t', '5', '-T', '1', '-O', 'ntpsrv', '-s', script], 15_000);
    assert.match(await readFile(leaseFile, 'utf8'), /^ip=10\.20\.0\./m);
  });
});

/**
 * camshim on its own host on the camera VLAN (a box beside the router, as with a MikroTik): the
 * router bridges the camera and that host, so a redirected query goes camera -> router -> camshim
 * host on the same segment. Only the generated masquerade makes the reply come back through the
 * router; the test removes it to show the redirect then fails.
 */
describe('router-config end to end: camshim on another host of the camera VLAN (hairpin)', () => {
  const namespaces: Namespace[] = [];
  const children: ChildProcess[] = [];
  let router: Namespace;
  let camera: Namespace;
  let shimHost: Namespace;
  let internet: Namespace;
  let dir: string;
  let unavailable: string | undefined;
  const VLAN = '10.30.0.0/24';
  const SHIM = '10.30.0.2';
  const CAMERA = '10.30.0.50';

  before(async () => {
    unavailable = await missingPrerequisite();
    if (unavailable !== undefined) return;
    dir = await tempDir({ 'vendor.list': 'vendor-cloud.example\n' });
    await chmod(dir, 0o755);
    for (const name of ['router', 'camera', 'camshim-host', 'internet']) namespaces.push(await makeNamespace(name));
    [router, camera, shimHost, internet] = namespaces as [Namespace, Namespace, Namespace, Namespace];
    const ip = (ns: Namespace, ...args: string[]): Promise<string> => inNs(ns, 'ip', args);
    for (const ns of namespaces) await ip(ns, 'link', 'set', 'lo', 'up');
    await ip(router, 'link', 'add', 'br-cam', 'type', 'bridge');
    await ip(router, 'link', 'set', 'br-cam', 'up');
    for (const [local, peer, ns] of [['r-cam', 'cam0', camera], ['r-shim', 'shim0', shimHost], ['r-inet', 'inet0', internet]] as const) {
      await ip(router, 'link', 'add', local, 'type', 'veth', 'peer', 'name', peer);
      await ip(router, 'link', 'set', peer, 'netns', String(ns.pid));
      if (local !== 'r-inet') await ip(router, 'link', 'set', local, 'master', 'br-cam');
      await ip(router, 'link', 'set', local, 'up');
      await ip(ns, 'link', 'set', peer, 'up');
    }
    await ip(router, 'addr', 'add', '10.30.0.1/24', 'dev', 'br-cam');
    await ip(router, 'addr', 'add', '203.0.113.1/24', 'dev', 'r-inet');
    await ip(router, 'route', 'add', 'default', 'via', UPSTREAM);
    await inNs(router, 'sysctl', ['-q', '-w', 'net.ipv4.ip_forward=1']);
    // A router's bridge does not pass bridged frames through the IP firewall (RouterOS
    // use-ip-firewall=no, OpenWrt without br_netfilter). Where br_netfilter is loaded on this
    // machine it would, and conntrack would un-NAT the direct reply, hiding what the masquerade does.
    if (existsSync('/proc/sys/net/bridge/bridge-nf-call-iptables')) {
      await inNs(router, 'sysctl', ['-q', '-w', 'net.bridge.bridge-nf-call-iptables=0', 'net.bridge.bridge-nf-call-ip6tables=0']);
    }
    await ip(internet, 'addr', 'add', `${UPSTREAM}/24`, 'dev', 'inet0');
    for (const address of [HARD_CODED_DNS, HARD_CODED_NTP, CLOUD]) await ip(internet, 'addr', 'add', `${address}/32`, 'dev', 'lo');
    await ip(internet, 'route', 'add', VLAN, 'via', '203.0.113.1');
    for (const [ns, address] of [[shimHost, SHIM], [camera, CAMERA]] as const) {
      await ip(ns, 'addr', 'add', `${address}/24`, 'dev', ns === camera ? 'cam0' : 'shim0');
      await ip(ns, 'route', 'add', 'default', 'via', '10.30.0.1');
    }
    await writeFile(path.join(dir, 'internet-dns.conf'), [
      'port=53', 'bind-interfaces', `listen-address=${UPSTREAM},${HARD_CODED_DNS}`, 'no-resolv', 'no-hosts',
      `address=/vendor-cloud.example/${CLOUD}`, 'address=/forwarded.example/203.0.113.80', '',
    ].join('\n'));
    children.push(spawnInNs(internet, 'dnsmasq', ['-k', '-C', path.join(dir, 'internet-dns.conf'), '--pid-file=', '--log-facility=-']));
    children.push(spawnInNs(internet, process.execPath, ['-e', TCP_LISTEN, CLOUD, '443']));
    const camshim = spawnInNs(shimHost, process.execPath, [MAIN, 'serve', '--listen', SHIM, '--dns-port', '53', '--ntp-port', '123',
      '--upstream', UPSTREAM, '--resolv-conf', '/dev/null', '--blocklist', path.join(dir, 'vendor.list')]);
    children.push(camshim);
    await waitForLine(camshim, (line) => line.includes('"event":"start"'), 'camshim');
    for (let i = 0; i < 20 && (await dig(router, UPSTREAM, 'forwarded.example')).status !== 'NOERROR'; i += 1) await new Promise((r) => setTimeout(r, 100));
  });

  after(() => stopAll(children, namespaces));

  test('redirected DNS and NTP reach camshim on its own host and come back; camshim still forwards upstream', async (t) => {
    if (unavailable !== undefined) { t.skip(unavailable); return; }
    const before = (await dig(camera, HARD_CODED_DNS, 'vendor-cloud.example')).answers[0] ?? 'no answer';
    assert.match(before, new RegExp(`${CLOUD.replace(/\./g, '\\.')}$`), 'without the table the hard-coded resolver answers');

    const table = await runCli(['router-config', '--target', 'nftables', '--vlan', VLAN, '--camshim', SHIM]);
    assert.equal(table.code, 0, table.stderr);
    const tableFile = path.join(dir, 'camshim.nft');
    await writeFile(tableFile, table.stdout);
    await inNs(router, 'nft', ['-f', tableFile]);

    const result = {
      dns: await dig(camera, HARD_CODED_DNS, 'vendor-cloud.example'),
      dnsTcp: await dig(camera, HARD_CODED_DNS, 'vendor-cloud.example', ['+tcp']),
      forwarded: await dig(camera, HARD_CODED_DNS, 'forwarded.example'),
      direct: await dig(camera, SHIM, 'forwarded.example'),
      ntp: await ntpQuery(camera, HARD_CODED_NTP),
      cloud: await tcpProbe(camera, CLOUD, 443),
    };
    console.log(`# hairpin with the table: dns ${result.dns.status}, tcp ${result.dnsTcp.status}, forwarded ${result.forwarded.answers.join(' ')}, ntp replies ${result.ntp.replies}, cloud ${result.cloud}`);
    assert.equal(result.dns.status, 'NXDOMAIN', 'DNS to 8.8.8.8 answered by camshim on its own host');
    assert.equal(result.dnsTcp.status, 'NXDOMAIN');
    assert.match(result.forwarded.answers[0] ?? '', /203\.0\.113\.80$/, 'camshim on the VLAN still reaches its upstream');
    assert.match(result.direct.answers[0] ?? '', /203\.0\.113\.80$/);
    assert.ok(result.ntp.replies > 0, `NTP to a hard-coded address answered by camshim:\n${result.ntp.output}`);
    assert.equal(result.cloud, 'closed');

    // Without the masquerade, camshim answers the camera directly from its own address, which the
    // camera (waiting for 8.8.8.8) ignores.
    await inNs(router, 'nft', ['flush', 'chain', 'inet', 'camshim', 'srcnat']);
    const withoutHairpin = await dig(camera, HARD_CODED_DNS, 'vendor-cloud.example');
    assert.notEqual(withoutHairpin.status, 'NXDOMAIN', 'the masquerade is what carries the redirected reply');
  });
});
