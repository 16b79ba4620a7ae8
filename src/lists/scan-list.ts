import type { Problem } from '../errors.js';
import { emptyListMeta, LineProblems, parseRuleLine, readHeaderLine, type ListMeta } from './parse.js';
import type { ListEntry, RuleAction } from './rule.js';

/**
 * The list parser for files of any size (test/lists/scan-list.test.ts holds it to the tests'
 * line-by-line reference parser: same entries, problems and meta). It reads
 * bytes and records entries in typed arrays, so a million-line list makes no string or object
 * per line. Lines that are a plain name or `0.0.0.0 name` (nearly all lines of big lists) are
 * checked byte by byte here; every other line goes through `parseRuleLine`, the one place the
 * full syntax lives.
 */

/** An entry's bytes are buffer[start, end); `slow` >= 0 means it is `slowEntries[slow]` instead. */
export interface ScannedList {
  readonly buffer: Uint8Array;
  readonly count: number;
  readonly start: Uint32Array;
  readonly end: Uint32Array;
  readonly line: Uint32Array;
  readonly slow: Int32Array;
  readonly slowEntries: readonly ListEntry[];
  readonly defaultAction: RuleAction;
  readonly problems: Problem[];
  readonly contentLines: number;
  readonly badLines: number;
  readonly meta: ListMeta;
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

function startsWithAddress(bytes: Uint8Array, at: number, end: number, address: string): boolean {
  if (end - at <= address.length) return false;
  for (let i = 0; i < address.length; i++) if (bytes[at + i] !== address.charCodeAt(i)) return false;
  const next = bytes[at + address.length]!;
  return next === SPACE || next === TAB;
}

/**
 * Scans one list. Lower-cases names in `buffer` in place (the caller owns it and keeps it
 * until the entries are consumed).
 */
export function scanList(buffer: Uint8Array, file: string, defaultAction: RuleAction): ScannedList {
  const length = buffer.length;
  // About a line per 16 bytes (big lists run 15–30): a million-line list needs no regrowth.
  let capacity = Math.max(1024, Math.ceil(length / 16));
  let start = new Uint32Array(capacity);
  let end = new Uint32Array(capacity);
  let line = new Uint32Array(capacity);
  let slow = new Int32Array(capacity);
  let count = 0;
  const slowEntries: ListEntry[] = [];
  const meta = emptyListMeta();
  const bad = new LineProblems(file);
  const report = bad.report;
  let contentLines = 0;
  let inHeader = true;
  const push = (from: number, to: number, lineNumber: number, slowIndex: number): void => {
    if (count === capacity) {
      capacity *= 2;
      const grow = <T extends Uint32Array | Int32Array>(a: T): T => { const b = new (a.constructor as new (n: number) => T)(capacity); b.set(a); return b; };
      start = grow(start); end = grow(end); line = grow(line); slow = grow(slow);
    }
    start[count] = from; end[count] = to; line[count] = lineNumber; slow[count] = slowIndex;
    count++;
  };
  const slowEntriesOf = (entries: ListEntry[], lineNumber: number): void => {
    for (const entry of entries) { push(0, 0, lineNumber, slowEntries.length); slowEntries.push(entry); }
  };

  let lineNumber = 0;
  let position = 0;
  while (position < length) {
    let lineEnd = buffer.indexOf(LF, position);
    if (lineEnd === -1) lineEnd = length;
    lineNumber++;
    let from = position;
    let to = lineEnd;
    position = lineEnd + 1;
    while (from < to && isBlank(buffer[from]!)) from++;
    while (to > from && isBlank(buffer[to - 1]!)) to--;
    if (from === to) continue;
    const first = buffer[from]!;
    if (first === HASH || first === BANG) {
      if (inHeader) readHeaderLine(utf8.decode(buffer.subarray(from, to)), meta);
      continue;
    }
    inHeader = false;
    contentLines++;
    const name = plainName(buffer, from, to);
    if (name >= 0) {
      push(name, nameEnd, lineNumber, -1);
      continue;
    }
    // Anything else: the full parser, on this one line.
    const text = utf8.decode(buffer.subarray(from, to));
    const hash = text.search(/\s#/);
    const entries: ListEntry[] = [];
    parseRuleLine((hash === -1 ? text : text.slice(0, hash)).trim(), lineNumber, defaultAction, entries, report);
    slowEntriesOf(entries, lineNumber);
  }
  return { buffer, count, start, end, line, slow, slowEntries, defaultAction, problems: bad.finish(), contentLines, badLines: bad.badLines, meta };
}

/** Set by `plainName`: where the accepted name ends. */
let nameEnd = 0;

/**
 * When the trimmed line [from, to) is `name`, `name # comment`, or `0.0.0.0 name` /
 * `127.0.0.1 name` (optionally with a comment) and the name is valid as `parseRuleLine` judges
 * it, lower-cases it in place and returns its start (end in `nameEnd`). Else -1: the line needs
 * the full parser (which also reports what is wrong with it).
 */
function plainName(bytes: Uint8Array, from: number, to: number): number {
  let at = from;
  if (startsWithAddress(bytes, at, to, '0.0.0.0')) at += 7;
  else if (startsWithAddress(bytes, at, to, '127.0.0.1')) at += 9;
  if (at !== from) while (at < to && (bytes[at] === SPACE || bytes[at] === TAB)) at++;
  const nameStart = at;
  let labelStart = at;
  let labels = 0;
  for (; at < to; at++) {
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
  if (stop < to) {
    // Only blanks then a comment may follow; another field (a second hosts name, junk) goes the slow way.
    let next = stop;
    while (next < to && (bytes[next] === SPACE || bytes[next] === TAB)) next++;
    if (next === stop || bytes[next] !== HASH) return -1;
  }
  // Hosts-file boilerplate with a dot in it is skipped by the full parser.
  if (bytesAre(bytes, nameStart, stop, 'localhost.localdomain') || bytesAre(bytes, nameStart, stop, '0.0.0.0')) return -1;
  nameEnd = stop;
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
