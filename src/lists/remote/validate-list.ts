import type { Problem } from '../../errors.js';
import { findNeverBlockViolations, type NeverBlockGuard } from '../never-block.js';
import { entryAt } from '../list-set.js';
import { scanList } from '../scan-list.js';
import { countFormat, type ListFormat } from './list-format.js';

/**
 * The checks a download passes before it replaces the cached copy. A failure keeps the old
 * copy serving: a server that answers with its error page, an empty file or a list cut in half
 * must never cost the network its blocking. Entries that would sinkhole a never-block name are
 * taken out (and reported) rather than failing the whole list: one bad line in a list of
 * thousands should not freeze it forever.
 */

export interface ValidationInput {
  readonly body: Uint8Array;
  readonly contentType: string;
  /** Entries in the cached copy, when there is one. */
  readonly previousEntries: number | undefined;
  /** Largest fraction of entries a download may lose against the cached copy. */
  readonly maxShrink: number;
  /** Take a shrunken list anyway. */
  readonly force: boolean;
  readonly guard: NeverBlockGuard;
  /** What a plain name in the list does: only block entries can hit a never-block name. */
  readonly kind: 'block' | 'allow';
  /** The format the source declares, if any: most rule lines must be in it. */
  readonly format?: ListFormat | undefined;
  /** Names the list in problems. */
  readonly label: string;
}

export type Validation =
  | { readonly ok: true; readonly body: Uint8Array; readonly entries: number; readonly dropped: readonly Problem[] }
  | { readonly ok: false; readonly reason: string };

/** The first bytes after a byte-order mark and white space: `<` opens HTML or XML, never a domain list. */
function looksLikeMarkup(body: Uint8Array): boolean {
  let at = body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf ? 3 : 0;
  while (at < body.length && (body[at] === 0x20 || body[at] === 0x09 || body[at] === 0x0a || body[at] === 0x0d)) at++;
  return body[at] === 0x3c;
}

export function validateList(input: ValidationInput): Validation {
  const { body, label } = input;
  if (/\bhtml\b/i.test(input.contentType) || looksLikeMarkup(body)) {
    return { ok: false, reason: 'the server sent an HTML page (an error or login page?), not a domain list' };
  }
  // The scanner lower-cases names in place: it reads a copy, so the bytes kept are as served.
  const scanned = scanList(Uint8Array.from(body), label, input.kind);
  if (scanned.contentLines >= 4 && scanned.badLines * 2 > scanned.contentLines) {
    return { ok: false, reason: `${scanned.badLines} of ${scanned.contentLines} lines are not rules: not a supported list format` };
  }
  if (scanned.count === 0) return { ok: false, reason: body.length === 0 ? 'the download is empty' : 'the download holds no entries' };
  if (input.format !== undefined) {
    const { lines, matching } = countFormat(Buffer.from(body.buffer, body.byteOffset, body.length).toString('utf8'), input.format);
    if (matching * 2 < lines) return { ok: false, reason: `the source is declared as ${input.format} (format), but only ${matching} of ${lines} rule lines are` };
  }
  const dropLines = new Set<number>();
  const dropped: Problem[] = [];
  for (let i = 0; i < scanned.count; i++) {
    const entry = entryAt(scanned, i);
    if (entry.action !== 'block') continue;
    const violation = findNeverBlockViolations(input.guard, entry.name, entry.scope);
    if (violation === undefined) continue;
    dropLines.add(entry.line);
    dropped.push({ code: 'LIST_NEVER_BLOCK', severity: 'warning', file: label, line: entry.line, message: `dropped: ${violation}` });
  }
  const entries = scanned.count - dropped.length;
  if (entries === 0) return { ok: false, reason: 'every entry would block a never-block name' };
  const previous = input.previousEntries;
  if (!input.force && previous !== undefined && previous > 0 && entries < previous * (1 - input.maxShrink)) {
    return { ok: false, reason: `the list shrank from ${previous} to ${entries} entries, more than lists.remote.maxShrink (${input.maxShrink}) allows; \`camshim lists update --force\` takes it` };
  }
  return { ok: true, body: dropLines.size === 0 ? body : withoutLines(body, dropLines), entries, dropped };
}

/** The bytes with the given 1-based lines left out. */
function withoutLines(body: Uint8Array, lines: ReadonlySet<number>): Uint8Array {
  const kept: Uint8Array[] = [];
  let line = 1;
  let start = 0;
  for (let i = 0; i <= body.length; i++) {
    if (i === body.length || body[i] === 0x0a) {
      const end = Math.min(i + 1, body.length);
      if (!lines.has(line) && end > start) kept.push(body.subarray(start, end));
      start = end;
      line++;
    }
  }
  return Buffer.concat(kept);
}
