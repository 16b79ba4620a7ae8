/**
 * The log for a person at a terminal: one short line per event instead of JSON. Query events
 * read as `time  event  client  name type -> answer  list:rule`; other events as their message
 * and fields. Colour only when asked (a terminal without NO_COLOR).
 */
const LEVELS: Readonly<Record<number, string>> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO ', 40: 'WARN ', 50: 'ERROR', 60: 'FATAL' };
const LEVEL_COLOURS: Readonly<Record<number, string>> = { 40: '33', 50: '31', 60: '31' };
/** Fields every line has, or that a query line shows in its own layout. */
const HEAD_FIELDS = new Set(['level', 'time', 'service', 'v', 'msg', 'event']);
const QUERY_FIELDS = new Set([...HEAD_FIELDS, 'client', 'mac', 'host', 'name', 'type', 'group', 'list', 'rule', 'line', 'answer', 'of', 'count', 'first', 'last']);
const QUERY_EVENTS = new Set(['sinkhole', 'redirect', 'unlisted', 'storm']);

function clock(time: unknown): string {
  return typeof time === 'string' && time.length >= 23 ? time.slice(11, 23) : String(time ?? '');
}

function value(field: unknown): string {
  if (typeof field === 'string') return /[\s="]/.test(field) || field === '' ? JSON.stringify(field) : field;
  return JSON.stringify(field) ?? String(field);
}

function rest(fields: Record<string, unknown>, shown: ReadonlySet<string>): string {
  const parts: string[] = [];
  for (const [key, field] of Object.entries(fields)) if (!shown.has(key) && field !== undefined) parts.push(`${key}=${value(field)}`);
  return parts.length === 0 ? '' : `  ${parts.join(' ')}`;
}

/** One JSON log line (without its newline) as a pretty line; text that is not JSON passes unchanged. */
export function prettyLine(line: string, colour: boolean): string {
  let fields: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(line);
    if (typeof parsed !== 'object' || parsed === null) return line;
    fields = parsed as Record<string, unknown>;
  } catch {
    return line;
  }
  const paint = (code: string | undefined, text: string): string => colour && code !== undefined ? `\u001b[${code}m${text}\u001b[39m` : text;
  const level = typeof fields.level === 'number' ? fields.level : 30;
  const head = `${clock(fields.time)} ${paint(LEVEL_COLOURS[level], LEVELS[level] ?? String(level))}`;
  const event = typeof fields.event === 'string' ? fields.event : undefined;
  if (event !== undefined && QUERY_EVENTS.has(event)) {
    const mac = typeof fields.mac === 'string' ? ` ${fields.mac}` : '';
    const who = typeof fields.host === 'string' ? `${fields.host}(${String(fields.client)}${mac})` : `${String(fields.client)}${mac}`;
    const rule = typeof fields.list === 'string' ? `  ${fields.list}:${String(fields.rule)}` : '';
    const repeats = event === 'storm' ? ` x${String(fields.count)} ${String(fields.of)} ${clock(fields.first)}..${clock(fields.last)}` : '';
    const kind = paint(event === 'sinkhole' || fields.of === 'sinkhole' ? '35' : '36', event.padEnd(8));
    return `${head} ${kind} ${who}  ${String(fields.name)} ${String(fields.type)} -> ${String(fields.answer)}${rule}${repeats}${rest(fields, QUERY_FIELDS)}`;
  }
  const message = typeof fields.msg === 'string' ? fields.msg : '';
  return `${head} ${event === undefined ? '' : `${event}: `}${message}${rest(fields, HEAD_FIELDS)}`;
}

/** Every line of a chunk of JSON lines, made pretty. */
export function prettyLines(text: string, colour: boolean): string {
  const lines = text.split('\n');
  const last = lines.pop();
  const out = lines.map((line) => prettyLine(line, colour)).join('\n');
  return `${out}\n${last === undefined || last === '' ? '' : prettyLine(last, colour)}`;
}
