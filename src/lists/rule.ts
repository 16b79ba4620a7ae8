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

/** What a list file writes before a name to give it this scope. */
export const SCOPE_PREFIXES: Readonly<Record<RuleScope, string>> = { subtree: '', below: '*.', exact: '=' };

/** How a rule is written back for people: the same syntax a list file uses. */
export function ruleText(name: string, action: RuleAction, scope: RuleScope): string {
  const base = `${SCOPE_PREFIXES[scope]}${name}`;
  return action === 'allow' ? `@@${base}` : base;
}
