import ipaddr from 'ipaddr.js';
import type { ClientInfo } from '../clients/index.js';
import { RCode, rcodeName, typeName } from '../dns/wire/constants.js';
import type { ListSet } from '../lists/list-set.js';
import { ruleText } from '../lists/rule.js';
import type { AnswerKind } from '../pipeline/context.js';

/** The answers the sinkhole log records: what called home, how often, from which client. */
export type LoggedKind = 'sinkhole' | 'redirect' | 'unlisted';

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
  readonly response: Uint8Array;
  /** The client's MAC and name from the client directory, when known (looked up only for lines that are written). */
  readonly who?: ClientInfo | undefined;
}

/** The fields of a sinkhole-log line, in the order they are written. */
export interface QueryEvent {
  readonly event: LoggedKind;
  readonly client: string;
  readonly mac?: string;
  readonly host?: string;
  readonly name: string;
  readonly type: string;
  readonly group: string;
  readonly list: string | null;
  readonly rule: string | null;
  readonly line: number | null;
  readonly answer: string;
}

export function isLoggedKind(kind: AnswerKind): kind is LoggedKind {
  return kind === 'sinkhole' || kind === 'redirect' || kind === 'unlisted';
}

/** The rule's part of a line: which list, the rule as written there, and its line number. */
export function ruleFields(lists: ListSet, rule: number | undefined): { list: string | null; rule: string | null; line: number | null } {
  if (rule === undefined) return { list: null, rule: null, line: null };
  const view = lists.table.rule(rule);
  return { list: lists.lists[view.list]?.name ?? null, rule: ruleText(view.name, 'block', view.scope), line: view.line };
}

/** What the client was told: an rcode name, NODATA, or "A 192.168.20.1" for a redirect. */
export function answerText(response: Uint8Array): string {
  const rcode = response[3]! & 0x0f;
  if (rcode !== RCode.NoError) return rcodeName(rcode);
  const count = (response[6]! << 8) | response[7]!;
  return count === 0 ? 'NODATA' : describeAddressAnswer(response);
}

/** A redirect answer's one address record ends just before the OPT (if any). */
function describeAddressAnswer(response: Uint8Array): string {
  const additional = (response[10]! << 8) | response[11]!;
  const end = response.length - (additional > 0 ? 11 : 0);
  for (const [size, type] of [[4, 'A'], [16, 'AAAA']] as const) {
    // RDLENGTH sits right before the address bytes.
    const at = end - size - 2;
    if (at >= 12 && ((response[at]! << 8) | response[at + 1]!) === size) {
      return `${type} ${ipaddr.fromByteArray([...response.subarray(end - size, end)]).toString()}`;
    }
  }
  return 'NOERROR';
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
    answer: answerText(record.response),
  };
}
