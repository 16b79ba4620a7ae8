import path from 'node:path';
import type { LogConfig } from '../config/config-schema.js';
import { CamshimError } from '../errors.js';
import { DEFAULT_LOG_BUFFER_BYTES, type SonicBoomStream } from './destination.js';
import type { StormOptions } from './storm-collapser.js';

/** Where the daemon's log goes and how it looks, from `log:` (after `--log-format`). */
export interface LogOutput {
  /** stdout's file descriptor, or an open rotating file. */
  readonly destination: number | SonicBoomStream;
  readonly format: 'json' | 'pretty';
  readonly colour: boolean;
  /** What the start line says about it. */
  readonly description: string;
}

/** What decides `auto` and colour: the process's own stdout and environment, or a test's. */
export interface Terminal {
  readonly stdoutIsTty: boolean;
  readonly noColour: boolean;
}

export function processTerminal(): Terminal {
  // NO_COLOR (no-color.org): present and not empty means no colour.
  return { stdoutIsTty: process.stdout.isTTY === true, noColour: (process.env.NO_COLOR ?? '') !== '' };
}

/**
 * `auto` is pretty only on a terminal: journald, pipes and files get JSON lines, which
 * `camshim report` and jq read. Colour only on a terminal, and never with NO_COLOR, so a forced
 * `--log-format pretty` into a pipe or file carries no escape codes.
 */
export function logStyle(log: Pick<LogConfig, 'format' | 'file'>, terminal: Terminal): { format: 'json' | 'pretty'; colour: boolean } {
  const toTerminal = log.file === undefined && terminal.stdoutIsTty;
  const format = log.format === 'auto' ? (toTerminal ? 'pretty' : 'json') : log.format;
  return { format, colour: format === 'pretty' && toTerminal && !terminal.noColour };
}

/**
 * Opens the log's destination. A file is written through pino-roll, which rotates it by size
 * and/or time and deletes beyond `keep`: files are `camshim.1.log`, `camshim.2.log`, ... from
 * `path: camshim.log` (numbering continues after a restart). pino-roll returns the same
 * sonic-boom stream pino writes to by default, so the log keeps its asynchronous, bounded writes.
 */
export async function openLogOutput(log: LogConfig, baseDir: string, terminal: Terminal = processTerminal()): Promise<LogOutput> {
  const style = logStyle(log, terminal);
  if (log.file === undefined) return { destination: 1, ...style, description: `stdout, ${style.format}` };
  const file = path.resolve(baseDir, log.file.path);
  let stream: SonicBoomStream;
  try {
    // Loaded for a log file only: pino-roll brings date-fns, hundreds of modules a daemon logging to stdout never needs.
    const { default: pinoRoll } = await import('pino-roll');
    stream = await pinoRoll({
      file,
      mkdir: true,
      ...(log.file.size === undefined ? {} : { size: log.file.size }),
      ...(log.file.frequency === undefined ? {} : { frequency: log.file.frequency }),
      // removeOtherLogFiles: files of earlier runs count towards `keep` too, so the set stays bounded across restarts.
      limit: { count: log.file.keep, removeOtherLogFiles: true },
      // As LogDestination's own stream: asynchronous, a line out at once when idle, a bounded backlog.
      sync: false, minLength: 0, maxLength: DEFAULT_LOG_BUFFER_BYTES, append: true,
    }) as unknown as SonicBoomStream;
    // sonic-boom opens the file in the background: a file that cannot be opened should stop the
    // start here, with its reason, not become a daemon that drops every line.
    await opened(stream as unknown as OpeningStream);
  } catch (error) {
    throw new CamshimError('LOG_FILE_OPEN', `cannot open log file ${file}: ${(error as Error).message}`, { file }, { cause: error });
  }
  const rotation = [log.file.size === undefined ? undefined : `at ${log.file.size}`, log.file.frequency === undefined ? undefined : `${typeof log.file.frequency === 'number' ? `every ${log.file.frequency} ms` : log.file.frequency}`]
    .filter((part) => part !== undefined);
  return { destination: stream, ...style, description: `${file}, ${style.format}, ${rotation.length === 0 ? 'no rotation' : `rotated ${rotation.join(' and ')}`}, ${log.file.keep} kept` };
}

/** The part of sonic-boom that says when its file is open. */
interface OpeningStream {
  readonly fd: number;
  once(event: 'ready', listener: () => void): void;
  once(event: 'error', listener: (error: Error) => void): void;
  off(event: 'ready', listener: () => void): void;
  off(event: 'error', listener: (error: Error) => void): void;
}

function opened(stream: OpeningStream): Promise<void> {
  if (stream.fd >= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onReady = (): void => { stream.off('error', onError); resolve(); };
    const onError = (error: Error): void => { stream.off('ready', onReady); reject(error); };
    stream.once('ready', onReady);
    stream.once('error', onError);
  });
}

/** `log.stormWindowSeconds` and `log.stormMaxWindows` as the storm collapser takes them. */
export function stormOptions(log: Pick<LogConfig, 'stormWindowSeconds' | 'stormMaxWindows'>): StormOptions {
  return { windowMs: log.stormWindowSeconds * 1000, maxWindows: log.stormMaxWindows };
}
