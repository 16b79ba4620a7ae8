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

/**
 * Why an answer was given. The same words appear in logs, metrics and `camshim query`.
 * sinkhole: on a blocklist. redirect: NTP name answered with camshim's address. unlisted: on no
 * list, group policy nxdomain. policy-refused: on no list, group policy refuse. forward: sent
 * upstream. refused: client outside the access networks. rate-limited: over dns.rateLimit.
 * Others are protocol answers.
 */
export type AnswerKind =
  | 'sinkhole' | 'redirect' | 'unlisted' | 'policy-refused' | 'forward' | 'allowed'
  | 'refused' | 'rate-limited' | 'badvers' | 'notimp' | 'formerr' | 'servfail';

export interface Answer {
  readonly kind: AnswerKind;
  readonly response: Buffer | Promise<Buffer>;
  /** Send nothing at all (a rate-limited client with overLimit: drop). */
  readonly drop?: true;
  /** Human reason, e.g. "tplink.list:12 tplinkcloud.com". */
  readonly reason: string;
  /** Rule index in the list table, when a list rule decided. */
  readonly rule?: number;
  /** Resolves to where the forwarded answer came from (cache or an upstream), for reports. */
  readonly source?: string;
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
