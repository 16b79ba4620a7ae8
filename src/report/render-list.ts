import type { ReportResult } from './summary.js';

/** A name as a list line can hold it: no spaces, no comment marker, nothing a list parser would take for syntax. */
const LISTABLE = /^[a-z0-9_-]+(\.[a-z0-9_-]+)+$/i;

/**
 * The `unlisted` names of deny-by-default groups in camshim's list format, ready to review and
 * append to a local list: one name per line, with what the log says of it as a comment. Names a
 * list line cannot hold (escapes, odd bytes) are left out and counted in a comment.
 */
export function renderList(result: ReportResult): string {
  const out = [`# candidates from camshim report, ${result.window.first ?? '-'} to ${result.window.last ?? '-'}`, '# review each name before adding it: an entry blocks the name and every name below it'];
  let left = 0;
  for (const row of result.unlisted) {
    if (!LISTABLE.test(row.name)) { left++; continue; }
    out.push(`${row.name.toLowerCase()}  # ${row.attempts} tries from ${row.clients} clients, first ${row.firstSeen}`);
  }
  if (left > 0) out.push(`# ${left} names left out: not plain host names`);
  return `${out.join('\n')}\n`;
}
