import { watch as fsWatch } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { Problem } from '../errors.js';
import type { LeaseEntry } from './lease-entry.js';
import { detectLeaseFormat, LEASE_FILE_CANDIDATES, LEASE_PARSERS, leaseFileParts, type LeaseFormat } from './lease-formats.js';

/** A lease file as the config names it: a path, with its format when the name does not tell. */
export type LeaseFileSpec = string | { readonly path: string; readonly format?: LeaseFormat };

/** `auto`: every usual path (LEASE_FILE_CANDIDATES); a list: exactly those files; `[]`: none. */
export type LeasesInput = 'auto' | readonly LeaseFileSpec[];

/** Largest lease data read from one source; a camera network's leases are kilobytes. */
export const MAX_LEASE_BYTES = 32 * 1024 * 1024;

/** The file system calls the watcher makes, injectable for tests of failure paths. */
export interface LeaseFs {
  stat(path: string): Promise<{ ino: number; size: number; mtimeMs: number }>;
  readFile(path: string): Promise<string>;
  /** Watches a directory; `onEvent` gets the changed entry's name (null when the OS does not say). Throws when it cannot watch. */
  watch(dir: string, onEvent: (filename: string | null) => void, onError: (error: unknown) => void): { close(): void };
}

export const realLeaseFs: LeaseFs = {
  stat: (path) => stat(path),
  readFile: (path) => readFile(path, 'utf8'),
  watch(dir, onEvent, onError) {
    const watcher = fsWatch(dir, { persistent: false }, (_event, filename) => onEvent(filename === null ? null : String(filename)));
    watcher.on('error', onError);
    return watcher;
  },
};

export interface LeaseFileState {
  readonly path: string;
  readonly format: LeaseFormat | undefined;
  /** `auto` candidates: a missing file is a server that is not installed, and is not reported. */
  readonly optional: boolean;
  readonly leases: number;
  readonly skippedLines: number;
  /** The last read failed (missing, unreadable, too large); `leases` are from the read before. */
  readonly failing: boolean;
  readonly loads: number;
}

interface Source {
  readonly path: string;
  format: LeaseFormat | undefined;
  readonly optional: boolean;
  signature: string | undefined;
  entries: readonly LeaseEntry[];
  skipped: number;
  failing: boolean;
  garbageReported: string | undefined;
  loads: number;
}

/** Turns the config's `leases` into sources (duplicates by path dropped). */
export function leaseSources(input: LeasesInput): Array<{ path: string; format: LeaseFormat | undefined; optional: boolean }> {
  const specs = input === 'auto'
    ? LEASE_FILE_CANDIDATES.map((c) => ({ path: c.path, format: c.format as LeaseFormat | undefined, optional: true }))
    : input.map((spec) => typeof spec === 'string'
      ? { path: spec, format: undefined, optional: false }
      : { path: spec.path, format: spec.format, optional: false });
  const seen = new Set<string>();
  return specs.filter((s) => !seen.has(s.path) && (seen.add(s.path), true));
}

/**
 * The lease files: re-read when they change, old content kept when a read fails.
 *
 * A change is noticed two ways: a watch on each file's directory (the servers replace their
 * files by rename, so watching the file itself would follow the old inode), debounced so a
 * burst of writes is one read; and a poll of each file's identity (inode, size, mtime) on an
 * interval, which also covers file systems and limits where watching fails, and files that
 * appear after start. Only a file whose identity changed is read again.
 */
export class LeaseFiles {
  private readonly sources: Source[];
  private readonly watchers = new Map<string, { close(): void }>();
  private checking: Promise<boolean> | undefined;
  private checkAgain = false;

  constructor(
    input: LeasesInput,
    private readonly fs: LeaseFs,
    private readonly report: (problem: Problem) => void,
  ) {
    this.sources = leaseSources(input).map((s) => ({
      ...s, signature: undefined, entries: [], skipped: 0, failing: false, garbageReported: undefined, loads: 0,
    }));
  }

  /** Current entries, one array per source in config order. */
  entries(): Array<readonly LeaseEntry[]> { return this.sources.map((s) => s.entries); }

  states(): LeaseFileState[] {
    return this.sources.map((s) => ({
      path: s.path, format: s.format, optional: s.optional, leases: s.entries.length,
      skippedLines: s.skipped, failing: s.failing, loads: s.loads,
    }));
  }

  /** Directories to watch, and the entry names in each that matter. */
  private watchTargets(): Map<string, Set<string>> {
    const targets = new Map<string, Set<string>>();
    for (const s of this.sources) {
      const parts = s.format === undefined ? [s.path] : leaseFileParts(s.path, s.format);
      for (const part of parts) {
        const dir = dirname(part);
        let names = targets.get(dir);
        if (names === undefined) targets.set(dir, (names = new Set()));
        names.add(basename(part));
      }
    }
    return targets;
  }

