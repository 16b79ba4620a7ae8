import type { Logger } from 'pino';
import type { ClientInfo } from '../clients/index.js';
import type { LogDestination } from './destination.js';
import type { IsoTimeFunction } from './iso-time.js';
import { queryEvent, stormEvent, type LoggedQuery, type StormSummary } from './query-events.js';
import { DEFAULT_STORM_OPTIONS, StormCollapser, type StormOptions, type StormTimers } from './storm-collapser.js';
import { QueryLineEncoder, type LineFrame } from './query-line.js';

/** The sinkhole log as the query path sees it: is it on, what time is it, record this decision. */
export interface QueryLog {
  /** Whether decisions are logged at all (the logger's level is info or finer): check before making a record. */
  readonly enabled: boolean;
  /** The log's clock (ms since the epoch), for `LoggedQuery.timeMs`. */
  now(): number;
  record(query: LoggedQuery): void;
  /**
   * Where lines get the client's MAC and name (`mac`, `host`): asked once per written line
   * (a window's first query and its storm line), never for the repeats a storm window counts.
   * With `ready` (the directory still reading its leases and neighbours), lines wait for it to
   * settle, up to MAX_UNIDENTIFIED of them, so the first queries after a start are named too.
   */
  identifyClients(lookup: ClientLookup | undefined, ready?: Promise<unknown>): void;
  /** Closes every storm window, writing its repeats (a reload, so the counts are not held across it). */
  flush(): void;
  /** Writes out what is held and lets go of the log destination. */
  close(): void;
  /** Lines not written because they were repeats collapsed into a `storm` line (counted as each storm line is written). */
  collapsed(): number;
}

/** The client directory's lookup: an address to its MAC and name, O(1). */
export type ClientLookup = (address: string) => ClientInfo | undefined;

/** What writes a query's own line and storm lines (the storm collapser decides which queries get one). */
interface LineWriter {
  readonly enabled: boolean;
  readonly now: () => number;
  record(query: LoggedQuery): void;
  recordStorm(summary: StormSummary): void;
  close(): void;
}

const INFO = 30;
/** How long a record may wait to share its formatting pass with others (ms): invisible to anyone reading the log. */
export const QUERY_LOG_BATCH_MS = 5;
/** Records held at most before they are formatted anyway, so a burst is bounded in memory too. */
const MAX_HELD = 4096;
/** Lines held at most while the client directory starts; past it they are written as they are. */
export const MAX_UNIDENTIFIED = 4096;

/** Where the sinkhole log writes when it may hold lines: the root logger's destination and how its lines are framed. */
export interface QueryLogChannel {
  readonly destination: LogDestination;
  /** The root logger's timestamp function. */
  readonly time: IsoTimeFunction;
  /** The logger's bindings (base fields and a child's), as pino writes them after the time. */
  readonly bindings: Readonly<Record<string, string | number>>;
}

/**
 * How decisions become lines:
 * - held (with a channel): a record is kept as references and formatted, with every other held
 *   record, in one pass a few milliseconds later or before the next pino line, into the root
 *   logger's destination. Formatting per batch instead of per query is what keeps the log's cost
 *   per query low (a line per query between two socket calls cost several times more).
 * - pino itself (no channel: a logger camshim did not make): `logger.info(event)`.
 * Both write exactly the same bytes (test/log/query-line.test.ts).
 */
export function createQueryLog(logger: Logger, channel?: QueryLogChannel, storm: StormOptions = DEFAULT_STORM_OPTIONS, timers?: StormTimers): QueryLog {
  let lines: LineWriter;
  if (channel === undefined) lines = new PinoQueryLog(logger);
  else {
    const bindings = Object.entries(channel.bindings).map(([key, value]) => `,${JSON.stringify(key)}:${JSON.stringify(value)}`).join('');
    const frame: LineFrame = { levelPrefix: `{"level":${INFO}`, bindings, end: '}\n', timeAt: channel.time.at };
    lines = new HeldQueryLog(logger, channel.destination, new QueryLineEncoder(frame), channel.time.now);
  }
  return new CollapsingQueryLog(lines, storm, timers);
}

/**
 * Storms collapsed: the first query of a (client, name, type, answer kind) in a window gets its
 * line; repeats are counted and written as one `storm` line when the window closes. Storm lines
 * take the same path as query lines: under a flood of distinct names most windows close with a
 * count, and a pino line per storm would break every batch of held lines in two.
 */
class CollapsingQueryLog implements QueryLog {
  private readonly storms: StormCollapser;
  private collapsedLines = 0;
  private lookup: ClientLookup | undefined;
  /** Lines waiting for the client directory (queries, and storm summaries told apart by `count`); undefined when not waiting. */
  private waiting: (LoggedQuery | StormSummary)[] | undefined;

