import { LOG_SCHEMA_VERSION, QUERY_EVENT_NAMES, type QueryEventName } from '../log/log-schema.js';
import { parseLogTime } from './parse-time.js';

/** One query event as the report counts it: a single query, or a storm line's repeats. */
export interface QueryRecord {
  readonly kind: 'query';
  readonly event: QueryEventName;
  /** ms since the epoch: the query's time, or the first repeat's for a storm line. */
  readonly timeMs: number;
  /** The last repeat's time (equal to timeMs for a single query). */
  readonly lastMs: number;
  /** Queries this record stands for (1, or a storm line's count). */
  readonly count: number;
  readonly client: string;
  readonly mac: string | undefined;
  readonly host: string | undefined;
  readonly name: string;
  readonly type: string;
  readonly group: string;
  readonly list: string | null;
  readonly rule: string | null;
  readonly answer: string;
}

export interface NtpClientRecord {
  readonly kind: 'ntp-client';
  readonly timeMs: number;
  readonly client: string;
  readonly mac: string | undefined;
  readonly host: string | undefined;
  readonly group: string;
}

export interface NtpClockRecord {
  readonly kind: 'ntp-clock';
  readonly timeMs: number;
  readonly state: string;
}

export type ReportRecord = QueryRecord | NtpClientRecord | NtpClockRecord;

/** Why a line was not counted. `other` lines (not camshim's, or camshim lines of other events) are normal in a journal. */
export type SkipReason = 'not-camshim' | 'other-event' | 'malformed' | 'newer-schema';

const QUERY_EVENTS = new Set<string>(QUERY_EVENT_NAMES);

/**
 * A log line to a record, or why not. Lines may carry a prefix (syslog's `date host camshim[pid]:`):
 * the JSON object starts at the first `{`.
 */
export function parseEvent(line: string): ReportRecord | SkipReason {
  const start = line.indexOf('{');
  // A cheap test before JSON.parse: most lines of a mixed journal are not camshim's.
  if (start < 0 || !line.includes('"camshim"', start)) return 'not-camshim';
  let value: unknown;
  try {
    value = JSON.parse(start === 0 ? line : line.slice(start));
  } catch {
    return 'malformed';
  }
  if (typeof value !== 'object' || value === null) return 'malformed';
  const fields = value as Record<string, unknown>;
  if (fields.service !== 'camshim') return 'not-camshim';
  const version = fields.v ?? 0;
  if (typeof version !== 'number') return 'malformed';
  if (version > LOG_SCHEMA_VERSION) return 'newer-schema';
  const timeMs = typeof fields.time === 'string' ? parseLogTime(fields.time) : typeof fields.time === 'number' ? fields.time : Number.NaN;
  if (!Number.isFinite(timeMs)) return 'malformed';
  const event = fields.event;
  if (typeof event === 'string' && QUERY_EVENTS.has(event)) return queryRecord(fields, event as QueryEventName, timeMs, timeMs, 1);
  if (event === 'storm') {
    const of = fields.of;
    const first = typeof fields.first === 'string' ? parseLogTime(fields.first) : Number.NaN;
    const last = typeof fields.last === 'string' ? parseLogTime(fields.last) : Number.NaN;
    const count = fields.count;
    if (typeof of !== 'string' || !QUERY_EVENTS.has(of) || !Number.isFinite(first) || !Number.isFinite(last)
      || typeof count !== 'number' || !Number.isSafeInteger(count) || count < 1) return 'malformed';
    return queryRecord(fields, of as QueryEventName, first, last, count);
  }
  if (event === 'ntp-client' || (event === undefined && fields.msg === 'new NTP client')) {
    if (typeof fields.client !== 'string') return 'malformed';
    return {
      kind: 'ntp-client', timeMs, client: fields.client,
      mac: typeof fields.mac === 'string' ? fields.mac : undefined,
      host: typeof fields.host === 'string' ? fields.host : undefined,
      group: typeof fields.group === 'string' ? fields.group : 'default',
    };
  }
  if (event === 'ntp-clock') {
    if (typeof fields.state !== 'string') return 'malformed';
    return { kind: 'ntp-clock', timeMs, state: fields.state };
  }
  return 'other-event';
}

function queryRecord(fields: Record<string, unknown>, event: QueryEventName, timeMs: number, lastMs: number, count: number): QueryRecord | SkipReason {
  const { client, name, type, group, answer } = fields;
  if (typeof client !== 'string' || typeof name !== 'string') return 'malformed';
  return {
    kind: 'query', event, timeMs, lastMs, count, client, name,
    mac: typeof fields.mac === 'string' ? fields.mac : undefined,
    host: typeof fields.host === 'string' ? fields.host : undefined,
    type: typeof type === 'string' ? type : '?',
    group: typeof group === 'string' ? group : 'default',
    list: typeof fields.list === 'string' ? fields.list : null,
    rule: typeof fields.rule === 'string' ? fields.rule : null,
    answer: typeof answer === 'string' ? answer : '?',
  };
}
