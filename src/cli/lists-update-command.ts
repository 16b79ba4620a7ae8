import type { Argv } from 'yargs';
import { loadConfig } from '../config/load-config.js';
import { formatProblem } from '../errors.js';
import type { RefreshResult } from '../lists/remote/refresh-source.js';
import type { RemoteSource } from '../lists/remote/remote-sources.js';
import { updateRemoteSources } from '../lists/remote/update-all.js';
import { layoutTable } from '../report/text-table.js';
import { listOverrides } from './common-options.js';
import { signalReload } from './pid-file.js';

/**
 * `camshim lists update`: downloads every URL source, validates it, replaces the cached copy,
 * prints one row per source and tells a running daemon to re-read the copies. Exit code 1 when
 * any source failed (the old copy of that source keeps serving).
 */
export function registerListsUpdate<T>(argv: Argv<T>, setResult: (run: () => Promise<number>) => void): Argv<T> {
  return argv.command('update', 'download every list source given by URL, check it, and replace the cached copy', (sub) => sub
    .option('force', { type: 'boolean', default: false, describe: 'take a list even when it shrank more than lists.remote.maxShrink' })
    .option('pid-file', { type: 'string', requiresArg: true, describe: "send SIGHUP to the daemon whose pid is in this file (serve --pid-file) so it serves the new lists" }),
  (args) => {
    const config = (args as { config?: string | undefined }).config;
    const json = (args as { json?: boolean }).json === true;
    setResult(() => update(config, { ...args, force: args.force, pidFile: args['pid-file'], json }));
  });
}

interface UpdateArgs { blocklist?: string[] | undefined; 'state-dir'?: string | undefined; force: boolean; pidFile: string | undefined; json: boolean }

async function update(configFile: string | undefined, args: UpdateArgs): Promise<number> {
  const loaded = await loadConfig(configFile, listOverrides(args));
  const progress = process.stderr.isTTY ? progressLine() : undefined;
  const results = await updateRemoteSources(loaded.config, {
    baseDir: loaded.baseDir, force: args.force,
    ...(progress === undefined ? {} : { onStart: progress.start, onProgress: progress.progress }),
  });
  progress?.clear();
  const failed = results.some((result) => result.outcome === 'failed');
  const changed = results.filter((result) => result.outcome === 'changed').length;
  const pid = changed > 0 && args.pidFile !== undefined ? await signalReload(args.pidFile) : undefined;
  if (args.json) {
    process.stdout.write(`${JSON.stringify({ results, reloaded: pid ?? null }, null, 2)}\n`);
    return failed ? 1 : 0;
  }
  if (results.length === 0) {
    process.stdout.write('no list source is given by URL (lists.sources[].url or --blocklist https://...): nothing to download\n');
    return 0;
  }
  const width = process.stdout.isTTY ? Math.max(40, process.stdout.columns) : 80;
  process.stdout.write(`${resultTable(results, width).join('\n')}\n`);
  for (const result of results) {
    if (result.error !== undefined) process.stdout.write(`${result.name}: failed, the previous copy stays in use: ${result.error}\n`);
    for (const problem of result.dropped) process.stdout.write(`${result.name}: ${formatProblem(problem)}\n`);
  }
  if (changed > 0) {
    if (pid !== undefined) {
      process.stdout.write(`${changed} list(s) changed: sent SIGHUP to camshim (pid ${pid}) to serve them\n`);
    } else {
      process.stdout.write(`${changed} list(s) changed: run \`systemctl reload camshim\` (or send the daemon SIGHUP) to serve them\n`);
    }
  }
  return failed ? 1 : 0;
}

/** One row per source, within `width` columns: the detail (error, URL) is cut first, then the name. */
export function resultTable(results: readonly RefreshResult[], width: number): string[] {
  const count = (value: number | undefined): string => (value === undefined ? '-' : String(value));
  return layoutTable([
    { heading: 'SOURCE', flexible: true, min: 10, max: 24 },
    { heading: 'RESULT' },
    { heading: 'BEFORE', align: 'right' },
    { heading: 'AFTER', align: 'right' },
    { heading: 'TIME', align: 'right' },
    { heading: 'DETAIL', flexible: true, min: 10 },
  ], results.map((result) => [
    result.name, result.outcome, count(result.before), count(result.after), `${(result.ms / 1000).toFixed(1)}s`,
    result.error ?? (result.dropped.length > 0 ? `${result.dropped.length} never-block entries dropped` : result.url),
  ]), width);
}

/** A progress line on the terminal for downloads that take a while. */
function progressLine(): { start: (source: RemoteSource) => void; progress: (source: RemoteSource, received: number, total: number | undefined) => void; clear: () => void } {
  let shownAt = 0;
  const write = (text: string): void => { process.stderr.write(`\r\u001b[K${text.slice(0, Math.max(20, (process.stderr.columns || 80) - 1))}`); };
  const kb = (bytes: number): string => `${Math.round(bytes / 1024)} kB`;
  return {
    start: (source) => write(`downloading ${source.name}...`),
    progress: (source, received, total) => {
      const now = performance.now();
      if (now - shownAt < 100) return;
      shownAt = now;
      write(`downloading ${source.name}: ${kb(received)}${total === undefined ? '' : ` of ${kb(total)}`}`);
    },
    clear: () => { process.stderr.write('\r\u001b[K'); },
  };
}
