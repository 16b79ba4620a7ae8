import { ANSWER_KIND_NAMES, LOGGED_KINDS, type AnswerKind, type LoggedKind } from '../pipeline/answer-kinds.js';

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

/**
 * The answers with no line of their own at `info`: at `debug`, each answer of the query pipeline
 * is a line named by its kind. `formerr` and `notimp` are not among them: those are answered
 * from the packet alone, before the pipeline, and only counted.
 */
export const DEBUG_QUERY_EVENT_NAMES: readonly AnswerKind[] = ANSWER_KIND_NAMES.filter(
  (kind) => !(LOGGED_KINDS as readonly AnswerKind[]).includes(kind) && kind !== 'formerr' && kind !== 'notimp',
);

/**
 * The daemon's own events, one line each when something about the daemon (not a query) happens,
 * and when. docs/log-events.md shows every event camshim writes with an example line; a test
 * holds the code, these names and that page to the same set.
 */
export const DAEMON_EVENTS = {
  start: 'the daemon serves: its effective settings',
  ready: 'systemd was told the daemon is ready (Type=notify units)',
  stop: 'the daemon (or the workers\' primary) stops, with its counters',
  reload: 'SIGHUP or a list refresh: the new config and lists applied, or rejected',
  listen: 'a DNS or NTP socket is bound on an address',
  unlisten: 'an address went away and its socket was closed',
  'listen-missing': 'a listen address is not on the machine yet',
  'listen-cap': 'the machine has more addresses than camshim binds sockets for',
  'listen-failed': 'binding on an address failed; retried while the address exists',
  'listen-none': 'no DNS address to serve yet',
  'http-listen': 'the /metrics and /healthz server is listening',
  'metrics-error': 'the metrics could not be read for a /metrics request',
  'dashboard-error': 'a dashboard request could not be answered (500)',
  clients: 'a problem reading the client directory (lease file, clients: map)',
  'list-refresh': 'a remote list was fetched: changed, unchanged or failed',
  'log-dropped': 'log lines were dropped while the log destination did not read',
  'upstream-down': 'an upstream stopped answering',
  'upstream-up': 'an upstream answers again',
  'upstream-failure': 'an upstream query failed (the first; then one summary per upstream per minute)',
  'upstream-refused': 'an upstream was not used: it is camshim itself, or loops back to it',
  'upstream-reload': 'upstream settings applied on reload',
  workers: 'the primary started its DNS workers',
  'worker-exit': 'a worker died and is restarted',
  'workers-crash-loop': 'workers keep dying: the primary stops',
} as const;

export type DaemonEventName = keyof typeof DAEMON_EVENTS;

/** Every `event` a camshim log line can carry. */
export const LOG_EVENT_NAMES: readonly string[] = [
  ...QUERY_EVENT_NAMES, 'storm', 'ntp-client', 'ntp-clock', ...DEBUG_QUERY_EVENT_NAMES, ...Object.keys(DAEMON_EVENTS),
];
