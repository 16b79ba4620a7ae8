import { readFile, rm, writeFile } from 'node:fs/promises';
import { CamshimError } from '../errors.js';

/**
 * `serve --pid-file` writes the daemon's pid so `lists update --pid-file` can send it SIGHUP
 * (under systemd, `systemctl reload camshim` does the same without a file).
 */

export async function writePidFile(file: string): Promise<void> {
  await writeFile(file, `${process.pid}\n`, { mode: 0o644 });
}

export async function removePidFile(file: string): Promise<void> {
  await rm(file, { force: true });
}

/** Sends SIGHUP to the pid in `file`; returns the pid. */
export async function signalReload(file: string): Promise<number> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new CamshimError('CLI_USAGE', `cannot read pid file ${file}: ${(error as Error).message}`);
  }
  const pid = Number(text.trim());
  if (!Number.isInteger(pid) || pid <= 1) throw new CamshimError('CLI_USAGE', `pid file ${file} does not hold a process id`);
  try {
    process.kill(pid, 'SIGHUP');
  } catch (error) {
    throw new CamshimError('CLI_USAGE', `cannot signal camshim (pid ${pid} from ${file}): ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  return pid;
}
