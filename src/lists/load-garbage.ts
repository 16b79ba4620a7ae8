import v8 from 'node:v8';
import vm from 'node:vm';
import type { ListSet } from './list-set.js';

/** Below this many rules a text load leaves too little garbage to be worth a collection. */
const MIN_RULES = 50_000;

let collect: (() => void) | undefined;

/**
 * After a big list was parsed from text, runs one full garbage collection so the memory it
 * leaves behind goes back to the OS now, not at V8's next full collection, which an idle daemon
 * may not reach for hours: at start the parse buffers (file bytes and builder arrays, tens of MB
 * for a million names); after a reload (built on a thread whose buffers died with it) the arrays of
 * the set it replaced. On a router that is memory another process can use. A collection with
 * camshim's small heap takes a few milliseconds. Sets loaded from the compiled cache leave
 * almost no garbage and are skipped. Returns whether it collected.
 */
export function releaseListLoadGarbage(lists: ListSet): boolean {
  if (lists.cache.status === 'hit' || lists.table.ruleCount < MIN_RULES) return false;
  // V8 makes `gc` available to contexts created after the flag is set; Node's own stays unchanged.
  if (collect === undefined) {
    v8.setFlagsFromString('--expose-gc');
    collect = vm.runInNewContext('gc') as () => void;
  }
  collect();
  return true;
}
