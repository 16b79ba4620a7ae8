/** What a list entry does to a matching name. */
export type RuleAction = 'block' | 'allow' | 'redirect';
/**
 * Which names an entry covers: `subtree` the name and every name below it (plain names, hosts
 * lines, `||name^`), `below` only names below it (`*.name`), `exact` the name alone (`=name`).
 */
export type RuleScope = 'subtree' | 'below' | 'exact';

export interface ListEntry {
  readonly name: string;
  readonly action: RuleAction;
  readonly scope: RuleScope;
  readonly line: number;
}

/** How a rule is written back for people: the same syntax a list file uses. */
export function ruleText(name: string, action: RuleAction, scope: RuleScope): string {
  const base = scope === 'below' ? `*.${name}` : scope === 'exact' ? `=${name}` : name;
  return action === 'allow' ? `@@${base}` : base;
}