  constructor(private readonly lines: LineWriter, options: StormOptions, timers?: StormTimers) {
    this.storms = new StormCollapser(options, (query) => this.write(query), (summary) => this.writeStorm(summary), lines.now, timers);
  }

  identifyClients(lookup: ClientLookup | undefined, ready?: Promise<unknown>): void {
    this.release();
    this.lookup = lookup;
    if (ready === undefined) return;
    const waiting: (LoggedQuery | StormSummary)[] = [];
    this.waiting = waiting;
    const settled = (): void => { if (this.waiting === waiting) this.release(); };
    ready.then(settled, settled);
  }

  get enabled(): boolean { return this.lines.enabled; }

  now(): number { return this.lines.now(); }

  record(query: LoggedQuery): void {
    if (this.lines.enabled) this.storms.record(query);
  }

  flush(): void { this.storms.flush(); }

  collapsed(): number { return this.collapsedLines; }

  close(): void {
    this.storms.flush();
    this.release();
    this.lines.close();
  }

  private write(query: LoggedQuery): void {
    if (this.waiting === undefined || !this.held(query)) this.writeQuery(query);
  }

  private writeStorm(summary: StormSummary): void {
    this.collapsedLines += summary.count;
    if (this.waiting === undefined || !this.held(summary)) this.writeSummary(summary);
  }

  private writeQuery(query: LoggedQuery): void {
    this.lines.record(this.identified(query));
  }

  private writeSummary(summary: StormSummary): void {
    const query = this.identified(summary.query);
    this.lines.recordStorm(query === summary.query ? summary : { ...summary, query });
  }

  /** Keeps a line until the directory is ready; false once the cap is reached (everything held is written then). */
  private held(item: LoggedQuery | StormSummary): boolean {
    const waiting = this.waiting!;
    if (waiting.length < MAX_UNIDENTIFIED) { waiting.push(item); return true; }
    this.release();
    return false;
  }

  /** Writes what waited, in order, with whatever the directory knows now. */
  private release(): void {
    const waiting = this.waiting;
    if (waiting === undefined) return;
    this.waiting = undefined;
    for (const item of waiting) {
      if ('count' in item) this.writeSummary(item);
      else this.writeQuery(item);
    }
  }

  /** The record with its client's directory entry, when the directory knows the client. */
  private identified(query: LoggedQuery): LoggedQuery {
    const who = this.lookup?.(query.client);
    return who === undefined ? query : { ...query, who };
  }
}

abstract class LevelGatedLog {
  constructor(protected readonly logger: Logger) {}
  get enabled(): boolean { return this.logger.levelVal <= INFO; }
}

/** Through pino's own serialiser: the only way its formatters, mixins and hooks apply. */
class PinoQueryLog extends LevelGatedLog implements LineWriter {
  readonly now = Date.now;
  record(query: LoggedQuery): void { this.logger.info(queryEvent(query), query.kind); }
  recordStorm(summary: StormSummary): void { this.logger.info(stormEvent(summary), 'storm'); }
  close(): void { /* pino owns the destination */ }
}

/** Records held as references for one batch, then formatted in one pass into the destination. */
class HeldQueryLog extends LevelGatedLog implements LineWriter {
  /** Query records, and storm summaries (told apart by `count`), in the order they came. */
  private held: (LoggedQuery | StormSummary)[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly detach: () => void;

  constructor(logger: Logger, private readonly destination: LogDestination, private readonly encoder: QueryLineEncoder, readonly now: () => number) {
    super(logger);
    this.detach = destination.attach(() => this.take());
  }

  record(query: LoggedQuery): void {
    if (this.enabled) this.hold(query);
  }

  recordStorm(summary: StormSummary): void {
    if (this.enabled) this.hold(summary);
  }

  private hold(item: LoggedQuery | StormSummary): void {
    this.held.push(item);
    if (this.held.length >= MAX_HELD) { this.write(); return; }
    this.timer ??= setTimeout(this.write, QUERY_LOG_BATCH_MS);
  }

  close(): void { this.detach(); }

  private readonly write = (): void => {
    const text = this.take();
    if (text !== undefined) this.destination.writeHeld(text);
  };

  private take(): Buffer | undefined {
    if (this.timer !== undefined) { clearTimeout(this.timer); this.timer = undefined; }
    const held = this.held;
    if (held.length === 0) return undefined;
    this.held = [];
    for (const item of held) {
      if ('count' in item) this.encoder.encodeStorm(item);
      else this.encoder.encode(item);
    }
    return this.encoder.take();
  }
}
