import { readFileSync } from 'node:fs';

/** camshim's version, from package.json (dist/src -> project root): `--version` and the list downloader's User-Agent. */
export const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
