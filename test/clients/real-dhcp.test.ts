/**
 * A real DHCP exchange: dnsmasq serves a lease to busybox udhcpc (the client most cameras
 * run) over a veth pair inside a network namespace this test creates, then the lease file
 * and the kernel's neighbour table it leaves behind are read the way camshim reads them.
 * Needs `unshare`, `ip`, `dnsmasq` and `busybox`; skips (saying why) where they are missing.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ClientDirectory } from '../../src/clients/client-directory.js';
import { parseIpNeigh, parseProcNetArp } from '../../src/clients/neighbours.js';
import { parseDnsmasqLeases } from '../../src/clients/parse-dnsmasq.js';

function available(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

const SCRIPT = `
set -e
cd "$1"
ip link set lo up
ip link add srv0 type veth peer name cli0
ip addr add 10.77.0.1/24 dev srv0
ip link set srv0 up
ip link set cli0 up
dnsmasq --no-daemon --user=root --port=0 --interface=srv0 --bind-interfaces --conf-file=/dev/null \\
  --no-resolv --no-hosts --dhcp-range=10.77.0.50,10.77.0.60,1h --dhcp-leasefile="$1/leases" --pid-file="$1/pid" \\
  >dnsmasq.log 2>&1 &
server=$!
sleep 0.5
timeout 15 busybox udhcpc -i cli0 -n -q -f -t 5 -T 1 -x hostname:garage-c200 -s /bin/true >udhcpc.log 2>&1
kill $server
wait $server || true
cat /proc/net/arp >arp
ip neigh show >neigh
ip -br link show cli0 >link
`;

describe('real DHCP exchange in a network namespace', () => {
  it('dnsmasq lease and neighbour table written by the real tools name the busybox client', async (t) => {
    for (const tool of ['unshare', 'ip', 'dnsmasq', 'busybox']) {
      if (!available(tool)) return t.skip(`${tool} is not installed`);
    }
    const dir = mkdtempSync(join(tmpdir(), 'camshim-dhcp-'));
    after(() => rmSync(dir, { recursive: true, force: true }));
    const unshare = process.getuid?.() === 0 ? ['-n'] : ['-rn'];
    const run = spawnSync('unshare', [...unshare, 'sh', '-c', SCRIPT, 'sh', dir], { encoding: 'utf8', timeout: 30_000 });
    if (run.status !== 0 && /unshare: (unshare failed|cannot)/.test(run.stderr)) {
      return t.skip(`cannot create a network namespace here: ${run.stderr.trim()}`);
    }
    assert.equal(run.status, 0, `namespace script failed: ${run.stderr}\n${readIfAny(join(dir, 'dnsmasq.log'))}\n${readIfAny(join(dir, 'udhcpc.log'))}`);

    const clientMac = /([0-9a-f]{2}(?::[0-9a-f]{2}){5})/.exec(readFileSync(join(dir, 'link'), 'utf8'))?.[1];
    assert.ok(clientMac !== undefined, 'client MAC from ip link');

    const parsed = parseDnsmasqLeases(readFileSync(join(dir, 'leases'), 'utf8'));
    assert.equal(parsed.skipped, 0);
    assert.equal(parsed.entries.length, 1);
    const lease = parsed.entries[0];
    assert.ok(lease !== undefined);
    assert.match(lease.ip, /^10\.77\.0\.(5\d|60)$/);
    assert.equal(lease.mac, clientMac);
    assert.equal(lease.name, 'garage-c200');
    const inAnHour = Date.now() + 3600_000;
    assert.ok(lease.expires !== undefined && Math.abs(lease.expires - inAnHour) < 120_000, `expiry ${lease.expires} about an hour ahead`);

    const neighbours = [...parseProcNetArp(readFileSync(join(dir, 'arp'), 'utf8')), ...parseIpNeigh(readFileSync(join(dir, 'neigh'), 'utf8'))];
    assert.ok(neighbours.some((n) => n.ip === lease.ip && n.mac === clientMac), `neighbour table names ${lease.ip}: ${JSON.stringify(neighbours)}`);

    const directory = new ClientDirectory(
      { leases: [join(dir, 'leases')], names: { [clientMac.toUpperCase().replaceAll(':', '-')]: 'garage-from-config' } },
      { neighbourReader: async () => neighbours },
    );
    after(() => directory.close());
    await directory.start();
    assert.deepEqual(directory.lookup(lease.ip), { mac: clientMac, name: 'garage-from-config' });
    assert.deepEqual(directory.lookup(`::ffff:${lease.ip}`), { mac: clientMac, name: 'garage-from-config' });
  });
});

function readIfAny(path: string): string {
  try { return readFileSync(path, 'utf8'); } catch { return ''; }
}
