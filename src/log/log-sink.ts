import fs from 'node:fs';
import net from 'node:net';

/**
 * Where log lines go, and the one guarantee this file makes: writing a log line never blocks
 * the event loop, never throws, and never holds more than `maxBufferBytes` of unwritten text.
 *
 * A reader that stops reading (a stuck `journalctl -f | less`, a full pipe) fills the buffer;
 * further lines are dropped and counted, and when the destination drains again the count is
 * reported (`onRecovered`). A destination that fails (EPIPE: the reader went away, EBADF) is
 * given up on: every later line is dropped and counted. Either event is announced once on
 * stderr (`notice`), not per line.
 */
export interface LogSinkOptions {
  /** Unwritten text kept at most (bytes, counted as UTF-16 length). Default 1 MiB. */
  readonly maxBufferBytes?: number;
  /** Called once per process for "stalled" and once for "failed", with a one-line message. */
  readonly notice?: (text: string) => void;
  /** Called after a stall, once lines are being written again, with how many were dropped during it. */
  readonly onRecovered?: (dropped: number) => void;
  /** How long a line may wait for others to share its write (ms, default 5; 0: write at once). */
  readonly batchMs?: number;
}

/** Moves text (a string, or UTF-8 bytes) to the destination; `done` runs when it was accepted (or failed). */
export interface SinkWriter {
  write(text: string | Uint8Array, done: (error?: Error | null) => void): void;
  /** Best effort at shutdown: write synchronously when nothing is in flight; never blocks for long. */
  writeSync(text: string | Uint8Array): void;
  /** Lets the process exit even with a write stuck in flight. */
  release(): void;
}

/**
 * Lines a producer holds in compact form until a write is due, and formats in one pass then
 * (the sinkhole log: formatting a line per query between two socket calls cost several times
 * what the same work costs in one tight loop per batch).
 */
export interface DeferredLines {
  /** Formats everything held and hands it over as UTF-8 bytes; undefined when nothing is held. */
  take(): { readonly bytes: Uint8Array; readonly lines: number } | undefined;
}

export const DEFAULT_LOG_BUFFER_BYTES = 1024 * 1024;
/**
 * One write per few milliseconds instead of one per line or two: at tens of thousands of
 * sinkhole lines a second, each write (a thread-pool round trip for a file, a syscall for a
 * pipe) cost more than building the line. 5 ms is invisible to anyone reading the log.
 */
export const DEFAULT_LOG_BATCH_MS = 5;

export class LogSink {
  private readonly maxBufferBytes: number;
  private queue: (string | Uint8Array)[] = [];
  private queuedBytes = 0;
  private queuedLines = 0;
  private readonly deferred: DeferredLines[] = [];
  /** Admitted deferred lines not yet taken, and their estimated size. */
  private deferredLines = 0;
  private deferredBytes = 0;
  private inFlightBytes = 0;
  private writing = false;
  private failed: Error | undefined;
  private droppedTotal = 0;
  private droppedInStall = 0;
  private stallNoticed = false;
  private failNoticed = false;
  private closing = false;
  private readonly batchMs: number;
  private batchTimer: NodeJS.Timeout | undefined;

  constructor(private readonly writer: SinkWriter, private readonly options: LogSinkOptions = {}) {
    this.maxBufferBytes = options.maxBufferBytes ?? DEFAULT_LOG_BUFFER_BYTES;
    this.batchMs = options.batchMs ?? DEFAULT_LOG_BATCH_MS;
  }

  /** Lines dropped so far (destination too slow, or failed). */
  get dropped(): number { return this.droppedTotal; }

  /** Unwritten bytes held right now (queued plus in flight). */
  get bufferedBytes(): number { return this.queuedBytes + this.inFlightBytes + this.deferredBytes; }

  get broken(): boolean { return this.failed !== undefined; }

  /** pino calls this with one serialised line. Always returns true: pino must never wait on us. */
  write(line: string): boolean {
    if (!this.room(line.length)) return true;
    // Deferred lines admitted before this one are written before it.
    if (this.deferredLines > 0) this.takeDeferred();
    this.queue.push(line);
    this.queuedBytes += line.length;
    this.queuedLines++;
    if (!this.writing) this.schedule();
    return true;
  }

