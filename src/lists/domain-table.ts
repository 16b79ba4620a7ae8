import { dotSeparates } from '../wire/name-text.js';
import type { RuleAction, RuleScope } from './rule.js';
import { FNV_OFFSET, FNV_PRIME, finishHash, hashText, tagOf } from './name-hash.js';
import { NAME_SUFFIXES } from './name-suffixes.js';
// A safe cycle: each module uses the other only inside functions, never while loading.


/**
 * A compact, immutable set of domain rules held in three typed arrays and no JS objects, so a
 * million names cost about 30 bytes each (a `Set<string>` costs ~150), lookups allocate
 * nothing, and the arrays can be written to and read from a cache file as they are.
 *
 * `records`: per name, its bytes up to a common suffix such as `.com` (name-suffixes.ts), then
 * one terminator byte `0x80 | suffix code` (names are ASCII, so bit 7 marks it and no length
 * byte is needed), then its rules, each a varint header
 * `list << 5 | scope << 3 | action << 1 | more` and a varint line number.
 * `tags` / `offsets`: an open-addressing table (linear probing, load <= 0.8) of record offsets.
 * A one-byte tag from the hash sits beside each slot, so a probe reads a record only when its
 * tag matches: a miss costs a few contiguous byte reads.
 *
 * Suffix matching costs one right-to-left pass (see name-hash.ts) plus one probe per label.
 * A rule's index is `recordOffset * 65536 + ordinal`: a stable number that finds the rule.
 */

export const ACTION_CODES: Record<RuleAction, number> = { block: 0, allow: 1, redirect: 2 };
const ACTIONS: readonly RuleAction[] = ['block', 'allow', 'redirect'];
export const SCOPE_CODES: Record<RuleScope, number> = { subtree: 0, below: 1, exact: 2 };
const SCOPES: readonly RuleScope[] = ['subtree', 'below', 'exact'];
/** Rules one name may carry (duplicates are merged, so this is lists x kinds in practice). */
export const MAX_RULES_PER_NAME = 65_535;
const RULE_INDEX_BASE = 65_536;
export const LOAD_FACTOR = 0.8;

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

/** A rule's fields but its name, for `readRule`. */
export interface RuleFields {
  list: number;
  scope: RuleScope;
  action: RuleAction;
  line: number;
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
  /** Index in the name's text where the matched block rule's name starts (the SOA owner). */
  blockSuffix: number;
}

/** The arrays a table is made of: what the builder produces and the list cache stores. */
export interface DomainTableParts {
  readonly records: Uint8Array;
  readonly tags: Uint8Array;
  readonly offsets: Uint32Array;
  readonly nameCount: number;
  readonly ruleCount: number;
}

export class DomainTable {
  private readonly records: Uint8Array;
  private readonly tags: Uint8Array;
  private readonly offsets: Uint32Array;
  private readonly capacity: number;
  /** Maps a 32-bit hash to a slot by its high bits: floor(hash * capacity / 2^32). */
  private readonly scale: number;
  readonly nameCount: number;
  readonly ruleCount: number;
  /** Set by `find`: where the found record's rules start. Read at once (lookups are synchronous). */
  private rulesAt = 0;
  /** `rule` decodes a name here (a rule name is at most 255 bytes). */
  private readonly nameScratch = new Uint8Array(256);

  constructor(parts: DomainTableParts) {
    if (parts.tags.length !== parts.offsets.length || parts.tags.length === 0) throw new RangeError('domain table: tags and offsets must have the same non-zero length');
    this.records = parts.records;
    this.tags = parts.tags;
    this.offsets = parts.offsets;
    this.capacity = parts.tags.length;
    this.scale = this.capacity / 4294967296;
    this.nameCount = parts.nameCount;
    this.ruleCount = parts.ruleCount;
  }


  /** The arrays behind the table, for the list cache. */
  get parts(): DomainTableParts {
    return { records: this.records, tags: this.tags, offsets: this.offsets, nameCount: this.nameCount, ruleCount: this.ruleCount };
  }

