import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../atomic-file.js';
import { sourceStateFile } from './cache-paths.js';

/**
 * What camshim remembers about one URL source between runs: the validators for conditional
 * requests, when it was last tried and last succeeded, and why the last attempt failed. Kept
 * beside the cached copy; losing it costs one unconditional download, nothing more.
 */
export interface SourceState {
  readonly url: string;
  readonly etag?: string;
  readonly lastModified?: string;
  /** ISO times. */
  readonly lastAttemptAt?: string;
  readonly lastSuccessAt?: string;
  readonly lastChangeAt?: string;
  readonly lastError?: string;
  /** Entries and bytes of the cached copy. */
  readonly entries?: number;
  readonly bytes?: number;
  /** Entries dropped from the cached copy because they would block a never-block name. */
  readonly dropped?: number;
}

/** The state of a source, or an empty one when there is none (or it is unreadable, or for another URL). */
export async function readSourceState(stateDir: string, name: string, url: string): Promise<SourceState> {
  try {
    const state = JSON.parse(await readFile(sourceStateFile(stateDir, name), 'utf8')) as SourceState;
    if (typeof state !== 'object' || state === null) return { url };
    if (state.url === url) return state;
    // The source moved: another URL's validators could earn a 304 for a list never downloaded from
    // this one, but the cached copy's size still guards against a shrunken replacement.
    return { url, ...(state.entries === undefined ? {} : { entries: state.entries }), ...(state.bytes === undefined ? {} : { bytes: state.bytes }) };
  } catch {
    return { url };
  }
}

export async function writeSourceState(stateDir: string, name: string, state: SourceState): Promise<void> {
  await writeFileAtomic(sourceStateFile(stateDir, name), `${JSON.stringify(state, null, 2)}\n`);
}
