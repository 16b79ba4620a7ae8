import pino, { type Logger } from 'pino';
import type { LogLevel } from '../config/config-schema.js';
import { cachedIsoTime } from './iso-time.js';
import { LogSink, openSinkWriter, stderrNotice, type LogSinkOptions } from './log-sink.js';

export type { LogLevel };

export interface RootLogger {
  readonly logger: Logger;
  /** Writes out whatever is buffered, if that cannot block; called before exit. */
  flush(): void;
  /** Log lines dropped because the destination was too slow or failed. */
  dropped(): number;
}

export interface RootLoggerOptions {
  /** Unwritten log text kept at most before lines are dropped (default 1 MiB). */
  readonly maxBufferBytes?: number;
  /** Where the once-only "dropping log lines" notices go (default: stderr, non-blocking). */
  readonly notice?: (text: string) => void;
}

/**
 * pino JSON to stdout (journald picks it up). Logging never stalls or stops query handling:
 * writes are asynchronous and non-blocking, at most `maxBufferBytes` wait unwritten, lines
 * beyond that are dropped and counted, and a destination that fails (stdout closed: EPIPE) is
 * given up on. Each of those is said once on stderr; after a stall the count of dropped lines
 * is logged as a `log-dropped` event.
 */
export function createRootLogger(level: LogLevel, destination: number | string = 1, options: RootLoggerOptions = {}): RootLogger {
  let logger: Logger | undefined;
  const sinkOptions: LogSinkOptions = {
    notice: options.notice ?? stderrNotice,
    onRecovered: (dropped) => logger?.warn({ event: 'log-dropped', dropped }, `${dropped} log lines were dropped while the log destination was not reading`),
    ...(options.maxBufferBytes === undefined ? {} : { maxBufferBytes: options.maxBufferBytes }),
  };
  const sink = new LogSink(openSinkWriter(destination), sinkOptions);
  logger = pino({ level, base: { service: 'camshim' }, timestamp: cachedIsoTime() }, sink);
  return {
    logger,
    flush() { sink.flush(); },
    dropped() { return sink.dropped; },
  };
}
