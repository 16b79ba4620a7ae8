import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { PROJECT_ROOT } from '../helpers/daemon.js';

const SYSTEMD = path.join(PROJECT_ROOT, 'systemd');
const UNITS = ['camshim.service', 'camshim-lists-update.service', 'camshim-lists-update.timer'];

/** One setting's value in a unit file (the last one written wins, as for systemd). */
async function setting(unit: string, key: string): Promise<string | undefined> {
  const text = await readFile(path.join(SYSTEMD, unit), 'utf8');
  return [...text.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].pop()?.[1];
}

test('the units pass systemd-analyze verify', async (t) => {
  const found = await promisify(execFile)('systemd-analyze', ['--version']).then(() => true, () => false);
  if (!found) { t.skip('systemd-analyze is not installed'); return; }
  const { stderr } = await promisify(execFile)('systemd-analyze', ['verify', ...UNITS.map((unit) => `./${unit}`)], { cwd: SYSTEMD });
  assert.equal(stderr.trim(), '');
});

test('the update service shares camshim\'s state folder and user; the timer runs daily at a random time', async () => {
  assert.equal(await setting('camshim.service', 'StateDirectory'), 'camshim');
  assert.equal(await setting('camshim-lists-update.service', 'StateDirectory'), 'camshim');
  assert.equal(await setting('camshim-lists-update.service', 'User'), 'camshim');
  assert.match(await setting('camshim-lists-update.service', 'ExecStart') ?? '', /camshim lists update --config \/etc\/camshim\/camshim\.yaml$/);
  assert.equal(await setting('camshim-lists-update.timer', 'OnCalendar'), 'daily');
  assert.match(await setting('camshim-lists-update.timer', 'RandomizedDelaySec') ?? '', /^\d+h$/);
  assert.equal(await setting('camshim-lists-update.timer', 'Persistent'), 'true');
});
