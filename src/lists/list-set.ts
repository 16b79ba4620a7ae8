import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config/config-schema.js';
import type { Problem } from '../errors.js';
import type { DomainTable } from './domain-table.js';
import { readFileBigStat } from './big-array.js';
import { DomainTableBuilder } from './domain-table-builder.js';
import type { ListInfo, ListKind } from './list-info.js';
import type { ListEntry, RuleAction } from './rule.js';
import { scanList, scanListInto, type ScanSummary, type ScannedList } from './scan-list.js';
import { TableSink } from './table-sink.js';
import { CACHE_FILE, fingerprintOf, readListCache, stampSources, writeListCache } from './list-cache.js';
import { NeverBlockGuard } from './never-block.js';
import { cachedListFile, remoteListName } from './remote/cache-paths.js';

/** The lists/ folder shipped with camshim (dist/src/lists -> project root). */
export const BUNDLED_LISTS_DIR = fileURLToPath(new URL('../../../lists/', import.meta.url));

export type { ListInfo, ListKind } from './list-info.js';

/** Everything the resolver needs from lists, built on the side and swapped in whole. */
export interface ListSet {
  readonly table: DomainTable;
  readonly lists: readonly ListInfo[];
  readonly byName: ReadonlyMap<string, ListInfo>;
  readonly errors: readonly Problem[];
  readonly warnings: readonly Problem[];
  readonly loadedAt: Date;
  readonly loadMs: number;
  /** Where the set came from: the compiled cache, or text (and whether a cache was written, or why not). */
  readonly cache: { readonly status: 'hit' | 'written' | 'miss' | 'off'; readonly detail: string };
}

interface SourceFile { file: string; kind: ListKind | 'never-block'; bundled: boolean; name?: string; groups?: readonly string[]; url?: string }

