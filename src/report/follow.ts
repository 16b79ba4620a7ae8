import { open, stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { inWindow, type ReportFilter } from './filters.js';
import { parseEvent, type QueryRecord } from './parse-event.js';
import { readLines, type ReadProblem } from './read-lines.js';
import { clientLabel } from './render-text.js';

export interface FollowOptions {
  /** A growing log file to follow from its current end, or '-' for `stdin`. */
  readonly source: string;
  readonly stdin: Readable;
  readonly filter: ReportFilter;
  /** Only names not printed before in this run. */
  readonly onlyNew: boolean;
  readonly write: (line: string) => void;
  readonly onProblem?: (problem: ReadProblem) => void;
  /** Ends following (a file is followed until then; standard input until it ends). */
  readonly signal: AbortSignal;
  /** How often a file is checked for new lines (ms). */
  readonly pollMs?: number;
}

const time = (ms: number): string => new Date(ms).toISOString().replace('T', ' ').slice(0, 19);

/** One sinkholed query (or a storm's repeats) as a line: time, client, name, type, list and rule, answer. */
export function followLine(record: QueryRecord): string {
  const repeats = record.count > 1 ? `  x${record.count} until ${time(record.lastMs).slice(11)}` : '';
  return `${time(record.timeMs)}  ${clientLabel(record)}  ${record.name}  ${record.type}  ${record.list ?? '-'}${record.rule === null ? '' : `:${record.rule}`}  ${record.answer}${repeats}`;
}

/**
 * `camshim report --follow`: prints each sinkholed query as its line arrives, with the report's
 * filters, like `pihole -t` for the sinkhole only. A followed file is read from its end; when it
 * is truncated or replaced (rotation), reading starts again at the new file's beginning.
 */
export async function follow(options: FollowOptions): Promise<void> {
  const seen = new Set<string>();
  const onLine = (text: string): void => {
    const record = parseEvent(text);
    if (typeof record === 'string' || record.kind !== 'query' || record.event !== 'sinkhole') return;
    const { filter } = options;
    if (!inWindow(filter, record.timeMs)) return;
    if (filter.client !== undefined && !filter.client(record.client)) return;
    if (filter.domain !== undefined && !filter.domain(record.name)) return;
    if (options.onlyNew) {
      if (seen.has(record.name)) return;
      // Bounded: past this many names, --new forgets the oldest half.
      if (seen.size >= 100_000) for (const name of [...seen].slice(0, 50_000)) seen.delete(name);
      seen.add(record.name);
    }
    options.write(`${followLine(record)}\n`);
  };
  const problem = (found: ReadProblem): void => options.onProblem?.(found);
  if (options.source === '-') {
    const stream = options.stdin;
    options.signal.addEventListener('abort', () => stream.destroy(), { once: true });
    await readLines({ name: 'standard input', stream }, { line: onLine, problem });
    return;
  }
  await followFile(options.source, onLine, problem, options.signal, options.pollMs ?? 250);
}

async function followFile(file: string, onLine: (text: string) => void, problem: (found: ReadProblem) => void, signal: AbortSignal, pollMs: number): Promise<void> {
  let identity: { ino: number; size: number } | undefined = await stat(file).then((s) => ({ ino: s.ino, size: s.size }), () => undefined);
  let offset = identity?.size ?? 0;
  let partial = '';
  let reported = false;
  while (!signal.aborted) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, pollMs);
      signal.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
    });
    if (signal.aborted) break;
    const now = await stat(file).then((s) => ({ ino: s.ino, size: s.size }), () => undefined);
    if (now === undefined) {
      if (!reported) { reported = true; problem({ source: file, kind: 'unreadable', message: 'the file is gone; waiting for it to come back' }); }
      continue;
    }
    reported = false;
    // Rotated (another file under the name) or truncated: the new content starts at 0.
    if (identity === undefined || now.ino !== identity.ino || now.size < offset) { offset = 0; partial = ''; }
    identity = now;
    if (now.size <= offset) continue;
    const handle = await open(file, 'r');
    try {
      const length = Math.min(now.size - offset, 16 * 1024 * 1024);
      const buffer = Buffer.alloc(length);
      const { bytesRead } = await handle.read(buffer, 0, length, offset);
      offset += bytesRead;
      const lines = (partial + buffer.subarray(0, bytesRead).toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      if (partial.length > 1024 * 1024) partial = '';
      for (const line of lines) onLine(line);
    } finally {
      await handle.close();
    }
  }
}
