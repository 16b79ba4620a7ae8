import { ACTION_CODES, DomainTable, LOAD_FACTOR, MAX_RULES_PER_NAME, SCOPE_CODES } from './domain-table.js';
import { FNV_OFFSET, FNV_PRIME, finishHash, runningHashText, tagOf } from './name-hash.js';
import { NAME_SUFFIXES } from './name-suffixes.js';
import type { RuleAction, RuleScope } from './rule.js';

type Growable = Uint8Array | Uint32Array | Int32Array;

/** A name's bytes without the root (RFC 1035 allows 253 in text form; 255 bounds every wire name). */
const MAX_NAME_BYTES = 255;

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

/**
 * Running (unfinished) right-to-left FNV of each suffix, with its leading dot -> suffix code, in
 * a small open-addressing table: looked up at every dot of every name, where a Map cost ~10%
 * of a big list's load.
 */
const SUFFIX_SLOTS = 1024;
const suffixSlotHash = new Int32Array(SUFFIX_SLOTS);
const suffixSlotCode = new Uint8Array(SUFFIX_SLOTS);
NAME_SUFFIXES.forEach((suffix, code) => {
  if (code === 0) return;
  const hash = runningHashText(suffix, 0, suffix.length);
  let slot = hash & (SUFFIX_SLOTS - 1);
  while (suffixSlotCode[slot] !== 0) slot = (slot + 1) & (SUFFIX_SLOTS - 1);
  suffixSlotHash[slot] = hash | 0;
  suffixSlotCode[slot] = code;
});

/** The code of the suffix bytes[at, end) (it starts with a dot) whose running hash is `hash`, or 0. */
function suffixCodeAt(bytes: Uint8Array, at: number, end: number, hash: number): number {
  for (let slot = hash & (SUFFIX_SLOTS - 1); suffixSlotCode[slot] !== 0; slot = (slot + 1) & (SUFFIX_SLOTS - 1)) {
    if (suffixSlotHash[slot] !== (hash | 0)) continue;
    // Check the bytes: a hash hit is only a hint.
    const code = suffixSlotCode[slot]!;
    const suffix = NAME_SUFFIXES[code]!;
    if (suffix.length !== end - at) return 0;
    for (let j = 0; j < suffix.length; j++) if (bytes[at + j] !== suffix.charCodeAt(j)) return 0;
    return code;
  }
  return 0;
}

/**
 * Checks made during the builder's right-to-left hash pass over a name, by the running
 * (unfinished) FNV hash (name-hash.ts): true asks the caller to look at the name more closely,
 * and the name is not added. The never-block guard is one.
 */
export interface NameCheck {
  /** A proper suffix, from a label start (no leading dot). */
  suffix(runningHash: number): boolean;
  /** The whole name. */
  whole(runningHash: number): boolean;
}

/**
 * Collects rules one at a time, in typed arrays only (no object per rule or name, so loading a
 * million names leaves no garbage on the JS heap), then lays the table out once.
 * Adding only appends (name bytes, hash, rule): repeats are merged in `finish`, while each name
 * is placed in the final table, so a big list pays for one random-access pass instead of two
 * (a separate dedupe table of 16 MB for a million names cost ~200 ms of cache misses).
 * Names must be lower-case ASCII without a trailing dot; the list parser guarantees that.
 */
export class DomainTableBuilder {
  private names = new Uint8Array(1 << 16);
  private namesLength = 0;
  /** Per entry (one added rule): start of its name in `names` (one extra entry marks the last end). */
  private entryStart = new Uint32Array(1 << 10);
  private entryHash = new Uint32Array(1 << 10);
  private entryHeader = new Uint32Array(1 << 10);
  private entryLine = new Uint32Array(1 << 10);
  /** Per entry: the code of its longest suffix in NAME_SUFFIXES (0: none). */
  private entrySuffix = new Uint8Array(1 << 10);
  private entryCount = 0;
  /** As long as the longest name `addBytes` takes; a longer text name is refused there. */
  private readonly scratch = new Uint8Array(MAX_NAME_BYTES);

  /** Adds a rule for a name given as text. */
  add(name: string, action: RuleAction, scope: RuleScope, list: number, line: number): void {
    for (let i = 0; i < Math.min(name.length, MAX_NAME_BYTES); i++) {
      const code = name.charCodeAt(i);
      if (code >= 0x80) throw new RangeError(`domain table: name is not ASCII: ${JSON.stringify(name)}`);
      this.scratch[i] = code;
    }
    this.addBytes(this.scratch, 0, name.length, action, scope, list, line);
  }

  /**
   * Adds a rule for the name in bytes[start, end) (lower-case ASCII). A repeat of a rule already
   * added is dropped in `finish`. With a `check` that flags the name, nothing is added and the
   * result is false.
   */
  addBytes(bytes: Uint8Array, start: number, end: number, action: RuleAction, scope: RuleScope, list: number, line: number, check?: NameCheck): boolean {
    if (!Number.isInteger(list) || list < 0 || list > 0xffff) throw new RangeError(`domain table: list index ${list} out of range`);
    const length = end - start;
    if (length <= 0 || length > MAX_NAME_BYTES) throw new RangeError(`domain table: bad name length ${length}`);
    const e = this.entryCount;
    if (e + 2 > this.entryStart.length) this.growEntries(e + 2);
    const nameStart = this.namesLength;
    if (nameStart + length > this.names.length) this.names = grow(this.names, nameStart + length);
    const names = this.names;
    const shift = nameStart - start;
    // One right-to-left pass copies the name and finds its hash (as name-hash.ts's hashBytes),
    // its longest coded suffix, and what the check says of each label start.
    let running = FNV_OFFSET;
    let code = 0;
    for (let i = end - 1; i >= start; i--) {
      const byte = bytes[i]! & 0x7f;
      names[shift + i] = byte;
      if (byte !== 0x2e) {
        running = Math.imul(running ^ byte, FNV_PRIME);
        continue;
      }
      // Here `running` is the hash of the suffix after this dot, which starts a label.
      if (check !== undefined && check.suffix(running)) return false;
      running = Math.imul(running ^ byte, FNV_PRIME);
      if (i > start) {
        const found = suffixCodeAt(bytes, i, end, running);
        if (found !== 0) code = found;
      }
    }
    if (check !== undefined && check.whole(running)) return false;
    this.entryCount = e + 1;
    this.entryStart[e] = nameStart;
    this.namesLength = nameStart + length;
    this.entryStart[e + 1] = this.namesLength;
    this.entryHash[e] = finishHash(running);
    this.entrySuffix[e] = code;
    this.entryHeader[e] = list * 32 + SCOPE_CODES[scope] * 8 + ACTION_CODES[action] * 2;
    this.entryLine[e] = line;
    return true;
  }

