import type { ListSet } from '../lists/list-set.js';
import { emptyMatch, type MatchFilter } from '../lists/domain-table.js';

function everything(lists: ListSet): MatchFilter {
  return { lists: new Uint8Array(lists.lists.length).fill(1), redirects: true };
}

/**
 * Which cached names a list reload affects: any name a rule in the old or the new list set
 * covers (block, allow or NTP redirect, for any group). Their cached answers are dropped, so a
 * name that leaves a blocklist is looked up afresh and one that joins it frees its entry.
 */
export function affectedByLists(previous: ListSet, next: ListSet): (name: string) => boolean {
  const filters: [ListSet, MatchFilter][] = [[previous, everything(previous)], [next, everything(next)]];
  const out = emptyMatch();
  return (name) => filters.some(([lists, filter]) => {
    const match = lists.table.match(name, filter, out);
    return match.allow >= 0 || match.block >= 0 || match.redirect >= 0;
  });
}
