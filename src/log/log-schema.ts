import { LOGGED_KINDS, type LoggedKind } from '../pipeline/answer-kinds.js';

/**
 * The log's schema: the one definition of what camshim writes and `camshim report` reads.
 * Every line carries `v` (this number); a reader takes lines without it as the first schema,
 * which had the same query-event fields.
 */
export const LOG_SCHEMA_VERSION = 1;

/** The answers each of which is a line of its own (until it repeats, see StormLine): the logged answer kinds. */
export type QueryEventName = LoggedKind;
export const QUERY_EVENT_NAMES: readonly QueryEventName[] = LOGGED_KINDS;

/** Fields every line has. */
export interface LineHead {
  readonly level: number;
  /** ISO 8601, UTC, milliseconds. */
  readonly time: string;
  readonly service: 'camshim';
  readonly v?: number;
}

/** One answered query: who asked, what, and what camshim decided. */
export interface QueryEventLine extends LineHead {
  readonly event: QueryEventName;
  readonly client: string;
  /** The client's MAC address and name, where camshim knows them. */
  readonly mac?: string;
  readonly host?: string;
  /** The question name in presentation format (escapes for dots inside labels and odd bytes). */
  readonly name: string;
  readonly type: string;
  readonly group: string;
  readonly list: string | null;
  readonly rule: string | null;
  readonly line: number | null;
  /** `NXDOMAIN`, `NODATA`, or `A 192.168.20.1` for a redirect. */
  readonly answer: string;
}

/**
 * The repeats of one (client, name, type, answer) within one window, after the line of its first
 * query: `count` more queries between `first` and `last`.
 */
export interface StormLine extends Omit<QueryEventLine, 'event'> {
  readonly event: 'storm';
  /** The event each repeat would have been. */
  readonly of: QueryEventName;
  readonly count: number;
  readonly first: string;
  readonly last: string;
}

/** An NTP client seen for the first time since the daemon started. */
export interface NtpClientLine extends LineHead {
  readonly event: 'ntp-client';
  readonly client: string;
  /** As on query lines: the client's MAC address and name, where camshim knows them. */
  readonly mac?: string;
  readonly host?: string;
  readonly group: string;
  readonly version: number;
}

/** The NTP clock changed state (synchronised, local, unsynchronised). */
export interface NtpClockLine extends LineHead {
  readonly event: 'ntp-clock';
  readonly state: string;
  readonly previous?: string;
}
