import type { ClientInfo } from '../clients/index.js';
import { typeName } from '../wire/constants.js';
import { SCOPE_CODES, type RuleFields } from '../lists/domain-table.js';
import type { ListSet } from '../lists/list-set.js';
import { SCOPE_PREFIXES } from '../lists/rule.js';
import { answerText, type LoggedKind, type LoggedQuery, type StormSummary } from './query-events.js';

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
const KINDS: readonly LoggedKind[] = ['sinkhole', 'redirect', 'unlisted'];
/** Per kind, what follows the shared head: `sinkhole","client":` */
const KIND_FRAGMENTS = KINDS.map((kind) => utf8(`${kind}","client":`));
/** Per kind, a storm line's: `storm","of":"sinkhole","client":` */
const STORM_KIND_FRAGMENTS = KINDS.map((kind) => utf8(`storm","of":"${kind}","client":`));
/** A storm line's tail after its count: two ISO times, the message and the line end, at most. */
const STORM_TAIL_BYTES = 128;
const NO_RULE = utf8(',"list":null,"rule":null,"line":null,"answer":');
const LINE_KEY = utf8('","line":');
const NAME_KEY = utf8(',"name":"');
const ANSWER_KEY = utf8(',"answer":');
/** A rule name's bytes at most, and a line number's digits. */
const RULE_NAME_BYTES = 255;
const LINE_DIGITS = 10;

/**
 * Writes sinkhole-log lines as UTF-8 bytes into one growing buffer: the same JSON line
 * `logger.info(queryEvent(record), record.kind)` gives (test/log/query-line.test.ts compares them
 * byte for byte), without building strings. A line is a few copies: its head (level, time,
 * bindings; rewritten in place once per millisecond), its kind, then the client (with its MAC and
 * host name when known), name, type,
 * group, rule and answer, each ready-made with the JSON punctuation around it and kept in a small
 * cache (a camera log repeats the same few endlessly). Only the name is escaped byte by byte.
 */
export class QueryLineEncoder {
  private buffer = Buffer.allocUnsafe(INITIAL_BYTES);
  private length = 0;
  /**
   * The head every line of the millisecond `headMs` shares, up to its kind, in `headBytes`.
   * Rewritten in place, not made anew: at a few thousand lines a second a fresh head per
   * millisecond (and per kind) would be garbage the young generation copies on every scavenge.
   */
  private headBytes = Buffer.allocUnsafe(256);
  /** The head's bytes within `headBytes` (one view per millisecond; a ranged copy would make one per line). */
  private head: Uint8Array = new Uint8Array(0);
  private headMs = Number.NaN;
  private readonly clients = new FragmentCache<string>();
  /** `,"mac":"…","host":"…"` per directory entry (a rebuilt directory makes new entries; the cache bound holds). */
  private readonly identities = new FragmentCache<ClientInfo>();
  private readonly types = new FragmentCache<number>();
  /** `"cameras"` */
  private readonly groups = new FragmentCache<string>();
  private readonly answers: FragmentCache<string>[] = KINDS.map(() => new FragmentCache());
  /** `"NXDOMAIN","count":` per answer text, for storm lines. */
  private readonly stormAnswers = new FragmentCache<string>();
  /** Made once, not per line: the rule head for the rule `ruleHead` has just read into `ruleFields`. */
  private readonly ruleHeadFragment = (): string =>
    `,"list":${jsonOrNull(this.ruleLists?.lists[this.ruleFields.list]?.name ?? null)},"rule":"${SCOPE_PREFIXES[this.ruleFields.scope]}`;
  /** Per kind: `"NXDOMAIN","msg":"sinkhole"}` and the line end, for an answer text. */
  private readonly answerFragments: ((answer: string) => string)[];
  /** `,"list":…,"rule":"` per list and scope, for one list set; a reload's new set starts a new cache. */
  private ruleLists: ListSet | undefined;
  private readonly ruleHeads = new FragmentCache<number>();
  private readonly ruleFields: RuleFields = { list: 0, scope: 'subtree', action: 'block', line: 0 };

  constructor(private readonly frame: LineFrame) {
    this.answerFragments = KINDS.map((kind) => (answer: string) => `${jsonString(answer)},"msg":"${kind}"${frame.end}`);
  }

  /** Bytes written and not yet taken. */
  get pendingBytes(): number { return this.length; }

  /** Appends one query's line. */
  encode(record: LoggedQuery): void {
    const kind = KIND_INDEX[record.kind];
    this.encodeFields(record, record.timeMs, KIND_FRAGMENTS[kind]!, this.answerBytes(kind, record.rcode, record.address), 0);
  }

  /**
   * Appends a storm line: the fields of the window's first query, then its count and times, as
   * `logger.info(stormEvent(summary), 'storm')` writes them at the window's close.
   */
  encodeStorm(summary: StormSummary): void {
    const record = summary.query;
    const kind = KIND_INDEX[record.kind];
    const answer = this.stormAnswers.get(answerText(record.rcode, record.address), stormAnswerFragment);
    this.encodeFields(record, summary.closedMs, STORM_KIND_FRAGMENTS[kind]!, answer, STORM_TAIL_BYTES);
    const tail = `${summary.count},"first":"${new Date(summary.firstMs).toISOString()}","last":"${new Date(summary.lastMs).toISOString()}","msg":"storm"${this.frame.end}`;
    this.length += this.buffer.write(tail, this.length, 'utf8');
  }

