import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config/config-schema.js';
import type { Problem } from '../errors.js';
import { DomainTable, type RuleInput } from './domain-table.js';
import { parseList, type ListMeta } from './parse.js';
import type { RuleAction } from './rule.js';
import { findNeverBlockViolations, NeverBlockGuard } from './never-block.js';

/** The lists/ folder shipped with camshim (dist/src/lists -> project root). */
export const BUNDLED_LISTS_DIR = fileURLToPath(new URL('../../../lists/', import.meta.url));

export type ListKind = 'block' | 'allow' | 'ntp';

export interface ListInfo {
  readonly index: number;
  /** What groups call it: file name without .list/.txt (or the configured name). */
  readonly name: string;
  readonly file: string;
  readonly kind: ListKind;
  readonly bundled: boolean;
  readonly entryCount: number;
  readonly meta: ListMeta;
  readonly modifiedAt: Date | undefined;
}

/** Everything the resolver needs from lists, built on the side and swapped in whole. */
export interface ListSet {
  readonly table: DomainTable;
  readonly lists: readonly ListInfo[];
  readonly byName: ReadonlyMap<string, ListInfo>;
  readonly errors: readonly Problem[];
  readonly warnings: readonly Problem[];
  readonly loadedAt: Date;
  readonly loadMs: number;
}

interface SourceFile { file: string; kind: ListKind | 'never-block'; bundled: boolean; name?: string }

/** A list file whose contents are mostly not rules is rejected whole (an HTML error page, a binary). */
function looksLikeGarbage(contentLines: number, badLines: number): boolean {
  return contentLines >= 4 && badLines * 2 > contentLines;
}

/**
 * Reads every configured list (bundled folder, config sources, NTP names from config) and
 * builds one immutable ListSet. Never throws for bad input: problems are returned in
 * `errors` (a reload must not apply) and `warnings` (skipped lines).
 */
export async function loadListSet(config: Config, options: { bundledDir?: string; baseDir?: string; now?: () => Date } = {}): Promise<ListSet> {
  const started = performance.now();
  const errors: Problem[] = [];
  const warnings: Problem[] = [];
  const bundledDir = options.bundledDir ?? BUNDLED_LISTS_DIR;
  const baseDir = options.baseDir ?? process.cwd();

  const sources: SourceFile[] = [];
  // The bundled never-block and ntp-hosts files guard and redirect even when vendor lists are off.
  const bundledFiles = await listFolder(bundledDir).catch((error: unknown) => {
    errors.push({ code: 'LIST_READ', file: bundledDir, message: `cannot read bundled lists folder: ${(error as Error).message}` });
    return [] as string[];
  });
  for (const file of bundledFiles) {
    const base = path.basename(file);
    if (base === 'never-block') sources.push({ file, kind: 'never-block', bundled: true });
    else if (base === 'ntp-hosts') sources.push({ file, kind: 'ntp', bundled: true });
    else if (config.lists.bundled) sources.push({ file, kind: 'block', bundled: true });
  }
  for (const [index, source] of config.lists.sources.entries()) {
    const resolved = path.resolve(baseDir, source.path);
    try {
      const info = await stat(resolved);
      if (info.isDirectory()) {
        for (const file of await listFolder(resolved)) sources.push({ file, kind: source.kind, bundled: false });
      } else {
        sources.push({ file: resolved, kind: source.kind, bundled: false, ...(source.name === undefined ? {} : { name: source.name }) });
      }
    } catch (error) {
      errors.push({ code: 'LIST_READ', file: resolved, path: `lists.sources[${index}].path`, message: `cannot read list: ${describeFsError(error)}` });
    }
  }

  const rules: RuleInput[] = [];
  const lists: ListInfo[] = [];
  const byName = new Map<string, ListInfo>();
  const guard = new NeverBlockGuard(config.lists.neverBlockOverride);
  const parsedBlockLists: { info: ListInfo; entries: RuleInput[] }[] = [];

  // Never-block first: the guard must be complete before any block list is checked.
  sources.sort((a, b) => Number(b.kind === 'never-block') - Number(a.kind === 'never-block'));
  for (const source of sources) {
    let text: string;
    let modifiedAt: Date | undefined;
    try {
      text = await readFile(source.file, 'utf8');
      modifiedAt = (await stat(source.file)).mtime;
    } catch (error) {
      errors.push({ code: 'LIST_READ', file: source.file, message: `cannot read list: ${describeFsError(error)}` });
      continue;
    }
    const action: RuleAction = source.kind === 'allow' ? 'allow' : source.kind === 'ntp' ? 'redirect' : 'block';
    const parsed = parseList(text, source.file, action);
    if (looksLikeGarbage(parsed.contentLines, parsed.badLines)) {
      errors.push({ code: 'LIST_INVALID', file: source.file, message: `${parsed.badLines} of ${parsed.contentLines} lines are not rules: this does not look like a domain list, so none of it was loaded` });
      warnings.push(...parsed.problems.slice(0, 5));
      continue;
    }
    warnings.push(...parsed.problems);
    if (source.kind === 'never-block') {
      for (const entry of parsed.entries) guard.add(entry.name, `${source.file}:${entry.line}`);
      continue;
    }
    const name = source.name ?? listNameOf(source.file);
    if (byName.has(name)) {
      errors.push({ code: 'LIST_INVALID', file: source.file, message: `a list named "${name}" is already loaded from ${byName.get(name)!.file}; give one a different name` });
      continue;
    }
    const info: ListInfo = {
      index: lists.length, name, file: source.file, kind: source.kind, bundled: source.bundled,
      entryCount: parsed.entries.length, meta: parsed.meta, modifiedAt,
    };
    lists.push(info);
    byName.set(name, info);
    parsedBlockLists.push({ info, entries: parsed.entries.map((entry) => ({ ...entry, list: info.index })) });
  }

  for (const { info, entries } of parsedBlockLists) {
    for (const entry of entries) {
      if (entry.action === 'block') {
        const violation = findNeverBlockViolations(guard, entry.name, entry.scope);
        if (violation !== undefined) {
          errors.push({ code: 'LIST_NEVER_BLOCK', file: info.file, line: entry.line, message: violation });
          continue;
        }
      }
      rules.push(entry);
    }
  }

  // NTP names from the config are redirects too; they live in a pseudo-list so reports can name them.
  if (config.ntpRedirect.names.length > 0) {
    const info: ListInfo = {
      index: lists.length, name: 'config:ntpRedirect.names', file: 'config ntpRedirect.names', kind: 'ntp', bundled: false,
      entryCount: config.ntpRedirect.names.length, meta: { description: [], sideEffects: [], notes: [] }, modifiedAt: undefined,
    };
    lists.push(info);
    byName.set(info.name, info);
    config.ntpRedirect.names.forEach((name, index) => rules.push({ name, action: 'redirect', scope: 'subtree', list: info.index, line: index + 1 }));
  }

  const table = DomainTable.build(rules);
  return {
    table, lists, byName, errors, warnings,
    loadedAt: options.now?.() ?? new Date(),
    loadMs: performance.now() - started,
  };
}

export function listNameOf(file: string): string {
  return path.basename(file).replace(/\.(list|txt|hosts)$/i, '');
}

/** Regular files in a folder that can be lists: not hidden, not documentation; sorted for stable indexes. */
async function listFolder(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile() && !entry.name.startsWith('.') && !/\.(md|json|ya?ml)$/i.test(entry.name) && !/^readme/i.test(entry.name))
    .map((entry) => path.join(folder, entry.name))
    .sort();
}

function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file or folder';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'EISDIR') return 'is a folder';
  return (error as Error).message;
}
