/**
 * Privilege: the daemon runs as nobody:nogroup with only CAP_NET_BIND_SERVICE, binds DNS 53 and
 * NTP 123, answers, reloads on SIGHUP, ignores NTP modes 6 and 7, and holds no other capability.
 * Ports 53/123 are bound inside a private network namespace this test creates (it ends with the
 * daemon), so nothing on the host (or another test) can collide with them. Needs root to become
 * nobody; skipped with that reason otherwise.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { parseDig } from '../helpers/dig.js';
import { installedCopy, type InstalledCopy } from '../helpers/installed-copy.js';
import { enterNet, inPrivateNet } from '../helpers/netns.js';

const run = promisify(execFile);
const NOT_ROOT = process.getuid?.() === 0 ? false : 'needs root: the test switches to user nobody';

/** A client run inside the namespace: NTP modes 3, 6, 7 to 127.0.0.1:123 and ::1:123; prints what came back. */
const NTP_PROBE = `
const dgram = require('node:dgram');
const probe = (address, mode) => new Promise((resolve) => {
  const s = dgram.createSocket(address.includes(':') ? 'udp6' : 'udp4');
  const req = Buffer.alloc(48); req[0] = (4 << 3) | mode; req.writeUInt32BE(0xdeadbeef, 40);
  const t = setTimeout(() => { s.close(); resolve(null); }, 700);
  s.on('message', (m) => { clearTimeout(t); s.close(); resolve({ length: m.length, mode: m[0] & 7, stratum: m[1], origin: m.readUInt32BE(24).toString(16) }); });
  s.send(req, 123, address);
});
(async () => { const out = {}; for (const a of ['127.0.0.1', '::1']) for (const m of [3, 6, 7]) out[a + ' mode ' + m] = await probe(a, m); console.log(JSON.stringify(out)); })();
`;

function capabilityLines(status: string): Record<string, string> {
  return Object.fromEntries(status.split('\n').filter((line) => /^(Uid|Gid|Groups|Cap\w+|NoNewPrivs):/.test(line)).map((line) => {
    const [key, value] = line.split(':');
    return [key!, value!.trim()];
  }));
}

