import { ipKey } from './ip-key.js';
import { cleanHostname, LeaseCollector, leaseEntry, type LeaseParseResult } from './lease-entry.js';
import { normalizeMac } from './mac.js';

/**
 * ISC dhcpd's lease journal (`/var/lib/dhcp/dhcpd.leases`): every change appends a block,
 * so the last block for an address is the current one.
 *
 *   lease 192.168.20.31 {
 *     starts 3 2026/12/02 10:00:00;
 *     ends 3 2026/12/02 22:00:00;          # UTC; "never"; or "epoch 1733140800; # ..." (db-time-format local)
 *     binding state active;
 *     hardware ethernet 5c:e9:31:aa:bb:cc;
 *     client-hostname "Garage C200";        # "\ooo" octal escapes for bytes outside printable ASCII
 *   }
 *
 * Other top-level statements and blocks (`server-duid`, `failover peer`, `host`, and the
 * DHCPv6 `ia-na`/`ia-pd` blocks of dhcpd6.leases, which hold neither MAC nor hostname) are
 * passed over. A lease whose binding state is not `active` (free, released, expired,
 * abandoned, backup) has ended: its `expires` is its `ends` time, or 0 when it has none,
 * so the directory ranks it as an ended lease. A malformed block is skipped and counted.
 */
export function parseIscDhcpdLeases(text: string): LeaseParseResult {
  const out = new LeaseCollector('last');
  const tokens = tokenize(text);
  let i = 0;
  while (i < tokens.length) {
    const start = tokens[i];
    if (start === undefined) break;
    // One top-level statement: words up to ';' or a '{ ... }' block.
    let j = i;
    while (j < tokens.length && !isPunctuation(tokens[j])) j++;
    const head = tokens.slice(i, j);
    const closer = tokens[j];
    if (closer === undefined) {
      out.skip(start.line, 'statement not terminated by ";" or a block');
      break;
    }
    if (closer.text === '}') {
      out.skip(closer.line, 'unmatched "}"');
      i = j + 1;
      continue;
    }
    if (closer.text === ';') {
      i = j + 1;
      continue;
    }
    const blockEnd = matchingBrace(tokens, j);
    if (blockEnd === -1) {
      out.skip(start.line, `block "${head.map((t) => t.text).join(' ')}" is not closed`);
      break;
    }
    if (start.text === 'lease' && !start.quoted) {
      const problem = readLease(head, tokens.slice(j + 1, blockEnd), out);
      if (problem !== undefined) out.skip(start.line, problem);
    }
    i = blockEnd + 1;
  }
  return out.result();
}

interface Token { readonly text: string; readonly quoted: boolean; readonly line: number }

/** `{`, `}` or `;` outside quotes (a quoted "{" is a string like any other). */
function isPunctuation(t: Token | undefined): boolean {
  return t !== undefined && !t.quoted && (t.text === ';' || t.text === '{' || t.text === '}');
}

/** One token at a time: space, comment, punctuation, quoted string (closing quote optional at end of text), word. */
const TOKEN = /(\s+)|(#[^\n]*)|([{};])|("(?:[^"\\]|\\[\s\S])*"?)|([^\s{};"#]+)/y;

/** Words, quoted strings (escapes decoded as bytes, then UTF-8), and the punctuation `{ } ;`. `#` starts a comment. */
function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  TOKEN.lastIndex = 0;
  for (let m = TOKEN.exec(text); m !== null; m = TOKEN.exec(text)) {
    const [all, space, , punct, quoted, word] = m;
    if (space !== undefined) {
      for (let k = space.indexOf('\n'); k !== -1; k = space.indexOf('\n', k + 1)) line++;
    } else if (punct !== undefined || word !== undefined) {
      tokens.push({ text: all, quoted: false, line });
    } else if (quoted !== undefined) {
      const body = quoted.endsWith('"') && quoted.length > 1 ? quoted.slice(1, -1) : quoted.slice(1);
      tokens.push({ text: body.includes('\\') ? decodeEscapes(body) : body, quoted: true, line });
      for (let k = quoted.indexOf('\n'); k !== -1; k = quoted.indexOf('\n', k + 1)) line++;
    }
    if (TOKEN.lastIndex >= text.length) break;
  }
  return tokens;
}

