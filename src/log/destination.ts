import fs from 'node:fs';
import pino from 'pino';

/**
 * Where log lines go: pino's own destination (sonic-boom, asynchronous writes), with the three
 * things camshim adds because a DNS server must never wait on its log:
 * - a bound: at most `maxBufferBytes` of unwritten text (sonic-boom's `maxLength`); lines beyond
 *   it are dropped and counted, said once on stderr, and the count is logged when writes resume;
 * - a destination that fails (EPIPE: the reader went away) is given up on: later lines are
 *   dropped and counted, said once;
 * - producers that hold lines in compact form (the sinkhole log) are asked to hand them over
 *   before any other line is written, so the log keeps the order in which things happened.
 */
export interface LogDestinationOptions {
  /** Unwritten bytes kept at most. Default 1 MiB. */
  readonly maxBufferBytes?: number;
  /** Called once for "stalled" and once for "failed", with a one-line message. */
  readonly notice?: (text: string) => void;
  /** Called after a stall, once lines are written again, with how many were dropped during it. */
  readonly onRecovered?: (dropped: number) => void;
  /** Rewrites whole lines before they are written (the pretty format for a terminal). */
  readonly transform?: (lines: string) => string;
}

/** A producer of held lines: hands over everything it holds, formatted, or nothing. */
export type HeldLines = () => string | Buffer | undefined;

export const DEFAULT_LOG_BUFFER_BYTES = 1024 * 1024;

/** The part of sonic-boom this file drives (pino.destination's return type is too loose to use as is). */
export interface SonicBoomStream {
  write(data: string | Buffer): boolean;
  /** `buffer` when it takes bytes (camshim's own destinations), else strings. */
  readonly contentMode?: string;
  on(event: 'drop' | 'write' | 'drain', listener: () => void): void;
  on(event: 'error', listener: (error: Error) => void): void;
  off(event: 'drain', listener: () => void): void;
  off(event: 'error', listener: (error: Error) => void): void;
  readonly _writing?: boolean;
  readonly _len?: number;
}

export class LogDestination {
  private readonly boom: SonicBoomStream;
  private readonly held: HeldLines[] = [];
  private failed: Error | undefined;
  private droppedTotal = 0;
  private droppedInStall = 0;
  private stallNoticed = false;
  private failNoticed = false;
  private closing = false;
  /** Whether the stream takes bytes: the sinkhole log's lines are formatted as UTF-8 bytes, and passing them on as such saves decoding and encoding them again. */
  private readonly bytes: boolean;

  /**
   * `destination`: a file descriptor or path (opened here), or a sonic-boom stream opened
   * elsewhere (pino-roll's rotating file), which should be asynchronous with `maxLength` set to
   * `maxBufferBytes` for the same bound.
   */
  constructor(destination: number | string | SonicBoomStream, private readonly options: LogDestinationOptions = {}) {
    const maxLength = options.maxBufferBytes ?? DEFAULT_LOG_BUFFER_BYTES;
    // minLength 0: a line goes out at once when nothing is being written, and lines that arrive
    // while a write is in flight go out together after it, so the batch grows with the load.
    this.boom = typeof destination === 'object' ? destination
      : pino.destination({ dest: destination, sync: false, minLength: 0, maxLength, append: true, mkdir: true, contentMode: 'buffer' }) as unknown as SonicBoomStream;
    // Streams made here take bytes; one opened elsewhere (pino-roll's) takes text unless it says otherwise.
    this.bytes = typeof destination !== 'object' || this.boom.contentMode === 'buffer';
    this.boom.on('drop', () => this.dropped1(maxLength));
    // Recovered when everything buffered has gone out ('drain'), not at the first write that
    // completes: a partial write into a pipe whose reader is still stuck is no recovery.
    this.boom.on('drain', () => {
      if (this.droppedInStall === 0) return;
      const dropped = this.droppedInStall;
      this.droppedInStall = 0;
      this.options.onRecovered?.(dropped);
    });
    this.boom.on('error', (error) => this.fail(error));
  }

  /** Lines dropped so far (destination too slow, or failed). */
  get dropped(): number { return this.droppedTotal; }

  get broken(): boolean { return this.failed !== undefined; }