  /** Registers a producer of deferred lines; returns the call that unregisters it. */
  attach(source: DeferredLines): () => void {
    this.deferred.push(source);
    return () => {
      const index = this.deferred.indexOf(source);
      if (index < 0) return;
      // What it still holds is written first, in its place.
      if (this.deferredLines > 0) this.takeDeferred();
      this.deferred.splice(index, 1);
    };
  }

  /**
   * Asks room for one deferred line of about `estimatedBytes`. False: the line must not be kept
   * (destination stalled or failed); it was counted as dropped.
   */
  admit(estimatedBytes: number): boolean {
    if (!this.room(estimatedBytes)) return false;
    this.deferredLines++;
    this.deferredBytes += estimatedBytes;
    if (!this.writing) this.schedule();
    return true;
  }

  /** Whether `bytes` more fit under the bound; when not, the line is counted as dropped (said once). */
  private room(bytes: number): boolean {
    if (this.failed !== undefined) { this.droppedTotal++; return false; }
    if (this.bufferedBytes + bytes <= this.maxBufferBytes) return true;
    this.droppedTotal++;
    this.droppedInStall++;
    if (!this.stallNoticed) {
      this.stallNoticed = true;
      this.say(`camshim: the log destination is not reading (more than ${this.maxBufferBytes} bytes unwritten); dropping log lines until it drains, the count follows in the log`);
    }
    return false;
  }

  /** Has every producer format what it holds, into the queue in order. */
  private takeDeferred(): void {
    this.deferredLines = 0;
    this.deferredBytes = 0;
    for (const source of this.deferred) {
      const chunk = source.take();
      if (chunk === undefined || chunk.bytes.length === 0) continue;
      this.queue.push(chunk.bytes);
      this.queuedBytes += chunk.bytes.length;
      this.queuedLines += chunk.lines;
    }
  }

  /** The next write: at once without batching, else when the batch window closes. */
  private schedule(): void {
    if ((this.queue.length === 0 && this.deferredLines === 0) || this.batchTimer !== undefined) return;
    if (this.batchMs === 0) this.pump();
    else this.batchTimer = setTimeout(this.pumpBatch, this.batchMs);
  }

  private readonly pumpBatch = (): void => {
    this.batchTimer = undefined;
    if (!this.writing) this.pump();
  };

  /** At shutdown: writes what is queued if that cannot block, then lets the process exit. */
  flush(): void {
    this.closing = true;
    if (this.batchTimer !== undefined) { clearTimeout(this.batchTimer); this.batchTimer = undefined; }
    if (this.deferredLines > 0) this.takeDeferred();
    if (this.failed === undefined && !this.writing && this.queue.length > 0) {
      const text = joinChunks(this.queue);
      this.queue = [];
      this.queuedBytes = 0;
      this.queuedLines = 0;
      try { this.writer.writeSync(text); } catch { /* a full or closed destination: nothing more can be said */ }
    }
    this.writer.release();
  }

  private pump(): void {
    if (this.failed !== undefined) return;
    if (this.deferredLines > 0) this.takeDeferred();
    if (this.queue.length === 0) return;
    const text = joinChunks(this.queue);
    this.queue = [];
    this.inFlightBytes = this.queuedBytes;
    this.queuedBytes = 0;
    this.queuedLines = 0;
    this.writing = true;
    let settled = false;
    const done = (error?: Error | null): void => {
      if (settled) return;
      settled = true;
      this.writing = false;
      this.inFlightBytes = 0;
      if (error) { this.fail(error); return; }
      if (this.droppedInStall > 0) {
        const dropped = this.droppedInStall;
        this.droppedInStall = 0;
        this.options.onRecovered?.(dropped);
      }
      this.schedule();
    };
    try {
      this.writer.write(text, done);
    } catch (error) {
      done(error as Error);
    }
  }

