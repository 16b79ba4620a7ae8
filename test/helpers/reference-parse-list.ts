/**
 * The reference list parser for tests: one file as a string, line by line, each content line
 * through `parseRuleLine` (the one place the full syntax lives). camshim itself loads lists with
 * the byte scanner (src/lists/scan-list.ts); test/lists/scan-list.test.ts holds the two to the
 * same entries, problems and meta.
 */
import type { Problem } from '../../src/errors.js';
import { emptyListMeta, LineProblems, parseRuleLine, readHeaderLine, type ListMeta } from '../../src/lists/parse.js';
import type { ListEntry, RuleAction } from '../../src/lists/rule.js';

export interface ParsedList {
  readonly entries: ListEntry[];
  readonly problems: Problem[];
  /** Lines that were neither blank nor comments: the base for "does this look like a list". */
  readonly contentLines: number;
  readonly badLines: number;
  readonly meta: ListMeta;
}

/**
 * Parses one list file. Pure. Accepted per line: `name`, `*.name`, `=name`, hosts lines
 * (`0.0.0.0 name ...`), adblock `||name^` and `@@||name^`; `#` (also trailing) and `!` comments.
 * A bad line becomes a problem with its line number and is skipped.
 */
export function parseList(text: string, file: string, defaultAction: RuleAction): ParsedList {
  const entries: ListEntry[] = [];
  const meta = emptyListMeta();
  const bad = new LineProblems(file);
  const report = bad.report;
  let contentLines = 0;
  let inHeader = true;

  let lineNumber = 0;
  let start = 0;
  const length = text.length;
  while (start <= length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = length;
    lineNumber++;
    const raw = text.slice(start, end);
    start = end + 1;
    const line = raw.trim();
    if (line === '') { if (end === length) break; continue; }
    if (line.startsWith('#') || line.startsWith('!')) {
      if (inHeader) readHeaderLine(line, meta);
      if (end === length) break;
      continue;
    }
    inHeader = false;
    contentLines++;
    const hash = line.search(/\s#/);
    const body = (hash === -1 ? line : line.slice(0, hash)).trim();
    parseRuleLine(body, lineNumber, defaultAction, entries, report);
    if (end === length) break;
  }
  return { entries, problems: bad.finish(), contentLines, badLines: bad.badLines, meta };
}

