import { typeName } from '../dns/wire/constants.js';
import type { ListSet } from '../lists/list-set.js';
import type { Answer, QueryContext } from '../pipeline/context.js';
import { ruleText } from '../lists/rule.js';

/**
 * The shape of a logged query decision. `sinkhole`, `redirect` and `unlisted` events are the
 * sinkhole log users review: what called home, how often, from which client.
 */
export interface QueryEvent {
  readonly event: 'sinkhole' | 'redirect' | 'unlisted';
  readonly client: string;
  readonly name: string;
  readonly type: string;
  readonly group: string;
  readonly list: string | null;
  readonly rule: string | null;
  readonly line: number | null;
  readonly answer: string;
}

const LOGGED_KINDS = new Set(['sinkhole', 'redirect', 'unlisted']);

export function isLoggedKind(kind: Answer['kind']): kind is QueryEvent['event'] {
  return LOGGED_KINDS.has(kind);
}

export function queryEvent(context: QueryContext, answer: Answer, lists: ListSet, answerText: string): QueryEvent | undefined {
  if (!isLoggedKind(answer.kind)) return undefined;
  const rule = answer.rule === undefined ? undefined : lists.table.rule(answer.rule);
  const list = rule === undefined ? undefined : lists.lists[rule.list];
  return {
    event: answer.kind,
    client: context.client.address,
    name: context.query.name,
    type: typeName(context.query.qtype),
    group: context.group.name,
    list: list?.name ?? null,
    rule: rule === undefined ? null : ruleText(rule.name, 'block', rule.scope),
    line: rule?.line ?? null,
    answer: answerText,
  };
}
