import { ACTION_CODES, DomainTable, LOAD_FACTOR, MAX_RULES_PER_NAME, SCOPE_CODES, type RuleInput } from './domain-table.js';
import { FNV_OFFSET, FNV_PRIME, finishHash, runningHashText, tagOf } from './name-hash.js';
import { NAME_SUFFIXES } from './name-suffixes.js';
import type { RuleAction, RuleScope } from './rule.js';
import { bigInt32Array, bigUint32Array, bigUint8Array } from './big-array.js';

type Growable = Uint8Array | Uint32Array | Int32Array;

/** A name's bytes without the root (RFC 1035 allows 253 in text form; 255 bounds every wire name). */
const MAX_NAME_BYTES = 255;

function grow<T extends Growable>(array: T, needed: number): T {
  if (needed <= array.length) return array;
  let length = array.length * 2;
  while (length < needed) length *= 2;
  const next = (array instanceof Uint8Array ? bigUint8Array(length) : array instanceof Uint32Array ? bigUint32Array(length) : bigInt32Array(length)) as T;
  next.set(array);
  return next;
}

/** Writes a varint (of a value below 2^32: headers and line numbers always are); returns the offset after it. */
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
 * a small open-addressing table: looked up at every dot of every name, which a Map's hashing
 * and boxing would make a large share of a big list's load.
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

/** Bytes of the longest coded suffix (with its dot): dots further left need no probe. */
const LONGEST_SUFFIX = Math.max(...NAME_SUFFIXES.map((suffix) => suffix.length));

/** A rule's header word without its `more` bit (see domain-table.ts), checked once by `ruleHeader`. */
export type RuleHeader = number & { readonly ruleHeader: unique symbol };

