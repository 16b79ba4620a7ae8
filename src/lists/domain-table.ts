import type { RuleAction, RuleScope } from './rule.js';

/**
 * A compact, immutable set of domain rules stored off the JS heap's object graph:
 * names live in one latin1 byte array, rules in typed arrays, and an open-addressing hash
 * table maps a name to its first rule. A million names cost tens of bytes each instead of
 * the ~150 B a `Set<string>` costs, and lookups allocate nothing.
 *
 * Hashes are FNV-1a taken right to left, so one pass over a query name yields the hash of
 * every suffix (`a.b.c`, `b.c`, `c`) on the way: subdomain matching costs one pass plus one
 * probe per label.
 */

const ACTION_CODES: Record<RuleAction, number> = { block: 0, allow: 1, redirect: 2 };
const ACTIONS: readonly RuleAction[] = ['block', 'allow', 'redirect'];
const SCOPE_CODES: Record<RuleScope, number> = { subtree: 0, below: 1, exact: 2 };
const SCOPES: readonly RuleScope[] = ['subtree', 'below', 'exact'];

export interface RuleInput {
  readonly name: string;
  readonly action: RuleAction;
  readonly scope: RuleScope;
  readonly list: number;
  readonly line: number;
}

export interface RuleView {
  readonly name: string;
  readonly action: RuleAction;
  readonly scope: RuleScope;
  readonly list: number;
  readonly line: number;
}

/** Which rules apply to a query: lists enabled for the client's group, and whether redirects are on. */
export interface MatchFilter {
  /** Indexed by list number: 1 when the group uses the list. */
  readonly lists: Uint8Array;
  readonly redirects: boolean;
}

/** The rules that decide a name, as rule indexes (-1: none). Reused across calls: read it at once. */
export interface NameMatch {
  allow: number;
  block: number;
  redirect: number;
  /** Index in the dotted name where the matched block rule's name starts (the SOA owner). */
  blockSuffix: number;
}

function fnvRightToLeft(text: string, from: number, to: number, seed: number): number {
  let hash = seed;
  for (let i = to - 1; i >= from; i--) hash = Math.imul(hash ^ text.charCodeAt(i), 16777619);
  return hash >>> 0;
}
const FNV_OFFSET = 0x811c9dc5;

export class DomainTable {
  private readonly bytes: Buffer;
  private readonly nameStart: Uint32Array;
  private readonly nameLength: Uint8Array;
  private readonly nameHash: Uint32Array;
  private readonly firstRule: Int32Array;
  private readonly slots: Int32Array;
  private readonly mask: number;
  private readonly ruleList: Uint16Array;
  private readonly ruleLine: Uint32Array;
  /** action in bits 0-1, scope in bits 2-3. */
  private readonly ruleKind: Uint8Array;
  private readonly ruleNext: Int32Array;
  private readonly ruleName: Int32Array;
  readonly nameCount: number;
  readonly ruleCount: number;

  private constructor(parts: {
    bytes: Buffer; nameStart: Uint32Array; nameLength: Uint8Array; nameHash: Uint32Array; firstRule: Int32Array;
    slots: Int32Array; ruleList: Uint16Array; ruleLine: Uint32Array; ruleKind: Uint8Array; ruleNext: Int32Array; ruleName: Int32Array;
  }) {
    this.bytes = parts.bytes;
    this.nameStart = parts.nameStart;
    this.nameLength = parts.nameLength;
    this.nameHash = parts.nameHash;
    this.firstRule = parts.firstRule;
    this.slots = parts.slots;
    this.mask = parts.slots.length - 1;
    this.ruleList = parts.ruleList;
    this.ruleLine = parts.ruleLine;
    this.ruleKind = parts.ruleKind;
    this.ruleNext = parts.ruleNext;
    this.ruleName = parts.ruleName;
    this.nameCount = parts.nameStart.length;
    this.ruleCount = parts.ruleList.length;
  }

