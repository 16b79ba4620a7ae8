import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

/** Lines longer than this are skipped (and counted): no log line of camshim's comes near it. */
export const MAX_LINE_BYTES = 1024 * 1024;

/** Why input was not read: each is counted and said once per source, and changes the exit code. */
export type ReadProblemKind = 'unreadable' | 'truncated-gzip' | 'binary' | 'line-too-long';

export interface ReadProblem {
  readonly source: string;
  readonly kind: ReadProblemKind;
  readonly message: string;
}

export interface LineSink {
  /** One line; returning 'stop' ends the reading there. */
  line(text: string): void | 'stop';
  problem(problem: ReadProblem): void;
  /** Bytes of the source read so far (compressed bytes for gzip), for progress. */
  progress?(bytes: number): void;
}

const GZIP_MAGIC_0 = 0x1f;
const GZIP_MAGIC_1 = 0x8b;
const NEWLINE = 0x0a;

/**
 * Reads one source line by line: a file (plain, or gzip by its magic bytes, whatever its name)
 * or a stream. Never throws for bad input: an unreadable file, a truncated gzip, binary data or a
 * line over MAX_LINE_BYTES is reported to the sink and reading goes on where it can.
 */
export async function readLines(source: string | { name: string; stream: Readable }, sink: LineSink): Promise<void> {
  const name = typeof source === 'string' ? source : source.name;
  let input: Readable;
  try {
    input = typeof source === 'string' ? createReadStream(source) : source.stream;
  } catch (error) {
    sink.problem({ source: name, kind: 'unreadable', message: (error as Error).message });
    return;
  }
  const splitter = new LineSplitter(name, sink);
  let raw = 0;
  let gunzip: ReturnType<typeof createGunzip> | undefined;
  let zipError: Error | undefined;
  let zipEnded: Promise<void> = Promise.resolve();
  try {
    for await (const chunk of input as AsyncIterable<Buffer>) {
      if (splitter.stopped) break;
      raw += chunk.length;
      sink.progress?.(raw);
      if (gunzip === undefined && raw === chunk.length && chunk.length >= 2 && chunk[0] === GZIP_MAGIC_0 && chunk[1] === GZIP_MAGIC_1) {
        const zip = createGunzip();
        gunzip = zip;
        zip.on('data', (data: Buffer) => splitter.push(data));
        zipEnded = new Promise((resolve) => {
          zip.once('end', resolve);
          zip.once('error', (error) => { zipError = error; resolve(); });
        });
      }
      if (gunzip === undefined) { splitter.push(chunk); continue; }
      if (zipError !== undefined) break;
      if (!gunzip.write(chunk)) await Promise.race([new Promise((resolve) => gunzip!.once('drain', resolve)), zipEnded]);
    }
  } catch (error) {
    sink.problem({ source: name, kind: 'unreadable', message: (error as NodeJS.ErrnoException).code ?? (error as Error).message });
  }
  if (gunzip !== undefined) {
    if (zipError === undefined) gunzip.end();
    await zipEnded;
    if (zipError !== undefined) {
      const message = (zipError as Error).message;
      sink.problem({ source: name, kind: 'truncated-gzip', message: `damaged gzip data (${message}); the lines before the damage were read` });
    }
  }
  splitter.end();
  if (splitter.stopped) input.destroy();
}

/** Splits bytes into UTF-8 lines, skipping over-long and binary ones. */
class LineSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Inside a line already known to be too long: drop bytes until its end. */
  private skipping = false;
  private binaryReported = false;
  private longReported = false;
  /** The sink asked for no more lines. */
  stopped = false;

  constructor(private readonly name: string, private readonly sink: LineSink) {}

  push(chunk: Buffer): void {
    const first = chunk.indexOf(NEWLINE);
    if (first < 0) { this.take(chunk, false); return; }
    // The first line may end one begun in an earlier chunk (or one being skipped).
    this.take(chunk.subarray(0, first), true);
    const last = chunk.lastIndexOf(NEWLINE);
    if (last > first) this.lines(chunk.subarray(first + 1, last));
    if (last + 1 < chunk.length && !this.stopped) this.take(chunk.subarray(last + 1), false);
  }

  /**
   * Complete lines, each ended by a newline (the last one's is not included). Decoded as one
   * string and split there, instead of line by line: a newline byte is never inside a UTF-8
   * sequence, so the lines are the same, for a fraction of the cost on millions of lines. Bytes
   * with a NUL, or more than a line may hold, go line by line.
   */
  private lines(bytes: Buffer): void {
    if (this.stopped) return;
    if (bytes.length > MAX_LINE_BYTES || bytes.includes(0)) {
      let start = 0;
      for (;;) {
        if (this.stopped) return;
        const end = bytes.indexOf(NEWLINE, start);
        if (end < 0) break;
        this.take(bytes.subarray(start, end), true);
        start = end + 1;
      }
      this.take(bytes.subarray(start), true);
      return;
    }
    const text = bytes.toString('utf8');
    let start = 0;
    for (;;) {
      const end = text.indexOf('\n', start);
      if (this.sink.line(end < 0 ? text.slice(start) : text.slice(start, end)) === 'stop') { this.stopped = true; return; }
      if (end < 0) return;
      start = end + 1;
    }
  }

  end(): void {
    if (this.pendingBytes > 0 && !this.skipping && !this.stopped) this.emit(Buffer.concat(this.pending));
    this.pending = [];
    this.pendingBytes = 0;
  }

  private take(part: Buffer, complete: boolean): void {
    if (this.skipping) {
      if (complete) this.skipping = false;
      return;
    }
    if (this.pendingBytes + part.length > MAX_LINE_BYTES) {
      this.pending = [];
      this.pendingBytes = 0;
      this.skipping = !complete;
      if (!this.longReported) {
        this.longReported = true;
        this.sink.problem({ source: this.name, kind: 'line-too-long', message: `a line longer than ${MAX_LINE_BYTES} bytes was skipped` });
      }
      return;
    }
    if (!complete) {
      // A view into a chunk the stream may reuse: keep a copy.
      this.pending.push(Buffer.from(part));
      this.pendingBytes += part.length;
      return;
    }
    const whole = this.pendingBytes === 0 ? part : Buffer.concat([...this.pending, part]);
    this.pending = [];
    this.pendingBytes = 0;
    this.emit(whole);
  }

  private emit(bytes: Buffer): void {
    // A NUL byte never appears in a text log: this is binary data, not a line.
    if (bytes.includes(0)) {
      if (!this.binaryReported) {
        this.binaryReported = true;
        this.sink.problem({ source: this.name, kind: 'binary', message: 'binary data (not a text log) was skipped' });
      }
      return;
    }
    if (this.sink.line(bytes.toString('utf8')) === 'stop') this.stopped = true;
  }
}
