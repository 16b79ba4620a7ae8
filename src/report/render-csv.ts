import type { NameRow, ReportResult } from './summary.js';

/** RFC 4180 field: quoted when it holds a comma, quote or line break. A leading =, +, - or @ is prefixed so a spreadsheet never runs it as a formula. */
function field(value: string | number | null | undefined): string {
  let text = value === null || value === undefined ? '' : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One row per name and answer kind: the table a spreadsheet or a script wants. */
export function renderCsv(result: ReportResult): string {
  const header = ['event', 'name', 'list', 'rule', 'attempts', 'clients', 'first_seen', 'last_seen', 'cadence_seconds', 'new'];
  const rows = (event: string, names: readonly NameRow[]): string[] => names.map((row) => [
    event, row.name, row.list, row.rule, row.attempts, row.clients, row.firstSeen, row.lastSeen,
    row.cadenceMs === undefined ? '' : Math.round(row.cadenceMs / 1000), row.isNew ? 'yes' : 'no',
  ].map(field).join(','));
  return `${[header.join(','), ...rows('sinkhole', result.sinkholed), ...rows('unlisted', result.unlisted), ...rows('redirect', result.redirected)].join('\r\n')}\r\n`;
}
