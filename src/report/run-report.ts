import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { ReportFilter } from './filters.js';
import { parseEvent } from './parse-event.js';
import { readLines, type ReadProblem } from './read-lines.js';
import { ReportSummary } from './summary.js';

export interface ReportInput {
  /** Log files (plain or gzip), or '-' for `stdin`. */
  readonly sources: readonly string[];
  readonly stdin: Readable;
  readonly filter: ReportFilter;
  /** Told of each input problem as it is found (the CLI prints it on stderr). */
  readonly onProblem?: (problem: ReadProblem) => void;
  /** Told how far reading has got, for a progress line: bytes read of all files, and their total. */
  readonly onProgress?: (read: number, total: number) => void;
}

/** Lines read from a file's start to find its first event's time, at most. */
const PEEK_LINES = 1000;

/**
 * Reads every source into one summary. Files are read in the order of their first event's time,
 * so a rotated set (camshim.log, camshim.log.1, camshim.log.2.gz ...) given in any order is
 * read oldest first; a file with no event goes last.
 */
export async function runReport(input: ReportInput): Promise<ReportSummary> {
  const summary = new ReportSummary(input.filter);
  const problem = (found: ReadProblem): void => { summary.problem(found); input.onProblem?.(found); };
  const files = input.sources.filter((source) => source !== '-');
  const sizes = new Map<string, number>();
  for (const file of files) sizes.set(file, await stat(file).then((stats) => stats.size, () => 0));
  const total = [...sizes.values()].reduce((sum, size) => sum + size, 0);
  const firstTimes = new Map<string, number>();
  for (const file of files) firstTimes.set(file, await firstEventTime(file));
  const byTime = (a: string, b: string): number => {
    const [ta, tb] = [firstTimes.get(a)!, firstTimes.get(b)!];
    return ta === tb ? 0 : ta < tb ? -1 : 1;
  };
  // Standard input, when given, is read after the files (it is the newest: a live journal).
  const ordered = [...files].sort(byTime).concat(input.sources.includes('-') ? ['-'] : []);
  let done = 0;
  for (const source of ordered) {
    const sink = {
      line: (text: string): void => {
        const record = parseEvent(text);
        if (typeof record === 'string') summary.skip(record); else summary.add(record);
      },
      problem,
      ...(input.onProgress === undefined || source === '-' ? {} : { progress: (bytes: number) => input.onProgress!(done + bytes, total) }),
    };
    await readLines(source === '-' ? { name: 'standard input', stream: input.stdin } : source, sink);
    done += sizes.get(source) ?? 0;
  }
  return summary;
}

async function firstEventTime(file: string): Promise<number> {
  let first = Number.POSITIVE_INFINITY;
  let lines = 0;
  await readLines(file, {
    line(text) {
      const record = parseEvent(text);
      if (typeof record !== 'string') { first = record.timeMs; return 'stop'; }
      return ++lines >= PEEK_LINES ? 'stop' : undefined;
    },
    // Problems are reported when the file is read for real.
    problem() { /* said later */ },
  });
  return first;
}
