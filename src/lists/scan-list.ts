import type { Problem } from '../errors.js';
import { emptyListMeta, LineProblems, parseRuleLine, readHeaderLine, type ListMeta } from './parse.js';
import type { ListEntry, RuleAction } from './rule.js';

/**
 * The list parser for files of any size (test/lists/scan-list.test.ts holds it to the tests'
 * line-by-line reference parser: same entries, problems and meta). It reads bytes and hands each
 * entry to a sink as its line is read (`scanListInto`: the loader's sink puts it straight into
 * the domain table) or keeps them in typed arrays (`scanList`), so a million-line list makes no
 * string or object per line. Lines that are a plain name or `0.0.0.0 name` (nearly all lines of
 * big lists) are checked byte by byte here; every other line goes through `parseRuleLine`, the
 * one place the full syntax lives.
 */

/** What a scan found besides the entries. */
export interface ScanSummary {
  /** Entries handed to the sink. */
  readonly count: number;
  readonly problems: Problem[];
  readonly contentLines: number;
  readonly badLines: number;
  readonly meta: ListMeta;
}

/** Takes a list's entries in line order, as the scan finds them. */
export interface ListSink {
  /** A plain name (the list's default action, subtree scope), lower-cased in place in bytes[start, end). */
  name(bytes: Uint8Array, start: number, end: number, line: number): void;
  /** Any other rule, from the full parser. */
  entry(entry: ListEntry): void;
}

/** An entry's bytes are buffer[start, end); `slow` >= 0 means it is `slowEntries[slow]` instead. */
export interface ScannedList extends ScanSummary {
  readonly buffer: Uint8Array;
  readonly start: Uint32Array;
  readonly end: Uint32Array;
  readonly line: Uint32Array;
  readonly slow: Int32Array;
  readonly slowEntries: readonly ListEntry[];
  readonly defaultAction: RuleAction;
}

const SPACE = 0x20; const TAB = 0x09; const CR = 0x0d; const LF = 0x0a; const DOT = 0x2e; const DASH = 0x2d;
const HASH = 0x23; const BANG = 0x21;
const utf8 = new TextDecoder('utf-8');

function isBlank(byte: number): boolean {
  return byte === SPACE || byte === TAB || byte === CR || byte === 0x0b || byte === 0x0c;
}

/** 1 for a byte a name may hold (letters, digits, `_`, `-`, `.`), after lower-casing. */
const NAME_BYTE = new Uint8Array(256);
for (let c = 0x61; c <= 0x7a; c++) NAME_BYTE[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) NAME_BYTE[c] = 1;
for (let c = 0x30; c <= 0x39; c++) NAME_BYTE[c] = 1;
NAME_BYTE[0x5f] = 1; NAME_BYTE[DASH] = 1; NAME_BYTE[DOT] = 1;

/** Whether `address` and a space or tab start bytes[at, end). */
function startsWithAddress(bytes: Uint8Array, at: number, end: number, address: string): boolean {
  if (end - at <= address.length) return false;
  for (let i = 0; i < address.length; i++) if (bytes[at + i] !== address.charCodeAt(i)) return false;
  const next = bytes[at + address.length]!;
  return next === SPACE || next === TAB;
}

/**
 * Scans one list into arrays (no string or object per plain name). Lower-cases names in
 * `buffer` in place (the caller owns it and keeps it until the entries are consumed).
 */
export function scanList(buffer: Uint8Array, file: string, defaultAction: RuleAction): ScannedList {
  const collected = new CollectedEntries(Math.max(1024, Math.ceil(buffer.length / 16)));
  const summary = scanListInto(buffer, file, defaultAction, collected);
  const { start, end, line, slow, slowEntries } = collected;
  return { ...summary, buffer, start, end, line, slow, slowEntries, defaultAction };
}

/** A sink that keeps the entries in growable typed arrays. */
class CollectedEntries implements ListSink {
  start: Uint32Array;
  end: Uint32Array;
  line: Uint32Array;
  slow: Int32Array;
  readonly slowEntries: ListEntry[] = [];
  private count = 0;

  /** About a line per 16 bytes (big lists run 15-30) is a good first size: a million-line list needs no regrowth. */
  constructor(private capacity: number) {
    this.start = new Uint32Array(capacity);
    this.end = new Uint32Array(capacity);
    this.line = new Uint32Array(capacity);
    this.slow = new Int32Array(capacity);
  }

  name(_bytes: Uint8Array, start: number, end: number, line: number): void { this.push(start, end, line, -1); }

  entry(entry: ListEntry): void {
    this.push(0, 0, entry.line, this.slowEntries.length);
    this.slowEntries.push(entry);
  }

  private push(from: number, to: number, lineNumber: number, slowIndex: number): void {
    if (this.count === this.capacity) {
      this.capacity *= 2;
      const grow = <T extends Uint32Array | Int32Array>(a: T): T => { const b = new (a.constructor as new (n: number) => T)(this.capacity); b.set(a); return b; };
      this.start = grow(this.start); this.end = grow(this.end); this.line = grow(this.line); this.slow = grow(this.slow);
    }
    const at = this.count++;
    this.start[at] = from; this.end[at] = to; this.line[at] = lineNumber; this.slow[at] = slowIndex;
  }
}

