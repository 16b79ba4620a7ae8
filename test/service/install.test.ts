/**
 * The README's install path, for real: `npm pack`, then `npm install -g` of the tarball into a
 * temporary prefix (standing in for /usr/local), and the installed `camshim check` run on the
 * installed example config. Dependencies come from npm's cache when it has them (`npm ci` filled it).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { lstat, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { PROJECT_ROOT } from '../helpers/daemon.js';

const run = promisify(execFile);

test('npm pack + npm install -g installs a copy whose camshim check runs', { timeout: 300_000 }, async () => {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'camshim-install-'));
  try {
    // dist/ is already built by the test run's tsc; --ignore-scripts keeps pack from compiling again.
    const { stdout: packed } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], { cwd: PROJECT_ROOT, maxBuffer: 16 * 1024 * 1024 });
    const [info] = JSON.parse(packed) as { filename: string; files: { path: string }[] }[];
    assert.ok(info !== undefined);
    const files = new Set(info.files.map((f) => f.path));
    for (const needed of ['dist/src/main.js', 'dist/src/dashboard/assets/dashboard.html', 'dist/src/dashboard/assets/dashboard.js', 'systemd/camshim.service', 'README.md', 'camshim.schema.json', 'docs/camera-vlan.yaml', 'package.json']) {
      assert.ok(files.has(needed), `the package holds ${needed}`);
    }
    assert.ok([...files].some((f) => f.startsWith('lists/')), 'the package holds the bundled lists');
    assert.ok(![...files].some((f) => f.startsWith('dist/test/') || f.startsWith('src/') || f.startsWith('test/')), 'no tests or TypeScript sources');

    const prefix = path.join(tmp, 'prefix');
    await run('npm', ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', path.join(tmp, info.filename)], { maxBuffer: 16 * 1024 * 1024 });
    const installed = path.join(prefix, 'lib/node_modules/camshim');
    // A copy, not a link into a checkout (which the unit's dynamic user may not be able to read).
    assert.ok((await lstat(installed)).isDirectory());
    assert.ok(!(await lstat(installed)).isSymbolicLink());
    // The unit's Documentation= path, under this prefix.
    const unit = await readFile(path.join(installed, 'systemd/camshim.service'), 'utf8');
    const doc = /^Documentation=file:\/\/\/usr\/local\/(\S+)$/m.exec(unit)?.[1];
    assert.ok(doc !== undefined, 'Documentation= under /usr/local');
    await readFile(path.join(prefix, doc));

    const bin = path.join(prefix, 'bin/camshim');
    const { stdout } = await run(bin, ['check', '--config', path.join(installed, 'docs/camera-vlan.yaml')], { cwd: tmp });
    assert.match(stdout, /camera-vlan\.yaml: OK — \d+ lists, \d+ rules/);
    // A bad config fails with its problem named, as ExecStartPre shows it in systemctl status.
    const bad = await run(bin, ['check', '--config', path.join(installed, 'package.json')], { cwd: tmp }).then(() => null, (error: unknown) => error as { code: number; stdout: string; stderr: string });
    assert.ok(bad !== null, 'check fails on a file that is not a config');
    assert.notEqual(bad.code, 0);
    assert.ok(`${bad.stdout}${bad.stderr}`.includes('package.json'), `names the file: ${bad.stdout}${bad.stderr}`);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
});
