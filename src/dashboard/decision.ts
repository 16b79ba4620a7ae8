import type { ListSet } from '../lists/list-set.js';
import { answerText, ruleFields, type LoggedKind, type LoggedQuery } from '../log/query-events.js';
import type { QueryRecord } from '../report/parse-event.js';
import { typeName } from '../wire/constants.js';

/**
 * One logged decision as the dashboard counts it: the report's query record for a single query
 * (plain text and numbers, no reference to the list set it was decided with), so it can be added
 * up later, or in another process (a `--workers` worker sends these to the primary).
 */
export interface DashboardDecision extends Pick<QueryRecord, 'timeMs' | 'client' | 'name' | 'type' | 'group' | 'list' | 'rule' | 'answer'> {
  readonly kind: LoggedKind;
}

/** A rule's list and text, per list set: a storm repeats the same few rules, so each is looked up once. */
const RULE_CACHE_SIZE = 1024;

/** Turns the query path's references into a DashboardDecision. */
export class DecisionResolver {
  /** Weak: a reload's old list set is not kept alive by the dashboard. */
  private readonly ruleCache = new WeakMap<ListSet, Map<number, { list: string | null; rule: string | null }>>();

  resolve(query: LoggedQuery): DashboardDecision {
    const { list, rule } = this.ruleOf(query.lists, query.rule);
    return {
      kind: query.kind, timeMs: query.timeMs, client: query.client, name: query.name, type: typeName(query.qtype), group: query.group,
      list, rule, answer: answerText(query.rcode, query.address),
    };
  }

  private ruleOf(lists: ListSet, rule: number | undefined): { list: string | null; rule: string | null } {
    if (rule === undefined) return { list: null, rule: null };
    let rules = this.ruleCache.get(lists);
    if (rules === undefined) { rules = new Map(); this.ruleCache.set(lists, rules); }
    let fields = rules.get(rule);
    if (fields === undefined) {
      const { list, rule: text } = ruleFields(lists, rule);
      fields = { list, rule: text };
      if (rules.size >= RULE_CACHE_SIZE) rules.clear();
      rules.set(rule, fields);
    }
    return fields;
  }
}
