import pino, { type Logger } from 'pino';
import type { LogLevel } from '../config/config-schema.js';
import { LogDestination, stderrNotice, type SonicBoomStream } from './destination.js';
import { cachedIsoTime, type IsoTimeFunction } from './iso-time.js';
import { LOG_SCHEMA_VERSION } from './log-schema.js';
import { prettyLines } from './pretty-line.js';
import { createQueryLog, type QueryLog } from './query-log.js';
import { DEFAULT_STORM_OPTIONS, type StormOptions } from './storm-collapser.js';

export type { LogLevel };

/** The fields every line of the root logger starts with, after level and time. */
export const LOG_BASE = { service: 'camshim', v: LOG_SCHEMA_VERSION } as const;

export interface RootLogger {
  readonly logger: Logger;
  /**
   * The sinkhole log for `logger` or one of its children (`bindings`: the child's, such as
   * `{ worker: 1 }`): it writes the same lines pino would, formatted in batches.
   */
  queryLog(logger: Logger, bindings?: Readonly<Record<string, string | number>>, storm?: StormOptions): QueryLog;
  /**
   * Writes out what is held and buffered, waiting at most `timeoutMs`; resolves false when the
   * destination did not take it all (a reader that stopped reading, or a failed destination).
   */
  close(timeoutMs?: number): Promise<boolean>;
  /** Log lines dropped because the destination was too slow or failed. */
  dropped(): number;
}

export interface RootLoggerOptions {
  /** Unwritten log text kept at most before lines are dropped (default 1 MiB). */
  readonly maxBufferBytes?: number;
  /** Where the once-only "dropping log lines" notices go (default: stderr, non-blocking). */
  readonly notice?: (text: string) => void;
  /** The clock of the lines' timestamps (tests). */
  readonly time?: IsoTimeFunction;
  /** `pretty`: one short line per event for a person at a terminal, coloured unless `colour` is false; default JSON lines. */
  readonly format?: 'json' | 'pretty';
  readonly colour?: boolean;
}

/**
 * pino JSON to stdout (journald picks it up). Logging never stalls or stops query handling:
 * writes are asynchronous, at most `maxBufferBytes` wait unwritten, lines beyond that are
 * dropped and counted, and a destination that fails (stdout closed: EPIPE) is given up on. Each
 * of those is said once on stderr; after a stall the count of dropped lines is logged as a
 * `log-dropped` event.
 */
export function createRootLogger(level: LogLevel, destination: number | string | SonicBoomStream = 1, options: RootLoggerOptions = {}): RootLogger {
  let logger: Logger | undefined;
  const sink = new LogDestination(destination, {
    notice: options.notice ?? stderrNotice,
    onRecovered: (dropped) => logger?.warn({ event: 'log-dropped', dropped }, `${dropped} log lines were dropped while the log destination was not reading`),
    ...(options.maxBufferBytes === undefined ? {} : { maxBufferBytes: options.maxBufferBytes }),
    ...(options.format === 'pretty' ? { transform: (lines: string) => prettyLines(lines, options.colour ?? false) } : {}),
  });
  const time = options.time ?? cachedIsoTime();
  // pid and hostname are journald's to record; camshim's lines carry only what they add.
  logger = pino({ level, base: LOG_BASE, timestamp: time }, sink);
  const root = logger;
  return {
    logger: root,
    queryLog: (child, bindings = {}, storm = DEFAULT_STORM_OPTIONS) => createQueryLog(child, { destination: sink, time, bindings: { ...LOG_BASE, ...bindings } }, storm),
    close: (timeoutMs) => sink.close(timeoutMs),
    dropped() { return sink.dropped; },
  };
}