  private fail(error: Error): void {
    if (this.failed !== undefined) return;
    this.failed = error;
    // Everything not yet written is lost with the destination.
    if (this.deferredLines > 0) this.takeDeferred();
    this.droppedTotal += this.queuedLines;
    this.queue = [];
    this.queuedBytes = 0;
    this.queuedLines = 0;
    // A write cut off by our own shutdown is not news.
    if (!this.failNoticed && !this.closing) {
      this.failNoticed = true;
      const code = (error as NodeJS.ErrnoException).code ?? error.message;
      this.say(`camshim: the log destination failed (${code}); camshim keeps serving and drops every further log line`);
    }
    this.writer.release();
  }

  private say(text: string): void {
    try { this.options.notice?.(text); } catch { /* the notice is best effort */ }
  }
}

/** One string when every chunk is one (pino's lines alone), else one buffer of UTF-8 bytes. */
function joinChunks(chunks: readonly (string | Uint8Array)[]): string | Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  if (chunks.every((chunk) => typeof chunk === 'string')) return chunks.join('');
  return Buffer.concat(chunks.map((chunk) => typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk));
}

/**
 * A writer for a file descriptor or path. Pipes and sockets (stdout under systemd or a shell
 * pipe) are written through a non-blocking stream handle, so a reader that stops reading costs
 * buffer, never a blocked thread. Files and terminals are written with fs.write.
 */
export function openSinkWriter(destination: number | string): SinkWriter {
  if (typeof destination === 'string') return fdWriter(fs.openSync(destination, 'a'));
  let stats: fs.Stats;
  try {
    stats = fs.fstatSync(destination);
  } catch (error) {
    return failedWriter(error as Error);
  }
  if (stats.isFIFO() || stats.isSocket()) {
    try {
      return streamWriter(new net.Socket({ fd: destination, readable: false, writable: true }), destination);
    } catch {
      // An fd type net cannot wrap (a TCP socket of another family, say): plain writes still work.
    }
  }
  return fdWriter(destination);
}

function streamWriter(socket: net.Socket, fd: number): SinkWriter {
  let pendingDone: ((error?: Error | null) => void) | undefined;
  let broken: Error | undefined;
  socket.on('error', (error) => {
    broken ??= error;
    const done = pendingDone;
    pendingDone = undefined;
    done?.(error);
  });
  return {
    write(text, done) {
      if (broken !== undefined) { done(broken); return; }
      pendingDone = done;
      socket.write(text, (error) => {
        if (pendingDone !== done) return;
        pendingDone = undefined;
        done(error ?? null);
      });
    },
    writeSync(text) {
      // The handle made the descriptor non-blocking: a full pipe throws EAGAIN here instead of waiting.
      if (broken === undefined && socket.writableLength === 0) writeOnceSync(fd, text);
    },
    release() {
      // A write stuck behind a reader that never reads must not keep the process alive forever.
      if (socket.writableLength === 0) { socket.unref(); return; }
      setTimeout(() => socket.destroy(), 1000).unref();
    },
  };
}

function fdWriter(fd: number): SinkWriter {
  return {
    write(text, done) {
      if (typeof text === 'string') fs.write(fd, text, null, 'utf8', (error) => done(error));
      else fs.write(fd, text, 0, text.length, null, (error) => done(error));
    },
    writeSync(text) { writeOnceSync(fd, text); },
    release() { /* nothing to let go of */ },
  };
}

/** A synchronous write of a string or bytes (one call; a short write loses the rest, as at any shutdown). */
function writeOnceSync(fd: number, text: string | Uint8Array): void {
  if (typeof text === 'string') fs.writeSync(fd, text);
  else fs.writeSync(fd, text, 0, text.length);
}

function failedWriter(error: Error): SinkWriter {
  return {
    write(_text, done) { done(error); },
    writeSync() { /* nothing to write to */ },
    release() { /* nothing to let go of */ },
  };
}

/** Writes a notice to stderr without ever blocking the event loop (best effort, errors ignored). */
export function stderrNotice(text: string): void {
  fs.write(2, `${text}\n`, null, 'utf8', () => { /* stderr gone too: nothing more to do */ });
}