/**
 * Scans one list, handing each entry to `sink` as soon as its line is read (so a big list's
 * names are consumed while their bytes are still in cache). Lower-cases names in `buffer` in
 * place.
 */
export function scanListInto(buffer: Uint8Array, file: string, defaultAction: RuleAction, sink: ListSink): ScanSummary {
  const length = buffer.length;
  let count = 0;
  const meta = emptyListMeta();
  const bad = new LineProblems(file);
  const report = bad.report;
  let contentLines = 0;
  let inHeader = true;

  let lineNumber = 0;
  let position = 0;
  while (position < length) {
    lineNumber++;
    let from = position;
    while (from < length && isBlank(buffer[from]!)) from++;
    if (from === length || buffer[from] === LF) {
      position = from + 1;
      continue;
    }
    const first = buffer[from]!;
    const comment = first === HASH || first === BANG;
    if (!comment) {
      inHeader = false;
      contentLines++;
      // Nearly every line of a big list: read once, its end found on the way.
      const name = plainName(buffer, from, length);
      if (name >= 0) {
        sink.name(buffer, name, nameEnd, lineNumber);
        count++;
        position = lineEnd + 1;
        continue;
      }
    }
    let to = buffer.indexOf(LF, from);
    if (to === -1) to = length;
    position = to + 1;
    while (to > from && isBlank(buffer[to - 1]!)) to--;
    if (comment) {
      if (inHeader) readHeaderLine(utf8.decode(buffer.subarray(from, to)), meta);
      continue;
    }
    // Anything else: the full parser, on this one line.
    const text = utf8.decode(buffer.subarray(from, to));
    const hash = text.search(/\s#/);
    const entries: ListEntry[] = [];
    parseRuleLine((hash === -1 ? text : text.slice(0, hash)).trim(), lineNumber, defaultAction, entries, report);
    for (const entry of entries) sink.entry(entry);
    count += entries.length;
  }
  return { count, problems: bad.finish(), contentLines, badLines: bad.badLines, meta };
}

/** Set by `plainName`: where the accepted name ends, and where its line ends (the LF, or the buffer's end). */
let nameEnd = 0;
let lineEnd = 0;

/**
 * When the line starting at `from` (blanks skipped) is `name`, `name # comment`, or
 * `0.0.0.0 name` / `127.0.0.1 name` (optionally with a comment), with only blanks after, and
 * the name is valid as `parseRuleLine` judges it: lower-cases it in place and returns its start
 * (its end in `nameEnd`, the line's in `lineEnd`). Else -1: the line needs the full parser
 * (which also reports what is wrong with it).
 */
function plainName(bytes: Uint8Array, from: number, length: number): number {
  let at = from;
  const first = bytes[at];
  if (first === 0x30 && startsWithAddress(bytes, at, length, '0.0.0.0')) at += 7;
  else if (first === 0x31 && startsWithAddress(bytes, at, length, '127.0.0.1')) at += 9;
  if (at !== from) while (at < length && (bytes[at] === SPACE || bytes[at] === TAB)) at++;
  const nameStart = at;
  let labelStart = at;
  let labels = 0;
  for (; at < length; at++) {
    let byte = bytes[at]!;
    if (NAME_BYTE[byte] !== 1) break;
    if (byte >= 0x41 && byte <= 0x5a) { byte |= 0x20; bytes[at] = byte; }
    if (byte === DOT) {
      if (!labelOk(bytes, labelStart, at)) return -1;
      labels++;
      labelStart = at + 1;
    }
  }
  const stop = at;
  // The last label (a trailing dot leaves it empty: the full parser strips the dot).
  if (!labelOk(bytes, labelStart, stop)) return -1;
  labels++;
  if (labels < 2 || stop - nameStart > 253) return -1;
  // Only blanks may follow, or spaces or tabs then a comment; another field (a second hosts name, junk) goes the slow way.
  let next = stop;
  while (next < length && isBlank(bytes[next]!)) next++;
  if (next < length && bytes[next] !== LF) {
    if (next === stop || bytes[next] !== HASH) return -1;
    for (let k = stop; k < next; k++) if (bytes[k] !== SPACE && bytes[k] !== TAB) return -1;
    next = bytes.indexOf(LF, next);
    if (next === -1) next = length;
  }
  // Hosts-file boilerplate with a dot in it is skipped by the full parser.
  if (bytesAre(bytes, nameStart, stop, 'localhost.localdomain') || bytesAre(bytes, nameStart, stop, '0.0.0.0')) return -1;
  nameEnd = stop;
  lineEnd = next;
  return nameStart;
}

/** Whether bytes[from, to) spell `text` (ASCII); compared in place, since 5% of a big list's names share a length with these. */
function bytesAre(bytes: Uint8Array, from: number, to: number, text: string): boolean {
  if (to - from !== text.length) return false;
  for (let i = 0; i < text.length; i++) if (bytes[from + i] !== text.charCodeAt(i)) return false;
  return true;
}

/** The label rule of parse.ts: 1-63 bytes, no `-` at either end. */
function labelOk(bytes: Uint8Array, from: number, to: number): boolean {
  const size = to - from;
  return size >= 1 && size <= 63 && bytes[from] !== DASH && bytes[to - 1] !== DASH;
}