  /**
   * Finds the rules deciding `name` (presentation text as the wire decoder makes it: lower-case,
   * no trailing dot, a dot inside a label escaped as `\.`) under `filter`. Walks suffixes from
   * the top label to the full name; the most specific block rule wins the report, any allow rule
   * counts. Writes into `out` and returns it.
   *
   * Only unescaped dots end a suffix, so `x\.blocked.example` (labels `x.blocked`, `example`)
   * is never matched as `blocked.example`. A label holding an escape can never equal a rule's
   * label (rules are letters, digits, `-` and `_`), so such a name matches only rules for the
   * suffixes above that label. The common name, with no backslash, pays one compare per dot.
   */
  match(name: string, filter: MatchFilter, out: NameMatch): NameMatch {
    out.allow = -1; out.block = -1; out.redirect = -1; out.blockSuffix = -1;
    const length = name.length;
    let hash = FNV_OFFSET;
    // Right to left: at each label start the running hash is the hash of that suffix.
    // Suffixes are met shortest first; later (longer) matches overwrite, so the most specific wins.
    for (let i = length - 1; i >= 0; i--) {
      hash = Math.imul(hash ^ name.charCodeAt(i), FNV_PRIME);
      if (i === 0 || (name.charCodeAt(i - 1) === 0x2e && (i < 2 || name.charCodeAt(i - 2) !== 0x5c || dotSeparates(name, i - 1)))) {
        const record = this.find(name, i, length, finishHash(hash));
        if (record >= 0) this.applyRules(record, this.rulesAt, i === 0, i, filter, out);
      }
    }
    return out;
  }

  private applyRules(record: number, rulesAt: number, isWholeName: boolean, suffix: number, filter: MatchFilter, out: NameMatch): void {
    const records = this.records;
    let offset = rulesAt;
    for (let ordinal = 0; ; ordinal++) {
      // Header varint: 1 byte for lists 0-3, 2 bytes up to list 511.
      let header = records[offset++]!;
      if (header >= 0x80) {
        header &= 0x7f;
        for (let shift = 7; ; shift += 7) {
          const byte = records[offset++]!;
          header |= (byte & 0x7f) << shift;
          if (byte < 0x80) break;
        }
      }
      while (records[offset++]! >= 0x80) { /* skip the line varint */ }
      const action = (header >> 1) & 3;
      const scope = (header >> 3) & 3;
      const applies = !(scope === 1 && isWholeName) && !(scope === 2 && !isWholeName);
      if (applies) {
        const index = record * RULE_INDEX_BASE + ordinal;
        if (action === 2) {
          if (filter.redirects) out.redirect = index;
        } else if (filter.lists[header >>> 5] === 1) {
          if (action === 1) out.allow = index;
          else { out.block = index; out.blockSuffix = suffix; }
        }
      }
      if ((header & 1) === 0) return;
    }
  }

  /** Offset of the record for name[from, to) (its rules start at `rulesAt`), or -1. */
  private find(name: string, from: number, to: number, hash: number): number {
    const tags = this.tags;
    const capacity = this.capacity;
    const tag = tagOf(hash);
    let slot = Math.floor(hash * this.scale);
    for (let probes = 0; probes < capacity; probes++) {
      const stored = tags[slot]!;
      if (stored === 0) return -1;
      if (stored === tag) {
        const record = this.offsets[slot]!;
        const rulesAt = this.sameName(record, name, from, to);
        if (rulesAt >= 0) { this.rulesAt = rulesAt; return record; }
      }
      slot = slot + 1 === capacity ? 0 : slot + 1;
    }
    return -1;
  }

