import stringWidth from 'string-width';

/** A column: its heading, and whether it may be cut to fit (the widest flexible column gives way first). */
export interface Column {
  readonly heading: string;
  readonly align?: 'left' | 'right';
  readonly flexible?: boolean;
  /** Never narrower than this when cut (display columns). */
  readonly min?: number;
  /** Never wider than this (display columns): a secondary field must not take a name's room. */
  readonly max?: number;
  /** Where a cut falls: at the end (default), or at the start, for names whose end says the most (a domain's suffix). */
  readonly cut?: 'end' | 'start';
}

const GAP = 2;
const ELLIPSIS = '…';

/** Display width: CJK characters take two terminal columns, combining marks none. */
export function displayWidth(text: string): number {
  return stringWidth(text);
}

/** Cuts text to at most `width` display columns, marking the cut with an ellipsis (at the end, or at the start). */
export function truncate(text: string, width: number, at: 'end' | 'start' = 'end'): string {
  if (displayWidth(text) <= width) return text;
  if (width <= 1) return ELLIPSIS.slice(0, width);
  const chars = [...text];
  if (at === 'start') chars.reverse();
  const kept: string[] = [];
  let used = 0;
  for (const char of chars) {
    const w = displayWidth(char);
    if (used + w > width - 1) break;
    kept.push(char);
    used += w;
  }
  return at === 'start' ? `${ELLIPSIS}${kept.reverse().join('')}` : `${kept.join('')}${ELLIPSIS}`;
}

function pad(text: string, width: number, align: 'left' | 'right'): string {
  const fill = ' '.repeat(Math.max(0, width - displayWidth(text)));
  return align === 'right' ? `${fill}${text}` : `${text}${fill}`;
}

/**
 * Lays rows out in columns within `maxWidth` display columns: flexible columns are cut (with an
 * ellipsis) until the table fits. Returns lines without trailing blanks.
 */
export function layoutTable(columns: readonly Column[], rows: readonly (readonly string[])[], maxWidth: number, heading: (text: string) => string = (text) => text): string[] {
  const widths = columns.map((column, index) => Math.min(column.max ?? Number.POSITIVE_INFINITY,
    Math.max(displayWidth(column.heading), ...rows.map((row) => displayWidth(row[index] ?? '')))));
  const total = (): number => widths.reduce((sum, width) => sum + width, 0) + GAP * (columns.length - 1);
  while (total() > maxWidth) {
    let widest = -1;
    columns.forEach((column, index) => {
      if (column.flexible === true && widths[index]! > Math.max(column.min ?? 8, displayWidth(column.heading)) && (widest < 0 || widths[index]! > widths[widest]!)) widest = index;
    });
    if (widest < 0) break;
    // One column at a time, the widest first: long fields give way before short ones do.
    widths[widest]!--;
  }
  const line = (cells: readonly string[], style: (text: string) => string = (text) => text): string =>
    cells.map((cell, index) => style(pad(truncate(cell, widths[index]!, columns[index]!.cut), widths[index]!, columns[index]!.align ?? 'left'))).join(' '.repeat(GAP)).trimEnd();
  return [line(columns.map((column) => column.heading), heading), ...rows.map((row) => line(row))];
}
