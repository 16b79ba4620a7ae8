import { ACTION_CODES, DomainTable, LOAD_FACTOR, MAX_RULES_PER_NAME, SCOPE_CODES } from './domain-table.js';
import { FNV_OFFSET, FNV_PRIME, hashBytes, tagOf } from './name-hash.js';
import { NAME_SUFFIXES } from './name-suffixes.js';
import type { RuleAction, RuleScope } from './rule.js';

type Growable = Uint8Array | Uint32Array | Int32Array;

function grow<T extends Growable>(array: T, needed: number): T {
  if (needed <= array.length) return array;
  let length = array.length * 2;
  while (length < needed) length *= 2;
  const next = new (array.constructor as new (length: number) => T)(length);
  next.set(array);
  return next;
}

/** Varints of values below 2^32 (headers and line numbers always are). */
function varintLength(value: number): number {
  let length = 1;
  while (value >= 128) { value >>>= 7; length++; }
  return length;
}

function writeVarint(out: Uint8Array, offset: number, value: number): number {
  while (value >= 128) {
    out[offset++] = (value & 0x7f) | 0x80;
    value >>>= 7;
  }
  out[offset++] = value;
  return offset;
}

/** Running (unfinished) right-to-left FNV of each suffix, with its leading dot -> suffix code. */
const SUFFIX_CODES = new Map<number, number>();
NAME_SUFFIXES.forEach((suffix, code) => {
  if (code === 0) return;
  let hash = FNV_OFFSET;
  for (let i = suffix.length - 1; i >= 0; i--) hash = Math.imul(hash ^ suffix.charCodeAt(i), FNV_PRIME);
  SUFFIX_CODES.set(hash | 0, code);
});

/** The longest coded suffix of bytes[start, end) (code 0: none). */
function suffixCodeOf(bytes: Uint8Array, start: number, end: number): number {
  let hash = FNV_OFFSET;
  let best = 0;
  for (let i = end - 1; i > start; i--) {
    hash = Math.imul(hash ^ bytes[i]!, FNV_PRIME);
    if (bytes[i] !== 0x2e) continue;
    const code = SUFFIX_CODES.get(hash | 0);
    if (code === undefined) continue;
    // Check the bytes: a hash hit is only a hint.
    const suffix = NAME_SUFFIXES[code]!;
    let same = suffix.length === end - i;
    for (let j = 0; same && j < suffix.length; j++) same = bytes[i + j] === suffix.charCodeAt(j);
    if (same) best = code;
  }
  return best;
}

/**
 * Collects rules one at a time, in typed arrays only (no object per rule or name, so loading a
 * million names leaves no garbage on the JS heap), merges repeats, then lays the table out once.
 * Names must be lower-case ASCII without a trailing dot; the list parser guarantees that.
 */
export class DomainTableBuilder {
  private names = new Uint8Array(1 << 16);
  private namesLength = 0;
  /** Per name id: start in `names` (one extra entry at the end marks the last name's end). */
  private nameStart = new Uint32Array(1 << 10);
  private nameHash = new Uint32Array(1 << 10);
  private firstRule = new Int32Array(1 << 10);
  private lastRule = new Int32Array(1 << 10);
  private nameCount = 0;
  /** Dedupe table: pairs (name id + 1, hash) side by side so a probe touches one cache line; power-of-two pairs, at most half full. */
  private slots = new Int32Array(2 << 11);
  private ruleHeader = new Uint32Array(1 << 10);
  private ruleLine = new Uint32Array(1 << 10);
  private ruleNext = new Int32Array(1 << 10);
  private ruleCount = 0;
  private readonly scratch = new Uint8Array(256);

  /** Adds a rule for a name given as text. Returns false when it repeats a rule already added. */
  add(name: string, action: RuleAction, scope: RuleScope, list: number, line: number): boolean {
    if (name.length === 0 || name.length > this.scratch.length) throw new RangeError(`domain table: bad name length ${name.length}`);
    for (let i = 0; i < name.length; i++) {
      const code = name.charCodeAt(i);
      if (code >= 0x80) throw new RangeError(`domain table: name is not ASCII: ${JSON.stringify(name)}`);
      this.scratch[i] = code;
    }
    return this.addBytes(this.scratch, 0, name.length, action, scope, list, line);
  }

  /** Adds a rule for the name in bytes[start, end) (lower-case ASCII). Returns false for a repeat. */
  addBytes(bytes: Uint8Array, start: number, end: number, action: RuleAction, scope: RuleScope, list: number, line: number): boolean {
    if (!Number.isInteger(list) || list < 0 || list > 0xffff) throw new RangeError(`domain table: list index ${list} out of range`);
    const header = list * 32 + SCOPE_CODES[scope] * 8 + ACTION_CODES[action] * 2;
    const hash = hashBytes(bytes, start, end);
    const id = this.findOrAddName(bytes, start, end, hash);
    for (let r = this.firstRule[id]!; r !== -1; r = this.ruleNext[r]!) {
      if (this.ruleHeader[r] === header) return false; // same name, list and kind: the first line stands
    }
    const r = this.ruleCount++;
    if (r >= this.ruleHeader.length) {
      this.ruleHeader = grow(this.ruleHeader, r + 1);
      this.ruleLine = grow(this.ruleLine, r + 1);
      this.ruleNext = grow(this.ruleNext, r + 1);
    }
    this.ruleHeader[r] = header;
    this.ruleLine[r] = line;
    this.ruleNext[r] = -1;
    if (this.firstRule[id] === -1) this.firstRule[id] = r;
    else this.ruleNext[this.lastRule[id]!] = r;
    this.lastRule[id] = r;
    return true;
  }

