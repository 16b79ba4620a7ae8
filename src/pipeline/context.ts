import type { AnswerKind } from './answer-kinds.js';
import type { ParsedQuery } from '../wire/query.js';
import type { NameMatch } from '../lists/domain-table.js';
import type { ClientGroup } from './client-groups.js';

export type Transport = 'udp' | 'tcp';

export interface ClientInfo {
  readonly address: string;
  readonly port: number;
  readonly transport: Transport;
  /** The address the query arrived on when the socket knows it (TCP; UDP bound to a specific address). */
  readonly localAddress: string | undefined;
}

export type { AnswerKind };

/** Where a forwarded answer came from, and its rcode: known when the forwarder settles. */
export interface Forwarded {
  readonly response: Buffer;
  readonly rcode: number;
  /** `cache`, the upstream that answered (`192.0.2.53:53`), or why none did (`timeout`, `no upstream`, ...). */
  readonly source: string;
}

/** A forwarded outcome's response: the answer's `response` for forwarded names. */
export function responseOf(forwarded: Forwarded): Buffer {
  return forwarded.response;
}

/**
 * An answer and its decision record: what the client gets (`response`), and why (every other
 * field). The log, the counters, `camshim query`, the report and the metrics read these fields,
 * never the response bytes.
 */
export interface Answer {
  /** The word for this decision (see answer-kinds.ts). */
  readonly kind: AnswerKind;
  /** The stage that decided (its `name`). */
  readonly stage: string;
  /** The client's group. */
  readonly group: string;
  /** The response code, when camshim made the answer; for a forwarded one, in `forwarded`. */
  readonly rcode: number | undefined;
  /** Human reason, e.g. "blocklist" or "group cameras denies unlisted names". */
  readonly reason: string;
  /** Rule index in the list table, when a list rule decided. */
  readonly rule?: number;
  /** The address a redirect answered with (4 or 16 bytes); none for NODATA. */
  readonly address?: Uint8Array;
  /** A forwarded answer's outcome: its source (cache or an upstream) and rcode. */
  readonly forwarded?: Promise<Forwarded>;
  readonly response: Buffer | Promise<Buffer>;
  /** Send nothing at all (a rate-limited client with overLimit: drop). */
  readonly drop?: true;
}

/** What every stage sees: the decoded query, who asked, their group and list matches. */
export interface QueryContext {
  readonly packet: Uint8Array;
  readonly query: ParsedQuery;
  readonly client: ClientInfo;
  readonly allowed: boolean;
  readonly group: ClientGroup;
  readonly match: NameMatch;
  /** Largest response this client may get on this transport. */
  readonly limit: number;
}

/** A stage answers, or returns undefined to pass the query to the next stage. */
export interface Stage {
  readonly name: string;
  decide(context: QueryContext): Answer | undefined;
}
