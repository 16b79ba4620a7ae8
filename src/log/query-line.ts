import { typeName } from '../dns/wire/constants.js';
import type { ListSet } from '../lists/list-set.js';
import { answerText, ruleFields, type LoggedKind, type LoggedQuery } from './query-events.js';

/** What a line takes from the logger: pino's level prefix, bindings, line end, and its clock. */
export interface LineFrame {
  /** `{"level":30` */
  readonly levelPrefix: string;
  /** pino's serialised bindings: `,"pid":…,"hostname":…,"service":"camshim"` (plus a child's). */
  readonly bindings: string;
  /** `}` and the line end. */
  readonly end: string;
  /** The timestamp fragment for a millisecond (`,"time":…`). */
  readonly timeAt: (ms: number) => string;
}

/** Entries each fragment cache holds before it starts over: bounds memory under any traffic. */
const CACHE_LIMIT = 4096;
const INITIAL_BYTES = 64 * 1024;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
/** JSON.stringify's two-character escapes below 0x20; the rest are \u00XX. */
const SHORT_ESCAPES: Readonly<Record<number, number>> = { 0x08: 0x62, 0x09: 0x74, 0x0a: 0x6e, 0x0c: 0x66, 0x0d: 0x72 };
const HEX = Buffer.from('0123456789abcdef', 'latin1');

const utf8 = (text: string): Buffer => Buffer.from(text, 'utf8');
const KIND_HEADS: Readonly<Record<LoggedKind, Buffer>> = {
  sinkhole: utf8(',"event":"sinkhole","client":'),
  redirect: utf8(',"event":"redirect","client":'),
  unlisted: utf8(',"event":"unlisted","client":'),
};
const KIND_TAILS: Readonly<Record<LoggedKind, Buffer>> = {
  sinkhole: utf8(',"msg":"sinkhole"'),
  redirect: utf8(',"msg":"redirect"'),
  unlisted: utf8(',"msg":"unlisted"'),
};
const NAME_KEY = utf8(',"name":');
const TYPE_KEY = utf8(',"type":');
const GROUP_KEY = utf8(',"group":');
const ANSWER_KEY = utf8(',"answer":');
const NO_RULE = utf8(',"list":null,"rule":null,"line":null');

/**
 * Writes sinkhole-log lines as UTF-8 bytes into one growing buffer: the same JSON line
 * `logger.info(queryEvent(record), record.kind)` gives (test/log/query-line.test.ts compares them
 * byte for byte), without building strings. Every field but the name comes from a small cache of
 * ready-made bytes (clients, groups, rules, answers repeat endlessly in a camera log), so a line
 * is mostly a handful of short copies; the name is escaped byte by byte.
 */
export class QueryLineEncoder {
  private buffer = Buffer.allocUnsafe(INITIAL_BYTES);
  private length = 0;
  private readonly levelPrefix: Buffer;
  private readonly bindings: Buffer;
  private readonly end: Buffer;
  private timeMs = Number.NaN;
  private timeBytes: Buffer = Buffer.alloc(0);
  private readonly quoted = new Map<string, Buffer>();
  private readonly types = new Map<number, Buffer>();
  private readonly answers = new Map<string, Buffer>();
  /** Rule fragments of one list set; a reload's new set starts a new cache. */
  private ruleLists: ListSet | undefined;
  private readonly rules = new Map<number, Buffer>();

  constructor(private readonly frame: LineFrame) {
    this.levelPrefix = utf8(frame.levelPrefix);
    this.bindings = utf8(frame.bindings);
    this.end = utf8(frame.end);
  }

  /** Bytes written and not yet taken. */
  get pendingBytes(): number { return this.length; }

  /** Appends one line. */
  encode(record: LoggedQuery): void {
    if (record.timeMs !== this.timeMs) {
      this.timeMs = record.timeMs;
      this.timeBytes = utf8(this.frame.timeAt(record.timeMs));
    }
    const client = this.quotedText(record.client);
    const type = this.typeBytes(record.qtype);
    const group = this.quotedText(record.group);
    const rule = this.ruleBytes(record.lists, record.rule);
    const answer = this.answerBytes(record.response);
    const head = KIND_HEADS[record.kind];
    const tail = KIND_TAILS[record.kind];
    const name = record.name;
    // Worst case for the name: every character a 6-byte \u00XX escape, plus the quotes.
    this.reserve(this.levelPrefix.length + this.timeBytes.length + this.bindings.length + head.length + client.length
      + NAME_KEY.length + name.length * 6 + 2 + TYPE_KEY.length + type.length + GROUP_KEY.length + group.length
      + rule.length + ANSWER_KEY.length + answer.length + tail.length + this.end.length);
    this.put(this.levelPrefix);
    this.put(this.timeBytes);
    this.put(this.bindings);
    this.put(head);
    this.put(client);
    this.put(NAME_KEY);
    this.putName(name);
    this.put(TYPE_KEY);
    this.put(type);
    this.put(GROUP_KEY);
    this.put(group);
    this.put(rule);
    this.put(ANSWER_KEY);
    this.put(answer);
    this.put(tail);
    this.put(this.end);
  }