  /** The line up to and including `answer`, with `extra` bytes of room after it. */
  private encodeFields(record: LoggedQuery, timeMs: number, kindBytes: Buffer, answer: Buffer, extra: number): void {
    if (this.headMs !== timeMs) this.makeHead(timeMs);
    const client = this.clients.get(record.client, jsonString);
    const who = record.who === undefined ? undefined : this.identities.get(record.who, identityFragment);
    const type = this.types.get(record.qtype, typeFragment);
    const group = this.groups.get(record.group, jsonString);
    const ruleHead = record.rule === undefined ? NO_RULE : this.ruleHead(record.lists, record.rule);
    const name = record.name;
    // Worst case for the name: every character a 6-byte \u00XX escape.
    this.reserve(this.head.length + kindBytes.length + client.length + (who?.length ?? 0) + NAME_KEY.length + name.length * 6 + type.length + group.length + ruleHead.length
      + RULE_NAME_BYTES + LINE_KEY.length + LINE_DIGITS + ANSWER_KEY.length + answer.length + extra);
    this.put(this.head);
    this.put(kindBytes);
    this.put(client);
    if (who !== undefined) this.put(who);
    this.put(NAME_KEY);
    this.putName(name);
    this.put(type);
    this.put(group);
    this.put(ruleHead);
    if (record.rule !== undefined) {
      // The rule's name is copied from the table, not cached: a big list's sinkhole lines rarely
      // repeat a rule, and a cache of them only made garbage for the young-generation GC.
      this.length = record.lists.table.copyRuleName(record.rule, this.buffer, this.length);
      this.put(LINE_KEY);
      this.putDecimal(this.ruleFields.line);
      this.put(ANSWER_KEY);
    }
    this.put(answer);
  }

  /** The lines written so far, as a buffer of their own; the encoder starts empty again. */
  take(): Buffer {
    const out = Buffer.from(this.buffer.subarray(0, this.length));
    this.length = 0;
    return out;
  }

  /** `{"level":30,"time":"…","pid":…,"service":"camshim","event":"` */
  private makeHead(ms: number): void {
    const text = `${this.frame.levelPrefix}${this.frame.timeAt(ms)}${this.frame.bindings},"event":"`;
    // At most 3 UTF-8 bytes per UTF-16 unit: with this much room the write is never cut short.
    if (text.length * 3 > this.headBytes.length) this.headBytes = Buffer.allocUnsafe(text.length * 3);
    this.head = this.headBytes.subarray(0, this.headBytes.write(text, 0, 'utf8'));
    this.headMs = ms;
  }

  private reserve(bytes: number): void {
    if (this.length + bytes <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.length + bytes));
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }

  private put(bytes: Uint8Array): void {
    this.buffer.set(bytes, this.length);
    this.length += bytes.length;
  }

  /**
   * The name's characters inside its quotes (the fragments around it hold the quotes): escaped
   * as JSON.stringify does, characters 0x80–0xff as UTF-8. Names from the wire decoder are
   * presentation text (printable ASCII, a label's dot written `\.`): only their backslashes and
   * quotes take a JSON escape.
   */
  private putName(name: string): void {
    const buffer = this.buffer;
    let at = this.length;
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
        // Not from the wire decoder (its names are printable ASCII): write the name again on the
        // general path, without its quotes (at most 6 bytes per character too: the room holds).
        const general = utf8(jsonString(name));
        this.buffer.set(general.subarray(1, general.length - 1), this.length);
        this.length += general.length - 2;
        return;
      }
    }
    this.length = at;
  }

  /** `,"list":"tplink","rule":"*.` for the rule (its fields are left in `ruleFields`). */
  private ruleHead(lists: ListSet, rule: number): Buffer {
    if (lists !== this.ruleLists) {
      this.ruleLists = lists;
      this.ruleHeads.clear();
    }
    const fields = lists.table.readRule(rule, this.ruleFields);
    // As in the sinkhole event, a rule is named as its list wrote it (the log reports block rules only: no @@).
    return this.ruleHeads.get(fields.list * 4 + SCOPE_CODES[fields.scope], this.ruleHeadFragment);
  }

  /** A non-negative integer in decimal. */
  private putDecimal(value: number): void {
    const digits = String(value);
    for (let index = 0; index < digits.length; index++) this.buffer[this.length++] = digits.charCodeAt(index);
  }

  /** `"NXDOMAIN","msg":"sinkhole"}` and the line end */
  private answerBytes(kind: number, rcode: number, address: Uint8Array | undefined): Buffer {
    return this.answers[kind]!.get(answerText(rcode, address), this.answerFragments[kind]!);
  }
}

/** Ready-made fragments by key, at most CACHE_LIMIT of them (full, it starts over: memory stays bounded under any traffic). */
class FragmentCache<K> {
  private readonly fragments = new Map<K, Buffer>();

  /** The fragment for `key`, made by `make` (its text, UTF-8 encoded here) the first time. */
  get(key: K, make: (key: K) => string): Buffer {
    let bytes = this.fragments.get(key);
    if (bytes === undefined) {
      if (this.fragments.size >= CACHE_LIMIT) this.fragments.clear();
      bytes = utf8(make(key));
      this.fragments.set(key, bytes);
    }
    return bytes;
  }

  clear(): void { this.fragments.clear(); }
}

/** `,"mac":"5c:e9:31:aa:bb:cc","host":"garage-c200"`, each part only when known (as queryEvent writes them). */
const identityFragment = (who: ClientInfo): string =>
  `${who.mac === undefined ? '' : `,"mac":${jsonString(who.mac)}`}${who.name === undefined ? '' : `,"host":${jsonString(who.name)}`}`;
/** `"NXDOMAIN","count":` */
const stormAnswerFragment = (answer: string): string => `${jsonString(answer)},"count":`;
/** `","type":"A","group":` (the name's closing quote first) */
const typeFragment = (qtype: number): string => `","type":${jsonString(typeName(qtype))},"group":`;

const KIND_INDEX: Readonly<Record<LoggedKind, number>> = { sinkhole: 0, redirect: 1, unlisted: 2 };

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
