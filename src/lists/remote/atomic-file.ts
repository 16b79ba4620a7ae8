import { randomBytes } from 'node:crypto';
import { open, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';

/**
 * Replacing a file so that a reader, or the next start after a power cut, sees the old
 * contents or the new ones, never a mix: write a temporary file beside it, fsync it, rename it
 * over the old one, then fsync the folder so the rename itself is on disk.
 */

/** Temporary files carry this mark; a crash between write and rename leaves one behind. */
const TEMP_MARK = /\.tmp-\d+-[0-9a-f]{8}$/;

export function isTempFile(name: string): boolean {
  return TEMP_MARK.test(name);
}

export async function writeFileAtomic(file: string, data: Uint8Array | string, mode = 0o644): Promise<void> {
  const temp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const handle = await open(temp, 'wx', mode);
  try {
    await handle.writeFile(data);
    await handle.sync();
    await handle.close();
    await rename(temp, file);
  } catch (error) {
    await handle.close().catch(() => undefined);
    await rm(temp, { force: true });
    throw error;
  }
  await syncFolder(path.dirname(file));
}

/** fsync of a folder makes a rename in it durable. Some file systems refuse it; the rename still happened. */
async function syncFolder(folder: string): Promise<void> {
  const handle = await open(folder, 'r');
  try {
    await handle.sync().catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EINVAL' && error.code !== 'EISDIR' && error.code !== 'EPERM') throw error;
    });
  } finally {
    await handle.close();
  }
}

/** Removes temporary files a crash left in `folder`; returns their names. The real files are untouched. */
export async function removeStaleTemps(folder: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(folder);
  } catch {
    return [];
  }
  const stale = names.filter(isTempFile);
  await Promise.all(stale.map((name) => rm(path.join(folder, name), { force: true })));
  return stale;
}
