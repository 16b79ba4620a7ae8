import { describeCadence } from './gap-histogram.js';
import type { ClientRow, NameRow, ReportResult } from './summary.js';
import { layoutTable, type Column } from './text-table.js';

export interface TextStyle {
  /** Display columns available (80 unless the terminal says otherwise). */
  readonly width: number;
  /** Bold headings (a terminal without NO_COLOR). */
  readonly color: boolean;
}

const short = (iso: string): string => `${iso.slice(5, 10)} ${iso.slice(11, 16)}`;
const count = (n: number): string => n.toLocaleString('en-US');
const vendor = (row: NameRow): string => row.list ?? '-';

export function clientLabel(row: Pick<ClientRow, 'client' | 'host' | 'mac'>): string {
  if (row.host !== undefined) return `${row.host} (${row.client})`;
  return row.mac !== undefined ? `${row.client} ${row.mac}` : row.client;
}

/** The client without its MAC (shown in a column of its own). */
function clientName(row: Pick<ClientRow, 'client' | 'host'>): string {
  return row.host === undefined ? row.client : `${row.host} (${row.client})`;
}

const NAME_COLUMNS: readonly Column[] = [
  // A long name keeps its end: the vendor's domain says more than the first label.
  { heading: 'NAME', flexible: true, min: 16, cut: 'start' },
  { heading: 'LIST', flexible: true, min: 6, max: 14 },
  { heading: 'TRIES', align: 'right' },
  { heading: 'CLIENTS', align: 'right' },
  { heading: 'FIRST' },
  { heading: 'LAST' },
  { heading: 'EVERY' },
];

/** The last time, without its date when it is the first time's. */
const lastOf = (row: NameRow): string => row.lastSeen.slice(0, 10) === row.firstSeen.slice(0, 10) ? short(row.lastSeen).slice(6) : short(row.lastSeen);

function nameRows(rows: readonly NameRow[], markNew: boolean): string[][] {
  return rows.map((row) => [`${markNew && row.isNew ? '*' : ''}${row.name}`, vendor(row), count(row.attempts), String(row.clients), short(row.firstSeen), lastOf(row), describeCadence(row.cadenceMs)]);
}

/** The report for a terminal or a plain text file: a few sections of tables, within `style.width` columns. */
export function renderText(result: ReportResult, style: TextStyle): string {
  const bold = (text: string): string => style.color ? `\u001b[1m${text}\u001b[22m` : text;
  const out: string[] = [];
  const { window, totals } = result;
  const span = window.first === undefined ? 'no camshim events' : `${short(window.first)} to ${short(window.last!)} UTC`;
  out.push(`${bold('camshim report')}: ${span}; ${count(totals.queries)} queries from ${result.clients.length} clients`);
  const skipped = totals.skipped.malformed + totals.skipped['newer-schema'];
  if (skipped > 0 || result.problems.length > 0) out.push(`skipped: ${count(totals.skipped.malformed)} malformed lines, ${count(totals.skipped['newer-schema'])} of a newer camshim, ${result.problems.length} input problems (see standard error)`);
  const section = (title: string, lines: string[]): void => { out.push('', bold(title), ...lines); };

  // Without --since the window is the whole input, and every name in it is new.
  const markNew = window.since !== undefined;
  const legend = `EVERY: the typical gap between one client's tries${markNew ? '; *: first seen in this window' : ''}`;
  section('Sinkholed names', result.sinkholed.length === 0 ? ['none'] : [...layoutTable(NAME_COLUMNS, nameRows(result.sinkholed, markNew), style.width, bold), legend]);
  // The MAC is what a router's filter rule names: a column of its own when the log carries any.
  const macs = result.clients.some((row) => row.mac !== undefined);
  section('Clients', result.clients.length === 0 ? ['none'] : layoutTable([
    { heading: 'CLIENT', flexible: true, min: 15 },
    ...(macs ? [{ heading: 'MAC' }] : []),
    { heading: 'SINKHOLED', align: 'right' },
    { heading: 'UNLISTED', align: 'right' },
    { heading: 'NTP NAMES', align: 'right' },
    { heading: 'TOP NAMES', flexible: true, min: 12 },
  ],
  result.clients.map((row) => [macs ? clientName(row) : clientLabel(row), ...(macs ? [row.mac ?? '-'] : []), count(row.sinkholed), count(row.unlisted), count(row.redirected),
    row.top.map((top) => `${top.name} ${count(top.attempts)}`).join(', ') || '-']), style.width, bold));
  if (result.unlisted.length > 0) {
    section('Unlisted names (deny-by-default groups): candidates for the lists', layoutTable(NAME_COLUMNS, nameRows(result.unlisted, markNew), style.width, bold));
  }
  const ntp = result.ntp;
  const clock = ntp.clock.length === 0 ? 'no clock changes logged' : ntp.clock.map((entry) => `${entry.state} from ${short(entry.time)}`).join(', ');
  section('NTP', [`${ntp.clients.length} clients served first in this window; clock: ${clock}`,
    ...(ntp.clients.length === 0 ? [] : layoutTable([{ heading: 'CLIENT', flexible: true }, { heading: 'GROUP', flexible: true }, { heading: 'FIRST' }],
      ntp.clients.map((row) => [clientLabel(row), row.group, short(row.firstSeen)]), style.width, bold))]);
  return `${out.join('\n')}\n`;
}
