import { prepareState } from '../app.js';
import { canonicalNameText, isLabelStart } from '../dns/wire/name-text.js';
import { CamshimError, formatProblem } from '../errors.js';
import { withConfigOption } from './common-options.js';
import type { CommandModule } from './run-cli.js';
import { ruleText } from '../lists/rule.js';

export const listsCommand: CommandModule = {
  register(argv, setResult) {
    return argv.command('lists', 'show the loaded lists (vendor, entries, source, date)', (command) => withConfigOption(command)
      .command('test <name>', 'show every entry, in every list, that matches NAME', (sub) => withConfigOption(sub)
        .positional('name', { type: 'string', demandOption: true }),
      (args) => setResult(() => testName(args.name, args.config)))
      .option('json', { type: 'boolean', default: false, describe: 'print JSON for scripts' }),
    (args) => setResult(() => showLists(args.config, args.json)));
  },
};

async function showLists(configFile: string | undefined, json: boolean): Promise<number> {
  const { lists, problems } = await prepareState(configFile, {}, 1);
  const rows = lists.lists.map((list) => ({
    name: list.name, kind: list.kind, vendor: list.meta.vendor ?? '', entries: list.entryCount,
    updated: list.meta.updated ?? (list.modifiedAt?.toISOString().slice(0, 10) ?? ''), file: list.file,
  }));
  if (json) {
    process.stdout.write(`${JSON.stringify({ lists: rows, problems }, null, 2)}\n`);
  } else {
    const header = ['LIST', 'KIND', 'VENDOR', 'ENTRIES', 'UPDATED', 'FILE'];
    const table = [header, ...rows.map((r) => [r.name, r.kind, r.vendor, String(r.entries), r.updated, r.file])];
    const widths = header.map((_, column) => Math.max(...table.map((row) => row[column]!.length)));
    for (const row of table) process.stdout.write(`${row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  ')}\n`);
    for (const problem of problems) process.stdout.write(`${formatProblem(problem)}\n`);
  }
  return problems.length > 0 ? 1 : 0;
}

async function testName(name: string, configFile: string | undefined): Promise<number> {
  const { lists } = await prepareState(configFile, {}, 1);
  let normal: string;
  try {
    // Presentation format, as the query decoder writes names: `a\.b.example` is two labels.
    normal = canonicalNameText(name);
  } catch (error) {
    throw new CamshimError('CLI_USAGE', `"${name}" is not a valid domain name: ${(error as Error).message}`);
  }
  if (normal === '') throw new CamshimError('CLI_USAGE', `"${name}" is not a valid domain name`);
  let found = 0;
  // Every suffix of the name, most specific first, and every rule stored for it.
  const starts = [...normal].flatMap((_, index) => (isLabelStart(normal, index) ? [index] : []));
  for (let i = 0; i < starts.length; i++) {
    const suffix = normal.slice(starts[i]);
    for (const index of lists.table.rulesFor(suffix)) {
      const rule = lists.table.rule(index);
      if (rule.scope === 'below' && i === 0) continue;
      if (rule.scope === 'exact' && i !== 0) continue;
      const list = lists.lists[rule.list]!;
      const entry = ruleText(rule.name, 'block', rule.scope);
      process.stdout.write(`${rule.action.padEnd(8)} ${entry}  (${list.name}, ${list.file}:${rule.line})\n`);
      found++;
    }
  }
  if (found === 0) process.stdout.write(`${normal}: on no list\n`);
  return 0;
}