  /** Starts watching directories not yet watched (those that do not exist are tried again on the next call). */
  ensureWatches(onChange: () => void): void {
    for (const [dir, names] of this.watchTargets()) {
      if (this.watchers.has(dir)) continue;
      try {
        const watcher = this.fs.watch(
          dir,
          (filename) => { if (filename === null || names.has(filename)) onChange(); },
          () => { this.watchers.get(dir)?.close(); this.watchers.delete(dir); },
        );
        this.watchers.set(dir, watcher);
      } catch {
        // Missing directory, inotify limits: the poll covers it.
      }
    }
  }

  closeWatches(): void {
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
  }

  /** Checks every source, reads those that changed; true when any entries changed. Calls made during a check run once more after it. */
  check(): Promise<boolean> {
    if (this.checking !== undefined) {
      this.checkAgain = true;
      return this.checking;
    }
    this.checking = (async () => {
      let changed = false;
      do {
        this.checkAgain = false;
        for (const source of this.sources) if (await this.checkSource(source)) changed = true;
      } while (this.checkAgain);
      return changed;
    })().finally(() => { this.checking = undefined; });
    return this.checking;
  }

  private async checkSource(s: Source): Promise<boolean> {
    const parts = s.format === undefined ? [s.path] : leaseFileParts(s.path, s.format);
    const stats = await Promise.all(parts.map((p) => this.fs.stat(p).then((st) => st, (error: unknown) => error)));
    const main = stats[stats.length - 1];
    if (!isStat(main)) return this.fail(s, `lease file ${s.path} cannot be read (${reason(main)}); the names it gave are kept`, isMissing(main));
    const present = parts.flatMap((p, i) => (isStat(stats[i]) ? [{ path: p, stat: stats[i] as StatLike }] : []));
    const signature = present.map((p) => `${p.path}:${p.stat.ino}:${p.stat.size}:${p.stat.mtimeMs}`).join('|');
    if (signature === s.signature && !s.failing) return false;
    const bytes = present.reduce((sum, p) => sum + p.stat.size, 0);
    if (bytes > MAX_LEASE_BYTES) {
      return this.fail(s, `lease file ${s.path} is ${bytes} bytes, more than the ${MAX_LEASE_BYTES} read; the names it gave are kept`, false);
    }
    let text: string;
    try {
      text = (await Promise.all(present.map((p) => this.fs.readFile(p.path)))).join('\n');
    } catch (error) {
      return this.fail(s, `lease file ${s.path} cannot be read (${reason(error)}); the names it gave are kept`, isMissing(error));
    }
    if (s.format === undefined) {
      const format = detectLeaseFormat(s.path, text);
      if (format === undefined) {
        if (text.trim() === '') { s.signature = signature; return false; } // empty: nothing to tell yet
        return this.fail(s, `lease file ${s.path}: format not recognised; name it (dnsmasq, odhcpd, isc-dhcpd, kea)`, false);
      }
      s.format = format;
      // A Kea file found this way has companions to read along with it.
      if (leaseFileParts(s.path, format).length > 1) return this.checkSource(s);
    }
    const result = LEASE_PARSERS[s.format](text);
    s.signature = signature;
    s.entries = result.entries;
    s.skipped = result.skipped;
    s.failing = false;
    s.loads++;
    const garbage = result.skipped === 0 ? undefined : `${result.skipped}:${result.firstSkipped[0]?.line ?? 0}`;
    if (garbage !== undefined && garbage !== s.garbageReported) {
      const first = result.firstSkipped.map((l) => `line ${l.line}: ${l.reason}`).join('; ');
      this.report({
        code: 'CLIENTS_LEASE_LINES', severity: 'warning', file: s.path,
        message: `${result.skipped} line(s) not understood as ${s.format} leases and skipped (${first})`,
      });
    }
    s.garbageReported = garbage;
    return true;
  }

  /** Marks a failed read; reported once per failure streak (never for a missing optional file). */
  private fail(s: Source, message: string, missing: boolean): boolean {
    const silent = missing && s.optional && s.loads === 0;
    if (!s.failing && !silent) this.report({ code: 'CLIENTS_LEASE_READ', severity: 'warning', file: s.path, message });
    s.failing = !silent || s.failing;
    if (silent) s.signature = undefined;
    return false;
  }
}

interface StatLike { ino: number; size: number; mtimeMs: number }

function isStat(value: unknown): value is StatLike {
  return typeof value === 'object' && value !== null && 'mtimeMs' in value;
}

function isMissing(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'ENOENT';
}

function reason(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string') return code === 'ENOENT' ? 'missing' : code === 'EACCES' ? 'permission denied' : code;
  }
  return error instanceof Error ? error.message : String(error);
}