export function ruleHeader(action: RuleAction, scope: RuleScope, list: number): RuleHeader {
  if (!Number.isInteger(list) || list < 0 || list > 0xffff) throw new RangeError(`domain table: list index ${list} out of range`);
  return (list * 32 + SCOPE_CODES[scope] * 8 + ACTION_CODES[action] * 2) as RuleHeader;
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
 * Each rule is appended already in its final record form (name up to its coded suffix,
 * terminator, header, line: see domain-table.ts), so when no name repeats, the records are
 * done when the last rule is added and `finish` only places names in the hash table: one
 * random-access pass. Repeats are found there too (a separate dedupe table, 16 MB for a
 * million names, would add a pass of cache misses) and, only when there are any, a second pass
 * merges each name's rules into one record, copying unchanged runs of records whole.
 * Names must be lower-case ASCII without a trailing dot; the list parser guarantees that.
 */
export class DomainTableBuilder {
  /** Rules in record form, each with `more` clear: a chain is made in `finish`. */
  private records = new Uint8Array(1 << 16);
  private recordsLength = 0;
  /** Per entry (one added rule): where its record starts (one extra entry marks the last end). */
  private entryStart = new Uint32Array(1 << 10);
  private entryHash = new Uint32Array(1 << 10);
  private entryHeader = new Uint32Array(1 << 10);
  private entryCount = 0;
  /** As long as the longest name `addRule` takes; a longer text name is refused there. */
  private readonly scratch = new Uint8Array(MAX_NAME_BYTES);

  /** Adds a rule for a name given as text (lower-case ASCII, no trailing dot). */
  add(name: string, action: RuleAction, scope: RuleScope, list: number, line: number): void {
    for (let i = 0; i < Math.min(name.length, MAX_NAME_BYTES); i++) {
      const code = name.charCodeAt(i);
      if (code >= 0x80) throw new RangeError(`domain table: name is not ASCII: ${JSON.stringify(name)}`);
      this.scratch[i] = code;
    }
    this.addRule(this.scratch, 0, name.length, ruleHeader(action, scope, list), line);
  }

  /**
   * Adds a rule for the name in bytes[start, end) (lower-case ASCII), with the rule's header
   * made once (`ruleHeader`): a list's loop adds a million names with it. A repeat of a rule
   * already added is dropped in `finish`. With a `check` that flags the name, nothing is added
   * and the result is false.
   */
  addRule(bytes: Uint8Array, start: number, end: number, header: RuleHeader, line: number, check?: NameCheck): boolean {
    const length = end - start;
    if (length <= 0 || length > MAX_NAME_BYTES) throw new RangeError(`domain table: bad name length ${length}`);
    const e = this.entryCount;
    if (e + 2 > this.entryStart.length) this.growEntries(e + 2);
    const recordStart = this.recordsLength;
    // The name, a terminator and two varints of at most 5 bytes each.
    if (recordStart + length + 11 > this.records.length) this.records = grow(this.records, recordStart + length + 11);
    const records = this.records;
    const shift = recordStart - start;
    // One right-to-left pass copies the name and finds its hash (as name-hash.ts's hashBytes),
    // its longest coded suffix, and what the check says of each label start.
    let running = FNV_OFFSET;
    let code = 0;
    let suffixLength = 0;
    for (let i = end - 1; i >= start; i--) {
      // Bit 7 marks a record's terminator: a stray high byte must not pass for one.
      const byte = bytes[i]! & 0x7f;
      records[shift + i] = byte;
      if (byte !== 0x2e) {
        running = Math.imul(running ^ byte, FNV_PRIME);
        continue;
      }
      // Here `running` is the hash of the suffix after this dot, which starts a label.
      if (check !== undefined && check.suffix(running)) return false;
      running = Math.imul(running ^ byte, FNV_PRIME);
      if (i > start && end - i <= LONGEST_SUFFIX) {
        const found = suffixCodeAt(bytes, i, end, running);
        if (found !== 0) { code = found; suffixLength = end - i; }
      }
    }
    if (check !== undefined && check.whole(running)) return false;
    // The coded suffix's bytes give way to the terminator and the rule.
    let offset = recordStart + length - suffixLength;
    records[offset++] = 0x80 | code;
    offset = writeVarint(records, offset, header);
    offset = writeVarint(records, offset, line);
    this.entryCount = e + 1;
    this.entryStart[e] = recordStart;
    this.entryStart[e + 1] = offset;
    this.recordsLength = offset;
    this.entryHash[e] = finishHash(running);
    this.entryHeader[e] = header;
    return true;
  }

  /** Rules added so far (repeats included): a point `rollback` can return to. */
  get rules(): number { return this.entryCount; }

  /** Forgets every rule added after the first `rules` (a list found bad after its rules went in). */
  rollback(rules: number): void {
    if (!Number.isInteger(rules) || rules < 0 || rules > this.entryCount) throw new RangeError(`domain table: cannot roll back to ${rules} rules`);
    this.entryCount = rules;
    this.recordsLength = this.entryStart[rules]!;
  }

  /** Makes room for about `rules` more rules holding `recordBytes` of records, so a big list loads without regrowing. */
  reserve(rules: number, recordBytes: number): void {
    this.growEntries(this.entryCount + rules + 2);
    this.records = grow(this.records, this.recordsLength + recordBytes);
  }

  private growEntries(needed: number): void {
    this.entryStart = grow(this.entryStart, needed);
    this.entryHash = grow(this.entryHash, needed);
    this.entryHeader = grow(this.entryHeader, needed);
  }

  /** Whether the records at offsets a and b hold the same name (same bytes up to and with the terminator). */
  private sameName(a: number, b: number): boolean {
    const records = this.records;
    for (let k = 0; ; k++) {
      const byte = records[a + k]!;
      if (byte !== records[b + k]) return false;
      if (byte >= 0x80) return true;
    }
  }

  /** Where entry e's rule (header and line varints) starts: just past its name's terminator. */
  private ruleStart(e: number): number {
    let k = this.entryStart[e]!;
    while (this.records[k]! < 0x80) k++;
    return k + 1;
  }

  /** Lays out the final table. The builder must not be used afterwards. */
  finish(): DomainTable {
    const count = this.entryCount;
    const { entryHash, entryHeader, entryStart } = this;
    // Sized for every entry: repeats are rare, and the load factor then stays at most LOAD_FACTOR.
    const capacity = Math.max(8, Math.ceil(count / LOAD_FACTOR) + 1);
    const scale = capacity / 4294967296;
    const tags = bigUint8Array(capacity);
    /** Per slot: the first entry holding its name, until the last pass makes it a record offset. */
    const offsets = bigUint32Array(capacity);
    let repeats: RepeatChains | undefined;

    // In input order: place each new name, or hand a repeat to the chains.
    for (let e = 0; e < count; e++) {
      const hash = entryHash[e]!;
      const tag = tagOf(hash);
      let slot = Math.floor(hash * scale);
      for (;;) {
        const stored = tags[slot]!;
        if (stored === 0) {
          tags[slot] = tag;
          offsets[slot] = e;
          break;
        }
        if (stored === tag && this.sameName(entryStart[offsets[slot]!]!, entryStart[e]!)) {
          repeats ??= new RepeatChains(count);
          repeats.add(offsets[slot]!, e, entryHeader);
          break;
        }
        slot = slot + 1 === capacity ? 0 : slot + 1;
      }
    }
    let records: Uint8Array;
    let recordStart: Uint32Array;
    if (repeats === undefined) {
      // Room reserved but never written costs no memory (big-array.ts).
      records = this.records.subarray(0, Math.max(1, this.recordsLength));
      recordStart = entryStart;
    } else {
      recordStart = bigUint32Array(count);
      records = this.mergeRepeats(repeats, recordStart);
    }
    // Slots in order (the reads of recordStart are independent, so the CPU overlaps their misses).
    for (let slot = 0; slot < capacity; slot++) if (tags[slot] !== 0) offsets[slot] = recordStart[offsets[slot]!]!;
    const nameCount = count - (repeats?.repeatCount ?? 0);
    const ruleCount = count - (repeats?.droppedCount ?? 0);
    return new DomainTable({ records, tags, offsets, nameCount, ruleCount });
  }

  /**
   * Writes the records again with each name once, its rules chained in input order, and notes
   * in `recordStart` where each name's record now starts. Runs of records that do not change
   * are copied whole.
   */
  private mergeRepeats(repeats: RepeatChains, recordStart: Uint32Array): Uint8Array {
    const { entryStart, records: source, entryCount: count } = this;
    const { next, kind } = repeats;
    let size = 0;
    for (let e = 0; e < count; e++) {
      if (kind[e] === FIRST) size += entryStart[e + 1]! - entryStart[e]!;
      else if (kind[e] === KEPT) size += entryStart[e + 1]! - this.ruleStart(e);
    }
    const out = bigUint8Array(Math.max(1, size));
    let at = 0;
    // Records not yet copied that need no change: source[runFrom, at - runAt + runFrom).
    let runFrom = 0;
    let runAt = 0;
    for (let e = 0; e < count; e++) {
      if (kind[e] !== FIRST) continue;
      const from = entryStart[e]!;
      const to = entryStart[e + 1]!;
      if (next[e] === -1) {
        if (from - runFrom !== at - runAt) {
          copyRun(out, source, runFrom, runAt, at);
          runFrom = from;
          runAt = at;
        }
        recordStart[e] = at;
        at += to - from;
        continue;
      }
      copyRun(out, source, runFrom, runAt, at);
      recordStart[e] = at;
      // The name and its first rule, then each later rule; all but the last get `more`.
      let chain = 0;
      for (let r = e; r !== -1; r = next[r]!) {
        if (++chain > MAX_RULES_PER_NAME) throw new RangeError(`domain table: more than ${MAX_RULES_PER_NAME} rules for one name`);
        const ruleFrom = this.ruleStart(r);
        // The first entry brings its name along; later ones only their rule.
        const copyFrom = r === e ? from : ruleFrom;
        const ruleAt = at + (ruleFrom - copyFrom);
        for (let k = copyFrom; k < entryStart[r + 1]!; k++) out[at++] = source[k]!;
        if (next[r] !== -1) out[ruleAt] = out[ruleAt]! | 1;
      }
      runFrom = to;
      runAt = at;
    }
    copyRun(out, source, runFrom, runAt, at);
    return out;
  }
}

/** Copies the pending run of unchanged records, source[runFrom, ...), to out[runAt, at). */
function copyRun(out: Uint8Array, source: Uint8Array, runFrom: number, runAt: number, at: number): void {
  if (at > runAt) out.set(source.subarray(runFrom, runFrom + (at - runAt)), runAt);
}

/** What an entry is to `RepeatChains`: its name's first rule, a repeat that adds a rule, or a repeat dropped. */
const FIRST = 0;
const KEPT = 1;
const DROPPED = 2;

/** Repeated names, found while the table is placed: each name's later rules in input order. */
class RepeatChains {
  /** Per entry: the next rule of the same name, or -1. */
  readonly next: Int32Array;
  /** Per first entry: the last rule of its chain (-1: none yet). */
  private readonly last: Int32Array;
  /** Per entry: FIRST, KEPT (a repeat that brings another list or kind) or DROPPED (it repeats a rule). */
  readonly kind: Uint8Array;
  repeatCount = 0;
  droppedCount = 0;

  constructor(count: number) {
    this.next = bigInt32Array(count).fill(-1);
    this.last = bigInt32Array(count).fill(-1);
    this.kind = bigUint8Array(count);
  }

  add(first: number, repeat: number, headers: Uint32Array): void {
    this.repeatCount++;
    // Same name, list and kind: the first line stands.
    for (let r = first; r !== -1; r = this.next[r]!) {
      if (headers[r] === headers[repeat]) { this.droppedCount++; this.kind[repeat] = DROPPED; return; }
    }
    const last = this.last[first] === -1 ? first : this.last[first]!;
    this.next[last] = repeat;
    this.last[first] = repeat;
    this.kind[repeat] = KEPT;
  }
}

/** Builds a table from rules (tests, small inputs). Rules for the same name keep input order. */
export function buildDomainTable(rules: readonly RuleInput[]): DomainTable {
  const builder = new DomainTableBuilder();
  for (const rule of rules) builder.add(rule.name, rule.action, rule.scope, rule.list, rule.line);
  return builder.finish();
}
