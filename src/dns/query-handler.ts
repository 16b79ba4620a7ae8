import ipaddr from 'ipaddr.js';
import type { Logger } from 'pino';
import { rcodeName, RCode } from './wire/constants.js';
import { decodeQuery } from './wire/query.js';
import { buildError, responseLimit } from './wire/response.js';
import { emptyMatch } from '../lists/domain-table.js';
import { queryEvent, isLoggedKind, type QueryEvent } from '../log/query-events.js';
import { queryLineWriter } from '../log/query-line.js';
import { runChain } from '../pipeline/chain.js';
import type { Answer, ClientInfo, QueryContext } from '../pipeline/context.js';
import type { ResolverState } from '../resolver-state.js';
import type { DnsStats } from './dns-stats.js';

/**
 * The per-query path, shared by UDP and TCP: decode, classify the client, match lists once,
 * run the stage chain, log the decision. Returns the response, or null when nothing may be sent.
 */
export class QueryHandler {
  private readonly writeEvent: (event: QueryEvent) => void;

  constructor(private current: ResolverState, private readonly logger: Logger, readonly stats: DnsStats) {
    this.writeEvent = queryLineWriter(logger);
  }

  get state(): ResolverState { return this.current; }

  /** Swaps in a new state in one step; queries already running finish with the old one. */
  swap(next: ResolverState): void { this.current = next; }

  handle(packet: Uint8Array, client: ClientInfo): Buffer | Promise<Buffer> | null {
    const state = this.current;
    const decoded = decodeQuery(packet);
    if (decoded.kind === 'drop') { this.stats.dropped++; return null; }
    const classified = state.groups.classify(client.address);
    if (decoded.kind !== 'query') {
      // A refused client gets REFUSED even for junk: it learns nothing, and the reply is no bigger than its packet.
      const rcode = !classified.allowed ? RCode.Refused : decoded.kind === 'notimp' ? RCode.NotImp : RCode.FormErr;
      this.stats.answers[!classified.allowed ? 'refused' : decoded.kind]++;
      return buildError(packet, null, decoded.id, decoded.flags, rcode, state.config.dns.ednsPayload);
    }
    const query = decoded.query;
    const context: QueryContext = {
      packet, query, client,
      allowed: classified.allowed,
      group: classified.group,
      match: classified.allowed ? state.lists.table.match(query.name, classified.group.filter, emptyMatch()) : emptyMatch(),
      limit: responseLimit(query.edns, client.transport, state.config.dns.ednsPayload),
    };
    const answer = runChain(state.chain, context);
    this.stats.answers[answer.kind]++;
    if (isLoggedKind(answer.kind)) { if (this.logger.isLevelEnabled('info')) this.logDecision(context, answer, state); }
    else if (this.logger.isLevelEnabled('debug')) this.logger.debug({ event: answer.kind, client: client.address, name: query.name, qtype: query.qtype, group: context.group.name, reason: answer.reason }, 'query');
    return answer.drop === true ? null : answer.response;
  }

  private logDecision(context: QueryContext, answer: Answer, state: ResolverState): void {
    const response = answer.response;
    if (!(response instanceof Buffer)) return;
    const rcode = response[3]! & 0x0f;
    const count = (response[6]! << 8) | response[7]!;
    const answerText = rcode !== RCode.NoError ? rcodeName(rcode) : count === 0 ? 'NODATA' : describeAddressAnswer(response);
    const event = queryEvent(context, answer, state.lists, answerText);
    if (event !== undefined) this.writeEvent(event);
  }
}

/** "A 192.168.20.1" for a redirect answer: its one address record ends just before the OPT (if any). */
function describeAddressAnswer(response: Buffer): string {
  const end = response.length - (response.readUInt16BE(10) > 0 ? 11 : 0);
  for (const [size, type] of [[4, 'A'], [16, 'AAAA']] as const) {
    // RDLENGTH sits right before the address bytes.
    if (end - size - 2 >= 12 && response.readUInt16BE(end - size - 2) === size) {
      return `${type} ${ipaddr.fromByteArray([...response.subarray(end - size, end)]).toString()}`;
    }
  }
  return 'NOERROR';
}