  /** When the record holds name[from, to): the offset just past its terminator (its rules). Else -1. */
  private sameName(record: number, name: string, from: number, to: number): number {
    const records = this.records;
    let at = from;
    for (let k = record; ; k++) {
      const byte = records[k]!;
      if (byte >= 0x80) {
        // The terminator: what is left of the query must be exactly the coded suffix.
        const suffix = NAME_SUFFIXES[byte & 0x7f];
        if (suffix === undefined || to - at !== suffix.length) return -1;
        for (let j = 0; j < suffix.length; j++) if (name.charCodeAt(at + j) !== suffix.charCodeAt(j)) return -1;
        return k + 1;
      }
      // Stored bytes are ASCII, so a query byte >= 0x80 never matches.
      if (at >= to || name.charCodeAt(at) !== byte) return -1;
      at++;
    }
  }

  /** The rule at `index`, for reports and logs (off the hot path). */
  rule(index: number): RuleView {
    const fields = this.readRule(index, { list: 0, scope: 'subtree', action: 'block', line: 0 });
    const end = this.copyRuleName(index, this.nameScratch, 0);
    let name = '';
    for (let k = 0; k < end; k++) name += String.fromCharCode(this.nameScratch[k]!);
    return { name, ...fields };
  }

  /**
   * The rule at `index` without its name, into `out` (reused: read it at once): for writers that
   * copy the name with `copyRuleName` instead of making a string (the sinkhole log).
   */
  readRule(index: number, out: RuleFields): RuleFields {
    const records = this.records;
    let offset = Math.floor(index / RULE_INDEX_BASE);
    while (records[offset]! < 0x80) offset++;
    offset++;
    const ordinal = index % RULE_INDEX_BASE;
    for (let current = 0; ; current++) {
      const header = readVarint(records, offset);
      const line = readVarint(records, header.next);
      offset = line.next;
      if (current === ordinal) {
        out.list = Math.floor(header.value / 32);
        out.scope = SCOPES[(header.value >> 3) & 3]!;
        out.action = ACTIONS[(header.value >> 1) & 3]!;
        out.line = line.value;
        return out;
      }
      if ((header.value & 1) === 0) throw new RangeError(`no rule ${index} in the domain table`);
    }
  }

  /** Writes the rule's name (lower-case ASCII, at most 255 bytes) into `target` at `at`; returns the offset after it. */
  copyRuleName(index: number, target: Uint8Array, at: number): number {
    const records = this.records;
    let offset = Math.floor(index / RULE_INDEX_BASE);
    for (let byte = records[offset]!; byte < 0x80; byte = records[++offset]!) target[at++] = byte;
    const suffix = NAME_SUFFIXES[records[offset]! & 0x7f] ?? '';
    for (let k = 0; k < suffix.length; k++) target[at++] = suffix.charCodeAt(k);
    return at;
  }

  /** Every rule index for an exact name, in input order (tests and `lists test`). */
  rulesFor(name: string): number[] {
    const result: number[] = [];
    if (name === '') return result;
    const record = this.find(name, 0, name.length, hashText(name, 0, name.length));
    if (record < 0) return result;
    let offset = this.rulesAt;
    for (let ordinal = 0; ; ordinal++) {
      const header = readVarint(this.records, offset);
      offset = readVarint(this.records, header.next).next;
      result.push(record * RULE_INDEX_BASE + ordinal);
      if ((header.value & 1) === 0) return result;
    }
  }

  /** Bytes held by the typed arrays: what the table costs in memory. */
  get byteSize(): number {
    return this.records.byteLength + this.tags.byteLength + this.offsets.byteLength;
  }
}

export function readVarint(bytes: Uint8Array, offset: number): { value: number; next: number } {
  let value = 0;
  let multiplier = 1;
  for (;;) {
    const byte = bytes[offset++];
    if (byte === undefined) throw new RangeError('varint runs past the end of the domain table');
    value += (byte & 0x7f) * multiplier;
    if (byte < 0x80) return { value, next: offset };
    multiplier *= 128;
  }
}

export function emptyMatch(): NameMatch {
  return { allow: -1, block: -1, redirect: -1, blockSuffix: -1 };
}
