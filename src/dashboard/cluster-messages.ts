import { isLoggedKind, type LoggedKind } from '../log/query-events.js';
import type { ListStatusBody, NtpStatusBody, UpstreamRow, UpstreamStatusBody } from './daemon-status.js';
import type { DashboardDecision } from './decision.js';

/**
 * What a `--workers` worker and the primary say to each other for the dashboard, over the
 * cluster's IPC channel (JSON). The worker sends its decisions in batches; the primary asks for
 * the status endpoints' figures when the page reads them. Everything received is checked here:
 * a message that claims to be one of these but is not well formed is ignored (and counted).
 */

/** Decisions a batch carries at most: the worker drops (and counts) past it rather than grow. */
export const MAX_BATCH_DECISIONS = 2048;
/** Least time between two batches from one worker (ms). */
export const BATCH_INTERVAL_MS = 100;

/** A decision on the wire: a tuple, since a batch repeats the same nine fields thousands of times. */
export type WireDecision = readonly [
  kind: LoggedKind, timeMs: number, client: string, name: string, type: string, group: string,
  list: string | null, rule: string | null, answer: string,
];

/** A client's MAC and name from the worker's client directory, when it knows them. */
export type WireWho = readonly [client: string, mac: string | null, host: string | null];

/** Worker -> primary: its decisions since the last batch, and how many it could not send. */
export interface DecisionBatch {
  readonly type: 'camshim:dashboard-batch';
  readonly decisions: readonly WireDecision[];
  readonly who: readonly WireWho[];
  /** Decisions dropped since the last batch that arrived (cap reached, channel backed up). */
  readonly dropped: number;
}

/** Primary -> worker: send your status figures, tagged with this id. */
export interface StatusRequest { readonly type: 'camshim:dashboard-status-request'; readonly id: number }

/** Worker -> primary: the status endpoints' bodies as this worker would serve them alone. */
export interface StatusReply {
  readonly type: 'camshim:dashboard-status';
  readonly id: number;
  readonly slot: number;
  readonly ntp: NtpStatusBody;
  readonly lists: ListStatusBody;
  readonly upstream: UpstreamStatusBody;
}

export const toWire = (d: DashboardDecision): WireDecision => [d.kind, d.timeMs, d.client, d.name, d.type, d.group, d.list, d.rule, d.answer];

export const fromWire = ([kind, timeMs, client, name, type, group, list, rule, answer]: WireDecision): DashboardDecision => ({
  kind, timeMs, client, name, type, group, list, rule, answer,
});

const PREFIX = 'camshim:dashboard-';

export type Received =
  | { readonly kind: 'batch'; readonly message: DecisionBatch }
  | { readonly kind: 'status-request'; readonly message: StatusRequest }
  | { readonly kind: 'status'; readonly message: StatusReply }
  | { readonly kind: 'malformed' }
  /** Not a dashboard message (another part of camshim, or prom-client's metrics requests). */
  | { readonly kind: 'other' };

/** Sorts out one IPC message. */
export function receive(message: unknown): Received {
  if (!isObject(message) || typeof message.type !== 'string' || !message.type.startsWith(PREFIX)) return { kind: 'other' };
  switch (message.type) {
    case 'camshim:dashboard-batch':
      return isBatch(message) ? { kind: 'batch', message } : { kind: 'malformed' };
    case 'camshim:dashboard-status-request':
      return isCount(message.id) ? { kind: 'status-request', message: message as unknown as StatusRequest } : { kind: 'malformed' };
    case 'camshim:dashboard-status':
      return isStatusReply(message) ? { kind: 'status', message } : { kind: 'malformed' };
    default:
      return { kind: 'malformed' };
  }
}

type Loose = Readonly<Record<string, unknown>>;
const isObject = (value: unknown): value is Loose => typeof value === 'object' && value !== null && !Array.isArray(value);
const isCount = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;
const isText = (value: unknown): value is string => typeof value === 'string';
const isTextOrNull = (value: unknown): value is string | null => value === null || typeof value === 'string';

function isWireDecision(value: unknown): value is WireDecision {
  if (!Array.isArray(value) || value.length !== 9) return false;
  const [kind, timeMs, client, name, type, group, list, rule, answer] = value as unknown[];
  return isText(kind) && isLoggedKind(kind as LoggedKind) && Number.isFinite(timeMs) && isText(client) && isText(name) && isText(type)
    && isText(group) && isTextOrNull(list) && isTextOrNull(rule) && isText(answer);
}

function isWireWho(value: unknown): value is WireWho {
  return Array.isArray(value) && value.length === 3 && isText(value[0]) && isTextOrNull(value[1]) && isTextOrNull(value[2]);
}

function isBatch(message: Loose): message is Loose & DecisionBatch {
  const { decisions, who, dropped } = message;
  return isCount(dropped) && Array.isArray(decisions) && decisions.length <= MAX_BATCH_DECISIONS && decisions.every(isWireDecision)
    && Array.isArray(who) && who.length <= MAX_BATCH_DECISIONS && who.every(isWireWho);
}

function isUpstreamRow(value: unknown): value is UpstreamRow {
  return isObject(value) && isText(value.upstream) && isText(value.state)
    && [value.queries, value.answers, value.failures, value.timeouts, value.downs].every(isCount);
}

function isStatusReply(message: Loose): message is Loose & StatusReply {
  const { id, slot, ntp, lists, upstream } = message;
  return isCount(id) && isCount(slot)
    && isObject(ntp) && typeof ntp.enabled === 'boolean'
    && isObject(lists) && isText(lists.loadedAt) && Array.isArray(lists.lists) && lists.lists.every(isObject)
    && Array.isArray(lists.errors) && lists.errors.every(isText)
    && isObject(upstream) && [upstream.forwarded, upstream.servfail, upstream.cacheHits, upstream.cacheEntries].every(isCount)
    && Array.isArray(upstream.upstreams) && upstream.upstreams.every(isUpstreamRow);
}
