import pino, { type Logger } from 'pino';
import { asIsoTimeFunction } from './iso-time.js';
import { LogSink } from './log-sink.js';
import { queryEvent, type LoggedQuery } from './query-events.js';
import { QueryLineEncoder, type LineFrame } from './query-line.js';

/** The sinkhole log as the query path sees it: is it on, what time is it, record this decision. */
export interface QueryLog {
  /** Whether decisions are logged at all (the logger's level is info or finer): check before making a record. */
  readonly enabled: boolean;
  /** The log's clock (ms since the epoch), for `LoggedQuery.timeMs`. */
  now(): number;
  record(query: LoggedQuery): void;
  /** Writes out what is held and lets go of the log destination. */
  close(): void;
}

/** pino's internals this reads, through its public `pino.symbols`. */
interface PinoInternals {
  [key: symbol]: unknown;
}

const INFO = 30;
/** Size a held line is counted at against the log buffer bound, before it is formatted. */
const ESTIMATED_LINE_BYTES = 256;

/**
 * Picks how decisions become lines, fastest first:
 * - deferred: the logger writes to camshim's own LogSink with camshim's timestamp. A record is
 *   kept as references and formatted, with every other held record, when the sink's batch goes
 *   out; pino lines written meanwhile still land after the records made before them.
 * - direct: another plain pino destination; each record is formatted at once.
 * - pino itself: a logger with formatters, mixins or hooks, which only pino can apply.
 * The first two write exactly what the third would (test/log/query-line.test.ts).
 */
export function createQueryLog(logger: Logger): QueryLog {
  const internals = logger as unknown as PinoInternals;
  const stream = internals[pino.symbols.streamSym] as { write?: (line: string) => unknown } | undefined;
  const levelPrefix = (internals[pino.symbols.lsCacheSym] as Record<number, string> | undefined)?.[INFO];
  const time = internals[pino.symbols.timeSym];
  const bindings = internals[pino.symbols.chindingsSym];
  const messageKey = internals[pino.symbols.messageKeySym];
  const end = internals[pino.symbols.endSym];
  const hasFormatter = typeof (internals[pino.symbols.formattersSym] as { log?: unknown } | undefined)?.log === 'function';
  const hasMixin = typeof internals[pino.symbols.mixinSym] === 'function';
  const hooks = internals[pino.symbols.hooksSym] as { logMethod?: unknown; streamWrite?: unknown } | undefined;
  const hasHooks = typeof hooks?.logMethod === 'function' || typeof hooks?.streamWrite === 'function';
  const plain = stream !== undefined && typeof stream.write === 'function' && typeof levelPrefix === 'string' && typeof time === 'function'
    && typeof bindings === 'string' && messageKey === 'msg' && typeof end === 'string' && !hasFormatter && !hasMixin && !hasHooks;
  if (!plain) return new PinoQueryLog(logger);
  const isoTime = asIsoTimeFunction(time);
  const frame: LineFrame = {
    levelPrefix, bindings, end,
    // pino's own time function reads its clock when called: right only when the line is made at once.
    timeAt: isoTime?.at ?? (time as () => string),
  };
  const encoder = new QueryLineEncoder(frame);
  if (stream instanceof LogSink && isoTime !== undefined) return new DeferredQueryLog(logger, stream, encoder, isoTime.now);
  return new DirectQueryLog(logger, stream.write!.bind(stream), encoder, isoTime?.now ?? Date.now);
}

abstract class LevelGatedLog {
  constructor(protected readonly logger: Logger) {}
  get enabled(): boolean { return this.logger.levelVal <= INFO; }
}

/** Through pino's own serialiser: the only way its formatters, mixins and hooks apply. */
class PinoQueryLog extends LevelGatedLog implements QueryLog {
  readonly now = Date.now;
  record(query: LoggedQuery): void { this.logger.info(queryEvent(query), query.kind); }
  close(): void { /* pino owns the destination */ }
}

/** Each record formatted and written at once, to a destination we cannot hold lines for. */
class DirectQueryLog extends LevelGatedLog implements QueryLog {
  constructor(logger: Logger, private readonly write: (line: string) => unknown, private readonly encoder: QueryLineEncoder, readonly now: () => number) {
    super(logger);
  }

  record(query: LoggedQuery): void {
    if (!this.enabled) return;
    this.encoder.encode(query);
    this.write(this.encoder.take().toString('utf8'));
  }

  close(): void { /* nothing held */ }
}

/** Records held as references until the sink's batch goes out, then formatted in one pass. */
class DeferredQueryLog extends LevelGatedLog implements QueryLog {
  private held: LoggedQuery[] = [];
  private readonly detach: () => void;

  constructor(logger: Logger, private readonly sink: LogSink, private readonly encoder: QueryLineEncoder, readonly now: () => number) {
    super(logger);
    this.detach = sink.attach({ take: () => this.take() });
  }

  record(query: LoggedQuery): void {
    if (!this.enabled) return;
    // Held before asking: without batching the sink may take it at once.
    this.held.push(query);
    if (!this.sink.admit(ESTIMATED_LINE_BYTES + query.name.length)) this.held.pop();
  }

  close(): void { this.detach(); }

  private take(): { bytes: Uint8Array; lines: number } | undefined {
    const held = this.held;
    if (held.length === 0) return undefined;
    this.held = [];
    for (const query of held) this.encoder.encode(query);
    return { bytes: this.encoder.take(), lines: held.length };
  }
}
