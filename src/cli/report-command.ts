import { CamshimError } from '../errors.js';
import { parseClientFilter, parseDomainFilter, parseTimeBound, type ReportFilter } from '../report/filters.js';
import { follow } from '../report/follow.js';
import type { ReadProblem } from '../report/read-lines.js';
import { renderCsv } from '../report/render-csv.js';
import { renderList } from '../report/render-list.js';
import { renderMarkdown } from '../report/render-markdown.js';
import { renderText } from '../report/render-text.js';
import { runReport } from '../report/run-report.js';
import type { CommandModule } from './command-module.js';
import { commandText } from './commands.js';

const FORMATS = ['table', 'json', 'csv', 'markdown', 'list'] as const;
type Format = typeof FORMATS[number];

/** The report was printed, but some input could not be read (a damaged gzip, binary data, an over-long line, a missing file). */
export const EXIT_INPUT_SKIPPED = 3;
/** Files smaller than this read too fast for a progress line to help. */
const PROGRESS_MIN_BYTES = 16 * 1024 * 1024;

interface ReportArgs {
  files: string[];
  since: string | undefined;
  until: string | undefined;
  client: string | undefined;
  domain: string | undefined;
  new: boolean;
  top: number;
  format: Format;
  follow: boolean;
}

export const reportCommand: CommandModule = {
  register(argv, setResult) {
    const text = commandText('report');
    return argv.command(text.command, text.describe, (command) => command
      .positional('files', { type: 'string', array: true, default: [], describe: 'log files (plain or gzip, any order), or - for standard input' })
      .option('since', { type: 'string', requiresArg: true, describe: 'from this time: 24h, 7d, today, 2026-12-01, 2026-12-01T08:00' })
      .option('until', { type: 'string', requiresArg: true, describe: 'up to this time (same forms)' })
      .option('client', { type: 'string', requiresArg: true, describe: 'only clients in this address or CIDR block' })
      .option('domain', { type: 'string', requiresArg: true, describe: 'only this name and the names below it' })
      .option('new', { type: 'boolean', default: false, describe: 'only names first seen in the window' })
      .option('top', { type: 'number', requiresArg: true, default: 20, describe: 'rows per table' })
      .option('format', { choices: FORMATS, default: 'table' as Format, describe: 'output format (list: candidate names in list format)' })
      .option('follow', { alias: 'f', type: 'boolean', default: false, describe: 'print each sinkholed query as it is logged (standard input, or one growing file)' })
      .check((args) => {
        if (!Number.isInteger(args.top) || args.top < 1) throw new Error(`--top needs a whole number of rows, 1 or more, got ${String(args.top)}`);
        if (args.follow && args.files.length > 1) throw new Error('--follow reads one source: a growing log file, or - for standard input');
        return true;
      }),
    (args) => setResult(() => report(args as unknown as ReportArgs)));
  },
};

function filterOf(args: ReportArgs, nowMs: number): ReportFilter {
  const sinceMs = args.since === undefined ? undefined : parseTimeBound(args.since, 'since', nowMs);
  const untilMs = args.until === undefined ? undefined : parseTimeBound(args.until, 'until', nowMs);
  if (sinceMs !== undefined && untilMs !== undefined && untilMs <= sinceMs) throw new CamshimError('CLI_USAGE', '--until must be later than --since');
  return {
    sinceMs, untilMs,
    client: args.client === undefined ? undefined : parseClientFilter(args.client),
    domain: args.domain === undefined ? undefined : parseDomainFilter(args.domain),
  };
}

async function report(args: ReportArgs): Promise<number> {
  const filter = filterOf(args, Date.now());
  let sources = args.files;
  if (sources.length === 0) {
    if (process.stdin.isTTY === true) throw new CamshimError('CLI_USAGE', 'name log files, or pipe the log in: journalctl -u camshim -o cat | camshim report -');
    sources = ['-'];
  }
  let problems = 0;
  const onProblem = (problem: ReadProblem): void => {
    problems++;
    clearProgress();
    process.stderr.write(`camshim report: ${problem.source}: ${problem.message}\n`);
  };
  if (args.follow) {
    const controller = new AbortController();
    const stop = (): void => controller.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    await follow({
      source: sources[0]!, stdin: process.stdin, filter, onlyNew: args.new, onProblem, signal: controller.signal,
      write: (line) => { process.stdout.write(line); },
    });
    return problems > 0 ? EXIT_INPUT_SKIPPED : 0;
  }
  const summary = await runReport({ sources, stdin: process.stdin, filter, onProblem, ...progressReporter() });
  clearProgress();
  const result = summary.result({ top: args.top, onlyNew: args.new });
  const color = process.stdout.isTTY === true && process.env.NO_COLOR === undefined;
  const text = args.format === 'json' ? `${JSON.stringify(result, null, 2)}\n`
    : args.format === 'csv' ? renderCsv(result)
      : args.format === 'markdown' ? renderMarkdown(result)
        : args.format === 'list' ? renderList(result)
          : renderText(result, { width: process.stdout.isTTY === true ? Math.max(60, process.stdout.columns ?? 80) : 80, color });
  await new Promise<void>((resolve) => process.stdout.write(text, () => resolve()));
  return problems > 0 ? EXIT_INPUT_SKIPPED : 0;
}

let progressShown = false;

/** A progress line on a terminal's standard error for big files; nothing otherwise. */
function progressReporter(): { onProgress?: (read: number, total: number) => void } {
  if (process.stderr.isTTY !== true) return {};
  let lastMs = 0;
  return {
    onProgress(read, total) {
      if (total < PROGRESS_MIN_BYTES) return;
      const now = Date.now();
      if (now - lastMs < 250) return;
      lastMs = now;
      progressShown = true;
      process.stderr.write(`\rreading logs: ${Math.min(100, Math.floor((read / total) * 100))}% of ${(total / 1e6).toFixed(0)} MB`);
    },
  };
}

function clearProgress(): void {
  if (!progressShown) return;
  progressShown = false;
  process.stderr.write('\r\u001b[2K');
}
