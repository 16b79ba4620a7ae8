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

  constructor(overrides: readonly string[]) {
    this.overrides = new Set(overrides);
  }

  add(name: string, origin: string): void {
    this.names.set(name, origin);
    let dot = name.indexOf('.');
    while (dot !== -1) {
      const parent = name.slice(dot + 1);
      if (!this.parents.has(parent)) this.parents.set(parent, name);
      dot = name.indexOf('.', dot + 1);
    }
  }

  get size(): number { return this.names.size; }
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