/** dhcpd's string escapes: `\ooo` octal bytes (how it writes bytes outside printable ASCII), `\n`, `\t`, `\r`, `\"`, `\\`. */
function decodeEscapes(body: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < body.length;) {
    const c = body[i] ?? '';
    if (c === '\\' && i + 1 < body.length) {
      const octal = /^[0-7]{3}/.exec(body.slice(i + 1, i + 4));
      if (octal !== null) {
        bytes.push(parseInt(octal[0], 8) & 0xff);
        i += 4;
        continue;
      }
      const next = body[i + 1] ?? '';
      const escaped = next === 'n' ? '\n' : next === 't' ? '\t' : next === 'r' ? '\r' : next;
      bytes.push(...Buffer.from(escaped, 'utf8'));
      i += 2;
      continue;
    }
    const ch = String.fromCodePoint(body.codePointAt(i) ?? 0);
    bytes.push(...Buffer.from(ch, 'utf8'));
    i += ch.length;
  }
  return Buffer.from(bytes).toString('utf8');
}

function matchingBrace(tokens: readonly Token[], open: number): number {
  let depth = 0;
  for (let k = open; k < tokens.length; k++) {
    const t = tokens[k];
    if (t === undefined || t.quoted) continue;
    if (t.text === '{') depth++;
    else if (t.text === '}' && --depth === 0) return k;
  }
  return -1;
}

/** Reads one `lease <ip> { ... }` block into `out`; returns a problem or undefined. */
function readLease(head: readonly Token[], body: readonly Token[], out: LeaseCollector): string | undefined {
  if (head.length !== 2) return 'expected "lease <address> {"';
  const ipText = head[1]?.text ?? '';
  const ip = ipKey(ipText);
  if (ip === undefined) return `"${ipText}" is not an IP address`;
  let mac: string | undefined;
  let name: string | undefined;
  let ends: number | undefined;
  let endsSeen = false;
  let active = false;
  for (const statement of statements(body)) {
    const words = statement.map((t) => t.text);
    const [first, second, third] = words;
    if (first === 'hardware' && second === 'ethernet' && third !== undefined) {
      mac = normalizeMac(third);
    } else if (first === 'client-hostname' && statement[1]?.quoted === true) {
      name = cleanHostname(statement[1].text);
    } else if (first === 'binding' && second === 'state') {
      active = third === 'active';
    } else if (first === 'ends') {
      endsSeen = true;
      const parsed = parseTime(words.slice(1));
      if (parsed === 'invalid') return `"ends ${words.slice(1).join(' ')}" is not a time`;
      ends = parsed;
    }
  }
  // Without a binding state (old dhcpd), the lease is active until its `ends`.
  const hasBinding = body.some((t) => t.text === 'binding');
  const ended = hasBinding && !active;
  const expires = ended ? (endsSeen && ends !== undefined ? ends : 0) : ends;
  out.add(leaseEntry(ip, { mac, name, expires }));
  return undefined;
}

/** Splits a block body into its top-level `;`-terminated statements (nested blocks skipped). */
function statements(body: readonly Token[]): Token[][] {
  const result: Token[][] = [];
  let current: Token[] = [];
  let depth = 0;
  for (const t of body) {
    if (!t.quoted && t.text === '{') { depth++; current = []; continue; }
    if (!t.quoted && t.text === '}') { depth = Math.max(0, depth - 1); current = []; continue; }
    if (depth > 0) continue;
    if (!t.quoted && t.text === ';') {
      if (current.length > 0) result.push(current);
      current = [];
      continue;
    }
    current.push(t);
  }
  return result;
}

/** `<weekday> YYYY/MM/DD HH:MM:SS` (UTC), `never`, or `epoch <seconds>` -> ms, undefined (never), or 'invalid'. */
function parseTime(words: readonly string[]): number | undefined | 'invalid' {
  if (words[0] === 'never') return undefined;
  if (words[0] === 'epoch') {
    const seconds = words[1] ?? '';
    return /^\d{1,12}$/.test(seconds) ? Number(seconds) * 1000 : 'invalid';
  }
  const date = /^(\d{4})\/(\d{1,2})\/(\d{1,2})$/.exec(words[1] ?? '');
  const time = /^(\d{1,2}):(\d{2}):(\d{2})$/.exec(words[2] ?? '');
  if (!/^\d$/.test(words[0] ?? '') || date === null || time === null) return 'invalid';
  const ms = Date.UTC(Number(date[1]), Number(date[2]) - 1, Number(date[3]), Number(time[1]), Number(time[2]), Number(time[3]));
  return Number.isFinite(ms) ? ms : 'invalid';
}
