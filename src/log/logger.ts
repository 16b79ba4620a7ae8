import pino, { type Logger } from 'pino';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface RootLogger {
  readonly logger: Logger;
  /** Writes out whatever is buffered; called before exit. */
  flush(): void;
}

/**
 * pino JSON to stdout (journald picks it up). Writes are asynchronous so a slow reader of
 * stdout never stalls query handling; `flush` is synchronous for shutdown.
 */
export function createRootLogger(level: LogLevel, destination: number | string = 1): RootLogger {
  const stream = pino.destination({ dest: destination, sync: false, minLength: 0 });
  const logger = pino({ level, base: { service: 'camshim' }, timestamp: pino.stdTimeFunctions.isoTime }, stream);
  return {
    logger,
    flush() {
      try { stream.flushSync(); } catch { /* stdout already gone: nothing more can be said */ }
    },
  };
}
