import type { Problem } from '../errors.js';
import type { ListEntry, RuleAction, RuleScope } from './rule.js';

/** Header facts a list file states about itself (`# key: value` lines before the first entry). */
export interface ListMeta {
  readonly vendor?: string;
  readonly covers?: string;
  readonly updated?: string;
  readonly description: readonly string[];
  readonly sideEffects: readonly string[];
  readonly notes: readonly string[];
}

/** Problems kept per list; the rest are only counted, so a garbage file cannot eat memory. */
const MAX_PROBLEMS_KEPT = 50;

const SINKHOLE_ADDRESSES = new Set(['0.0.0.0', '127.0.0.1', '::', '::1', '0', '::0']);
/** Names every hosts file carries that are not rules. */
export const HOSTS_BOILERPLATE: ReadonlySet<string> = new Set([
  'localhost', 'localhost.localdomain', 'local', 'broadcasthost', 'ip6-localhost', 'ip6-loopback',
  'ip6-localnet', 'ip6-mcastprefix', 'ip6-allnodes', 'ip6-allrouters', 'ip6-allhosts', '0.0.0.0',
]);
const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;

/** ListMeta while a file is being read. */
export interface MutableListMeta { vendor?: string; covers?: string; updated?: string; description: string[]; sideEffects: string[]; notes: string[] }

export function emptyListMeta(): MutableListMeta {
  return { description: [], sideEffects: [], notes: [] };
}

/**
 * Collects a list file's bad lines: every one is counted, the first MAX_PROBLEMS_KEPT are kept
 * (so a garbage file cannot eat memory), and `finish` adds one line for the rest.
 */
export class LineProblems {
  readonly problems: Problem[] = [];
  badLines = 0;
  constructor(private readonly file: string) {}

  readonly report = (line: number, message: string): void => {
    this.badLines++;
    if (this.problems.length < MAX_PROBLEMS_KEPT) this.problems.push({ code: 'LIST_INVALID', severity: 'warning', message, file: this.file, line });
  };

  finish(): Problem[] {
    if (this.problems.length < this.badLines) {
      this.problems.push({ code: 'LIST_INVALID', severity: 'warning', message: `${this.badLines - this.problems.length} more bad lines not shown`, file: this.file });
    }
    return this.problems;
  }
}

export function readHeaderLine(line: string, meta: MutableListMeta): void {
  const text = line.replace(/^[#!]\s?/, '');
  const match = /^([a-z-]+):\s*(.*)$/i.exec(text);
  if (match?.[1] !== undefined && match[2] !== undefined) {
    const key = match[1].toLowerCase();
    const value = match[2].trim();
    if (key === 'vendor') { meta.vendor = value; return; }
    if (key === 'covers' || key === 'models') { meta.covers = value; return; }
    if (key === 'updated' || key === 'date') { meta.updated = value; return; }
    if (key === 'side-effects' || key === 'side-effect') { meta.sideEffects.push(value); return; }
    if (key === 'notes' || key === 'note') { meta.notes.push(value); return; }
  }
  if (text.trim() !== '') meta.description.push(text.trim());
}

export function parseRuleLine(
  body: string, line: number, defaultAction: RuleAction, entries: ListEntry[], report: (line: number, message: string) => void,
): void {
  // Hosts file line: address then one or more names.
  const fields = body.split(/\s+/);
  if (fields.length > 1) {
    const address = fields[0]!;
    if (!SINKHOLE_ADDRESSES.has(address)) {
      report(line, `hosts line with address ${address}: only sinkhole addresses (0.0.0.0, 127.0.0.1, ::, ::1) are rules`);
      return;
    }
    for (const field of fields.slice(1)) {
      const name = field.toLowerCase();
      if (HOSTS_BOILERPLATE.has(name)) continue;
      addEntry(name, defaultAction, 'subtree', line, entries, report);
    }
    return;
  }
  let text = body.toLowerCase();
  let action = defaultAction;
  let scope: RuleScope = 'subtree';
  if (text.startsWith('@@')) { action = 'allow'; text = text.slice(2); if (!text.startsWith('||')) { report(line, `unsupported allow rule "${body}": use @@||name^`); return; } }
  if (text.startsWith('||')) {
    const caret = text.indexOf('^');
    if (caret === -1) { report(line, `adblock rule "${body}" lacks the closing ^`); return; }
    const modifiers = text.slice(caret + 1);
    if (modifiers !== '' && modifiers !== '$important') { report(line, `adblock modifiers "${modifiers}" are for browsers, not DNS`); return; }
    text = text.slice(2, caret);
  } else if (text.startsWith('*.')) {
    scope = 'below';
    text = text.slice(2);
  } else if (text.startsWith('=')) {
    scope = 'exact';
    text = text.slice(1);
  }
  if (text.endsWith('.')) text = text.slice(0, -1);
  if (HOSTS_BOILERPLATE.has(text)) return;
  addEntry(text, action, scope, line, entries, report);
}

function addEntry(
  name: string, action: RuleAction, scope: RuleScope, line: number, entries: ListEntry[], report: (line: number, message: string) => void,
): void {
  const problem = nameProblem(name);
  if (problem !== undefined) { report(line, problem); return; }
  entries.push({ name, action, scope, line });
}

/** Why `name` (lower-case, no trailing dot) cannot be a rule, or undefined when it can. */
export function nameProblem(name: string): string | undefined {
  if (name === '') return 'empty name';
  if (name.length > 253) return `name longer than 253 characters`;
  const labels = name.split('.');
  if (labels.length < 2) return `"${name}" is a single label: a rule this wide would sinkhole a whole top-level domain`;
  for (const label of labels) {
    if (!LABEL.test(label)) return `"${name}" is not a valid domain name (label "${label.slice(0, 70)}")`;
  }
  return undefined;
}
