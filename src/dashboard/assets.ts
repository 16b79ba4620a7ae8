import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { VERSION } from '../version.js';

/** The page's files, beside the compiled code (`npm run build` copies src/dashboard/assets to dist/src/dashboard/assets). */
export const ASSETS_DIR = new URL('./assets/', import.meta.url);

const TYPES: Readonly<Record<string, string>> = {
  'dashboard.js': 'text/javascript; charset=utf-8',
  'dashboard.css': 'text/css; charset=utf-8',
  'icon.svg': 'image/svg+xml',
};

export interface DashboardAssets {
  /** The URL folder the files are served under: `/dashboard/assets/<version>-<content hash>`. */
  readonly base: string;
  /** The page itself, with the versioned paths filled in. */
  readonly html: string;
  readonly files: ReadonlyMap<string, { readonly contentType: string; readonly body: Buffer }>;
}

/**
 * Reads the page's files once. Their URLs carry the package version and a hash of their bytes,
 * so a browser may keep them for a year (`immutable`) and still never runs an old script against
 * a new API: the page, which names them, is never cached.
 */
export function loadDashboardAssets(dir: URL = ASSETS_DIR): DashboardAssets {
  const hash = createHash('sha256');
  const files = new Map<string, { contentType: string; body: Buffer }>();
  for (const [name, contentType] of Object.entries(TYPES)) {
    const body = readFileSync(new URL(name, dir));
    hash.update(name).update(body);
    files.set(name, { contentType, body });
  }
  const base = `/dashboard/assets/${VERSION}-${hash.digest('hex').slice(0, 12)}`;
  const html = readFileSync(new URL('dashboard.html', dir), 'utf8').replaceAll('{{assets}}', base);
  return { base, html, files };
}
