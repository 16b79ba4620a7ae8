import ipaddr from 'ipaddr.js';
import type { ClientInfo } from '../clients/index.js';
import { RCode, rcodeName, typeName } from '../wire/constants.js';
import type { ListSet } from '../lists/list-set.js';
import { ruleText } from '../lists/rule.js';
import { isLoggedKind, type LoggedKind } from '../pipeline/answer-kinds.js';
import type { LineHead, QueryEventLine, StormLine } from './log-schema.js';

export { isLoggedKind, type LoggedKind };

/**
 * A logged decision as the query path hands it over: references only, nothing formatted, so
 * recording one costs a few stores. Everything a line says is derived from it later.
 */
export interface LoggedQuery {
  readonly kind: LoggedKind;
  /** When it was answered (ms since the epoch, from the log's clock). */
  readonly timeMs: number;
  readonly client: string;
  /** Lower-case dotted question name, as decoded (bytes >= 0x80 map 1:1 to latin1). */
  readonly name: string;
  readonly qtype: number;
  readonly group: string;
  /** The list set the rule index belongs to (a reload may swap sets before the line is written). */
  readonly lists: ListSet;
  readonly rule: number | undefined;
  /** The decision's rcode, and the address a redirect answered with (from the answer's decision record). */
  readonly rcode: number;
  readonly address: Uint8Array | undefined;
  /** The client's MAC and name from the client directory, when known (looked up only for lines that are written). */
  readonly who?: ClientInfo | undefined;
}

/** The fields of a sinkhole-log line after its head, as the log schema defines them (in the order they are written). */
export type QueryEvent = Omit<QueryEventLine, keyof LineHead>;

/** The rule's part of a line: which list, the rule as written there, and its line number. */
export function ruleFields(lists: ListSet, rule: number | undefined): { list: string | null; rule: string | null; line: number | null } {
  if (rule === undefined) return { list: null, rule: null, line: null };
  const view = lists.table.rule(rule);
  return { list: lists.lists[view.list]?.name ?? null, rule: ruleText(view.name, 'block', view.scope), line: view.line };
}

/** What the client was told, from the decision record: an rcode name, NODATA, or "A 192.168.20.1" for a redirect. */
export function answerText(rcode: number, address: Uint8Array | undefined): string {
  if (rcode !== RCode.NoError) return rcodeName(rcode);
  if (address === undefined) return 'NODATA';
  return `${address.length === 4 ? 'A' : 'AAAA'} ${ipaddr.fromByteArray([...address]).toString()}`;
}

/** The event a record describes (the slow, obvious path: tests and loggers we cannot write to directly). */
export function queryEvent(record: LoggedQuery): QueryEvent {
  return {
    event: record.kind,
    client: record.client,
    ...(record.who?.mac === undefined ? {} : { mac: record.who.mac }),
    ...(record.who?.name === undefined ? {} : { host: record.who.name }),
    name: record.name,
    type: typeName(record.qtype),
    group: record.group,
    ...ruleFields(record.lists, record.rule),
    answer: answerText(record.rcode, record.address),
  };
}

/** The repeats of one query within one storm window, after the line of its first query. */
export interface StormSummary {
  /** The window's first counted query: same client, name, type and answer as the storm's first (its line was written when it came). */
  readonly query: LoggedQuery;
  readonly count: number;
  readonly firstMs: number;
  readonly lastMs: number;
  /** When the window closed (ms since the epoch, from the log's clock): the storm line's time. */
  readonly closedMs: number;
}

/** The fields of a storm line after its head, as the log schema defines them. */
export type StormEvent = Omit<StormLine, keyof LineHead>;

/** The event a storm summary describes (the slow, obvious path, as queryEvent). */
export function stormEvent(summary: StormSummary): StormEvent {
  const { event, ...fields } = queryEvent(summary.query);
  return {
    event: 'storm', of: event, ...fields, count: summary.count,
    first: new Date(summary.firstMs).toISOString(), last: new Date(summary.lastMs).toISOString(),
  };
}
