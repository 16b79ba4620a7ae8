import { prepareState } from '../app.js';
import { loadConfig } from '../config/load-config.js';
import { canonicalNameText, isLabelStart } from '../wire/name-text.js';
import { CamshimError, formatProblem } from '../errors.js';
import type { ConfigOverrides } from '../config/overrides.js';
import { remoteSourcesOf } from '../lists/remote/remote-sources.js';
import { layoutTable } from '../report/text-table.js';
import { listOverrides, withConfigOption, withListOptions } from './common-options.js';
import { registerListsUpdate } from './lists-update-command.js';
import { remoteStatus, remoteTable } from './remote-status.js';
import type { CommandModule } from './command-module.js';
import { commandText } from './commands.js';
import { ruleText } from '../lists/rule.js';
import { listsForVendor, readEntryNotes } from '../lists/entry-notes.js';

export const listsCommand: CommandModule = {
  register(argv, setResult) {
    // Subcommands inherit these options (defining --config again in one would list -c twice in its help).
    const text = commandText('lists');
    return argv.command(text.command, text.describe, (command) => registerListsUpdate(withListOptions(withConfigOption(command))
      .command('test <name>', 'show every entry, in every list, that matches NAME', (sub) => sub
        .positional('name', { type: 'string', demandOption: true }),
      (args) => setResult(() => testName(args.name, args.config, listOverrides(args)))), setResult)
      .option('vendor', { type: 'string', requiresArg: true, describe: 'show what a vendor family covers: its header and every entry with its source' })
      .option('json', { type: 'boolean', default: false, describe: 'print JSON for scripts' }),
    (args) => setResult(() => (args.vendor === undefined ? showLists(args.config, listOverrides(args), args.json) : showVendor(args.vendor, args.config, listOverrides(args), args.json))));
  },
};

async function showLists(configFile: string | undefined, overrides: ConfigOverrides, json: boolean): Promise<number> {
  const loaded = await loadConfig(configFile, overrides);
  const { lists, problems } = await prepareState(loaded, 1);
  const rows = lists.lists.map((list) => ({
    name: list.name, kind: list.kind, vendor: list.meta.vendor ?? '', entries: list.entryCount,
    updated: list.meta.updated ?? (list.modifiedAt?.toISOString().slice(0, 10) ?? ''), file: list.url ?? list.file,
  }));
  const remote = await remoteStatus(loaded.config, loaded.baseDir);
  if (json) {
    process.stdout.write(`${JSON.stringify({ lists: rows, remote, problems }, null, 2)}\n`);
  } else {
    const width = process.stdout.isTTY ? Math.max(40, process.stdout.columns) : 80;
    const lines = layoutTable([
      { heading: 'LIST', flexible: true, min: 10, max: 28 },
      { heading: 'KIND' },
      { heading: 'VENDOR', flexible: true, min: 8, max: 20 },
      { heading: 'ENTRIES', align: 'right' },
      { heading: 'UPDATED' },
      // A path's end (the file name) says the most; a URL source shows its URL.
      { heading: 'FILE', flexible: true, min: 20, cut: 'start' },
    ], rows.map((r) => [r.name, r.kind, r.vendor, String(r.entries), r.updated, r.file]), width);
    process.stdout.write(`${lines.join('\n')}\n`);
    if (remote.length > 0) process.stdout.write(`\nLists fetched by URL (${remoteSourcesOf(loaded.config, loaded.baseDir).stateDir}):\n${remoteTable(remote, width).join('\n')}\n`);
    // The table cuts long errors to fit; the whole reason is worth its own line.
    for (const row of remote) if (row.lastError !== undefined) process.stdout.write(`${row.name}: last refresh failed, the previous copy stays in use: ${row.lastError}\n`);
    for (const problem of problems) process.stdout.write(`${formatProblem(problem)}\n`);
  }
  return problems.length > 0 ? 1 : 0;
}

async function showVendor(name: string, configFile: string | undefined, overrides: ConfigOverrides, json: boolean): Promise<number> {
  const { lists } = await prepareState(await loadConfig(configFile, overrides), 1);
  const matched = listsForVendor(lists.lists, name);
  if (matched.length === 0) throw new CamshimError('CLI_USAGE', `no loaded list is named "${name}" or has it in its vendor header; \`camshim lists\` shows them all`);
  const families = [];
  for (const list of matched) {
    families.push({
      name: list.name, kind: list.kind, vendor: list.meta.vendor ?? '', covers: list.meta.covers ?? '', updated: list.meta.updated ?? '',
      sideEffects: list.meta.sideEffects, notes: list.meta.notes, file: list.file, entries: await readEntryNotes(list),
    });
  }
  if (json) {
    process.stdout.write(`${JSON.stringify({ lists: families }, null, 2)}\n`);
    return 0;
  }
  const out: string[] = [];
  for (const family of families) {
    out.push(`${family.name} (${family.kind}): ${family.vendor || 'no vendor header'}`, `  file:         ${family.file}`);
    if (family.covers !== '') out.push(`  covers:       ${family.covers}`);
    if (family.updated !== '') out.push(`  updated:      ${family.updated}`);
    for (const line of family.sideEffects) out.push(`  side-effects: ${line}`);
    for (const line of family.notes) out.push(`  notes:        ${line}`);
    out.push(`  entries (${family.entries.length}):`);
    for (const entry of family.entries) out.push(`    ${entry.entry}${entry.note === '' ? '' : `  # ${entry.note}`}`);
    out.push('');
  }
  process.stdout.write(`${out.join('\n')}`);
  return 0;
}

async function testName(name: string, configFile: string | undefined, overrides: ConfigOverrides): Promise<number> {
  const { lists } = await prepareState(await loadConfig(configFile, overrides), 1);
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
