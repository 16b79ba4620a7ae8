import type { Logger } from 'pino';
import { RCode } from './wire/constants.js';
import { decodeQuery } from './wire/query.js';
import { buildError, responseLimit } from './wire/response.js';
import { isLoggedKind } from '../log/query-events.js';
import { createQueryLog, type QueryLog } from '../log/query-log.js';
import { runChain } from '../pipeline/chain.js';
import type { ClientInfo } from '../pipeline/context.js';
import { LazyQueryContext } from '../pipeline/query-context.js';
import type { ResolverState } from '../resolver-state.js';
import type { DnsStats } from './dns-stats.js';

/**
 * The per-query path, shared by UDP and TCP: decode, classify the client, match lists once,
 * run the stage chain, log the decision. Returns the response, or null when nothing may be sent.
 */
export class QueryHandler {
  constructor(private current: ResolverState, private readonly logger: Logger, readonly stats: DnsStats, private readonly queryLog: QueryLog = createQueryLog(logger)) {}

  /** Reused for reading a sinkholing rule's list (read at once, never kept). */
  private readonly ruleScratch: Parameters<ResolverState['lists']['table']['readRule']>[1] = { list: 0, scope: 'subtree', action: 'block', line: 0 };

  get state(): ResolverState { return this.current; }

  /** Swaps in a new state in one step; queries already running finish with the old one. */
  swap(next: ResolverState): void { this.current = next; }

  /** Writes out the sinkhole-log lines still held. */
  close(): void { this.queryLog.close(); }

  /** Closes the sinkhole log's storm windows, writing their counts (on reload: counts are not carried across it). */
  flushLog(): void { this.queryLog.flush(); }

  handle(packet: Uint8Array, client: ClientInfo): Buffer | Promise<Buffer> | null {
    const state = this.current;
    const decoded = decodeQuery(packet);
    if (decoded.kind === 'drop') { this.stats.dropped++; return null; }
    const classified = state.groups.classify(client.address);
    if (decoded.kind !== 'query') {
      // A refused client gets REFUSED even for junk: it learns nothing, and the reply is no bigger than its packet.
      const rcode = !classified.allowed ? RCode.Refused : decoded.kind === 'notimp' ? RCode.NotImp : RCode.FormErr;
      this.stats.countAnswer(!classified.allowed ? 'refused' : decoded.kind);
      // The question (when it parsed) and an OPT (when the query had a valid one) are echoed:
      // still no bigger than the packet. RA only for a client camshim serves.
      return buildError(packet, decoded.query, decoded.id, decoded.flags, rcode, state.config.dns.ednsPayload,
        { recursionAvailable: classified.allowed, edns: decoded.edns });
    }
    const query = decoded.query;
    const context = new LazyQueryContext(packet, query, client, classified.allowed, classified.group, state.lists.table,
      responseLimit(query.edns, client.transport, state.config.dns.ednsPayload));
    const answer = runChain(state.chain, context);
    this.stats.countGroupAnswer(context.group.name, answer.kind);
    if (answer.kind === 'sinkhole' && answer.rule !== undefined) {
      this.stats.countSinkholed(state.lists.lists[state.lists.table.readRule(answer.rule, this.ruleScratch).list]?.name ?? 'unknown');
    }
    if (isLoggedKind(answer.kind)) {
      const response = answer.response;
      // Logged answers are made here, never forwarded: the response is a buffer.
      if (this.queryLog.enabled && response instanceof Buffer) {
        this.queryLog.record({
          kind: answer.kind, timeMs: this.queryLog.now(), client: client.address, name: query.name, qtype: query.qtype,
          group: context.group.name, lists: state.lists, rule: answer.rule, response,
        });
      }
    }
    else if (this.logger.isLevelEnabled('debug')) this.logger.debug({ event: answer.kind, client: client.address, name: query.name, qtype: query.qtype, group: context.group.name, reason: answer.reason }, 'query');
    return answer.drop === true ? null : answer.response;
  }
}
