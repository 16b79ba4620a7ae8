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

export interface AtomicWriteOptions {
  readonly mode?: number;
  /**
   * fsync the file and its folder (default true). Off only for files whose torn copy is detected
   * and rebuilt anyway (the compiled list cache carries a checksum): no need to wait on the disk.
   */
  readonly durable?: boolean;
}

/** Writes `data` (text, bytes, or byte chunks written in one go) as `file`, atomically. */
export async function writeFileAtomic(file: string, data: Uint8Array | string | readonly Uint8Array[], options: AtomicWriteOptions = {}): Promise<void> {
  const durable = options.durable ?? true;
  const temp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const handle = await open(temp, 'wx', options.mode ?? 0o644);
  try {
    if (Array.isArray(data)) {
      const chunks = data as readonly Uint8Array[];
      const total = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
      const { bytesWritten } = await handle.writev([...chunks]);
      if (bytesWritten !== total) throw new Error(`short write (${bytesWritten} of ${total} bytes)`);
    } else await handle.writeFile(data as Uint8Array | string);
    if (durable) await handle.sync();
    await handle.close();
    await rename(temp, file);
  } catch (error) {
    await handle.close().catch(() => undefined);
    await rm(temp, { force: true });
    throw error;
  }
  if (durable) await syncFolder(path.dirname(file));
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
