/**
 * `camshim router-config` through the real program (dist/src/main.js): output on stdout with exit
 * 0, and every bad argument as one line on stderr with its code and exit 2. The generated
 * nftables table is checked by `nft -c` inside a network namespace this test creates.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, test } from 'node:test';
import { runCli, tempDir } from '../helpers/daemon.js';

const run = promisify(execFile);

describe('camshim router-config', () => {
  test('prints each target with exit 0', async () => {
    for (const target of ['routeros', 'nftables', 'openwrt', 'dnsmasq']) {
      const result = await runCli(['router-config', '--target', target, '--vlan', '192.168.20.0/24', '--camshim', '192.168.20.2', '--nvr', '192.168.1.10']);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stderr, '');
      assert.match(result.stdout, new RegExp(`^(#!.*\\n)?# camshim router-config --target ${target} --vlan 192\\.168\\.20\\.0/24 --camshim 192\\.168\\.20\\.2 --nvr 192\\.168\\.1\\.10\\n`));
    }
  });

  test('--help lists every flag', async () => {
    const help = await runCli(['router-config', '--help']);
    assert.equal(help.code, 0);
    for (const flag of ['--target', '--vlan', '--camshim', '--nvr', '--interface', 'routeros, nftables, openwrt, dnsmasq']) assert.ok(help.stdout.includes(flag), flag);
  });

  test('bad arguments: one line on stderr naming the problem and its code, exit 2', async () => {
    const base = ['router-config', '--target', 'nftables'];
    const cases: [string[], RegExp][] = [
      [['router-config', '--target', 'vyos', '--vlan', '10.0.0.0/24', '--camshim', '10.0.0.2'], /unknown --target "vyos".*\[ROUTER_CONFIG_TARGET\]/],
      [[...base, '--vlan', '10.0.0.0', '--camshim', '10.0.0.2'], /--vlan "10\.0\.0\.0" is not a CIDR.*\[ROUTER_CONFIG_CIDR\]/],
      [[...base, '--vlan', 'cameras', '--camshim', '10.0.0.2'], /not a CIDR.*\[ROUTER_CONFIG_CIDR\]/],
      [[...base, '--vlan', '10.0.0.0/24', '--camshim', '10.0.1.2'], /outside the camera VLAN 10\.0\.0\.0\/24.*\[ROUTER_CONFIG_ADDRESS\]/],
      [[...base, '--vlan', '10.0.0.0/24', '--camshim', '10.0.0.2', '--nvr', 'nvr.lan'], /--nvr "nvr\.lan" is not an IP address.*\[ROUTER_CONFIG_ADDRESS\]/],
      [[...base, '--vlan', '10.0.0.0/24', '--camshim', '10.0.0.2', '--nvr', 'fd00::5'], /no IPv6 VLAN.*\[ROUTER_CONFIG_FAMILY\]/],
      [[...base, '--vlan', '10.0.0.0/24', '--vlan', 'fd20::/64', '--camshim', '10.0.0.2'], /fd20::\/64 needs a --camshim.*\[ROUTER_CONFIG_FAMILY\]/],
      [[...base, '--vlan', '10.0.0.0/24', '--camshim', '10.0.0.2', '--interface', 'a b'], /--interface.*\[ROUTER_CONFIG_NAME\]/],
      [[...base, '--vlan', '10.0.0.0/24'], /camshim/],
      [['router-config', '--vlan', '10.0.0.0/24', '--camshim', '10.0.0.2'], /target/],
      [[...base, '--vlan', '10.0.0.0/24', '--camshim', '10.0.0.2', '--bogus'], /bogus/],
    ];
    for (const [args, message] of cases) {
      const result = await runCli(args);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.equal(result.stdout, '', args.join(' '));
      assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
      assert.match(result.stderr, /^camshim: /);
      assert.match(result.stderr, message, args.join(' '));
    }
  });

  test('nft -c -f accepts the generated table for IPv4-only, IPv6-only and dual-stack VLANs', async (t) => {
    const probe = await run('unshare', ['-rn', 'nft', '-c', '-f', '/dev/null']).then(() => undefined, (error: Error) => error.message);
    if (probe !== undefined) {
      t.skip(`cannot run nft in a user and network namespace here: ${probe}`);
      return;
    }
    const dir = await tempDir();
    const variants: Record<string, string[]> = {
      'ipv4-only': ['--vlan', '192.168.20.0/24', '--camshim', '192.168.20.2', '--nvr', '192.168.1.10', '--nvr', '192.168.1.11'],
      'ipv6-only': ['--vlan', 'fd20::/64', '--camshim', 'fd20::2', '--nvr', 'fd10::10'],
      'dual-stack': ['--vlan', '192.168.20.0/24', '--vlan', 'fd20::/64', '--camshim', '192.168.20.1', '--camshim', 'fd20::53', '--nvr', '192.168.1.10', '--nvr', 'fd10::10'],
      'no-nvr': ['--vlan', '10.20.0.0/16', '--camshim', '10.20.0.2'],
    };
    for (const [name, args] of Object.entries(variants)) {
      const result = await runCli(['router-config', '--target', 'nftables', ...args]);
      assert.equal(result.code, 0, result.stderr);
      const file = path.join(dir, `${name}.nft`);
      await writeFile(file, result.stdout);
      const checked = await run('unshare', ['-rn', 'nft', '-c', '-f', file], { timeout: 10_000 }).then(
        () => ({ ok: true, stderr: '' }), (error: { stderr: string }) => ({ ok: false, stderr: error.stderr }));
      assert.ok(checked.ok, `${name}: nft -c rejected the table:\n${checked.stderr}`);
      // A broken table must be refused, or the check above proves nothing.
      await writeFile(file, result.stdout.replace('dnat ip', 'dnat ipx').replace('dnat ip6', 'dnat ipx'));
      await assert.rejects(run('unshare', ['-rn', 'nft', '-c', '-f', file], { timeout: 10_000 }), name);
    }
  });
});
