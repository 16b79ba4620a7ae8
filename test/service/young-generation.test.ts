/**
 * While held, V8's young generation keeps its size however much of it survives; released, it
 * grows again as V8's default. Each case runs in a Node of its own: the flag is the process's.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startDaemon, tempDir } from '../helpers/daemon.js';

const MODULE = fileURLToPath(new URL('../../src/service/young-generation.js', import.meta.url));

/** Allocates survivors (a start's shape: everything kept), then prints the young generation's size in KB, held and after release. */
const SCRIPT = `
import v8 from 'node:v8';
const { holdYoungGeneration, releaseYoungGeneration } = await import(process.argv[1]);
const youngKb = () => v8.getHeapSpaceStatistics().find((space) => space.space_name === 'new_space').space_size >> 10;
const keep = [];
const survivors = () => { for (let i = 0; i < 300_000; i++) keep.push({ i, text: 'x' + i }); };
await holdYoungGeneration([]);
survivors();
const held = youngKb();
releaseYoungGeneration();
survivors();
process.stdout.write(JSON.stringify({ held, released: youngKb() }));
`;

function run(nodeArgs: readonly string[]): Promise<{ held: number; released: number }> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [...nodeArgs, '--input-type=module', '-e', SCRIPT, MODULE], { timeout: 30_000 }, (error, stdout, stderr) => {
      if (error !== null) reject(new Error(`${error.message}\n${stderr}`));
      else resolve(JSON.parse(stdout) as { held: number; released: number });
    });
  });
}

test('held, the young generation keeps its size under a start\'s survivors; released, it grows again', async () => {
  const { held, released } = await run([]);
  // V8's initial young generation is a few MB at most; grown under this load it is several times that.
  assert.ok(held <= 4096, `held young generation ${held} KB`);
  assert.ok(released >= 2 * held, `released young generation ${released} KB, held ${held} KB`);
});

test('a growth factor the user set (node --semi-space-growth-factor) is left alone', async () => {
  const { held } = await run(['--semi-space-growth-factor=4']);
  assert.ok(held > 4096, `with the user's factor the young generation grows while "held": ${held} KB`);
});

/**
 * Preloaded into the daemon (node --require): notes Node's loaded modules when the young
 * generation is held (the first V8 flag change) and, at exit, writes the built-ins loaded after.
 */
const RECORDER = `
const v8 = require('node:v8');
const fs = require('node:fs');
const setFlags = v8.setFlagsFromString;
let atHold;
v8.setFlagsFromString = function (flags) { atHold ??= new Set(process.moduleLoadList); return setFlags.call(this, flags); };
process.on('exit', () => {
  const after = atHold === undefined ? ['(never held)'] : process.moduleLoadList.filter((name) => !atHold.has(name) && name.startsWith('NativeModule '));
  fs.writeFileSync(process.env.CAMSHIM_TEST_BUILTINS_OUT, JSON.stringify(after.map((name) => name.replace('NativeModule ', ''))));
});
`;

test('the daemon loads its built-in modules before it holds the young generation, so they come from Node\'s code cache', async () => {
  const dir = await tempDir({ 'recorder.cjs': RECORDER });
  const out = path.join(dir, 'builtins.json');
  // The daemon as a router starts it: embedded defaults with the bundled lists, NTP on; started once its start line is out.
  const daemon = await startDaemon(['--state-dir', dir], {
    env: { CAMSHIM_TEST_BUILTINS_OUT: out },
    wrap: (command, args) => [command, ['--require', path.join(dir, 'recorder.cjs'), ...args]],
  });
  assert.equal(await daemon.stop(), 0);
  const after = JSON.parse(await readFile(out, 'utf8')) as string[];
  // Node's own helpers behind a module's lazy parts may still come later; no module camshim imports may.
  const imported = after.filter((name) => !name.startsWith('internal/'));
  assert.deepEqual(imported, [], `built-ins loaded after the hold (add them to DAEMON_BUILTINS): ${imported.join(', ')}`);
});
