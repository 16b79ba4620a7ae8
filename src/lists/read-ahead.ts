import { readFileBigStat } from './big-array.js';

/** One file as read ahead: its bytes and time, or why it could not be read. */
export type ReadResult = { readonly bytes: Uint8Array; readonly mtime: Date } | { readonly error: unknown };

export interface ReadAheadLimits {
  /** Files being read, or read and not yet taken, at most (a file's size is known only once it is open). */
  readonly files: number;
  /** No further file is started while the ones read and not yet taken hold this many bytes. */
  readonly bytes: number;
}

/** Four files ahead: three dozen small files load in a quarter of the round trips; four big ones at most are held at once. */
export const READ_AHEAD_LIMITS: ReadAheadLimits = { files: 4, bytes: 16 * 1024 * 1024 };

/**
 * A list set's files are read ahead of the one being scanned, a few at once, and taken in
 * order. Reading them one after another cost a start a filesystem round trip per step of each
 * file (open, stat, read, close) in turn: most of the time the bundled lists, three dozen small
 * files, took to load. The bytes held ahead are bounded, so a set of big lists is not read into
 * memory all at once: at most `files` of them, and none more while `bytes` are held.
 */
export class ReadAhead {
  private readonly reads: (Promise<ReadResult> | undefined)[] = [];
  private readonly sizes: number[] = [];
  private next = 0;
  private heldBytes = 0;

  constructor(
    private readonly files: readonly string[],
    private readonly limits: ReadAheadLimits = READ_AHEAD_LIMITS,
    private readonly read: (file: string) => Promise<{ bytes: Uint8Array; mtime: Date }> = readFileBigStat,
  ) {}

  /** File `index`'s bytes (or error); call with 0, 1, 2, ... in turn. */
  async take(index: number): Promise<ReadResult> {
    this.fill(index);
    const result = await this.start(index);
    this.reads[index] = undefined;
    this.heldBytes -= this.sizes[index] ?? 0;
    this.fill(index + 1);
    return result;
  }

  private fill(from: number): void {
    const end = Math.min(this.files.length, from + this.limits.files);
    for (let index = Math.max(from, this.next); index < end && (index === from || this.heldBytes < this.limits.bytes); index++) this.start(index);
  }

  private start(index: number): Promise<ReadResult> {
    const started = this.reads[index];
    if (started !== undefined || index < this.next) return started ?? Promise.reject(new Error(`file ${index} was already taken`));
    this.next = index + 1;
    const reading = this.read(this.files[index]!).then(
      (file): ReadResult => { this.sizes[index] = file.bytes.length; this.heldBytes += file.bytes.length; return file; },
      (error: unknown): ReadResult => ({ error }),
    );
    this.reads[index] = reading;
    return reading;
  }
}