  /** Builds a table from rules. Rules for the same name are chained in input order. */
  static build(rules: readonly RuleInput[]): DomainTable {
    const nameIndex = new Map<string, number>();
    const names: string[] = [];
    const ruleCount = rules.length;
    const ruleList = new Uint16Array(ruleCount);
    const ruleLine = new Uint32Array(ruleCount);
    const ruleKind = new Uint8Array(ruleCount);
    const ruleNext = new Int32Array(ruleCount).fill(-1);
    const ruleName = new Int32Array(ruleCount);
    const lastRule: number[] = [];
    const firstRuleList: number[] = [];
    let totalBytes = 0;
    for (let r = 0; r < ruleCount; r++) {
      const rule = rules[r]!;
      let index = nameIndex.get(rule.name);
      if (index === undefined) {
        index = names.length;
        nameIndex.set(rule.name, index);
        names.push(rule.name);
        firstRuleList.push(r);
        lastRule.push(r);
        totalBytes += rule.name.length;
      } else {
        ruleNext[lastRule[index]!] = r;
        lastRule[index] = r;
      }
      ruleList[r] = rule.list;
      ruleLine[r] = rule.line;
      ruleKind[r] = ACTION_CODES[rule.action] | (SCOPE_CODES[rule.scope] << 2);
      ruleName[r] = index;
    }
    const count = names.length;
    const bytes = Buffer.allocUnsafe(Math.max(1, totalBytes));
    const nameStart = new Uint32Array(count);
    const nameLength = new Uint8Array(count);
    const nameHash = new Uint32Array(count);
    let capacity = 16;
    while (capacity < count * 2) capacity *= 2;
    const slots = new Int32Array(capacity);
    const mask = capacity - 1;
    let offset = 0;
    for (let i = 0; i < count; i++) {
      const name = names[i]!;
      nameStart[i] = offset;
      nameLength[i] = name.length;
      offset += bytes.write(name, offset, 'latin1');
      const hash = fnvRightToLeft(name, 0, name.length, FNV_OFFSET);
      nameHash[i] = hash;
      let slot = hash & mask;
      while (slots[slot] !== 0) slot = (slot + 1) & mask;
      slots[slot] = i + 1;
    }
    return new DomainTable({
      bytes, nameStart, nameLength, nameHash, firstRule: Int32Array.from(firstRuleList), slots,
      ruleList, ruleLine, ruleKind, ruleNext, ruleName,
    });
  }

  /**
   * Finds the rules deciding `name` (lower-case dotted, no trailing dot) under `filter`.
   * Walks suffixes from the full name to the top label; the most specific block rule wins the
   * report, any allow rule counts. Writes into `out` and returns it.
   */
  match(name: string, filter: MatchFilter, out: NameMatch): NameMatch {
    out.allow = -1; out.block = -1; out.redirect = -1; out.blockSuffix = -1;
    const length = name.length;
    let hash = FNV_OFFSET;
    // Right to left: at each label start the running hash is the hash of that suffix.
    // Suffixes are met shortest first; later (longer) matches overwrite, so the most specific wins.
    for (let i = length - 1; i >= 0; i--) {
      hash = Math.imul(hash ^ name.charCodeAt(i), 16777619);
      if (i === 0 || name.charCodeAt(i - 1) === 0x2e) {
        const entry = this.find(name, i, length, hash >>> 0);
        if (entry >= 0) this.applyRules(entry, i === 0, i, filter, out);
      }
    }
    return out;
  }

  private applyRules(entry: number, isWholeName: boolean, suffix: number, filter: MatchFilter, out: NameMatch): void {
    for (let r = this.firstRule[entry]!; r !== -1; r = this.ruleNext[r]!) {
      const kind = this.ruleKind[r]!;
      const scope = kind >> 2;
      if (scope === 1 && isWholeName) continue; // `*.name` does not cover name itself
      if (scope === 2 && !isWholeName) continue; // `=name` covers nothing below it
      const action = kind & 3;
      if (action === 2) {
        if (filter.redirects) out.redirect = r;
        continue;
      }
      if (filter.lists[this.ruleList[r]!] !== 1) continue;
      if (action === 1) out.allow = r;
      else { out.block = r; out.blockSuffix = suffix; }
    }
  }

  private find(name: string, from: number, to: number, hash: number): number {
    const length = to - from;
    const mask = this.mask;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const stored = this.slots[slot]!;
      if (stored === 0) return -1;
      const entry = stored - 1;
      if (this.nameHash[entry] !== hash || this.nameLength[entry] !== length) continue;
      const base = this.nameStart[entry]!;
      let equal = true;
      for (let k = 0; k < length; k++) {
        if (this.bytes[base + k] !== name.charCodeAt(from + k)) { equal = false; break; }
      }
      if (equal) return entry;
    }
  }

  /** The rule at `index`, for reports and logs (off the hot path). */
  rule(index: number): RuleView {
    const entry = this.ruleName[index]!;
    const start = this.nameStart[entry]!;
    const kind = this.ruleKind[index]!;
    return {
      name: this.bytes.toString('latin1', start, start + this.nameLength[entry]!),
      action: ACTIONS[kind & 3]!,
      scope: SCOPES[kind >> 2]!,
      list: this.ruleList[index]!,
      line: this.ruleLine[index]!,
    };
  }

  /** Every rule index for an exact name, in input order (tests and `lists test`). */
  rulesFor(name: string): number[] {
    const entry = this.find(name, 0, name.length, fnvRightToLeft(name, 0, name.length, FNV_OFFSET));
    const result: number[] = [];
    if (entry < 0) return result;
    for (let r = this.firstRule[entry]!; r !== -1; r = this.ruleNext[r]!) result.push(r);
    return result;
  }

  /** Bytes held by the typed arrays: what the table costs in memory. */
  get byteSize(): number {
    return this.bytes.length + this.nameStart.byteLength + this.nameLength.byteLength + this.nameHash.byteLength
      + this.firstRule.byteLength + this.slots.byteLength + this.ruleList.byteLength + this.ruleLine.byteLength
      + this.ruleKind.byteLength + this.ruleNext.byteLength + this.ruleName.byteLength;
  }
}

export function emptyMatch(): NameMatch {
  return { allow: -1, block: -1, redirect: -1, blockSuffix: -1 };
}
