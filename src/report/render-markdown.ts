import { describeCadence } from './gap-histogram.js';
import type { NameRow, ReportResult } from './summary.js';

/** A Markdown cell: pipes and line breaks would end it, and markup in a name must show as text. */
function cell(text: string): string {
  return text.replace(/[\\|`*_<>[\]]/g, (char) => `\\${char}`).replace(/[\r\n]+/g, ' ');
}

function table(headings: readonly string[], rows: readonly (readonly string[])[]): string[] {
  return [`| ${headings.join(' | ')} |`, `|${headings.map(() => ' --- ').join('|')}|`, ...rows.map((row) => `| ${row.map(cell).join(' | ')} |`)];
}

const nameTable = (rows: readonly NameRow[]): string[] => table(['Name', 'List', 'Tries', 'Clients', 'First', 'Last', 'Cadence', 'New'],
  rows.map((row) => [row.name, row.list ?? '-', String(row.attempts), String(row.clients), row.firstSeen, row.lastSeen, describeCadence(row.cadenceMs), row.isNew ? 'yes' : '']));

/** The report as Markdown, for a wiki page or an issue. */
export function renderMarkdown(result: ReportResult): string {
  const out: string[] = ['# camshim report', '', `${result.window.first ?? '-'} to ${result.window.last ?? '-'}: ${result.totals.queries} queries from ${result.clients.length} clients.`];
  out.push('', '## Sinkholed names', '', ...nameTable(result.sinkholed));
  out.push('', '## Clients', '', ...table(['Client', 'MAC', 'Sinkholed', 'Unlisted', 'NTP names', 'Top names'],
    result.clients.map((row) => [row.host === undefined ? row.client : `${row.host} (${row.client})`, row.mac ?? '-', String(row.sinkholed), String(row.unlisted), String(row.redirected),
      row.top.map((top) => `${top.name} (${top.attempts})`).join(', ')])));
  if (result.unlisted.length > 0) out.push('', '## Unlisted names (candidates for the lists)', '', ...nameTable(result.unlisted));
  out.push('', '## NTP', '', ...table(['Client', 'MAC', 'Group', 'First seen'],
    result.ntp.clients.map((row) => [row.host === undefined ? row.client : `${row.host} (${row.client})`, row.mac ?? '-', row.group, row.firstSeen])));
  if (result.ntp.clock.length > 0) out.push('', ...table(['Time', 'Clock state'], result.ntp.clock.map((entry) => [entry.time, entry.state])));
  return `${out.join('\n')}\n`;
}