  /** Rules added so far (repeats included). */
  get rules(): number { return this.entryCount; }

  /** Sizes the arrays for about `names` rules of `averageLength` bytes, so big lists load without regrowing. */
  reserve(names: number, averageLength = 24): void {
    this.growEntries(names + 2);
    this.names = grow(this.names, this.namesLength + names * averageLength);
  }

  private growEntries(needed: number): void {
    this.entryStart = grow(this.entryStart, needed);
    this.entryHash = grow(this.entryHash, needed);
    this.entryHeader = grow(this.entryHeader, needed);
    this.entryLine = grow(this.entryLine, needed);
    this.entrySuffix = grow(this.entrySuffix, needed);
  }

  private sameName(a: number, b: number): boolean {
    const names = this.names;
    const aStart = this.entryStart[a]!;
    const bStart = this.entryStart[b]!;
    const length = this.entryStart[a + 1]! - aStart;
    if (this.entryStart[b + 1]! - bStart !== length) return false;
    for (let k = 0; k < length; k++) if (names[aStart + k] !== names[bStart + k]) return false;
    return true;
  }

  /** Lays out the final table. The builder must not be used afterwards. */
  finish(): DomainTable {
    const count = this.entryCount;
    const { entryHash, entryHeader, entryLine, entryStart, entrySuffix, names } = this;
    // Sized for every entry: repeats are rare, and the load factor then stays at most LOAD_FACTOR.
    const capacity = Math.max(8, Math.ceil(count / LOAD_FACTOR) + 1);
    const scale = capacity / 4294967296;
    const tags = new Uint8Array(capacity);
    /** Per slot: during pass 1 the first entry holding the slot's name, then its record offset. */
    const offsets = new Uint32Array(capacity);
    /** Per entry: the next entry with the same name (its next rule), or -1. */
    const nextRule = new Int32Array(count).fill(-1);
    /** Per first entry of a name: its slot (-1 for later entries) and the last entry of its chain. */
    const entrySlot = new Int32Array(count).fill(-1);
    const lastRule = new Int32Array(count);
    let nameCount = 0;
    let ruleCount = 0;
    let size = 0;

    // Pass 1, in input order: place each new name, or append the rule to the name already placed.
    for (let e = 0; e < count; e++) {
      const hash = entryHash[e]!;
      const tag = tagOf(hash);
      let slot = Math.floor(hash * scale);
      for (;;) {
        const stored = tags[slot]!;
        if (stored === 0) {
          tags[slot] = tag;
          offsets[slot] = e;
          entrySlot[e] = slot;
          lastRule[e] = e;
          const code = entrySuffix[e]!;
          size += entryStart[e + 1]! - entryStart[e]! + 1 - NAME_SUFFIXES[code]!.length + varintLength(entryHeader[e]! + 1) + varintLength(entryLine[e]!);
          nameCount++;
          ruleCount++;
          break;
        }
        if (stored === tag) {
          const first = offsets[slot]!;
          if (this.sameName(first, e)) {
            let repeat = false;
            // Same name, list and kind: the first line stands.
            for (let r = first; r !== -1 && !repeat; r = nextRule[r]!) repeat = entryHeader[r] === entryHeader[e];
            if (!repeat) {
              nextRule[lastRule[first]!] = e;
              lastRule[first] = e;
              size += varintLength(entryHeader[e]! + 1) + varintLength(entryLine[e]!);
              ruleCount++;
            }
            break;
          }
        }
        slot = slot + 1 === capacity ? 0 : slot + 1;
      }
    }

    // Pass 2, in input order again (the entry arrays are read front to back): write the records.
    const records = new Uint8Array(Math.max(1, size));
    let offset = 0;
    for (let first = 0; first < count; first++) {
      const slot = entrySlot[first]!;
      if (slot === -1) continue;
      offsets[slot] = offset;
      const code = entrySuffix[first]!;
      const stored = entryStart[first + 1]! - NAME_SUFFIXES[code]!.length;
      for (let k = entryStart[first]!; k < stored; k++) records[offset++] = names[k]!;
      records[offset++] = 0x80 | code;
      let chain = 0;
      for (let r = first; r !== -1; r = nextRule[r]!) {
        if (++chain > MAX_RULES_PER_NAME) throw new RangeError(`domain table: more than ${MAX_RULES_PER_NAME} rules for one name`);
        offset = writeVarint(records, offset, entryHeader[r]! + (nextRule[r] === -1 ? 0 : 1));
        offset = writeVarint(records, offset, entryLine[r]!);
      }
    }
    return new DomainTable({ records, tags, offsets, nameCount, ruleCount });
  }
}
