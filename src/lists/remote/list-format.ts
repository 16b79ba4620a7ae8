import type { LIST_FORMATS } from '../../config/config-schema.js';

/**
 * The formats a list source may declare. The parser reads all of them, line by line, whatever
 * is declared; a declared format is a check on downloads: a source that starts serving
 * something else (a different file behind the same URL) is refused instead of half-parsed.
 */
export type ListFormat = (typeof LIST_FORMATS)[number];

const HOSTS_LINE = /^(?:0\.0\.0\.0|127\.0\.0\.1|::1?|::0|0)[ \t]+\S/;
const ADBLOCK_LINE = /^(?:@@)?\|\|/;

/** The format of one rule line (comments and blank lines are none). */
export function lineFormat(line: string): ListFormat | undefined {
  const text = line.trim();
  if (text === '' || text.startsWith('#') || text.startsWith('!') || text.startsWith('[')) return undefined;
  if (HOSTS_LINE.test(text)) return 'hosts';
  if (ADBLOCK_LINE.test(text)) return 'adblock';
  return 'domains';
}

/** How many rule lines there are, and how many are in `format`. */
export function countFormat(text: string, format: ListFormat): { lines: number; matching: number } {
  let lines = 0;
  let matching = 0;
  for (const line of text.split('\n')) {
    const found = lineFormat(line);
    if (found === undefined) continue;
    lines++;
    if (found === format) matching++;
  }
  return { lines, matching };
}