  /** pino calls this with one serialised line. Always returns true: pino must never wait on us. */
  write(line: string): boolean {
    if (this.held.length > 0) this.takeHeld();
    this.put(line);
    return true;
  }

  /** Writes lines a producer held, already formatted (text or UTF-8 bytes). */
  writeHeld(text: string | Buffer): void {
    this.put(text);
  }

  /** Registers a producer of held lines; returns the call that unregisters it (what it holds is written first). */
  attach(producer: HeldLines): () => void {
    this.held.push(producer);
    return () => {
      const index = this.held.indexOf(producer);
      if (index < 0) return;
      this.takeHeld();
      this.held.splice(index, 1);
    };
  }

  /**
   * At shutdown: writes out what is held and buffered. Resolves true once all of it went out,
   * false when the destination failed or did not drain within `timeoutMs` (a reader that stopped
   * reading: its write can only be abandoned, with the process).
   */
  close(timeoutMs = 1000): Promise<boolean> {
    this.closing = true;
    this.takeHeld();
    const drained = (): boolean => this.boom._writing !== true && (this.boom._len ?? 0) === 0;
    if (this.failed !== undefined || drained()) return Promise.resolve(this.failed === undefined);
    return new Promise((resolve) => {
      const settle = (result: boolean): void => {
        clearTimeout(timer);
        this.boom.off('drain', onDrain);
        this.boom.off('error', onError);
        resolve(result);
      };
      const onDrain = (): void => { if (drained()) settle(true); };
      const onError = (): void => settle(false);
      const timer = setTimeout(() => settle(false), timeoutMs);
      this.boom.on('drain', onDrain);
      this.boom.on('error', onError);
    });
  }

  private takeHeld(): void {
    for (const producer of this.held) {
      const text = producer();
      if (text !== undefined && text.length > 0) this.put(text);
    }
  }

  /** Text of one or more whole lines; when it cannot be written, each of its lines counts as dropped. */
  private put(text: string | Buffer): void {
    if (this.failed !== undefined) { this.droppedTotal += countLines(text); return; }
    const before = this.droppedTotal;
    try {
      this.boom.write(this.form(text));
    } catch (error) {
      this.fail(error as Error);
      this.droppedTotal += countLines(text);
      return;
    }
    // sonic-boom's drop event counted the chunk once: count its other lines too.
    if (this.droppedTotal !== before) {
      const more = countLines(text) - 1;
      this.droppedTotal += more;
      this.droppedInStall += more;
    }
  }

  /** Lines in the form the stream takes, after the transform (which works on text). */
  private form(chunk: string | Buffer): string | Buffer {
    if (this.options.transform !== undefined) {
      const text = this.options.transform(typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
      return this.bytes ? Buffer.from(text, 'utf8') : text;
    }
    if (this.bytes) return typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    return typeof chunk === 'string' ? chunk : chunk.toString('utf8');
  }

  private dropped1(maxLength: number): void {
    this.droppedTotal++;
    this.droppedInStall++;
    if (this.stallNoticed) return;
    this.stallNoticed = true;
    this.say(`camshim: the log destination is not reading (more than ${maxLength} bytes unwritten); dropping log lines until it drains, the count follows in the log`);
  }

  private fail(error: Error): void {
    if (this.failed !== undefined) return;
    this.failed = error;
    // A write cut off by our own shutdown is not news.
    if (this.failNoticed || this.closing) return;
    this.failNoticed = true;
    const code = (error as NodeJS.ErrnoException).code ?? error.message;
    this.say(`camshim: the log destination failed (${code}); camshim keeps serving and drops every further log line`);
  }

  private say(text: string): void {
    try { this.options.notice?.(text); } catch { /* the notice is best effort */ }
  }
}

function countLines(text: string | Buffer): number {
  let lines = 0;
  if (typeof text === 'string') for (let at = text.indexOf('\n'); at >= 0; at = text.indexOf('\n', at + 1)) lines++;
  else for (let at = text.indexOf(0x0a); at >= 0; at = text.indexOf(0x0a, at + 1)) lines++;
  return lines;
}

/** Writes a notice to stderr without ever blocking the event loop (best effort, errors ignored). */
export function stderrNotice(text: string): void {
  fs.write(2, `${text}\n`, null, 'utf8', () => { /* stderr gone too: nothing more to do */ });
}
