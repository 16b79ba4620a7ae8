import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { tempDir } from './daemon.js';

/**
 * A named pipe whose reader the test controls: nothing is read until `drain` is called, so a
 * writer fills the kernel's pipe buffer and then waits, as behind a reader that stopped reading.
 * The write end is non-blocking, so a stuck write never holds a thread of the test process.
 */
export interface HeldPipe {
  /** The write end's descriptor, for the code under test. */
  readonly writeFd: number;
  /** Reads everything the pipe holds right now; returns it. */
  drain(): string;
  /** Closes the read end: the writer's next write fails with EPIPE. */
  closeReader(): void;
}

export async function heldPipe(): Promise<HeldPipe> {
  const file = path.join(await tempDir(), 'pipe');
  execFileSync('mkfifo', [file]);
  // The read end first (non-blocking, so the open returns at once), then the write end.
  let readFd: number | undefined = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  const writeFd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
  return {
    writeFd,
    drain() {
      if (readFd === undefined) return '';
      const chunks: Buffer[] = [];
      const buffer = Buffer.alloc(64 * 1024);
      for (;;) {
        let read = 0;
        try { read = fs.readSync(readFd, buffer); } catch (error) { if ((error as NodeJS.ErrnoException).code === 'EAGAIN') break; throw error; }
        if (read === 0) break;
        chunks.push(Buffer.from(buffer.subarray(0, read)));
      }
      return Buffer.concat(chunks).toString('utf8');
    },
    closeReader() {
      if (readFd !== undefined) fs.closeSync(readFd);
      readFd = undefined;
    },
  };
}