  get rules(): number { return this.ruleCount; }

  /** Sizes the arrays for about `names` names of `averageLength` bytes, so big lists load without regrowing. */
  reserve(names: number, averageLength = 24): void {
    const needed = names + 2;
    this.nameStart = grow(this.nameStart, needed);
    this.nameHash = grow(this.nameHash, needed);
    this.firstRule = grow(this.firstRule, needed);
    this.lastRule = grow(this.lastRule, needed);
    this.ruleHeader = grow(this.ruleHeader, needed);
    this.ruleLine = grow(this.ruleLine, needed);
    this.ruleNext = grow(this.ruleNext, needed);
    this.names = grow(this.names, this.namesLength + names * averageLength);
    let pairs = this.slots.length >> 1;
    while (pairs < needed * 2) pairs *= 2;
    if (pairs > this.slots.length >> 1) this.rehash(pairs);
  }

  private findOrAddName(bytes: Uint8Array, start: number, end: number, hash: number): number {
    const length = end - start;
    const slots = this.slots;
    const mask = (slots.length >> 1) - 1;
    const signed = hash | 0;
    let slot = hash & mask;
    for (; ; slot = (slot + 1) & mask) {
      const stored = slots[slot * 2]!;
      if (stored === 0) break;
      if (slots[slot * 2 + 1] !== signed) continue;
      const id = stored - 1;
      const at = this.nameStart[id]!;
      if (this.nameStart[id + 1]! - at !== length) continue;
      let equal = true;
      for (let k = 0; k < length; k++) if (this.names[at + k] !== bytes[start + k]) { equal = false; break; }
      if (equal) return id;
    }
    const id = this.nameCount++;
    if (id + 2 > this.nameStart.length) {
      this.nameStart = grow(this.nameStart, id + 2);
      this.nameHash = grow(this.nameHash, id + 2);
      this.firstRule = grow(this.firstRule, id + 2);
      this.lastRule = grow(this.lastRule, id + 2);
    }
    this.names = grow(this.names, this.namesLength + length);
    const names = this.names;
    for (let k = 0, at = this.namesLength; k < length; k++) names[at + k] = bytes[start + k]!;
    this.nameStart[id] = this.namesLength;
    this.namesLength += length;
    this.nameStart[id + 1] = this.namesLength;
    this.nameHash[id] = hash;
    this.firstRule[id] = -1;
    slots[slot * 2] = id + 1;
    slots[slot * 2 + 1] = signed;
    if (this.nameCount * 4 > slots.length) this.rehash(slots.length);
    return id;
  }

  /** Grows the dedupe table to `pairs` slot pairs. */
  private rehash(pairs: number): void {
    const slots = new Int32Array(pairs * 2);
    const mask = pairs - 1;
    for (let id = 0; id < this.nameCount; id++) {
      const hash = this.nameHash[id]!;
      let slot = hash & mask;
      while (slots[slot * 2] !== 0) slot = (slot + 1) & mask;
      slots[slot * 2] = id + 1;
      slots[slot * 2 + 1] = hash | 0;
    }
    this.slots = slots;
  }

  /** Lays out the final table. The builder must not be used afterwards. */
  finish(): DomainTable {
    const count = this.nameCount;
    const suffixCodes = new Uint8Array(count);
    let size = this.namesLength + count;
    for (let id = 0; id < count; id++) {
      const code = suffixCodeOf(this.names, this.nameStart[id]!, this.nameStart[id + 1]!);
      suffixCodes[id] = code;
      size -= NAME_SUFFIXES[code]!.length;
    }
    for (let r = 0; r < this.ruleCount; r++) size += varintLength(this.ruleHeader[r]! + 1) + varintLength(this.ruleLine[r]!);
    const records = new Uint8Array(Math.max(1, size));
    const capacity = Math.max(8, Math.ceil(count / LOAD_FACTOR) + 1);
    const tags = new Uint8Array(capacity);
    const offsets = new Uint32Array(capacity);
    const scale = capacity / 4294967296;
    let offset = 0;
    for (let id = 0; id < count; id++) {
      const start = this.nameStart[id]!;
      const end = this.nameStart[id + 1]!;
      const record = offset;
      const names = this.names;
      const code = suffixCodes[id]!;
      const stored = end - NAME_SUFFIXES[code]!.length;
      for (let k = start; k < stored; k++) records[offset++] = names[k]!;
      records[offset++] = 0x80 | code;
      let ruleCount = 0;
      for (let r = this.firstRule[id]!; r !== -1; r = this.ruleNext[r]!) {
        if (++ruleCount > MAX_RULES_PER_NAME) throw new RangeError(`domain table: more than ${MAX_RULES_PER_NAME} rules for one name`);
        offset = writeVarint(records, offset, this.ruleHeader[r]! + (this.ruleNext[r] === -1 ? 0 : 1));
        offset = writeVarint(records, offset, this.ruleLine[r]!);
      }
      const hash = this.nameHash[id]!;
      let slot = Math.floor(hash * scale);
      while (tags[slot] !== 0) slot = slot + 1 === capacity ? 0 : slot + 1;
      tags[slot] = tagOf(hash);
      offsets[slot] = record;
    }
    return new DomainTable({ records, tags, offsets, nameCount: count, ruleCount: this.ruleCount });
  }
}