  /** The lines written so far, as a buffer of their own; the encoder starts empty again. */
  take(): Buffer {
    const out = Buffer.from(this.buffer.subarray(0, this.length));
    this.length = 0;
    return out;
  }

  private reserve(bytes: number): void {
    if (this.length + bytes <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.length + bytes));
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }

  /** Short copies in a loop: cheaper than a native call for the 5–60 bytes fragments are. */
  private put(bytes: Uint8Array): void {
    const buffer = this.buffer;
    let at = this.length;
    for (let index = 0; index < bytes.length; index++) buffer[at++] = bytes[index]!;
    this.length = at;
  }

  /** The name as a JSON string: escapes as JSON.stringify does, characters 0x80–0xff as UTF-8. */
  private putName(name: string): void {
    const buffer = this.buffer;
    let at = this.length;
    buffer[at++] = QUOTE;
    for (let index = 0; index < name.length; index++) {
      const code = name.charCodeAt(index);
      if (code >= 0x20 && code < 0x80) {
        if (code === QUOTE || code === BACKSLASH) buffer[at++] = BACKSLASH;
        buffer[at++] = code;
      } else if (code < 0x20) {
        buffer[at++] = BACKSLASH;
        const short = SHORT_ESCAPES[code];
        if (short !== undefined) buffer[at++] = short;
        else {
          buffer[at++] = 0x75; buffer[at++] = 0x30; buffer[at++] = 0x30;
          buffer[at++] = HEX[code >> 4]!; buffer[at++] = HEX[code & 0xf]!;
        }
      } else if (code < 0x100) {
        buffer[at++] = 0xc0 | (code >> 6);
        buffer[at++] = 0x80 | (code & 0x3f);
      } else {
        // Not from the wire decoder (it yields 0x00–0xff only): start the name again on the general
        // path (at most 6 bytes per character too, so the reservation holds).
        const general = utf8(jsonString(name));
        at = this.length;
        for (let k = 0; k < general.length; k++) buffer[at++] = general[k]!;
        this.length = at;
        return;
      }
    }
    buffer[at++] = QUOTE;
    this.length = at;
  }

  private quotedText(text: string): Buffer {
    let bytes = this.quoted.get(text);
    if (bytes === undefined) {
      if (this.quoted.size >= CACHE_LIMIT) this.quoted.clear();
      bytes = utf8(jsonString(text));
      this.quoted.set(text, bytes);
    }
    return bytes;
  }

  private typeBytes(qtype: number): Buffer {
    let bytes = this.types.get(qtype);
    if (bytes === undefined) {
      if (this.types.size >= CACHE_LIMIT) this.types.clear();
      bytes = utf8(jsonString(typeName(qtype)));
      this.types.set(qtype, bytes);
    }
    return bytes;
  }

  private ruleBytes(lists: ListSet, rule: number | undefined): Buffer {
    if (rule === undefined) return NO_RULE;
    if (lists !== this.ruleLists) {
      this.ruleLists = lists;
      this.rules.clear();
    }
    let bytes = this.rules.get(rule);
    if (bytes === undefined) {
      if (this.rules.size >= CACHE_LIMIT) this.rules.clear();
      const fields = ruleFields(lists, rule);
      bytes = utf8(`,"list":${jsonOrNull(fields.list)},"rule":${jsonOrNull(fields.rule)},"line":${fields.line === null ? 'null' : String(fields.line)}`);
      this.rules.set(rule, bytes);
    }
    return bytes;
  }

  private answerBytes(response: Uint8Array): Buffer {
    const text = answerText(response);
    let bytes = this.answers.get(text);
    if (bytes === undefined) {
      if (this.answers.size >= CACHE_LIMIT) this.answers.clear();
      bytes = utf8(jsonString(text));
      this.answers.set(text, bytes);
    }
    return bytes;
  }
}

/** A JSON string literal; the common case (no quote, backslash or control character) is one scan. */
export function jsonString(text: string): string {
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code < 0x20 || code === 0x22 || code === 0x5c || (code >= 0xd800 && code <= 0xdfff)) return JSON.stringify(text);
  }
  return `"${text}"`;
}

function jsonOrNull(text: string | null): string {
  return text === null ? 'null' : jsonString(text);
}
