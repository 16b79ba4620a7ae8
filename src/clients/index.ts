/** The clients module's public surface: what other layers import. */
export { ClientDirectory, CLIENT_DIRECTORY_DEFAULTS } from './client-directory.js';
export type { ClientDirectoryDeps, ClientDirectoryOptions, ClientDirectoryStats } from './client-directory.js';
export type { ClientInfo } from './client-table.js';
export { parseClientNames } from './client-names.js';
export type { ClientNames, ClientNamesInput } from './client-names.js';
export { LEASE_FILE_CANDIDATES, LEASE_FORMATS, detectLeaseFormat } from './lease-formats.js';
export type { LeaseFormat } from './lease-formats.js';
export type { LeaseFileSpec, LeasesInput, LeaseFileState } from './lease-files.js';
export { normalizeMac } from './mac.js';
export { ipKey } from './ip-key.js';
