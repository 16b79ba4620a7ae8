import { runningHashText } from './name-hash.js';
import type { RuleScope } from './rule.js';

/**
 * Names of shared infrastructure (cloud base domains, CDNs, connectivity checks, NTP) that no
 * suffix rule may cover: blocking `amazonaws.com` to stop one camera would break every device
 * that talks to AWS. Vendor hosts on such infrastructure must be listed by exact name.
 */
export class NeverBlockGuard {
  /** never-block name -> where it was listed (file:line). */
  private readonly names = new Map<string, string>();
  /** Every proper parent of a never-block name -> one never-block name below it. */
  private readonly parents = new Map<string, string>();
  private readonly overrides: ReadonlySet<string>;
  /** Hashes of never-block names and of their parents: let a million-name list skip the exact check. */
  private readonly nameHashes = new Set<number>();
  private readonly parentHashes = new Set<number>();
  /** One bit per low 16 hash bits of any never-block name or parent: most names are ruled out by one byte read. */
  private readonly filter = new Uint8Array(8192);

  constructor(overrides: readonly string[]) {
    this.overrides = new Set(overrides);
  }

  add(name: string, origin: string): void {
    this.names.set(name, origin);
    this.remember(this.nameHashes, runningHashText(name, 0, name.length));
    let dot = name.indexOf('.');
    while (dot !== -1) {
      const parent = name.slice(dot + 1);
      this.remember(this.parentHashes, runningHashText(parent, 0, parent.length));
      if (!this.parents.has(parent)) this.parents.set(parent, name);
      dot = name.indexOf('.', dot + 1);
    }
  }

  /** Hashes are the raw running FNV (no finaliser): `mayConflict` then needs no extra step per label. */
  private remember(set: Set<number>, hash: number): void {
    set.add(hash);
    this.filter[(hash & 0xffff) >> 3]! |= 1 << (hash & 7);
  }

  private maybe(hash: number): boolean {
    return (this.filter[(hash & 0xffff) >> 3]! & (1 << (hash & 7))) !== 0;
  }

  get size(): number { return this.names.size; }

  /** False when there is nothing to guard (no never-block names): the builder then skips the checks. */
  get active(): boolean { return this.nameHashes.size > 0; }

  /*
   * The table builder asks these during its own right-to-left hash pass over each name (a
   * separate pass here would read every name of a big list once more). True means "look closer": then
   * `findNeverBlockViolations` decides on the name as text (hash collisions only cost that check).
   */

  /** A proper suffix of the name (from a label start), by its running hash: is it a never-block name? */
  suffix(hash: number): boolean {
    return this.maybe(hash) && this.nameHashes.has(hash);
  }

  /** The whole name, by its running hash: is it a never-block name, or a parent of one? */
  whole(hash: number): boolean {
    return this.maybe(hash) && (this.nameHashes.has(hash) || this.parentHashes.has(hash));
  }

  isOverridden(name: string): boolean { return this.overrides.has(name); }
  origin(name: string): string | undefined { return this.names.get(name); }
  parentOf(name: string): string | undefined { return this.parents.get(name); }
}

/**
 * Why a block rule would sinkhole shared infrastructure, or undefined when it is safe.
 * An exact rule only conflicts with the same name; a suffix rule conflicts when it covers a
 * never-block name or sits inside one (which would block a shared zone's hosts wholesale).
 */
export function findNeverBlockViolations(guard: NeverBlockGuard, name: string, scope: RuleScope): string | undefined {
  if (guard.isOverridden(name)) return undefined;
  const fix = 'list the vendor host by exact name (=host) or name it in lists.neverBlockOverride';
  const same = guard.origin(name);
  if (same !== undefined) return `"${name}" is on the never-block list (${same}); ${fix}`;
  if (scope === 'exact') return undefined;
  const below = guard.parentOf(name);
  if (below !== undefined) return `"${name}" would sinkhole never-block name "${below}" (${guard.origin(below)}); ${fix}`;
  let dot = name.indexOf('.');
  while (dot !== -1) {
    const parent = name.slice(dot + 1);
    const origin = guard.origin(parent);
    if (origin !== undefined) return `"${name}" is a suffix rule inside shared zone "${parent}" (${origin}); ${fix}`;
    dot = name.indexOf('.', dot + 1);
  }
  return undefined;
}