describe('running unprivileged: nobody with CAP_NET_BIND_SERVICE only, ports 53 and 123 in a private network namespace', { skip: NOT_ROOT }, () => {
  // nobody runs an installed-like copy in a world-readable directory: the checkout may sit where only its owner can reach it.
  let copy: InstalledCopy;
  let list: string;
  before(async () => {
    copy = await installedCopy();
    list = path.join(copy.dir, 'vendor.list');
    await writeFile(list, 'cloud.vendor.example\n', { mode: 0o644 });
  });
  after(async () => {
    await copy?.remove();
  });

  test('binds 53 and 123, answers DNS and NTP, reloads, drops NTP modes 6/7, keeps only CAP_NET_BIND_SERVICE', async () => {
    const args = [
      '--reuid=nobody', '--regid=nogroup', '--clear-groups',
      '--inh-caps=-all,+net_bind_service', '--ambient-caps=-all,+net_bind_service', '--bounding-set=-all,+net_bind_service', '--no-new-privs',
      process.execPath, copy.main, 'serve', '--listen', '127.0.0.1', '--listen', '::1', '--dns-port', '53', '--ntp-port', '123',
      '--resolv-conf', '/dev/null', '--blocklist', list,
    ];
    const child = spawn(...inPrivateNet('setpriv', args), { stdio: ['ignore', 'pipe', 'pipe'] });
    const inNs = (command: string, commandArgs: readonly string[]): Promise<{ stdout: string; stderr: string }> =>
      run(...enterNet(child.pid!, command, commandArgs), { timeout: 10_000 });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    const lines: Record<string, unknown>[] = [];
    const waitFor = (predicate: (line: Record<string, unknown>) => boolean, ms = 10_000): Promise<Record<string, unknown>> => new Promise((resolve, reject) => {
      const found = lines.find(predicate);
      if (found !== undefined) { resolve(found); return; }
      const timer = setTimeout(() => reject(new Error(`no such log line; stderr: ${stderr}; logs: ${JSON.stringify(lines.slice(-5))}`)), ms);
      const check = (): void => { const line = lines.find(predicate); if (line !== undefined) { clearTimeout(timer); reader.off('line', check); resolve(line); } };
      reader.on('line', check);
    });
    const reader = createInterface({ input: child.stdout });
    reader.on('line', (text) => { try { lines.push(JSON.parse(text) as Record<string, unknown>); } catch { lines.push({ unparsed: text }); } });
    try {
      const start = await waitFor((line) => line.event === 'start');
      assert.deepEqual((start.listen as string[]).sort(), ['tcp://127.0.0.1:53', 'tcp://[::1]:53', 'udp://127.0.0.1:53', 'udp://[::1]:53']);
      // unshare, sh and setpriv exec, so the child's pid is node's.
      const status = capabilityLines(await readFile(`/proc/${child.pid}/status`, 'utf8'));
      console.log(`# unprivileged daemon: ${JSON.stringify(status)}`);
      assert.match(status.Uid!, /^65534\s+65534\s+65534\s+65534$/);
      assert.match(status.Gid!, /^65534\s+65534\s+65534\s+65534$/);
      assert.equal(status.Groups, '');
      // Bit 10 is CAP_NET_BIND_SERVICE; nothing else in effective, permitted or bounding sets.
      for (const set of ['CapEff', 'CapPrm', 'CapBnd', 'CapAmb']) assert.equal(status[set], '0000000000000400', set);
      assert.equal(status.NoNewPrivs, '1');

      for (const [server, family] of [['127.0.0.1', 'udp'], ['::1', 'tcp']] as const) {
        const { stdout } = await inNs('dig', [`@${server}`, '-p', '53', '+time=2', '+tries=1', family === 'tcp' ? '+tcp' : '+notcp', 'n-devs.cloud.vendor.example']);
        assert.equal(parseDig(stdout).status, 'NXDOMAIN');
      }
      const redirect = parseDig((await inNs('dig', ['@127.0.0.1', '-p', '53', '+time=2', '+tries=1', '0.pool.ntp.org', 'A'])).stdout);
      assert.match(redirect.answers[0] ?? '', /127\.0\.0\.1$/);

      const ntp = JSON.parse((await inNs(process.execPath, ['-e', NTP_PROBE])).stdout) as Record<string, { length: number; mode: number; stratum: number; origin: string } | null>;
      console.log(`# NTP in the namespace: ${JSON.stringify(ntp)}`);
      for (const address of ['127.0.0.1', '::1']) {
        assert.equal(ntp[`${address} mode 3`]?.mode, 4, 'a client request gets a server reply');
        assert.equal(ntp[`${address} mode 3`]?.origin, 'deadbeef');
        assert.equal(ntp[`${address} mode 6`], null, 'mode 6 (control) gets nothing');
        assert.equal(ntp[`${address} mode 7`], null, 'mode 7 (private, monlist) gets nothing');
      }

      // SIGHUP as nobody: the lists are re-read with the same rights.
      const before = lines.length;
      child.kill('SIGHUP');
      await waitFor((line) => line.event === 'reload' && lines.indexOf(line) >= before);
      assert.equal(lines.slice(before).find((line) => line.event === 'reload')?.applied, true);
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  });

  test('without CAP_NET_BIND_SERVICE, binding 53 fails with one clear message and exit 1', async () => {
    const result = await run(...inPrivateNet('setpriv', [
      '--reuid=nobody', '--regid=nogroup', '--clear-groups', '--inh-caps=-all', '--bounding-set=-all',
      process.execPath, copy.main, 'serve', '--listen', '127.0.0.1', '--dns-port', '53', '--ntp-port', '123', '--resolv-conf', '/dev/null',
    ]), { timeout: 15_000 }).then(() => ({ code: 0, stderr: '' }), (error: { code: number; stderr: string }) => ({ code: error.code, stderr: error.stderr }));
    console.log(`# without the capability: exit ${result.code}: ${result.stderr.trim()}`);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /permission denied/i);
    assert.match(result.stderr, /CAP_NET_BIND_SERVICE/);
  });
});
