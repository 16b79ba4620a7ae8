/**
 * Log times to ms since the epoch. camshim writes every time as `YYYY-MM-DDTHH:MM:SS.mmmZ`;
 * reading millions of them, Date.parse is a visible share of a report, so that exact shape is
 * read by hand, the hour's start cached (a log's consecutive lines share it). Anything else
 * (an older writer, a hand-edited line) goes to Date.parse.
 */
let cachedHour = '';
let cachedHourMs = Number.NaN;

const ZERO = 48;

/** `count` ASCII digits at `at` as a number, or NaN. */
function digits(text: string, at: number, count: number): number {
  let value = 0;
  for (let i = at; i < at + count; i++) {
    const digit = text.charCodeAt(i) - ZERO;
    if (digit < 0 || digit > 9) return Number.NaN;
    value = value * 10 + digit;
  }
  return value;
}

export function parseLogTime(text: string): number {
  if (text.length !== 24 || text.charCodeAt(23) !== 90 /* Z */ || text.charCodeAt(13) !== 58 /* : */
    || text.charCodeAt(16) !== 58 || text.charCodeAt(19) !== 46 /* . */) return Date.parse(text);
  const hour = text.slice(0, 13);
  if (hour !== cachedHour) {
    // The shapes Date.parse reads specially (hour 24) are left to it.
    if (!(digits(text, 11, 2) < 24)) return Date.parse(text);
    const ms = Date.parse(`${hour}:00:00.000Z`);
    if (!Number.isFinite(ms)) return Number.NaN;
    cachedHour = hour;
    cachedHourMs = ms;
  }
  const minutes = digits(text, 14, 2);
  const seconds = digits(text, 17, 2);
  const millis = digits(text, 20, 3);
  // Date.parse refuses these too: NaN, as it would give.
  if (!(minutes < 60 && seconds < 60)) return Number.NaN;
  return cachedHourMs + minutes * 60_000 + seconds * 1000 + millis;
}
