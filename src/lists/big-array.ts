import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/**
 * Typed arrays for a big list's buffers that glibc's malloc gives back to the OS when they are
 * freed. glibc maps a big allocation on its own and unmaps it on free, but each such free
 * raises its mapping threshold to the freed size (up to 32 MiB); from then on buffers below
 * that size come from its heaps, where freed space stays in the process. Reloading a
 * million-name list then grows the daemon by a list's size per reload. A buffer of more than 32 MiB is always
 * mapped and never moves the threshold, so big buffers are made that large: only the pages
 * written become resident, the rest is address space (which a host with strict overcommit,
 * vm.overcommit_memory=2, does count against its commit limit). Small arrays are made as usual.
 */
const SMALL_BYTES = 128 * 1024;
const ALWAYS_MAPPED_BYTES = 32 * 1024 * 1024 + 4096;

function backing(bytes: number): ArrayBuffer {
  return new ArrayBuffer(bytes <= SMALL_BYTES ? bytes : Math.max(bytes, ALWAYS_MAPPED_BYTES));
}

export function bigUint8Array(length: number): Uint8Array {
  return new Uint8Array(backing(length), 0, length);
}

export function bigUint32Array(length: number): Uint32Array {
  return new Uint32Array(backing(length * 4), 0, length);
}

export function bigInt32Array(length: number): Int32Array {
  return new Int32Array(backing(length * 4), 0, length);
}

/**
 * The whole file, in a buffer from `bigUint8Array` (fs's readFile allocates its own), with its
 * modification time from the same open. Like readFile, it reads as many bytes as the file had
 * when opened, or, when that size is 0 (a pipe, a /proc file), until the end. It does not leave
 * the thread: its callers build a list set, where nothing else waits on the thread (see
 * list-set.ts), and each file's open, stat, read and close through the thread pool would only add
 * round trips.
 */
export function readFileBigStat(file: string): { bytes: Uint8Array; mtime: Date } {
  const fd = openSync(file, 'r');
  try {
    const { size, mtime } = fstatSync(fd);
    let bytes = bigUint8Array(size);
    let length = 0;
    for (;;) {
      if (length === bytes.length) {
        if (size > 0) break;
        const next = bigUint8Array(Math.max(64 * 1024, bytes.length * 2));
        next.set(bytes);
        bytes = next;
      }
      const bytesRead = readSync(fd, bytes, length, bytes.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    return { bytes: bytes.subarray(0, length), mtime };
  } finally {
    closeSync(fd);
  }
}
