import type { ListSet } from '../lists/list-set.js';
import { answerText, ruleFields, type LoggedQuery } from '../log/query-events.js';
import type { QueryLog } from '../log/query-log.js';
import type { QueryRecord } from '../report/parse-event.js';
import { ReportSummary, type ReportResult, type ResultOptions } from '../report/summary.js';
import { typeName } from '../wire/constants.js';
import { DASHBOARD_LIMITS, type DashboardLimits } from './limits.js';
import { Timeline, type TimelineSnapshot } from './timeline.js';

/** A rule's list and text, per list set: a storm repeats the same few rules, so each is looked up once. */
const RULE_CACHE_SIZE = 1024;
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
  /** Weak: a reload's old list set is not kept alive by the dashboard. */
  private readonly ruleCache = new WeakMap<ListSet, Map<number, { list: string | null; rule: string | null }>>();

  constructor(limits: DashboardLimits = DASHBOARD_LIMITS) {
    this.summary = new ReportSummary({ sinceMs: undefined, untilMs: undefined, client: undefined, domain: undefined }, limits.summary);
    this.timeline = new Timeline(limits.timeline);
  }

  private held: LoggedQuery[] = [];
  private timer: NodeJS.Timeout | undefined;

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
    const { list, rule } = this.ruleOf(query.lists, query.rule);
    const record: QueryRecord = {
      kind: 'query', event: query.kind, timeMs: query.timeMs, lastMs: query.timeMs, count: 1, client: query.client,
      mac: undefined, host: undefined, name: query.name, type: typeName(query.qtype), group: query.group, list, rule,
      answer: answerText(query.rcode, query.address),
    };
    this.summary.add(record);
    this.timeline.add(query.kind, query.client, query.name, list, rule, query.timeMs);
  }

  /**
   * The sinkhole log with this summary fed from it: every decision reaches the summary, and the
   * log still writes only what its level lets through.
   */
  tap(log: QueryLog): QueryLog {
    const record = (query: LoggedQuery): void => {
      this.record(query);
      if (log.enabled) log.record(query);
    };
    return {
      enabled: true,
      now: () => log.now(),
      record,
      identifyClients: (lookup) => log.identifyClients(lookup),
      flush: () => log.flush(),
      close: () => log.close(),
      collapsed: () => log.collapsed(),
    };
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

  private ruleOf(lists: ListSet, rule: number | undefined): { list: string | null; rule: string | null } {
    if (rule === undefined) return { list: null, rule: null };
    let rules = this.ruleCache.get(lists);
    if (rules === undefined) { rules = new Map(); this.ruleCache.set(lists, rules); }
    let fields = rules.get(rule);
    if (fields === undefined) {
      const { list, rule: text } = ruleFields(lists, rule);
      fields = { list, rule: text };
      if (rules.size >= RULE_CACHE_SIZE) rules.clear();
      rules.set(rule, fields);
    }
    return fields;
  }
}
