import { readFile } from 'node:fs/promises';
import type { ListInfo } from './list-set.js';
import { entryAt } from './list-set.js';
import { ruleText, type RuleAction } from './rule.js';
import { scanList } from './scan-list.js';

/**
 * The comments list files keep beside their entries (what a name is for and where the evidence
 * is), read back for people: `camshim lists --vendor` and `camshim query`. The loader never keeps
 * them (a million-line list would pay for every comment), so they are read from the file when asked.
 */

/** One entry as its list file writes it, with its trailing comment ('' when it has none). */
export interface EntryNote {
  readonly line: number;
  readonly entry: string;
  readonly note: string;
}

/** The text after a line's trailing `#` (a `#` after whitespace, as the list syntax reads it). */
export function trailingComment(line: string): string {
  const at = line.search(/\s#/);
  return at < 0 ? '' : line.slice(at).replace(/^\s*#\s?/, '').trim();
}

function actionOf(list: ListInfo): RuleAction {
  return list.kind === 'allow' ? 'allow' : list.kind === 'ntp' ? 'redirect' : 'block';
}

/** Every entry of a loaded list with its comment, in file order. */
export async function readEntryNotes(list: ListInfo): Promise<EntryNote[]> {
  const bytes = await readFile(list.file);
  const lines = bytes.toString('utf8').split('\n');
  // The scanner lower-cases names in place; it gets its own copy so `lines` keeps the text as written.
  const scanned = scanList(Uint8Array.from(bytes), list.file, actionOf(list));
  const notes: EntryNote[] = [];
  for (let i = 0; i < scanned.count; i++) {
    const entry = entryAt(scanned, i);
    notes.push({ line: entry.line, entry: ruleText(entry.name, entry.action, entry.scope), note: trailingComment(lines[entry.line - 1] ?? '') });
  }
  return notes;
}

/** The comment on one line of a list file; '' when the file cannot be read (a config pseudo-list). */
export async function readLineNote(file: string, line: number): Promise<string> {
  try {
    const lines = (await readFile(file, 'utf8')).split('\n');
    return trailingComment(lines[line - 1] ?? '');
  } catch {
    return '';
  }
}

/** The lists a user means by NAME: its list name, or a list whose vendor header or name contains it. */
export function listsForVendor(lists: readonly ListInfo[], name: string): ListInfo[] {
  const needle = name.trim().toLowerCase();
  if (needle === '') return [];
  const exact = lists.filter((list) => list.name.toLowerCase() === needle);
  const related = lists.filter((list) => !exact.includes(list)
    && (list.name.toLowerCase().includes(needle) || (list.meta.vendor ?? '').toLowerCase().includes(needle)));
  return [...exact, ...related];
}
