import type { ParsedQuery } from '../wire/query.js';
import { emptyMatch, type DomainTable, type NameMatch } from '../lists/domain-table.js';
import type { ClientGroup } from './client-groups.js';
import type { ClientInfo, QueryContext } from './context.js';

/**
 * The context the query handler gives the stages. The list match is made the first time a stage
 * asks for it: the stages in front (rate limit, access, protocol checks) answer without it, so a
 * storming client's dropped or refused packets never pay for a lookup.
 */
export class LazyQueryContext implements QueryContext {
  private matched: NameMatch | undefined;

  constructor(
    readonly packet: Uint8Array,
    readonly query: ParsedQuery,
    readonly client: ClientInfo,
    readonly allowed: boolean,
    readonly group: ClientGroup,
    private readonly table: DomainTable,
    readonly limit: number,
  ) {}

  /** A client outside the access networks matches nothing: its lists are never consulted. */
  get match(): NameMatch {
    this.matched ??= this.allowed ? this.table.match(this.query.name, this.group.filter, emptyMatch()) : emptyMatch();
    return this.matched;
  }
}