/** True when the file holds nothing but whitespace. */
function isBlank(bytes: Uint8Array): boolean {
  for (const byte of bytes) if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d) return false;
  return true;
}

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
  const stateDir = path.resolve(baseDir, config.lists.remote.stateDir);
  for (const [index, source] of config.lists.sources.entries()) {
    const extra = { ...(source.groups === undefined ? {} : { groups: source.groups }) };
    if (source.url !== undefined) {
      // A URL source serves its last good download; start-up and reload never wait on the network.
      const name = remoteListName(source);
      const file = cachedListFile(stateDir, name);
      if (await stat(file).then(() => true, () => false)) sources.push({ file, kind: source.kind, bundled: false, name, url: source.url, ...extra });
      else warnings.push({ code: 'LIST_NOT_FETCHED', severity: 'warning', path: `lists.sources[${index}].url`, message: `${source.url} has not been downloaded yet (no ${file}); it is served once \`camshim lists update\` or the daemon's refresh fetches it` });
      continue;
    }
    const resolved = path.resolve(baseDir, source.path!);
    try {
      const info = await stat(resolved);
      if (info.isDirectory()) {
        for (const file of await listFolder(resolved)) sources.push({ file, kind: source.kind, bundled: false, ...extra });
      } else {
        sources.push({ file: resolved, kind: source.kind, bundled: false, ...(source.name === undefined ? {} : { name: source.name }), ...extra });
      }
    } catch (error) {
      errors.push({ code: 'LIST_READ', file: resolved, path: `lists.sources[${index}].path`, message: `cannot read list: ${describeFsError(error)}` });
    }
  }

  // The compiled cache answers when it was built from exactly these sources and settings.
  const cacheSettings = config.lists.cache;
  const cacheFile = path.resolve(baseDir, cacheSettings.dir, CACHE_FILE);
  let fingerprint: string | undefined;
  let cacheDetail = 'lists.cache.enabled is false';
  if (cacheSettings.enabled && errors.length === 0) {
    const stamps = await stampSources(sources.map((source) => source.file));
    fingerprint = stamps === undefined ? undefined : fingerprintOf(config, stamps);
    if (fingerprint === undefined) cacheDetail = 'a source could not be read';
    else {
      const read = readListCache(cacheFile, fingerprint);
      if ('hit' in read) {
        return {
          ...read.hit, byName: new Map(read.hit.lists.map((list) => [list.name, list])),
          loadedAt: options.now?.() ?? new Date(), loadMs: performance.now() - started,
          cache: { status: 'hit', detail: cacheFile },
        };
      }
      cacheDetail = read.miss;
    }
  }

  const builder = new DomainTableBuilder();
  const lists: ListInfo[] = [];
  const byName = new Map<string, ListInfo>();
  const guard = new NeverBlockGuard(config.lists.neverBlockOverride);

  // Never-block first: the guard must be complete before any block list is checked.
  sources.sort((a, b) => Number(b.kind === 'never-block') - Number(a.kind === 'never-block'));
  for (const source of sources) {
    // Read without leaving the thread: a list set is built where nothing else waits on it (the
    // daemon's start, before DNS is bound; a command; the reload's own worker thread), and
    // three dozen small files through the thread pool cost a start some 10 ms of round trips.
    // One file is held at a time, however big the set.
    let read: { bytes: Uint8Array; mtime: Date };
    try {
      read = readFileBigStat(source.file);
    } catch (error) {
      errors.push({ code: 'LIST_READ', file: source.file, message: `cannot read list: ${describeFsError(error)}` });
      continue;
    }
    const { bytes, mtime: modifiedAt } = read;
    if (isBlank(bytes) && (source.kind === 'block' || source.kind === 'allow')) {
      // Most often a file caught mid-write (truncated, not yet filled): taking it would unblock a whole vendor.
      // (ntp-hosts and never-block are camshim's own files, and an empty one unblocks nothing.)
      errors.push({ code: 'LIST_INVALID', file: source.file, message: 'the list file is empty (truncated or half-written?); a list meant to be empty needs at least a comment line' });
      continue;
    }
    const action: RuleAction = source.kind === 'allow' ? 'allow' : source.kind === 'ntp' ? 'redirect' : 'block';
    if (source.kind === 'never-block') {
      const scanned = scanList(bytes, source.file, action);
      if (rejectGarbage(source.file, scanned, errors, warnings)) continue;
      warnings.push(...scanned.problems);
      for (let i = 0; i < scanned.count; i++) guard.add(entryAt(scanned, i).name, `${source.file}:${scanned.line[i]!}`);
      continue;
    }
    const name = source.name ?? listNameOf(source.file);
    if (byName.has(name)) {
      errors.push({ code: 'LIST_INVALID', file: source.file, message: `a list named "${name}" is already loaded from ${byName.get(name)!.file}; give one a different name` });
      continue;
    }
    // Rules go into the table while the file is scanned; a file found to be garbage is taken out again.
    const rulesBefore = builder.rules;
    const errorsBefore = errors.length;
    // Big lists run 15-30 bytes a line, and a record is about as long as its line.
    builder.reserve(Math.ceil(bytes.length / 16), bytes.length + 64);
    const index = lists.length;
    const scanned = scanListInto(bytes, source.file, action, new TableSink(builder, guard, action, index, source.file, errors));
    if (rejectGarbage(source.file, scanned, errors, warnings, errorsBefore)) {
      builder.rollback(rulesBefore);
      continue;
    }
    warnings.push(...scanned.problems);
    const info: ListInfo = {
      index, name, file: source.file, kind: source.kind, bundled: source.bundled,
      entryCount: scanned.count, meta: scanned.meta, modifiedAt,
      ...(source.groups === undefined ? {} : { groups: source.groups }),
      ...(source.url === undefined ? {} : { url: source.url }),
    };
    lists.push(info);
    byName.set(name, info);
  }

  // NTP names from the config are redirects too; they live in a pseudo-list so reports can name them.
  if (config.ntpRedirect.names.length > 0) {
    const info: ListInfo = {
      index: lists.length, name: 'config:ntpRedirect.names', file: 'config ntpRedirect.names', kind: 'ntp', bundled: false,
      entryCount: config.ntpRedirect.names.length, meta: { description: [], sideEffects: [], notes: [] }, modifiedAt: undefined,
    };
    lists.push(info);
    byName.set(info.name, info);
    config.ntpRedirect.names.forEach((name, index) => builder.add(name, 'redirect', 'subtree', info.index, index + 1));
  }

  const table = builder.finish();
  let cache: ListSet['cache'] = { status: cacheSettings.enabled ? 'miss' : 'off', detail: cacheDetail };
  if (cacheSettings.enabled && table.ruleCount < cacheSettings.minRules) {
    cache = { status: 'off', detail: `${table.ruleCount} rules, below lists.cache.minRules (${cacheSettings.minRules})` };
  } else if (fingerprint !== undefined && errors.length === 0) {
    try {
      await writeListCache(cacheFile, fingerprint, { table, lists, errors, warnings });
      cache = { status: 'written', detail: `${cacheDetail}; wrote ${cacheFile}` };
    } catch (error) {
      // A read-only or missing cache folder only costs speed on the next start.
      warnings.push({ code: 'LIST_CACHE', severity: 'warning', file: cacheFile, message: `cannot write the list cache: ${(error as Error).message}` });
    }
  }
  return {
    table, lists, byName, errors, warnings,
    loadedAt: options.now?.() ?? new Date(),
    loadMs: performance.now() - started,
    cache,
  };
}

/**
 * A list file whose contents are mostly not rules is rejected whole (an HTML error page, a
 * binary): returns true after reporting it, dropping any errors its lines made.
 */
function rejectGarbage(file: string, scanned: ScanSummary, errors: Problem[], warnings: Problem[], errorsBefore = errors.length): boolean {
  if (!looksLikeGarbage(scanned.contentLines, scanned.badLines)) return false;
  errors.length = errorsBefore;
  errors.push({ code: 'LIST_INVALID', file, message: `${scanned.badLines} of ${scanned.contentLines} lines are not rules: this does not look like a domain list, so none of it was loaded` });
  warnings.push(...scanned.problems.slice(0, 5));
  return true;
}

export function entryAt(scanned: ScannedList, index: number): ListEntry {
  const slow = scanned.slow[index]!;
  if (slow >= 0) return scanned.slowEntries[slow]!;
  const name = Buffer.from(scanned.buffer.buffer, scanned.buffer.byteOffset, scanned.buffer.length).toString('latin1', scanned.start[index], scanned.end[index]);
  return { name, action: scanned.defaultAction, scope: 'subtree', line: scanned.line[index]! };
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
