import type { LoggedQuery } from '../log/query-events.js';
import type { QueryLog } from '../log/query-log.js';
import type { QueryRecord } from '../report/parse-event.js';
import { ReportSummary, type ReportResult, type ResultOptions } from '../report/summary.js';
import { DecisionResolver, type DashboardDecision } from './decision.js';
import { DASHBOARD_LIMITS, type DashboardLimits } from './limits.js';
import { tapQueryLog } from './tap.js';
import { Timeline, type TimelineSnapshot } from './timeline.js';

/**
 * Decisions wait this long (ms) to be added up together, off the query's path (adding one up
 * costs a few microseconds, pushing it a few nanoseconds); a read adds up what waits first.
 */
const HOLD_MS = 100;
/** Decisions held at most before they are added up anyway, so a burst is bounded in memory too. */
const MAX_HELD = 4096;

/**
 * What the dashboard shows about queries, kept by the daemon itself: every logged decision
 * (sinkhole, redirect, unlisted) as `camshim report` would read it back from the log, added up
 * by the report's own summary, plus a timeline of attempts per client. It sees each query, even
 * the repeats a storm line only counts, and needs no log file: journald, a file or no info-level
 * logging at all give the same page. Memory is bounded (`DashboardLimits`).
 */
export class LiveSummary {
  private readonly summary: ReportSummary;
  private readonly timeline: Timeline;
  private readonly resolver = new DecisionResolver();
  private held: LoggedQuery[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(limits: DashboardLimits = DASHBOARD_LIMITS) {
    this.summary = new ReportSummary({ sinceMs: undefined, untilMs: undefined, client: undefined, domain: undefined }, limits.summary);
    this.timeline = new Timeline(limits.timeline);
  }

  /** One decision from the query path, added up within HOLD_MS (or at the next read). */
  record(query: LoggedQuery): void {
    this.held.push(query);
    if (this.held.length >= MAX_HELD) this.addHeld();
    else if (this.timer === undefined) {
      this.timer = setTimeout(this.addHeld, HOLD_MS);
      // Waiting decisions never keep the process alive: at exit nobody reads them.
      this.timer.unref();
    }
  }

  private readonly addHeld = (): void => {
    if (this.timer !== undefined) { clearTimeout(this.timer); this.timer = undefined; }
    const held = this.held;
    this.held = [];
    for (const query of held) this.add(query);
  };

  /** Turned into the report's record (nothing of the decision is kept by reference). */
  private add(query: LoggedQuery): void {
    this.addDecision(this.resolver.resolve(query));
  }

  /**
   * A decision already turned into text (a `--workers` worker's, received by the primary): added
   * up at once, as it arrives in a batch off any query's path.
   */
  addDecision(decision: DashboardDecision): void {
    const record: QueryRecord = {
      kind: 'query', event: decision.kind, timeMs: decision.timeMs, lastMs: decision.timeMs, count: 1, client: decision.client,
      mac: undefined, host: undefined, name: decision.name, type: decision.type, group: decision.group, list: decision.list, rule: decision.rule,
      answer: decision.answer,
    };
    this.summary.add(record);
    this.timeline.add(decision.kind, decision.client, decision.name, decision.list, decision.rule, decision.timeMs);
  }

  /**
   * The sinkhole log with this summary fed from it: every decision reaches the summary, and the
   * log still writes only what its level lets through.
   */
  tap(log: QueryLog): QueryLog {
    return tapQueryLog(log, (query) => { this.record(query); });
  }

  report(options: ResultOptions): ReportResult {
    this.addHeld();
    return this.summary.result(options);
  }

  timelineSnapshot(fromMs: number | undefined): TimelineSnapshot {
    this.addHeld();
    return this.timeline.snapshot(fromMs);
  }

  get timelineSize(): Timeline['size'] {
    this.addHeld();
    return this.timeline.size;
  }
}
