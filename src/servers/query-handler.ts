import type { Logger } from 'pino';
import { RCode } from '../wire/constants.js';
import { decodeQuery } from '../wire/query.js';
import { buildError, responseLimit } from '../wire/response.js';
import { isLoggedKind } from '../pipeline/answer-kinds.js';
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

  /**
   * The query path UDP and TCP share: answers `packet` and hands the response to `send` (at once,
   * or when a forwarded answer arrives). Errors stay with this query: counted and logged, and
   * `lost` is called when an answer that was coming will not. Returns false when nothing will
   * be sent (a dropped packet, a rate-limited client with overLimit: drop, an internal error).
   */
  answer(packet: Uint8Array, client: ClientInfo, send: (response: Buffer) => void, lost?: () => void): boolean {
    let response: Buffer | Promise<Buffer> | null;
    try {
      response = this.handle(packet, client);
    } catch (error) {
      // No packet may stop the server: count it, say it, keep serving.
      this.stats.internalErrors++;
      this.logger.error({ err: error, client: client.address }, 'internal error while answering');
      return false;
    }
    if (response === null) return false;
    if (response instanceof Promise) {
      response.then(send, (error: unknown) => {
        this.stats.internalErrors++;
        this.logger.error({ err: error, client: client.address }, 'query failed');
        lost?.();
      });
    } else send(response);
    return true;
  }

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
      // Logged answers are camshim's own: their decision record carries the rcode (and a redirect's address).
      if (this.queryLog.enabled && answer.rcode !== undefined) {
        this.queryLog.record({
          kind: answer.kind, timeMs: this.queryLog.now(), client: client.address, name: query.name, qtype: query.qtype,
          group: answer.group, lists: state.lists, rule: answer.rule, rcode: answer.rcode, address: answer.address,
        });
      }
    }
    else if (this.logger.isLevelEnabled('debug')) this.logger.debug({ event: answer.kind, stage: answer.stage, client: client.address, name: query.name, qtype: query.qtype, group: answer.group, reason: answer.reason }, 'query');
    return answer.drop === true ? null : answer.response;
  }
}
