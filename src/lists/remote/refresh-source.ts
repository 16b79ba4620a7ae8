import { mkdir, readFile, stat } from 'node:fs/promises';
import type { RemoteListsConfig } from '../../config/config-schema.js';
import type { Problem } from '../../errors.js';
import { VERSION } from '../../version.js';
import type { NeverBlockGuard } from '../never-block.js';
import { writeFileAtomic } from '../atomic-file.js';
import { cachedListFile, remoteListFolder } from './cache-paths.js';
import { fetchList, type FetchHooks, type FetchSettings } from './fetch-list.js';
import type { RemoteSource } from './remote-sources.js';
import { readSourceState, writeSourceState, type SourceState } from './source-state.js';
import { validateList } from './validate-list.js';

/**
 * One refresh of one URL source: download (conditionally), validate, and only then replace
 * the cached copy. Whatever happens, the outcome is written to the source's state file, so
 * `camshim lists` can say when it last worked and why it last failed.
 */

export type RefreshOutcome = 'changed' | 'unchanged' | 'failed';

export interface RefreshResult {
  readonly name: string;
  readonly url: string;
  readonly outcome: RefreshOutcome;
  /** Entries of the cached copy before and after (undefined: none yet). */
  readonly before: number | undefined;
  readonly after: number | undefined;
  readonly ms: number;
  readonly error?: string;
  /** Entries left out because they would block a never-block name. */
  readonly dropped: readonly Problem[];
}

export interface RefreshContext {
  readonly stateDir: string;
  readonly settings: RemoteListsConfig;
  readonly guard: NeverBlockGuard;
  readonly force: boolean;
  readonly now?: () => Date;
  readonly hooks?: FetchHooks;
  /** First wait before a retry (default 1 s). */
  readonly retryBaseMs?: number;
}

export function fetchSettingsOf(settings: RemoteListsConfig, retryBaseMs = 1000): FetchSettings {
  return {
    connectTimeoutMs: settings.connectTimeoutMs, timeoutMs: settings.timeoutMs, maxBytes: settings.maxBytes,
    maxRedirects: settings.maxRedirects, retries: settings.retries, retryBaseMs, userAgent: `camshim/${VERSION}`,
  };
}

export async function refreshSource(source: RemoteSource, context: RefreshContext): Promise<RefreshResult> {
  const started = performance.now();
  const now = (): string => (context.now?.() ?? new Date()).toISOString();
  const { stateDir } = context;
  await mkdir(remoteListFolder(stateDir), { recursive: true });
  const file = cachedListFile(stateDir, source.name);
  const state = await readSourceState(stateDir, source.name, source.url);
  const cached = await stat(file).then(() => true, () => false);
  const before = cached ? state.entries : undefined;
  const attemptAt = now();
  const result = (outcome: RefreshOutcome, after: number | undefined, extra: { error?: string; dropped?: readonly Problem[] } = {}): RefreshResult => ({
    name: source.name, url: source.url, outcome, before, after, ms: Math.round(performance.now() - started),
    dropped: extra.dropped ?? [], ...(extra.error === undefined ? {} : { error: extra.error }),
  });
  const fail = async (reason: string): Promise<RefreshResult> => {
    const { lastError: _, ...rest } = state;
    await writeSourceState(stateDir, source.name, { ...rest, lastAttemptAt: attemptAt, lastError: reason });
    return result('failed', before, { error: reason });
  };
  let fetched;
  try {
    // Without a cached copy a 304 would leave nothing to serve: ask unconditionally.
    const validators = cached && !context.force ? { etag: state.etag, lastModified: state.lastModified } : {};
    fetched = await fetchList(source.url, validators, fetchSettingsOf(context.settings, context.retryBaseMs), context.hooks);
  } catch (error) {
    return fail((error as Error).message);
  }
  const { lastError: _, ...kept } = state;
  if (fetched.status === 'unchanged') {
    await writeSourceState(stateDir, source.name, { ...kept, lastAttemptAt: attemptAt, lastSuccessAt: attemptAt });
    return result('unchanged', before);
  }
  const checked = validateList({
    body: fetched.body, contentType: fetched.contentType, previousEntries: before,
    maxShrink: context.settings.maxShrink, force: context.force, guard: context.guard, kind: source.kind, format: source.format, label: source.url,
  });
  if (!checked.ok) return fail(checked.reason);
  const next: SourceState = {
    url: source.url,
    ...(fetched.etag === undefined ? {} : { etag: fetched.etag }),
    ...(fetched.lastModified === undefined ? {} : { lastModified: fetched.lastModified }),
    lastAttemptAt: attemptAt, lastSuccessAt: attemptAt,
    entries: checked.entries, bytes: checked.body.length, dropped: checked.dropped.length,
  };
  // Same bytes under new validators (a server without ETag support): nothing for the daemon to reload.
  const same = cached && (await sameAsCached(file, checked.body));
  if (!same) await writeFileAtomic(file, checked.body);
  await writeSourceState(stateDir, source.name, { ...next, lastChangeAt: same ? state.lastChangeAt ?? attemptAt : attemptAt });
  return result(same ? 'unchanged' : 'changed', checked.entries, { dropped: checked.dropped });
}

async function sameAsCached(file: string, body: Uint8Array): Promise<boolean> {
  try {
    return Buffer.from(body).equals(await readFile(file));
  } catch {
    return false;
  }
}
