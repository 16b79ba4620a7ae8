/**
 * A copy of camshim laid out as an installed package (package.json, dist/src, lists and the
 * runtime dependencies), in a directory every user can read. Tests that run the daemon as another
 * user (nobody) use it: the checkout itself may sit under a 0700 home or a `mktemp -d` directory
 * that such a user cannot traverse. Only `dependencies` are copied, never `devDependencies`, so a
 * run from the copy also shows that the declared runtime dependencies are enough.
 */
import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { access, chmod, cp, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { PROJECT_ROOT } from './daemon.js';

const run = promisify(execFile);

export interface InstalledCopy {
  /** The copy's root: readable and traversable by every user. */
  readonly dir: string;
  /** dist/src/main.js inside the copy. */
  readonly main: string;
  remove(): Promise<void>;
}

interface Manifest { dependencies?: Record<string, string>; optionalDependencies?: Record<string, string> }

async function manifest(dir: string): Promise<Manifest> {
  return JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8')) as Manifest;
}

const ROOT = path.resolve(PROJECT_ROOT);

/** Node's lookup: `name` in the node_modules beside `from`, then in each enclosing one up to the project root. */
async function findPackage(name: string, from: string): Promise<string | null> {
  for (let dir = from; dir.startsWith(ROOT); dir = path.dirname(dir)) {
    if (path.basename(dir) === 'node_modules') continue;
    const candidate = path.join(dir, 'node_modules', name);
    if (await access(path.join(candidate, 'package.json')).then(() => true, () => false)) return candidate;
    if (dir === ROOT) break;
  }
  return null;
}

/** Directories (relative to the project root) of every package reachable from `dependencies`. */
async function runtimePackages(): Promise<string[]> {
  const found = new Set<string>();
  const queue: string[] = [ROOT];
  for (let i = 0; i < queue.length && i < 10_000; i++) {
    const from = queue[i]!;
    const { dependencies = {}, optionalDependencies = {} } = await manifest(from);
    for (const name of Object.keys({ ...dependencies, ...optionalDependencies })) {
      const dir = await findPackage(name, from);
      if (dir === null) {
        if (name in optionalDependencies) continue;
        throw new Error(`runtime dependency ${name} (of ${path.relative(ROOT, from) || 'camshim'}) is not installed: run npm ci`);
      }
      if (!found.has(dir)) { found.add(dir); queue.push(dir); }
    }
  }
  return [...found].map((dir) => path.relative(ROOT, dir)).sort();
}

/** The system temporary directory when every user can traverse it down to it, else /tmp. */
async function sharedTempBase(): Promise<string> {
  const base = path.resolve(os.tmpdir());
  for (let dir = base; ; dir = path.dirname(dir)) {
    if (((await stat(dir)).mode & constants.S_IXOTH) === 0) return '/tmp';
    if (dir === path.dirname(dir)) return base;
  }
}

export async function installedCopy(): Promise<InstalledCopy> {
  const dir = await mkdtemp(path.join(await sharedTempBase(), 'camshim-installed-'));
  try {
    // A nested package's own node_modules comes along with it; one already copied is not copied twice.
    const packages = (await runtimePackages()).filter((p, i, all) => !all.slice(0, i).some((q) => p.startsWith(`${q}${path.sep}`)));
    for (const part of ['package.json', 'dist/src', 'lists', ...packages]) {
      await cp(path.join(ROOT, part), path.join(dir, part), { recursive: true });
    }
    // mkdtemp makes 0700 and the checkout may have been made with a strict umask: open it all for reading.
    await chmod(dir, 0o755);
    await run('chmod', ['-R', 'a+rX', dir]);
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return { dir, main: path.join(dir, 'dist/src/main.js'), remove: () => rm(dir, { recursive: true, force: true }) };
}
