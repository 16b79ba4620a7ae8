import path from 'node:path';

/**
 * Where a URL source's last good download and its refresh state live, under the state folder
 * (systemd's StateDirectory=): `lists/NAME.list` is what the loader reads like any local list,
 * `lists/NAME.state.json` is what `lists update` and `camshim lists` need to know about it.
 */

export const REMOTE_LIST_FOLDER = 'lists';

/** The name groups use for a URL source: its configured name, else the URL's last path part without extension. */
export function remoteListName(source: { readonly url?: string | undefined; readonly name?: string | undefined }): string {
  if (source.name !== undefined) return source.name;
  const url = new URL(source.url!);
  const last = url.pathname.split('/').filter((part) => part !== '').pop() ?? '';
  const stem = decodeURIComponent(last).replace(/\.(list|txt|hosts)$/i, '');
  const cleaned = (stem === '' ? url.hostname : stem).replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^[.-]+/, '').slice(0, 64);
  return cleaned === '' ? 'remote' : cleaned;
}

export function remoteListFolder(stateDir: string): string {
  return path.join(stateDir, REMOTE_LIST_FOLDER);
}

export function cachedListFile(stateDir: string, name: string): string {
  return path.join(remoteListFolder(stateDir), `${name}.list`);
}

export function sourceStateFile(stateDir: string, name: string): string {
  return path.join(remoteListFolder(stateDir), `${name}.state.json`);
}
